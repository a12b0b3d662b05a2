import { describe, expect, it } from 'vitest';

import { applyAffine } from '../image-ops/affine.js';
import type { Point } from '../types.js';
import { ferCropToSource, fitSimilarity, type FerFraming } from './face-align.js';

function similarity(scale: number, angle: number, tx: number, ty: number) {
  const a = scale * Math.cos(angle);
  const b = scale * Math.sin(angle);
  return (p: Point): Point => ({ x: a * p.x - b * p.y + tx, y: b * p.x + a * p.y + ty });
}

const shape: Point[] = [
  { x: 10, y: 12 },
  { x: 30, y: 11 },
  { x: 20, y: 25 },
  { x: 14, y: 34 },
  { x: 27, y: 35 },
];

describe('fitSimilarity', () => {
  it('recovers an exact scaled rotation with shift', () => {
    const move = similarity(2.5, 0.4, -7, 13);
    const m = fitSimilarity(shape, shape.map(move));
    expect(m).not.toBeNull();
    for (const p of shape) {
      const q = applyAffine(m!, p);
      const want = move(p);
      expect(q.x).toBeCloseTo(want.x, 9);
      expect(q.y).toBeCloseTo(want.y, 9);
    }
  });

  it('never shears or mirrors: the fit of a mirrored set is a rotation, not a reflection', () => {
    const mirrored = shape.map((p) => ({ x: -p.x, y: p.y }));
    const m = fitSimilarity(shape, mirrored)!;
    // [a -b; b a] has determinant a^2 + b^2 >= 0.
    expect(m[0]).toBeCloseTo(m[4], 12);
    expect(m[1]).toBeCloseTo(-m[3], 12);
    expect(m[0] * m[4] - m[1] * m[3]).toBeGreaterThanOrEqual(0);
  });

  it('is the least-squares fit under noise: the residual beats nearby transforms', () => {
    const move = similarity(0.5, -0.2, 3, 4);
    const noisy = shape.map(move).map((p, i) => ({ x: p.x + (i % 2 ? 0.3 : -0.2), y: p.y + (i % 3 ? -0.1 : 0.25) }));
    const m = fitSimilarity(shape, noisy)!;
    const cost = (t: readonly number[]) =>
      shape.reduce((s, p, i) => {
        const x = t[0] * p.x + t[1] * p.y + t[2] - noisy[i].x;
        const y = t[3] * p.x + t[4] * p.y + t[5] - noisy[i].y;
        return s + x * x + y * y;
      }, 0);
    const best = cost(m);
    for (const [k, delta] of [[0, 0.01], [2, 0.05], [1, -0.01], [5, -0.05]] as const) {
      const t = [...m];
      t[k] += delta;
      if (k === 0) t[4] += delta;
      if (k === 1) t[3] -= delta;
      expect(cost(t)).toBeGreaterThan(best);
    }
  });

  it('returns null for fewer than two points or points with no spread', () => {
    expect(fitSimilarity([{ x: 1, y: 1 }], [{ x: 2, y: 2 }])).toBeNull();
    expect(fitSimilarity([{ x: 1, y: 1 }, { x: 1, y: 1 }], shape.slice(0, 2))).toBeNull();
  });
});

describe('ferCropToSource', () => {
  it('maps the centred 44 crop of the FER frame back to where the face is in the source', () => {
    const framing: FerFraming = { imageSize: 48, indices: [0, 1, 2, 3, 4], points: shape };
    // The face in the source is the FER frame scaled x3, rotated 90 degrees and moved.
    const toSource = similarity(3, Math.PI / 2, 200, 100);
    const landmarks = shape.map(toSource);
    const crop = ferCropToSource(landmarks, framing, 44)!;
    // Crop pixel (0, 0) is FER (2, 2); crop (44, 44) is FER (46, 46).
    for (const [u, v] of [[0, 0], [44, 44], [22, 10]]) {
      const got = applyAffine(crop, { x: u, y: v });
      const want = toSource({ x: u + 2, y: v + 2 });
      expect(got.x).toBeCloseTo(want.x, 6);
      expect(got.y).toBeCloseTo(want.y, 6);
    }
  });
});
