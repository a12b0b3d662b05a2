/**
 * Steady expression labels over time. Per-frame classifier output flickers, most of all while
 * a face changes from one expression to another, and a published fix was a majority vote over
 * the last five predictions. Here the probabilities are averaged with a time constant (so the
 * smoothing does not depend on the frame rate), and the shown label changes only when another
 * class leads by a margin and the current one has been shown for a minimum time.
 */

import { EXPRESSIONS, type Expression } from '../types.js';

export interface ExpressionSmootherOptions {
  /** Time constant of the probability average; 0 turns averaging off. Default 250 ms. */
  timeConstantMs?: number;
  /** Another class must beat the shown one by this much (0..1) to replace it. Default 0.1. */
  switchMargin?: number;
  /** A label, once shown, stays at least this long. Default 400 ms. */
  minHoldMs?: number;
  /** A longer gap between frames restarts the smoother. Default 1000 ms. */
  maxGapMs?: number;
}

export const DEFAULT_EXPRESSION_SMOOTHING: Required<ExpressionSmootherOptions> = {
  timeConstantMs: 250,
  switchMargin: 0.1,
  minHoldMs: 400,
  maxGapMs: 1000,
};

export interface SmoothedExpression {
  expression: Expression;
  probabilities: Record<Expression, number>;
}

/** Smooths one face's expression; a time that does not move forward restarts it. */
export class ExpressionSmoother {
  private readonly options: Required<ExpressionSmootherOptions>;
  private average: number[] | null = null;
  private shown: number = 0;
  private shownSinceMs = 0;
  private lastMs = 0;

  constructor(options: ExpressionSmootherOptions = {}) {
    const merged = { ...DEFAULT_EXPRESSION_SMOOTHING };
    for (const [k, v] of Object.entries(options)) if (v !== undefined) (merged as Record<string, number>)[k] = v;
    for (const [k, v] of Object.entries(merged)) {
      if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`expressionSmoothing.${k}: expected a number >= 0, got ${v}`);
    }
    if (merged.switchMargin > 1) throw new RangeError(`expressionSmoothing.switchMargin: expected 0..1, got ${merged.switchMargin}`);
    this.options = merged;
  }

  reset(): void {
    this.average = null;
  }

  update(probabilities: Record<Expression, number>, timeMs: number): SmoothedExpression {
    const p = EXPRESSIONS.map((e) => probabilities[e]);
    const dt = timeMs - this.lastMs;
    const restart =
      this.average === null || !(dt > 0) || dt > this.options.maxGapMs || !p.every(Number.isFinite);
    this.lastMs = timeMs;
    if (restart) {
      this.average = p.map((v) => (Number.isFinite(v) ? v : 0));
      this.shown = argmax(this.average);
      this.shownSinceMs = timeMs;
      return this.result();
    }
    const average = this.average as number[];
    const tau = this.options.timeConstantMs;
    const a = tau > 0 ? 1 - Math.exp(-dt / tau) : 1;
    for (let i = 0; i < p.length; i++) average[i] += a * (p[i] - average[i]);

    const leader = argmax(average);
    const held = timeMs - this.shownSinceMs >= this.options.minHoldMs;
    if (leader !== this.shown && held && average[leader] - average[this.shown] >= this.options.switchMargin) {
      this.shown = leader;
      this.shownSinceMs = timeMs;
    }
    return this.result();
  }

  private result(): SmoothedExpression {
    const average = this.average as number[];
    const probabilities = {} as Record<Expression, number>;
    EXPRESSIONS.forEach((e, i) => (probabilities[e] = average[i]));
    return { expression: EXPRESSIONS[this.shown], probabilities };
  }
}

/**
 * The published proposal, kept as a baseline: the most frequent label among the last `window`
 * per-frame predictions (ties go to the most recent of the tied labels).
 */
export class MajorityVote {
  private readonly recent: Expression[] = [];

  constructor(private readonly window = 5) {
    if (!(Number.isInteger(window) && window >= 1)) throw new RangeError(`majorityVote.window: expected a whole number >= 1, got ${window}`);
  }

  reset(): void {
    this.recent.length = 0;
  }

  update(expression: Expression): Expression {
    this.recent.push(expression);
    if (this.recent.length > this.window) this.recent.shift();
    const counts = new Map<Expression, number>();
    for (const e of this.recent) counts.set(e, (counts.get(e) ?? 0) + 1);
    let best = this.recent[this.recent.length - 1];
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const e = this.recent[i];
      if ((counts.get(e) ?? 0) > (counts.get(best) ?? 0)) best = e;
    }
    return best;
  }
}

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
