import { describe, expect, it } from 'vitest';

import { EXPRESSIONS, type Expression } from '../types.js';
import { ExpressionSmoother, MajorityVote } from './expression-smoother.js';

function probs(main: Expression, p = 0.7): Record<Expression, number> {
  const rest = (1 - p) / (EXPRESSIONS.length - 1);
  return Object.fromEntries(EXPRESSIONS.map((e) => [e, e === main ? p : rest])) as Record<Expression, number>;
}

const FRAME_MS = 40;

describe('ExpressionSmoother', () => {
  it('holds a steady label and keeps probabilities summing to 1', () => {
    const s = new ExpressionSmoother();
    for (let i = 0; i < 20; i++) {
      const out = s.update(probs('happy'), i * FRAME_MS);
      expect(out.expression).toBe('happy');
      const sum = Object.values(out.probabilities).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 9);
    }
  });

  it('ignores a one-frame flicker to another class', () => {
    const s = new ExpressionSmoother();
    const seen = new Set<Expression>();
    for (let i = 0; i < 30; i++) {
      const p = i === 15 ? probs('sad', 0.95) : probs('neutral');
      seen.add(s.update(p, i * FRAME_MS).expression);
    }
    expect([...seen]).toEqual(['neutral']);
  });

  it('follows a sustained change after a bounded delay, with a single switch', () => {
    const s = new ExpressionSmoother({ timeConstantMs: 250, minHoldMs: 400, switchMargin: 0.1 });
    const labels: Expression[] = [];
    for (let i = 0; i < 50; i++) labels.push(s.update(probs(i < 20 ? 'neutral' : 'surprise'), i * FRAME_MS).expression);
    const first = labels.indexOf('surprise');
    expect(first).toBeGreaterThan(20);
    expect((first - 20) * FRAME_MS).toBeLessThan(600);
    expect(labels.slice(first).every((e) => e === 'surprise')).toBe(true);
  });

  it('does not switch again before the minimum hold', () => {
    const s = new ExpressionSmoother({ timeConstantMs: 0, minHoldMs: 400, switchMargin: 0 });
    expect(s.update(probs('happy'), 0).expression).toBe('happy');
    expect(s.update(probs('sad'), 100).expression).toBe('happy');
    expect(s.update(probs('sad'), 399).expression).toBe('happy');
    expect(s.update(probs('sad'), 400).expression).toBe('sad');
  });

  it('restarts on a backwards or repeated timestamp instead of wedging', () => {
    const s = new ExpressionSmoother();
    s.update(probs('happy'), 1000);
    expect(s.update(probs('angry', 0.9), 1000).expression).toBe('angry');
    expect(s.update(probs('fear', 0.9), 500).expression).toBe('fear');
    expect(s.update(probs('fear', 0.9), 540).expression).toBe('fear');
  });
});

describe('MajorityVote', () => {
  it('returns the most frequent of the last five, ties to the most recent', () => {
    const v = new MajorityVote(5);
    const out = (['happy', 'sad', 'sad', 'happy', 'happy', 'sad', 'sad'] as Expression[]).map((e) => v.update(e));
    expect(out).toEqual(['happy', 'sad', 'sad', 'happy', 'happy', 'sad', 'sad']);
  });
});
