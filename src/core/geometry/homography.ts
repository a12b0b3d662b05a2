/**
 * Least-squares homography from point correspondences by the normalised direct linear transform
 * (Hartley & Zisserman, "Multiple View Geometry", 2nd ed., algorithm 4.2).
 *
 * Both point sets are first moved so their centroid is the origin and their mean distance from
 * it is sqrt(2); the 2N x 9 DLT system A h = 0 is then solved in the least-squares sense as the
 * eigenvector of A^T A with the smallest eigenvalue, and the result is mapped back to pixels.
 * Without the normalisation, pixel coordinates in the hundreds make A^T A so badly conditioned
 * that the answer depends on where the image origin happens to be.
 */

import type { Matrix3, Point } from '../types.js';
import { applyHomography, determinant3, homogeneousW, multiplyMatrix3 } from './matrix3.js';
import { convexHull, isNearlyCollinear, signedArea2 } from './point-sets.js';
import { symmetricEigen } from './symmetric-eigen.js';

export { applyHomography, invertMatrix3 } from './matrix3.js';

export type HomographyFailure =
  'too-few-points' | 'non-finite' | 'collinear' | 'degenerate' | 'folded';

export type HomographyResult =
  /** `rmsError`: root-mean-square distance, in destination pixels, between mapped src and dst. */
  { ok: true; matrix: Matrix3; rmsError: number } | { ok: false; reason: HomographyFailure };

/** A point set whose minor-axis spread is below this fraction of its major-axis spread is a line. */
const COLLINEAR_TOLERANCE = 1e-3;
/**
 * The second-smallest eigenvalue of the normalised A^T A, relative to the largest, below which the
 * solution is not unique (e.g. three of four points on a line, or only three distinct points).
 */
const RANK_TOLERANCE = 1e-10;
/** |det| of the unit-norm normalised H below this (relative to its largest possible value) is singular. */
const SINGULAR_TOLERANCE = 1e-8;

/**
 * The homography H that best maps `src[i]` to `dst[i]` (least squares in the normalised DLT
 * sense; exact for four points in general position), scaled so that H[8] = 1 unless the source
 * origin maps to infinity, in which case H has unit Frobenius norm.
 *
 * Bad input is reported, not thrown: fewer than four pairs, a non-finite coordinate, either set
 * (nearly) on one line, a system with more than one solution or only a singular one, and a
 * result that reverses orientation somewhere on the convex hull of `src` (a mirror, or a fold
 * where the hull crosses the line sent to infinity).
 *
 * @throws RangeError when `src` and `dst` differ in length (a caller's bug, not bad data).
 */
export function solveHomography(src: readonly Point[], dst: readonly Point[]): HomographyResult {
  if (src.length !== dst.length) {
    throw new RangeError(
      `solveHomography: src and dst must pair up, got ${src.length} and ${dst.length} points`,
    );
  }
  if (src.length < 4) return { ok: false, reason: 'too-few-points' };
  if (!allFinite(src) || !allFinite(dst)) return { ok: false, reason: 'non-finite' };
  if (isNearlyCollinear(src, COLLINEAR_TOLERANCE) || isNearlyCollinear(dst, COLLINEAR_TOLERANCE)) {
    return { ok: false, reason: 'collinear' };
  }

  const srcNorm = normalisingTransform(src);
  const dstNorm = normalisingTransform(dst);
  const { values, vectors } = symmetricEigen(normalEquations(src, dst, srcNorm, dstNorm), 9);
  if (!(values[1] > RANK_TOLERANCE * values[8])) return { ok: false, reason: 'degenerate' };

  const hn = Array.from(vectors[0]) as Matrix3;
  // hn has unit Frobenius norm; a rotation-like H of that norm has |det| about 3^-1.5.
  if (Math.abs(determinant3(hn)) < SINGULAR_TOLERANCE) return { ok: false, reason: 'degenerate' };

  const matrix = rescale(multiplyMatrix3(multiplyMatrix3(dstNorm.inverse, hn), srcNorm.forward));
  if (!matrix.every(Number.isFinite)) return { ok: false, reason: 'non-finite' };
  if (isFolded(matrix, src)) return { ok: false, reason: 'folded' };

  let sumSq = 0;
  for (let i = 0; i < src.length; i++) {
    const p = applyHomography(matrix, src[i]);
    sumSq += (p.x - dst[i].x) ** 2 + (p.y - dst[i].y) ** 2;
  }
  return { ok: true, matrix, rmsError: Math.sqrt(sumSq / src.length) };
}

function allFinite(points: readonly Point[]): boolean {
  return points.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
}

interface Normalisation {
  forward: Matrix3;
  inverse: Matrix3;
}

/** Similarity moving the centroid to the origin and the mean distance from it to sqrt(2). */
function normalisingTransform(points: readonly Point[]): Normalisation {
  let cx = 0;
  let cy = 0;
  for (const p of points) {
    cx += p.x;
    cy += p.y;
  }
  cx /= points.length;
  cy /= points.length;
  let meanDistance = 0;
  for (const p of points) meanDistance += Math.hypot(p.x - cx, p.y - cy);
  meanDistance /= points.length;
  // meanDistance > 0 here: a single repeated point was already rejected as collinear.
  const s = Math.SQRT2 / meanDistance;
  return {
    forward: [s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1],
    inverse: [1 / s, 0, cx, 0, 1 / s, cy, 0, 0, 1],
  };
}

/** A^T A (9x9, row-major) of the DLT system for the normalised pairs. */
function normalEquations(
  src: readonly Point[],
  dst: readonly Point[],
  srcNorm: Normalisation,
  dstNorm: Normalisation,
): Float64Array {
  const ata = new Float64Array(81);
  const r1 = new Float64Array(9);
  const r2 = new Float64Array(9);
  const [ss, , stx, , , sty] = srcNorm.forward;
  const [ds, , dtx, , , dty] = dstNorm.forward;
  for (let i = 0; i < src.length; i++) {
    const x = ss * src[i].x + stx;
    const y = ss * src[i].y + sty;
    const u = ds * dst[i].x + dtx;
    const v = ds * dst[i].y + dty;
    // Two rows of A from u = (h0 x + h1 y + h2) / (h6 x + h7 y + h8), and likewise v.
    r1.set([x, y, 1, 0, 0, 0, -u * x, -u * y, -u]);
    r2.set([0, 0, 0, x, y, 1, -v * x, -v * y, -v]);
    for (let j = 0; j < 9; j++) {
      for (let k = j; k < 9; k++) ata[j * 9 + k] += r1[j] * r1[k] + r2[j] * r2[k];
    }
  }
  for (let j = 0; j < 9; j++) {
    for (let k = 0; k < j; k++) ata[j * 9 + k] = ata[k * 9 + j];
  }
  return ata;
}

/** Divides by H[8] when that is safe, otherwise by the Frobenius norm. */
function rescale(m: Matrix3): Matrix3 {
  const norm = Math.hypot(...m);
  const divisor = Math.abs(m[8]) > 1e-12 * norm ? m[8] : norm;
  return m.map((value) => value / divisor) as Matrix3;
}

/**
 * The 2x2 Jacobian of x -> H x has determinant det(H) / w(x)^3. As w is affine, its sign is
 * constant on the convex hull of `points` exactly when it is at the hull's corners, so checking
 * those decides whether the map keeps orientation on the whole hull. The mapped hull is then
 * convex with the same orientation; that is checked too, as a guard against rounding.
 */
function isFolded(matrix: Matrix3, points: readonly Point[]): boolean {
  const sign = Math.sign(determinant3(matrix));
  const hull = convexHull(points);
  const ws = hull.map((p) => homogeneousW(matrix, p) * sign);
  const largest = Math.max(...ws.map(Math.abs));
  if (ws.some((w) => !(w > 1e-12 * largest))) return true;
  const mapped = hull.map((p) => applyHomography(matrix, p));
  return Math.sign(signedArea2(mapped)) !== Math.sign(signedArea2(hull));
}
