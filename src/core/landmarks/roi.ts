/**
 * The region of interest the face-mesh model is run on: a square around the face, rotated so the
 * eyes lie level in the crop, enlarged so the whole face (forehead to chin, ear to ear) fits.
 * Follows MediaPipe's face-landmark graph: the rotation comes from the two eyes, the square's
 * side is the longer side of the face's box times 1.5.
 */

import type { FaceDetection } from '../detector/face-detector-result.js';
import type { RotatedRect } from '../image-ops/affine.js';
import type { Box, Point } from '../types.js';

/** MediaPipe's enlargement of the face box for the mesh model. */
export const DEFAULT_ROI_SCALE = 1.5;

/** Mesh points of the subject's right and left outer eye corners (image left, image right). */
export const MESH_RIGHT_EYE_OUTER = 33;
export const MESH_LEFT_EYE_OUTER = 263;

/** Rotation (radians, clockwise on screen) that turns the vector from `from` to `to` level. */
export function rotationOf(from: Point, to: Point): number {
  return Math.atan2(to.y - from.y, to.x - from.x);
}

/** A square of side `scale` times the box's longer side, centred on the box, rotated by `rotation`. */
export function squareRoi(box: Box, rotation: number, scale: number): RotatedRect {
  const side = Math.max(box.width, box.height) * scale;
  return {
    centerX: box.x + box.width / 2,
    centerY: box.y + box.height / 2,
    width: side,
    height: side,
    rotation,
  };
}

/** The mesh ROI for a fresh detection: rotation from the detector's two eye keypoints. */
export function roiFromDetection(detection: FaceDetection, scale = DEFAULT_ROI_SCALE): RotatedRect {
  const [rightEye, leftEye] = detection.keypoints;
  return squareRoi(detection.box, rotationOf(rightEye, leftEye), scale);
}

/**
 * The mesh ROI from landmarks already found (a previous frame's, or a first pass's): rotation
 * from the outer eye corners 33 and 263, box around all points.
 */
export function roiFromLandmarks(
  landmarks: readonly Point[],
  scale = DEFAULT_ROI_SCALE,
): RotatedRect {
  return squareRoi(
    boundsOf(landmarks),
    rotationOf(landmarks[MESH_RIGHT_EYE_OUTER], landmarks[MESH_LEFT_EYE_OUTER]),
    scale,
  );
}

/** Axis-aligned bounds of a point set. */
export function boundsOf(points: readonly Point[]): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const p of points) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x);
    y1 = Math.max(y1, p.y);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
