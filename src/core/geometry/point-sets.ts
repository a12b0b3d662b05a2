/** Shape tests on small point sets: spread, convex hull, signed area. */

import type { Point } from '../types.js';

/**
 * The spread of `points` along their principal axes: the square roots of the eigenvalues of
 * their 2x2 covariance, major first. Both are 0 for a single repeated point.
 */
export function principalSpread(points: readonly Point[]): { major: number; minor: number } {
  const n = points.length;
  let cx = 0;
  let cy = 0;
  for (const p of points) {
    cx += p.x;
    cy += p.y;
  }
  cx /= n;
  cy /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (const p of points) {
    const dx = p.x - cx;
    const dy = p.y - cy;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  sxx /= n;
  syy /= n;
  sxy /= n;
  const mean = (sxx + syy) / 2;
  const radius = Math.hypot((sxx - syy) / 2, sxy);
  return {
    major: Math.sqrt(mean + radius),
    minor: Math.sqrt(Math.max(0, mean - radius)),
  };
}

/**
 * True when the points lie on one line within `relativeTolerance`: the spread across their main
 * direction is at most that fraction of the spread along it. Scale- and rotation-independent.
 */
export function isNearlyCollinear(points: readonly Point[], relativeTolerance: number): boolean {
  const { major, minor } = principalSpread(points);
  return major === 0 || minor <= relativeTolerance * major;
}

/** Twice the signed area of a polygon; positive when its vertices run counter-clockwise in y-up axes. */
export function signedArea2(polygon: readonly Point[]): number {
  let sum = 0;
  for (let i = 0; i < polygon.length; i++) {
    const a = polygon[i];
    const b = polygon[(i + 1) % polygon.length];
    sum += a.x * b.y - b.x * a.y;
  }
  return sum;
}

/**
 * The convex hull of `points` (Andrew's monotone chain), as a vertex loop without repeats and
 * without collinear middle points. Fewer than three distinct points give them back as they are.
 */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  if (sorted.length < 3) return sorted;
  const cross = (o: Point, a: Point, b: Point): number =>
    (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  const lower: Point[] = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) {
      lower.pop();
    }
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = sorted.length - 1; i >= 0; i--) {
    const p = sorted[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) {
      upper.pop();
    }
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

/** The mean of `points` (NaN for none). */
export function centroid(points: readonly Point[]): Point {
  let x = 0;
  let y = 0;
  for (const p of points) {
    x += p.x;
    y += p.y;
  }
  return { x: x / points.length, y: y / points.length };
}
