/**
 * Where an emoji goes on a face: the homography from the emoji's six keypoints to the face's,
 * widened where needed so that the emoji's opaque disc covers the whole face outline.
 */

import { fitSimilarity } from '../classifier/face-align.js';
import type { EmojiArt } from '../emoji/emoji-pack.js';
import { applyAffine } from '../image-ops/affine.js';
import { maskKeypointsFromMesh } from '../landmarks/mesh-to-ibug.js';
import { applyHomography, invertMatrix3, solveHomography } from '../geometry/homography.js';
import type { HomographyFailure } from '../geometry/homography.js';
import { centroid, convexHull, principalSpread } from '../geometry/point-sets.js';
import { boundsOf } from '../landmarks/roi.js';
import type { MaskKeypoints, Matrix3, Point } from '../types.js';
import { MASK_KEYPOINT_NAMES } from '../types.js';

/**
 * The silhouette of the face in MediaPipe's mesh, clockwise from the top of the forehead: what
 * the emoji must cover.
 */
export const MESH_FACE_OVAL = [
  10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148,
  176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
] as const;

/**
 * Mesh points around the upper face and the jaw (forehead top and sides, temples, jaw angles)
 * that join the six keypoints in the fit. The six all lie on or below the eye line, so a fit on
 * them alone extrapolates the forehead, and on a real, non-flat face its perspective terms can
 * blow the top of the emoji up to twice the face's width; these points pin the fit to the whole
 * face.
 */
export const MESH_SHAPE_ANCHORS = [10, 67, 297, 234, 454, 132, 361] as const;

/** Extra point pairs for {@link placeEmoji}: where the shape anchors are on the emoji and on the face. */
export interface ShapeAnchors {
  emoji: readonly Point[];
  face: readonly Point[];
}

/**
 * Where the {@link MESH_SHAPE_ANCHORS} fall on `emoji`: the mean face `meanMesh` (468 points,
 * any scale) is moved onto the emoji by the similarity that best lays its six keypoints on the
 * emoji's, so the anchors sit where an average face's forehead and jaw would.
 */
export function emojiShapeAnchors(emoji: EmojiArt, meanMesh: readonly Point[]): Point[] {
  const meanKeypoints = maskKeypointsFromMesh(meanMesh);
  const from = MASK_KEYPOINT_NAMES.map((k) => meanKeypoints[k]);
  const to = MASK_KEYPOINT_NAMES.map((k) => emoji.keypoints[k]);
  const m = fitSimilarity(from, to);
  if (m === null) throw new RangeError('emojiShapeAnchors: the mean face has degenerate keypoints');
  return MESH_SHAPE_ANCHORS.map((i) => applyAffine(m, meanMesh[i]));
}

/**
 * How far past the outline the disc must reach, as a fraction of the disc's radius: covers the
 * half-pixel antialiased rim of the disc and small landmark error at the jaw.
 */
export const COVER_MARGIN = 0.04;

/** Largest widening of the emoji beyond its keypoint fit; beyond this the fit is not trusted. */
const MAX_WIDENING = 3;

/**
 * A placed disc must stay a plausible ellipse on the face: its narrow axis at least this
 * fraction of its wide one (measured on real faces with head turns: 0.66 at the least, against
 * 0.001-0.32 for the spikes and flames that a profile or a mesh on the wrong thing gives) ...
 */
const MIN_DISC_ASPECT = 0.4;
/**
 * ... and at most this many times the size of the face outline (spread of the disc's rim
 * against the outline's box; real faces 0.49-1.23, a disc the perspective blew up 2 and more).
 */
const MAX_DISC_TO_FACE = 1.6;
/** Points on the disc's rim checked for the two limits above. */
const RIM_SAMPLES = 32;

export type EmojiFit =
  | {
      ok: true;
      /** Emoji pixels to frame pixels. */
      matrix: Matrix3;
      /** How much the emoji was enlarged about its disc centre to cover the outline (>= 1). */
      widening: number;
    }
  | {
      ok: false;
      /**
       * `unbounded`: the outline lies too far out or the disc reaches past the horizon;
       * `distorted`: the disc would be drawn as a sliver or far larger than the face.
       */
      reason: HomographyFailure | 'unbounded' | 'distorted';
    };

/**
 * The homography placing `emoji` on a face with `keypoints` (and, when given, the shape
 * `anchors`; least squares over all pairs), enlarged about the emoji's disc
 * centre (in emoji space, so the perspective of the fit is kept) until every `outline` point
 * falls inside the disc with {@link COVER_MARGIN} to spare.
 */
export function placeEmoji(
  emoji: EmojiArt,
  keypoints: MaskKeypoints,
  outline: readonly Point[],
  anchors?: ShapeAnchors,
): EmojiFit {
  const src = MASK_KEYPOINT_NAMES.map((name) => emoji.keypoints[name]);
  const dst = MASK_KEYPOINT_NAMES.map((name) => keypoints[name]);
  if (anchors) {
    src.push(...anchors.emoji);
    dst.push(...anchors.face);
  }
  const fit = solveHomography(src, dst);
  if (!fit.ok) return fit;

  const inverse = invertMatrix3(fit.matrix);
  if (inverse === null) return { ok: false, reason: 'degenerate' };
  const { centerX, centerY, radius } = emoji.cover;
  let farthest = 0;
  for (const p of outline) {
    const q = applyHomography(inverse, p);
    const d = Math.hypot(q.x - centerX, q.y - centerY);
    if (!Number.isFinite(d)) return { ok: false, reason: 'unbounded' };
    farthest = Math.max(farthest, d);
  }
  const widening = Math.max(1, (farthest / radius) * (1 + COVER_MARGIN));
  if (widening > MAX_WIDENING) return { ok: false, reason: 'unbounded' };
  const matrix = scaleAbout(fit.matrix, centerX, centerY, widening);
  const shape = discShape(matrix, centerX, centerY, radius * widening, outline);
  if (shape === null) return { ok: false, reason: 'unbounded' };
  if (shape.aspect < MIN_DISC_ASPECT || shape.toFace > MAX_DISC_TO_FACE) {
    return { ok: false, reason: 'distorted' };
  }
  return { ok: true, matrix, widening };
}

/**
 * How the disc of radius `r` about (cx, cy) in emoji space comes out in the frame through
 * `matrix`: the narrow-to-wide ratio of its rim's spread and that spread against the outline's
 * box, or null when part of the rim goes past the horizon.
 */
function discShape(
  matrix: Matrix3,
  cx: number,
  cy: number,
  r: number,
  outline: readonly Point[],
): { aspect: number; toFace: number } | null {
  const rim: Point[] = [];
  const sign = Math.sign(matrix[6] * cx + matrix[7] * cy + matrix[8]);
  for (let k = 0; k < RIM_SAMPLES; k++) {
    const t = (2 * Math.PI * k) / RIM_SAMPLES;
    const p = { x: cx + r * Math.cos(t), y: cy + r * Math.sin(t) };
    const w = matrix[6] * p.x + matrix[7] * p.y + matrix[8];
    if (!(w * sign > 0)) return null;
    rim.push(applyHomography(matrix, p));
  }
  const { major, minor } = principalSpread(rim);
  const box = boundsOf(outline);
  const faceSize = Math.max(box.width, box.height);
  return { aspect: minor / major, toFace: faceSize > 0 ? major / faceSize : Infinity };
}

/** `matrix` after first scaling emoji space by `s` about (cx, cy): M * T(c) * S(s) * T(-c). */
function scaleAbout(m: Matrix3, cx: number, cy: number, s: number): Matrix3 {
  // T(c) S T(-c) = [s 0 cx(1-s); 0 s cy(1-s); 0 0 1]
  const tx = cx * (1 - s);
  const ty = cy * (1 - s);
  return [
    m[0] * s,
    m[1] * s,
    m[0] * tx + m[1] * ty + m[2],
    m[3] * s,
    m[4] * s,
    m[3] * tx + m[4] * ty + m[5],
    m[6] * s,
    m[7] * s,
    m[6] * tx + m[7] * ty + m[8],
  ];
}

/**
 * The region to paint opaque when an emoji cannot be placed: the convex hull of `points`
 * grown by `grow` times its size about its centre, plus a pixel.
 */
export function coverPolygon(points: readonly Point[], grow = 0.15): Point[] {
  const hull = convexHull(points);
  const { x: cx, y: cy } = centroid(hull);
  return hull.map((p) => {
    const dx = p.x - cx;
    const dy = p.y - cy;
    const d = Math.hypot(dx, dy) || 1;
    const k = 1 + grow + 1 / d;
    return { x: cx + dx * k, y: cy + dy * k };
  });
}
