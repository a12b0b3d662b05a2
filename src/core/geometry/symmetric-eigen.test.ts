import { describe, expect, it } from 'vitest';

import { symmetricEigen } from './symmetric-eigen.js';

describe('symmetricEigen', () => {
  it('decomposes a 9x9 symmetric matrix: A v = lambda v, orthonormal vectors, ascending values', () => {
    const n = 9;
    // A fixed symmetric matrix with well-spread entries (no randomness needed).
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        const v = Math.sin(1 + i * 7 + j * 3) * (i === j ? 10 : 3);
        a[i * n + j] = v;
        a[j * n + i] = v;
      }
    }
    const { values, vectors } = symmetricEigen(a, n);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i];
    expect(values.reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 10);
    for (let k = 0; k < n; k++) {
      if (k > 0) expect(values[k]).toBeGreaterThanOrEqual(values[k - 1]);
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j] * vectors[k][j];
        expect(av).toBeCloseTo(values[k] * vectors[k][i], 10);
      }
      for (let l = 0; l < n; l++) {
        const dot = vectors[k].reduce((s, v, i) => s + v * vectors[l][i], 0);
        expect(dot).toBeCloseTo(k === l ? 1 : 0, 12);
      }
    }
  });

  it('returns a diagonal matrix as it is, sorted', () => {
    const { values, vectors } = symmetricEigen([3, 0, 0, 0, -1, 0, 0, 0, 2], 3);
    expect(Array.from(values)).toEqual([-1, 2, 3]);
    expect(Array.from(vectors[0])).toEqual([0, 1, 0]);
  });

  it('rejects an entry count that does not match the size', () => {
    expect(() => symmetricEigen([1, 2, 3], 2)).toThrow(/expected 4 entries for 2x2, got 3/);
  });
});
