/**
 * Keypoints and outline estimated from the detector's six coarse points, for a face the mesh
 * model rejected (turned away, blurred, half out of frame). Such a face must still be covered,
 * so the masker places the emoji from these estimates instead of leaving it bare.
 *
 * The proportions are those of an average adult face, in units of d, the distance between the
 * eye centres (or the box's width / 2.2 when that is more, as in profile): outer eye corners 0.21 d beyond each eye centre, mouth 0.8 d wide, the
 * philtrum 40 % of the way from the mouth up to the nose tip, the chin 0.75 d below the mouth.
 */

import type { FaceDetection } from '../detector/face-detector-result.js';
import type { EmojiArt } from '../emoji/emoji-pack.js';
import type { Box, MaskKeypoints, Point } from '../types.js';
import { MASK_KEYPOINT_NAMES } from '../types.js';

const OUTLINE_POINTS = 24;
/** The detector's box is about this many eye distances wide on a frontal face. */
const BOX_WIDTH_IN_EYE_DISTANCES = 2.2;
/** Eyes closer than this fraction of that make the face a profile. */
const PROFILE_EYES = 0.5;

export interface FaceEstimate {
  keypoints: MaskKeypoints;
  /** An ellipse around the head, forehead to chin and ear to ear, in source pixels. */
  outline: Point[];
}

export function estimateFromDetection(detection: FaceDetection): FaceEstimate {
  const [rightEye, leftEye, noseTip, mouth] = detection.keypoints;
  const ex = leftEye.x - rightEye.x;
  const ey = leftEye.y - rightEye.y;
  const eyes = Math.hypot(ex, ey);
  // In profile the two eye points nearly meet while the box still spans the head: the box
  // then sets the scale, and the face is taken as upright.
  const d = Math.max(eyes, Math.max(detection.box.width, 1) / BOX_WIDTH_IN_EYE_DISTANCES);
  const profile = eyes < PROFILE_EYES * d;
  const u = profile ? { x: 1, y: 0 } : { x: ex / eyes, y: ey / eyes };
  // Down the face: u turned a quarter clockwise on screen (y points down).
  const n = { x: -u.y, y: u.x };
  const at = (p: Point, du: number, dn: number): Point => ({
    x: p.x + (du * u.x + dn * n.x) * d,
    y: p.y + (du * u.y + dn * n.y) * d,
  });

  const keypoints: MaskKeypoints = {
    rightEyeOuter: at(rightEye, -0.21, 0),
    leftEyeOuter: at(leftEye, 0.21, 0),
    mouthRight: at(mouth, -0.4, 0),
    mouthLeft: at(mouth, 0.4, 0),
    philtrum: {
      x: mouth.x + 0.4 * (noseTip.x - mouth.x),
      y: mouth.y + 0.4 * (noseTip.y - mouth.y),
    },
    chin: at(mouth, 0, 0.75),
  };

  const { box } = detection;
  const centre = profile
    ? { x: box.x + box.width / 2, y: box.y + box.height / 2 }
    : at({ x: (rightEye.x + leftEye.x) / 2, y: (rightEye.y + leftEye.y) / 2 }, 0, 0.45);
  const outline: Point[] = [];
  for (let i = 0; i < OUTLINE_POINTS; i++) {
    const t = (2 * Math.PI * i) / OUTLINE_POINTS;
    outline.push(at(centre, 1.05 * Math.cos(t), 1.45 * Math.sin(t)));
  }
  return { keypoints, outline };
}

/**
 * How far beyond the box the outline of a face known only by its box reaches, in half-sides:
 * the output network's box of a face in profile stops short of the nose tip and the chin
 * (by up to a third of its width on the crowd clip).
 */
const BOX_OUTLINE_GROWTH = { x: 0.35, y: 0.3 };

/**
 * Keypoints and outline for a face known only by the second detector's box (the mesh rejected
 * it: a profile, a face cut by the frame's edge). The keypoints are `art`'s own, carried from
 * its cover disc onto the ellipse inscribed in the box, so the emoji fits the box as a plain
 * scaling, upright; the outline is that ellipse grown by {@link BOX_OUTLINE_GROWTH}, which the
 * emoji is widened to cover.
 */
export function estimateFromBox(box: Box, art: EmojiArt): FaceEstimate {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const rx = box.width / 2;
  const ry = box.height / 2;
  const { centerX, centerY, radius } = art.cover;
  const keypoints = {} as MaskKeypoints;
  for (const name of MASK_KEYPOINT_NAMES) {
    const k = art.keypoints[name];
    keypoints[name] = {
      x: cx + ((k.x - centerX) / radius) * rx,
      y: cy + ((k.y - centerY) / radius) * ry,
    };
  }
  const outline: Point[] = [];
  for (let i = 0; i < OUTLINE_POINTS; i++) {
    const t = (2 * Math.PI * i) / OUTLINE_POINTS;
    outline.push({
      x: cx + (1 + BOX_OUTLINE_GROWTH.x) * rx * Math.cos(t),
      y: cy + (1 + BOX_OUTLINE_GROWTH.y) * ry * Math.sin(t),
    });
  }
  return { keypoints, outline };
}
