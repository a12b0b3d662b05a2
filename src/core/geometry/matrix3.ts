/** Small 3x3 helpers for projective transforms (row-major `Matrix3`). */

import type { Matrix3, Point } from '../types.js';

/**
 * Below this, |det| relative to the Hadamard bound (product of row or column lengths, whichever
 * is smaller) counts as singular: the inverse would carry no correct digits worth drawing with.
 */
const SINGULAR_RELATIVE_DET = 1e-14;

/**
 * Maps `p` through `m`: [x, y, 1] -> [u, v, w] -> (u / w, v / w). A point on the line w = 0 goes
 * to infinity and comes back with non-finite coordinates.
 */
export function applyHomography(m: Matrix3, p: Point): Point {
  const w = m[6] * p.x + m[7] * p.y + m[8];
  return {
    x: (m[0] * p.x + m[1] * p.y + m[2]) / w,
    y: (m[3] * p.x + m[4] * p.y + m[5]) / w,
  };
}

/** The third homogeneous coordinate of `p` under `m`; its sign tells which side of the horizon p is. */
export function homogeneousW(m: Matrix3, p: Point): number {
  return m[6] * p.x + m[7] * p.y + m[8];
}

export function determinant3(m: Matrix3): number {
  return (
    m[0] * (m[4] * m[8] - m[5] * m[7]) -
    m[1] * (m[3] * m[8] - m[5] * m[6]) +
    m[2] * (m[3] * m[7] - m[4] * m[6])
  );
}

/** a * b: the transform that applies b first, then a. */
export function multiplyMatrix3(a: Matrix3, b: Matrix3): Matrix3 {
  const r = new Array<number>(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      r[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    }
  }
  return r as Matrix3;
}

/**
 * The exact inverse of `m` (adjugate over determinant), or null when `m` has a non-finite entry
 * or is singular to working precision. Because it is the true inverse and not merely one up to
 * scale, `applyHomography`'s w of the inverse is the reciprocal of the forward w.
 */
export function invertMatrix3(m: Matrix3): Matrix3 | null {
  if (!m.every(Number.isFinite)) return null;
  const det = determinant3(m);
  const rowBound = rowLength(m, 0) * rowLength(m, 1) * rowLength(m, 2);
  const colBound = colLength(m, 0) * colLength(m, 1) * colLength(m, 2);
  const bound = Math.min(rowBound, colBound);
  if (!Number.isFinite(det) || det === 0 || Math.abs(det) < SINGULAR_RELATIVE_DET * bound) {
    return null;
  }
  const inv: Matrix3 = [
    (m[4] * m[8] - m[5] * m[7]) / det,
    (m[2] * m[7] - m[1] * m[8]) / det,
    (m[1] * m[5] - m[2] * m[4]) / det,
    (m[5] * m[6] - m[3] * m[8]) / det,
    (m[0] * m[8] - m[2] * m[6]) / det,
    (m[2] * m[3] - m[0] * m[5]) / det,
    (m[3] * m[7] - m[4] * m[6]) / det,
    (m[1] * m[6] - m[0] * m[7]) / det,
    (m[0] * m[4] - m[1] * m[3]) / det,
  ];
  return inv.every(Number.isFinite) ? inv : null;
}

function rowLength(m: Matrix3, r: number): number {
  return Math.hypot(m[r * 3], m[r * 3 + 1], m[r * 3 + 2]);
}

function colLength(m: Matrix3, c: number): number {
  return Math.hypot(m[c], m[3 + c], m[6 + c]);
}
