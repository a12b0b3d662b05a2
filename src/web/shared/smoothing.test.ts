import { describe, expect, it } from 'vitest';

import { DEFAULT_EXPRESSION_SMOOTHING } from '../../core/tracking/expression-smoother.js';
import { DEFAULT_ONE_EURO } from '../../core/tracking/one-euro.js';
import { DEFAULT_SMOOTHING, smoothingOptions } from './smoothing.js';

describe('smoothingOptions', () => {
  it("gives the core's defaults at the slider's default", () => {
    expect(smoothingOptions(DEFAULT_SMOOTHING)).toEqual({
      keypointSmoothing: DEFAULT_ONE_EURO,
      expressionSmoothing: DEFAULT_EXPRESSION_SMOOTHING,
    });
  });

  it('turns both smoothers off at 0', () => {
    expect(smoothingOptions(0)).toEqual({ keypointSmoothing: false, expressionSmoothing: false });
  });

  it.each([
    [0.25, 2, 0.5],
    [1, 0.25, 2],
  ])('at %d: still cutoff %d Hz, expression times x%d', (strength, cutoffHz, factor) => {
    const { keypointSmoothing, expressionSmoothing } = smoothingOptions(strength);
    if (keypointSmoothing === false || expressionSmoothing === false || !expressionSmoothing) {
      throw new Error('expected both smoothers on');
    }
    expect(keypointSmoothing?.minCutoffHz).toBeCloseTo(cutoffHz, 12);
    expect(keypointSmoothing?.beta).toBe(DEFAULT_ONE_EURO.beta);
    expect(expressionSmoothing.timeConstantMs).toBeCloseTo(
      DEFAULT_EXPRESSION_SMOOTHING.timeConstantMs * factor,
      9,
    );
    expect(expressionSmoothing.minHoldMs).toBeCloseTo(
      DEFAULT_EXPRESSION_SMOOTHING.minHoldMs * factor,
      9,
    );
    expect(expressionSmoothing.switchMargin).toBeCloseTo(
      DEFAULT_EXPRESSION_SMOOTHING.switchMargin * factor,
      12,
    );
  });

  it.each([-0.1, 1.5, Number.NaN])('rejects %d, naming the setting', (strength) => {
    expect(() => smoothingOptions(strength)).toThrow(
      new RangeError(`smoothing: expected a number in 0..1, got ${strength}`),
    );
  });
});
