/**
 * Keypoints and outline estimated from the detector's six coarse points, for a face the mesh
 * model rejected (turned away, blurred, half out of frame). Such a face must still be covered,
 * so the masker places the emoji from these estimates instead of leaving it bare.
 *
 * The proportions are those of an average adult face, in units of the distance between the
 * eye centres d: outer eye corners 0.21 d beyond each eye centre, mouth 0.8 d wide, the
 * philtrum 40 % of the way from the mouth up to the nose tip, the chin 0.75 d below the mouth.
 */

import type { FaceDetection } from '../detector/face-detector-result.js';
import type { MaskKeypoints, Point } from '../types.js';

const OUTLINE_POINTS = 24;

export interface FaceEstimate {
  keypoints: MaskKeypoints;
  /** An ellipse around the head, forehead to chin and ear to ear, in source pixels. */
  outline: Point[];
}

export function estimateFromDetection(detection: FaceDetection): FaceEstimate {
  const [rightEye, leftEye, noseTip, mouth] = detection.keypoints;
  const ex = leftEye.x - rightEye.x;
  const ey = leftEye.y - rightEye.y;
  const d = Math.hypot(ex, ey) || Math.max(detection.box.width, 1) / 2.2;
  const u = { x: ex / d || 1, y: ey / d || 0 };
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
    philtrum: { x: mouth.x + 0.4 * (noseTip.x - mouth.x), y: mouth.y + 0.4 * (noseTip.y - mouth.y) },
    chin: at(mouth, 0, 0.75),
  };

  const centre = at({ x: (rightEye.x + leftEye.x) / 2, y: (rightEye.y + leftEye.y) / 2 }, 0, 0.45);
  const outline: Point[] = [];
  for (let i = 0; i < OUTLINE_POINTS; i++) {
    const t = (2 * Math.PI * i) / OUTLINE_POINTS;
    outline.push(at(centre, 1.05 * Math.cos(t), 1.45 * Math.sin(t)));
  }
  return { keypoints, outline };
}
