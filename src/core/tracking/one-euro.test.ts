import { describe, expect, it } from 'vitest';

import { lowPassAlpha, OneEuroFilter } from './one-euro.js';

/** A seeded pseudo-random number in [-1, 1). */
function noise(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  };
}

const FRAME_MS = 1000 / 30;

describe('OneEuroFilter', () => {
  it('passes the first sample through unchanged', () => {
    expect(Array.from(new OneEuroFilter().filter([3, -4], 0))).toEqual([3, -4]);
  });

  it('cuts jitter on a still input', () => {
    const f = new OneEuroFilter({ minCutoffHz: 1, beta: 0.05 });
    const rand = noise(7);
    let rawVar = 0;
    let outVar = 0;
    for (let i = 0; i < 300; i++) {
      const x = 100 + 2 * rand();
      const y = f.filter([x], i * FRAME_MS)[0];
      if (i >= 30) {
        rawVar += (x - 100) ** 2;
        outVar += (y - 100) ** 2;
      }
    }
    // A 1 Hz low-pass at 30 fps leaves well under a quarter of the white-noise power.
    expect(outVar).toBeLessThan(rawVar * 0.25);
  });

  it('follows a step: settles, and lags less with a larger beta', () => {
    const settle = (beta: number) => {
      const f = new OneEuroFilter({ minCutoffHz: 1, beta });
      f.filter([0], 0);
      let t = 1;
      for (; t < 300; t++) if (f.filter([100], t * FRAME_MS)[0] > 90) break;
      return t;
    };
    const slow = settle(0);
    const fast = settle(1);
    expect(slow).toBeLessThan(30); // a 1 Hz low-pass reaches 90 % in about 0.37 s
    expect(slow).toBeGreaterThan(3);
    expect(fast).toBeLessThan(slow);
  });

  it('matches a plain low-pass when beta is 0', () => {
    const f = new OneEuroFilter({ minCutoffHz: 2, beta: 0 });
    f.filter([0], 0);
    const a = lowPassAlpha(2, 0.04);
    expect(f.filter([10], 40)[0]).toBeCloseTo(10 * a, 12);
  });

  it('restarts on a duplicate or backwards timestamp instead of dividing by zero', () => {
    const f = new OneEuroFilter();
    f.filter([0], 100);
    f.filter([1], 133);
    for (const [value, t] of [[50, 133], [60, 90], [70, Number.NaN]] as const) {
      const out = f.filter([value], t)[0];
      expect(out).toBe(value);
    }
    // The sample after an unusable time starts afresh, and filtering carries on from there.
    expect(f.filter([80], 200)[0]).toBe(80);
    const after = f.filter([100], 233)[0];
    expect(after).toBeGreaterThan(80);
    expect(after).toBeLessThan(100);
  });

  it('restarts after a long gap and on a change of length or a non-finite value', () => {
    const f = new OneEuroFilter({ maxGapMs: 500 });
    f.filter([0], 0);
    expect(f.filter([10], 600)[0]).toBe(10);
    expect(Array.from(f.filter([1, 2], 633))).toEqual([1, 2]);
    expect(Number.isNaN(f.filter([Number.NaN, 2], 666)[0])).toBe(true);
    expect(Array.from(f.filter([5, 5], 700))).toEqual([5, 5]);
  });

  it('rejects bad settings with the option name', () => {
    expect(() => new OneEuroFilter({ minCutoffHz: 0 })).toThrow(/minCutoffHz/);
    expect(() => new OneEuroFilter({ beta: -1 })).toThrow(/beta/);
  });
});
