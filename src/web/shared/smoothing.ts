/**
 * The page's one "smoothing strength" slider, mapped onto the core's two smoothers (keypoints:
 * One Euro filter; expression: averaging with hysteresis).
 */

import type { MaskerOptions } from '../../core/masker/masker-options.js';
import { DEFAULT_EXPRESSION_SMOOTHING } from '../../core/tracking/expression-smoother.js';
import { DEFAULT_ONE_EURO } from '../../core/tracking/one-euro.js';

/** The slider's default: the core's own smoothing. */
export const DEFAULT_SMOOTHING = 0.5;

/**
 * Smoother settings for a strength in 0..1. 0 turns both smoothers off; 0.5 gives the core's
 * defaults; above it keypoints get steadier (the One Euro still cutoff falls, 4x lower at 1) and
 * the expression label slower to change (time constant, hold time and switch margin grow, 2x at 1).
 *
 * @throws RangeError when `strength` is not a number in 0..1.
 */
export function smoothingOptions(
  strength: number,
): Pick<MaskerOptions, 'keypointSmoothing' | 'expressionSmoothing'> {
  if (!(typeof strength === 'number' && strength >= 0 && strength <= 1)) {
    throw new RangeError(`smoothing: expected a number in 0..1, got ${strength}`);
  }
  if (strength === 0) return { keypointSmoothing: false, expressionSmoothing: false };

  const k = strength / DEFAULT_SMOOTHING;
  return {
    keypointSmoothing: {
      ...DEFAULT_ONE_EURO,
      // Halving the distance to 0.5 doubles or halves the cutoff: 4 Hz near 0, 1 Hz, 0.25 Hz.
      minCutoffHz: DEFAULT_ONE_EURO.minCutoffHz * 4 ** (1 - k),
    },
    expressionSmoothing: {
      ...DEFAULT_EXPRESSION_SMOOTHING,
      timeConstantMs: DEFAULT_EXPRESSION_SMOOTHING.timeConstantMs * k,
      minHoldMs: DEFAULT_EXPRESSION_SMOOTHING.minHoldMs * k,
      switchMargin: DEFAULT_EXPRESSION_SMOOTHING.switchMargin * k,
    },
  };
}
