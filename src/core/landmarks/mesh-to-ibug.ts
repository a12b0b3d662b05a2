/**
 * Where MediaPipe's 468-point face mesh and the iBUG 300-W 68-point scheme (dlib's
 * `shape_predictor_68_face_landmarks`) mark the same place on a face, and the six masking
 * keypoints taken from either.
 *
 * iBUG numbers from 0 and names left and right from the subject's point of view: 36 is the
 * subject's right eye's outer corner (the left one in an unmirrored image), 45 the left eye's.
 * MediaPipe's mesh follows the same rule: 33 is the subject's right outer eye corner, 263 the
 * left. The face-contour points 0-7 and 9-16 are left out on purpose: iBUG places them on the
 * jaw's silhouette, which slides over the face as the head turns, while each mesh point is fixed
 * to the skin, so no mesh point is the same place at every pose. The chin tip (8) and the inner
 * points (brows, nose, eyes, lips) do correspond.
 */

import type { MaskKeypoints, Point } from '../types.js';

/** Points the face mesh has; an attention mesh's 10 iris points after them are not used here. */
const MESH_POINTS = 468;

/**
 * iBUG 68-point index → MediaPipe mesh index, for the points that mark the same feature.
 * Brows follow the brow's upper edge, eyes the lid margin from the outer corner round, lips the
 * outer then the inner lip line from the subject's right corner.
 *
 * Chosen by anatomy on MediaPipe's canonical face mesh and checked against dlib's points on the
 * 43 faces of the shared dlib-faces photos (see mesh-to-ibug.test.ts): each mapped point is on
 * average 3-7 % of the inter-ocular distance from dlib's. For a few points a neighbouring mesh
 * point lies closer to dlib's on average (dlib puts the outer eye corners and the upper lip line
 * about half a pixel lower on those small faces), by under 2 %; the anatomical point is kept.
 */
export const MESH_INDEX_FOR_IBUG: Readonly<Record<number, number>> = {
  // Chin tip (menton).
  8: 152,
  // Right brow, outer to inner end; left brow, inner to outer end.
  17: 70,
  18: 63,
  19: 105,
  20: 66,
  21: 107,
  22: 336,
  23: 296,
  24: 334,
  25: 293,
  26: 300,
  // Nose bridge from between the eyes to the tip, then the base from right to left.
  27: 168,
  28: 197,
  29: 5,
  30: 4,
  31: 75,
  32: 97,
  33: 2,
  34: 326,
  35: 305,
  // Right eye from the outer corner, upper lid, inner corner, lower lid.
  36: 33,
  37: 160,
  38: 158,
  39: 133,
  40: 153,
  41: 144,
  // Left eye from the inner corner, upper lid, outer corner, lower lid.
  42: 362,
  43: 385,
  44: 387,
  45: 263,
  46: 373,
  47: 380,
  // Outer lip line from the right corner over the upper lip, then back along the lower lip.
  48: 61,
  49: 39,
  50: 37,
  51: 0,
  52: 267,
  53: 269,
  54: 291,
  55: 405,
  56: 314,
  57: 17,
  58: 84,
  59: 181,
  // Inner lip line, the same way round.
  60: 78,
  61: 82,
  62: 13,
  63: 312,
  64: 308,
  65: 317,
  66: 14,
  67: 87,
};

/**
 * The mesh points behind each masking keypoint. The philtrum is not one landmark of either
 * scheme: it is the midpoint of the nose base (subnasale; iBUG 33, mesh 2) and the top of the
 * upper lip's centre (iBUG 51, mesh 0), the middle of the groove between nose and lip, which is
 * where the emoji's own philtrum keypoint sits.
 */
export const MASK_MESH_INDICES = {
  rightEyeOuter: MESH_INDEX_FOR_IBUG[36],
  leftEyeOuter: MESH_INDEX_FOR_IBUG[45],
  mouthRight: MESH_INDEX_FOR_IBUG[48],
  mouthLeft: MESH_INDEX_FOR_IBUG[54],
  philtrum: [MESH_INDEX_FOR_IBUG[33], MESH_INDEX_FOR_IBUG[51]],
  chin: MESH_INDEX_FOR_IBUG[8],
} as const;

/**
 * The six masking keypoints from face-mesh landmarks, in the landmarks' own coordinates (source
 * pixels for the landmarks of a `FaceMesh`). Left and right are the subject's.
 *
 * @param landmarks the mesh in MediaPipe's numbering; at least 468 points (z is ignored).
 * @throws RangeError when fewer than 468 points are given.
 */
export function maskKeypointsFromMesh(landmarks: readonly Point[]): MaskKeypoints {
  if (landmarks.length < MESH_POINTS) {
    throw new RangeError(
      `maskKeypointsFromMesh: expected at least ${MESH_POINTS} face-mesh landmarks, got ${landmarks.length}`,
    );
  }
  const at = (i: number): Point => ({ x: landmarks[i].x, y: landmarks[i].y });
  const [nose, lip] = MASK_MESH_INDICES.philtrum;
  return {
    leftEyeOuter: at(MASK_MESH_INDICES.leftEyeOuter),
    rightEyeOuter: at(MASK_MESH_INDICES.rightEyeOuter),
    mouthLeft: at(MASK_MESH_INDICES.mouthLeft),
    mouthRight: at(MASK_MESH_INDICES.mouthRight),
    philtrum: midpoint(landmarks[nose], landmarks[lip]),
    chin: at(MASK_MESH_INDICES.chin),
  };
}

/**
 * The same six keypoints from iBUG 300-W 68-point landmarks (for example dlib's), by the same
 * definitions, so the two can be compared point by point.
 *
 * @throws RangeError unless exactly 68 points are given.
 */
export function maskKeypointsFromIbug(points: readonly Point[]): MaskKeypoints {
  if (points.length !== 68) {
    throw new RangeError(`maskKeypointsFromIbug: expected 68 iBUG landmarks, got ${points.length}`);
  }
  const at = (i: number): Point => ({ x: points[i].x, y: points[i].y });
  return {
    leftEyeOuter: at(45),
    rightEyeOuter: at(36),
    mouthLeft: at(54),
    mouthRight: at(48),
    philtrum: midpoint(points[33], points[51]),
    chin: at(8),
  };
}

function midpoint(p: Point, q: Point): Point {
  return { x: (p.x + q.x) / 2, y: (p.y + q.y) / 2 };
}
