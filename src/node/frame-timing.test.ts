import { describe, expect, it } from 'vitest';

import { setptsExpression, timingRuns } from './frame-timing.js';

/** Evaluates the subset of ffmpeg's expression language that setptsExpression emits. */
function evaluate(expression: string, n: number): number {
  const js = expression.replace(/if\(lt\(N,(\d+)\),/g, '(N<$1?').replace(/,/g, ':');
  return Function('N', `return ${js};`)(n) as number;
}

describe('timingRuns', () => {
  it('describes constant-rate video with one run, even with a start offset', () => {
    const pts = Array.from({ length: 275 }, (_, i) => 10214 + 400 * i);
    expect(timingRuns(pts)).toEqual([{ start: 0, pts: 10214, step: 400 }]);
    expect(setptsExpression(pts)).toBe('10214+N*400');
  });

  it('splits variable-rate video where the spacing changes', () => {
    const pts = [0, 512, 1024, 1536, 2560, 3584, 3600, 3616];
    expect(timingRuns(pts)).toEqual([
      { start: 0, pts: 0, step: 512 },
      { start: 4, pts: 2560, step: 1024 },
      { start: 6, pts: 3600, step: 16 },
    ]);
  });

  it('handles a single frame', () => {
    expect(timingRuns([7])).toEqual([{ start: 0, pts: 7, step: 1 }]);
  });
});

describe('setptsExpression', () => {
  it('reproduces every timestamp of jittery variable-rate video', () => {
    let t = 1000;
    // Deterministic jitter: spacing cycles through 5 values, a new run at nearly every frame.
    const pts = Array.from({ length: 1000 }, (_, i) => (t += 30 + ((i * 7) % 5)));
    const expression = setptsExpression(pts);
    for (let n = 0; n < pts.length; n++) {
      if (evaluate(expression, n) !== pts[n]) throw new Error(`frame ${n}`);
    }
    // Frames past the end continue the last spacing.
    const lastStep = pts[999] - pts[998];
    expect(evaluate(expression, 1000)).toBe(pts[999] + lastStep);
    // Balanced: nesting depth grows with log2 of the run count, not with the run count.
    let depth = 0;
    let deepest = 0;
    for (const c of expression) {
      depth += c === '(' ? 1 : c === ')' ? -1 : 0;
      deepest = Math.max(deepest, depth);
    }
    expect(deepest).toBeLessThan(40);
  });
});
