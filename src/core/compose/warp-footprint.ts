/** Where a warped image lands in the frame. */

import { applyHomography, homogeneousW } from '../geometry/matrix3.js';
import type { Box, Matrix3, Point } from '../types.js';

/**
 * The image's outer corners (0,0), (width,0), (width,height), (0,height) mapped through
 * `matrix`, in that order; null when any of them is on or behind the line sent to infinity, in
 * which case the warped image is unbounded and has no quad.
 */
export function projectImageCorners(
  matrix: Matrix3,
  width: number,
  height: number,
): [Point, Point, Point, Point] | null {
  const corners: Point[] = [
    { x: 0, y: 0 },
    { x: width, y: 0 },
    { x: width, y: height },
    { x: 0, y: height },
  ];
  if (corners.some((c) => !(homogeneousW(matrix, c) > 0))) return null;
  const mapped = corners.map((c) => applyHomography(matrix, c));
  if (mapped.some((p) => !Number.isFinite(p.x) || !Number.isFinite(p.y))) return null;
  return mapped as [Point, Point, Point, Point];
}

/**
 * The whole-pixel rectangle of the frame that drawing `image` through `matrix` can change:
 * the bounds of the projected image, grown by the half-pixel fringe that bilinear sampling adds
 * at the image's edges, and clipped to the frame. It is the whole frame when the projection is
 * unbounded, and null when it misses the frame.
 */
export function warpBounds(
  matrix: Matrix3,
  imageWidth: number,
  imageHeight: number,
  frameWidth: number,
  frameHeight: number,
): Box | null {
  const fringe = [
    { x: -0.5, y: -0.5 },
    { x: imageWidth + 0.5, y: -0.5 },
    { x: imageWidth + 0.5, y: imageHeight + 0.5 },
    { x: -0.5, y: imageHeight + 0.5 },
  ];
  if (fringe.some((c) => !(homogeneousW(matrix, c) > 0))) {
    return { x: 0, y: 0, width: frameWidth, height: frameHeight };
  }
  const mapped = fringe.map((c) => applyHomography(matrix, c));
  const x0 = Math.max(0, Math.floor(Math.min(...mapped.map((p) => p.x))));
  const y0 = Math.max(0, Math.floor(Math.min(...mapped.map((p) => p.y))));
  const x1 = Math.min(frameWidth, Math.ceil(Math.max(...mapped.map((p) => p.x))));
  const y1 = Math.min(frameHeight, Math.ceil(Math.max(...mapped.map((p) => p.y))));
  if (!(x1 > x0 && y1 > y0)) return null;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
