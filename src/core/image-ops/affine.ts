/**
 * 2-D affine transforms as six numbers `[a, b, c, d, e, f]`, mapping (x, y) to
 * (a x + b y + c, d x + e y + f).
 */

import type { Point } from '../types.js';

export type Affine = readonly [number, number, number, number, number, number];

export const IDENTITY_AFFINE: Affine = [1, 0, 0, 0, 1, 0];

export function applyAffine(m: Affine, p: Point): Point {
  return { x: m[0] * p.x + m[1] * p.y + m[2], y: m[3] * p.x + m[4] * p.y + m[5] };
}

/** `outer ∘ inner`: first `inner`, then `outer`. */
export function composeAffine(outer: Affine, inner: Affine): Affine {
  return [
    outer[0] * inner[0] + outer[1] * inner[3],
    outer[0] * inner[1] + outer[1] * inner[4],
    outer[0] * inner[2] + outer[1] * inner[5] + outer[2],
    outer[3] * inner[0] + outer[4] * inner[3],
    outer[3] * inner[1] + outer[4] * inner[4],
    outer[3] * inner[2] + outer[4] * inner[5] + outer[5],
  ];
}

/** @throws RangeError when the transform is singular (it squashes the plane onto a line). */
export function invertAffine(m: Affine): Affine {
  const det = m[0] * m[4] - m[1] * m[3];
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) {
    throw new RangeError(`invertAffine: the transform is singular (determinant ${det})`);
  }
  const a = m[4] / det;
  const b = -m[1] / det;
  const d = -m[3] / det;
  const e = m[0] / det;
  return [a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])];
}

/**
 * A square region of the source image, possibly rotated, described by its centre, side and
 * rotation (radians, clockwise on screen since y points down; 0 = upright).
 */
export interface RotatedRect {
  centerX: number;
  centerY: number;
  width: number;
  height: number;
  rotation: number;
}

/**
 * The transform taking pixel coordinates of an `outWidth` x `outHeight` crop of `rect` (the crop's
 * top-left pixel corner is (0, 0)) to source pixels. The crop's x axis runs along the rect's
 * rotated x axis.
 */
export function rectToSourceAffine(rect: RotatedRect, outWidth: number, outHeight: number): Affine {
  const cos = Math.cos(rect.rotation);
  const sin = Math.sin(rect.rotation);
  const sx = rect.width / outWidth;
  const sy = rect.height / outHeight;
  // Crop pixel (u, v) -> offset from the crop centre, scaled to source units, rotated, moved.
  const ox = -outWidth / 2;
  const oy = -outHeight / 2;
  return [
    cos * sx,
    -sin * sy,
    rect.centerX + cos * sx * ox - sin * sy * oy,
    sin * sx,
    cos * sy,
    rect.centerY + sin * sx * ox + cos * sy * oy,
  ];
}
