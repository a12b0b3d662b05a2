import { describe, expect, it } from 'vitest';

import type { Matrix3, Point } from '../types.js';
import { applyHomography, invertMatrix3, solveHomography } from './homography.js';
import { multiplyMatrix3 } from './matrix3.js';

/** Deterministic uniform numbers in [0, 1) (mulberry32), so every run sees the same noise. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Largest entry-wise difference after scaling both to H[8] = 1, relative to the largest entry. */
function relativeMatrixError(a: Matrix3, b: Matrix3): number {
  const an = a.map((v) => v / a[8]);
  const bn = b.map((v) => v / b[8]);
  const scale = Math.max(...bn.map(Math.abs));
  return Math.max(...an.map((v, i) => Math.abs(v - bn[i]))) / scale;
}

function solved(
  src: readonly Point[],
  dst: readonly Point[],
): { matrix: Matrix3; rmsError: number } {
  const result = solveHomography(src, dst);
  if (!result.ok) throw new Error(`expected a homography, solver said ${result.reason}`);
  return result;
}

/** Six face-like points (eye corners, mouth corners, philtrum, chin) around a 200 px face. */
const FACE: Point[] = [
  { x: 370, y: 300 },
  { x: 230, y: 300 },
  { x: 340, y: 400 },
  { x: 260, y: 400 },
  { x: 300, y: 370 },
  { x: 300, y: 460 },
];

/** A genuinely projective transform (non-zero bottom row), orientation-preserving on FACE. */
const PROJECTIVE: Matrix3 = [1.1, 0.15, -40, -0.08, 0.95, 25, 4e-4, -3e-4, 1];

describe('solveHomography', () => {
  it('recovers a known projective transform exactly from six points', () => {
    const dst = FACE.map((p) => applyHomography(PROJECTIVE, p));
    const { matrix, rmsError } = solved(FACE, dst);
    expect(relativeMatrixError(matrix, PROJECTIVE)).toBeLessThan(1e-9);
    expect(matrix[8]).toBe(1);
    expect(rmsError).toBeLessThan(1e-9);
  });

  it('solves the minimal four-point case exactly', () => {
    const src = [
      { x: 0, y: 0 },
      { x: 100, y: 0 },
      { x: 100, y: 100 },
      { x: 0, y: 100 },
    ];
    const dst = [
      { x: 10, y: 5 },
      { x: 120, y: 20 },
      { x: 90, y: 130 },
      { x: 0, y: 95 },
    ];
    const { matrix, rmsError } = solved(src, dst);
    expect(rmsError).toBeLessThan(1e-9);
    src.forEach((p, i) => {
      const q = applyHomography(matrix, p);
      expect(q.x).toBeCloseTo(dst[i].x, 9);
      expect(q.y).toBeCloseTo(dst[i].y, 9);
    });
    // A quad that is not a parallelogram needs a projective bottom row.
    expect(Math.abs(matrix[6]) + Math.abs(matrix[7])).toBeGreaterThan(1e-5);
  });

  it('with noisy points, the six-point fit beats every four-point subset on average', () => {
    const random = seededRandom(7);
    const subsets: number[][] = [];
    for (let a = 0; a < 6; a++)
      for (let b = a + 1; b < 6; b++)
        for (let c = b + 1; c < 6; c++) for (let d = c + 1; d < 6; d++) subsets.push([a, b, c, d]);
    // Ground-truth error measured on a grid covering the face, not on the fitted points.
    const probes: Point[] = [];
    for (let y = 280; y <= 480; y += 20) for (let x = 220; x <= 380; x += 20) probes.push({ x, y });
    const probeError = (m: Matrix3): number =>
      Math.sqrt(
        probes.reduce((sum, p) => {
          const q = applyHomography(m, p);
          const t = applyHomography(PROJECTIVE, p);
          return sum + (q.x - t.x) ** 2 + (q.y - t.y) ** 2;
        }, 0) / probes.length,
      );

    const trials = 300;
    let fullSum = 0;
    const subsetSums = new Array<number>(subsets.length).fill(0);
    for (let t = 0; t < trials; t++) {
      const dst = FACE.map((p) => {
        const q = applyHomography(PROJECTIVE, p);
        return { x: q.x + gaussian(random), y: q.y + gaussian(random) };
      });
      fullSum += probeError(solved(FACE, dst).matrix);
      subsets.forEach((idx, s) => {
        subsetSums[s] += probeError(
          solved(
            idx.map((i) => FACE[i]),
            idx.map((i) => dst[i]),
          ).matrix,
        );
      });
    }
    const fullMean = fullSum / trials;
    const bestSubsetMean = Math.min(...subsetSums) / trials;
    expect(fullMean).toBeLessThan(bestSubsetMean);
    // One-pixel noise should leave the fit within a couple of pixels over the whole face.
    expect(fullMean).toBeLessThan(2);
  });

  it('gives the same mapping when either point set is translated and scaled', () => {
    const random = seededRandom(11);
    const dst = FACE.map((p) => {
      const q = applyHomography(PROJECTIVE, p);
      return { x: q.x + 3 * gaussian(random), y: q.y + 3 * gaussian(random) };
    });
    const base = solved(FACE, dst).matrix;
    // src' = a src + t, dst' = b dst + u; the fit must be conjugated, not changed.
    const [a, tx, ty, b, ux, uy] = [0.01, 5000, -300, 40, -7, 1e4];
    const src2 = FACE.map((p) => ({ x: a * p.x + tx, y: a * p.y + ty }));
    const dst2 = dst.map((p) => ({ x: b * p.x + ux, y: b * p.y + uy }));
    const moved = solved(src2, dst2);
    const srcInverse: Matrix3 = [1 / a, 0, -tx / a, 0, 1 / a, -ty / a, 0, 0, 1];
    const dstMove: Matrix3 = [b, 0, ux, 0, b, uy, 0, 0, 1];
    const expected = multiplyMatrix3(multiplyMatrix3(dstMove, base), srcInverse);
    expect(relativeMatrixError(moved.matrix, expected)).toBeLessThan(1e-9);
    expect(moved.rmsError / b).toBeCloseTo(solved(FACE, dst).rmsError, 9);
  });

  it('handles huge and tiny coordinates', () => {
    for (const scale of [1e5, 1e-4]) {
      const src = FACE.map((p) => ({ x: p.x * scale, y: p.y * scale }));
      // The same projective shape at that scale: conjugate by the scaling.
      const m: Matrix3 = [...PROJECTIVE];
      m[2] *= scale;
      m[5] *= scale;
      m[6] /= scale;
      m[7] /= scale;
      const dst = src.map((p) => applyHomography(m, p));
      const { matrix, rmsError } = solved(src, dst);
      expect(relativeMatrixError(matrix, m)).toBeLessThan(1e-9);
      expect(rmsError / scale).toBeLessThan(1e-9);
    }
    // A small face far from the origin of a huge frame.
    const far = FACE.map((p) => ({ x: p.x + 1e5, y: p.y + 2e5 }));
    const shift: Matrix3 = [1, 0, -1e5, 0, 1, -2e5, 0, 0, 1];
    const m = multiplyMatrix3(PROJECTIVE, shift);
    const { matrix, rmsError } = solved(
      far,
      far.map((p) => applyHomography(m, p)),
    );
    expect(relativeMatrixError(matrix, m)).toBeLessThan(1e-9);
    expect(rmsError).toBeLessThan(1e-6);
  });

  it('reports too few points', () => {
    expect(solveHomography(FACE.slice(0, 3), FACE.slice(0, 3))).toEqual({
      ok: false,
      reason: 'too-few-points',
    });
    expect(solveHomography([], [])).toEqual({ ok: false, reason: 'too-few-points' });
  });

  it('throws when the two sets differ in length', () => {
    expect(() => solveHomography(FACE, FACE.slice(0, 5))).toThrow(/6 and 5 points/);
  });

  it('reports NaN and infinite coordinates in either set', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const broken = FACE.map((p, i) => (i === 2 ? { x: bad, y: p.y } : p));
      expect(solveHomography(broken, FACE)).toEqual({ ok: false, reason: 'non-finite' });
      expect(solveHomography(FACE, broken)).toEqual({ ok: false, reason: 'non-finite' });
    }
  });

  it('reports collinear and nearly collinear sets at any scale', () => {
    const line = [0, 1, 2, 3, 4, 5].map((t) => ({ x: 10 + 3 * t, y: 20 + 2 * t }));
    expect(solveHomography(line, FACE)).toEqual({ ok: false, reason: 'collinear' });
    expect(solveHomography(FACE, line)).toEqual({ ok: false, reason: 'collinear' });
    for (const scale of [1e-6, 1, 1e6]) {
      // Off the line by 1e-4 of the set's length: too thin to fix a homography.
      const nearly = line.map((p, i) => ({
        x: p.x * scale,
        y: (p.y + (i % 2 === 0 ? 1e-3 : -1e-3)) * scale,
      }));
      expect(solveHomography(nearly, FACE)).toEqual({ ok: false, reason: 'collinear' });
      // The same set made 10 % thick is fine.
      const thick = line.map((p, i) => ({ x: p.x * scale, y: (p.y + (i % 2) * 1.5) * scale }));
      const thickDst = thick.map((p) => ({ x: (2 * p.x) / scale + 10, y: (2 * p.y) / scale + 5 }));
      expect(solveHomography(thick, thickDst).ok).toBe(true);
    }
    const samePoint = FACE.map(() => ({ x: 5, y: 5 }));
    expect(solveHomography(samePoint, FACE)).toEqual({ ok: false, reason: 'collinear' });
  });

  it('reports repeated points that leave fewer than four distinct ones', () => {
    const triangle = [
      { x: 0, y: 0 },
      { x: 100, y: 0 },
      { x: 50, y: 80 },
    ];
    const src = [...triangle, ...triangle];
    const dst = src.map((p) => applyHomography(PROJECTIVE, p));
    expect(solveHomography(src, dst)).toEqual({ ok: false, reason: 'degenerate' });
  });

  it('still solves exactly when four distinct points are among repeated ones', () => {
    const src = [FACE[0], FACE[1], FACE[2], FACE[5], FACE[0], FACE[5]];
    const dst = src.map((p) => applyHomography(PROJECTIVE, p));
    expect(relativeMatrixError(solved(src, dst).matrix, PROJECTIVE)).toBeLessThan(1e-9);
  });

  it('reports three of four points on a line', () => {
    const src = [
      { x: 0, y: 0 },
      { x: 50, y: 0 },
      { x: 100, y: 0 },
      { x: 50, y: 70 },
    ];
    const dst = src.map((p) => applyHomography(PROJECTIVE, p));
    expect(solveHomography(src, dst)).toEqual({ ok: false, reason: 'degenerate' });
  });

  it('reports a quad mapped to a self-intersecting one', () => {
    const square = [
      { x: 0, y: 0 },
      { x: 100, y: 0 },
      { x: 100, y: 100 },
      { x: 0, y: 100 },
    ];
    const bowTie = [
      { x: 0, y: 0 },
      { x: 100, y: 0 },
      { x: 0, y: 100 },
      { x: 100, y: 100 },
    ];
    expect(solveHomography(square, bowTie)).toEqual({ ok: false, reason: 'folded' });
  });

  it('reports a mirror image (left and right swapped)', () => {
    const mirrored = FACE.map((p) => ({ x: 600 - p.x, y: p.y }));
    expect(solveHomography(FACE, mirrored)).toEqual({ ok: false, reason: 'folded' });
  });

  it('reports a map whose horizon crosses the points', () => {
    // w = 1 - x / 300 vanishes at x = 300, in the middle of FACE.
    const crossing: Matrix3 = [1, 0, 0, 0, 1, 0, -1 / 300, 0, 1];
    const src = FACE.map((p) => ({ x: p.x + 0.5, y: p.y }));
    const dst = src.map((p) => applyHomography(crossing, p));
    expect(solveHomography(src, dst)).toEqual({ ok: false, reason: 'folded' });
  });
});

describe('invertMatrix3', () => {
  it('inverts a projective matrix', () => {
    const inverse = invertMatrix3(PROJECTIVE);
    expect(inverse).not.toBeNull();
    const product = multiplyMatrix3(PROJECTIVE, inverse as Matrix3);
    [1, 0, 0, 0, 1, 0, 0, 0, 1].forEach((v, i) => expect(product[i]).toBeCloseTo(v, 12));
    const p = applyHomography(PROJECTIVE, { x: 123, y: 45 });
    const back = applyHomography(inverse as Matrix3, p);
    expect(back.x).toBeCloseTo(123, 9);
    expect(back.y).toBeCloseTo(45, 9);
  });

  it('refuses singular and non-finite matrices', () => {
    expect(invertMatrix3([1, 2, 3, 2, 4, 6, 0, 0, 1])).toBeNull();
    expect(invertMatrix3([1, 0, 0, 0, 1, 0, 0, 0, 0])).toBeNull();
    expect(invertMatrix3([1, 0, 0, 0, NaN, 0, 0, 0, 1])).toBeNull();
    expect(invertMatrix3([1, 0, 0, 0, 1, 0, 0, 0, Infinity])).toBeNull();
  });

  it('inverts well-conditioned matrices at any scale', () => {
    const big = invertMatrix3([1e5, 0, 3e9, 0, 1e5, -2e9, 0, 0, 1]);
    expect(big).not.toBeNull();
    expect(applyHomography(big as Matrix3, { x: 3e9, y: -2e9 }).x).toBeCloseTo(0, 6);
    expect(invertMatrix3([1e-7, 0, 0, 0, 1e-7, 0, 0, 0, 1e-7])).not.toBeNull();
  });
});

describe('applyHomography', () => {
  it('divides by w', () => {
    const m: Matrix3 = [2, 0, 1, 0, 3, -1, 0.5, 0, 1];
    // [2*2+1, 3*4-1, 0.5*2+1] = [5, 11, 2]
    expect(applyHomography(m, { x: 2, y: 4 })).toEqual({ x: 2.5, y: 5.5 });
  });
});
