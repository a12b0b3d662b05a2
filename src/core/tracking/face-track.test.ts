import { describe, expect, it } from 'vitest';

import { EXPRESSIONS, type Expression, type MaskKeypoints, type Point } from '../types.js';
import { FaceTrack, type TrackGeometry } from './face-track.js';

const FRAME = { width: 640, height: 480 };

function geometryAt(cx: number, cy: number): TrackGeometry {
  const k = (dx: number, dy: number): Point => ({ x: cx + dx, y: cy + dy });
  const keypoints: MaskKeypoints = {
    rightEyeOuter: k(-30, -20),
    leftEyeOuter: k(30, -20),
    mouthRight: k(-18, 25),
    mouthLeft: k(18, 25),
    philtrum: k(0, 12),
    chin: k(0, 55),
  };
  const outline = Array.from({ length: 12 }, (_, i) => k(60 * Math.cos((i * Math.PI) / 6), 75 * Math.sin((i * Math.PI) / 6)));
  return { keypoints, outline, anchors: [] };
}

function probs(main: Expression): Record<Expression, number> {
  return Object.fromEntries(EXPRESSIONS.map((e) => [e, e === main ? 0.88 : 0.02])) as Record<Expression, number>;
}

const still = { keypointSmoothing: false as const, expressionSmoothing: false as const };

describe('FaceTrack fail-closed states', () => {
  it('is live when seen, held for holdMs, covered until holdMs + coverMs, then let go', () => {
    const t = new FaceTrack(1, geometryAt(300, 200), probs('happy'), 0.9, 0, { ...still, failClosed: { holdMs: 500, coverMs: 2000 } });
    expect(t.state).toBe('live');
    expect(t.miss(100, FRAME)).toBe(true);
    expect(t.state).toBe('held');
    expect(t.miss(500, FRAME)).toBe(true);
    expect(t.state).toBe('held');
    expect(t.miss(501, FRAME)).toBe(true);
    expect(t.state).toBe('covered');
    expect(t.miss(2500, FRAME)).toBe(true);
    expect(t.state).toBe('covered');
    expect(t.miss(2501, FRAME)).toBe(false);
  });

  it('comes back to live, with the same id, when seen again while covered', () => {
    const t = new FaceTrack(7, geometryAt(300, 200), probs('sad'), 0.9, 0, still);
    t.miss(1000, FRAME);
    expect(t.state).toBe('covered');
    t.see(geometryAt(310, 200), probs('sad'), 0.8, 1100);
    expect(t.state).toBe('live');
    expect(t.id).toBe(7);
  });

  it('drifts the held emoji with the face last motion, for a bounded time', () => {
    const t = new FaceTrack(1, geometryAt(300, 200), probs('happy'), 0.9, 0, still);
    t.see(geometryAt(310, 200), probs('happy'), 0.9, 100); // 0.1 px per ms to the right
    t.miss(200, FRAME);
    expect(t.geometry.keypoints.chin.x).toBeCloseTo(320, 6);
    t.miss(550, FRAME); // drift stops after 300 ms
    expect(t.geometry.keypoints.chin.x).toBeCloseTo(340, 6);
  });

  it('drifts at most a quarter of the face size, however fast its last motion', () => {
    const t = new FaceTrack(1, geometryAt(300, 200), probs('happy'), 0.9, 0, still);
    t.see(geometryAt(400, 200), probs('happy'), 0.9, 33); // a 100 px jump in one frame
    t.miss(333, FRAME);
    // The outline is 120 x 150 px, so the drift stops at 37.5 px.
    expect(t.geometry.keypoints.chin.x).toBeCloseTo(437.5, 6);
    expect(t.geometry.keypoints.chin.y).toBeCloseTo(255, 6);
  });

  it('lets a face go at once when it was last seen leaving the frame', () => {
    const t = new FaceTrack(1, geometryAt(-80, 200), probs('happy'), 0.9, 0, still);
    expect(t.miss(40, FRAME)).toBe(false);
  });

  it('never wedges on a repeated or backwards timestamp', () => {
    const t = new FaceTrack(1, geometryAt(300, 200), probs('happy'), 0.9, 1000);
    t.see(geometryAt(300, 200), probs('happy'), 0.9, 1000);
    t.see(geometryAt(302, 200), probs('fear'), 0.9, 900);
    expect(t.state).toBe('live');
    expect(Number.isFinite(t.geometry.keypoints.chin.x)).toBe(true);
    expect(t.miss(900, FRAME)).toBe(true);
    expect(t.state).toBe('held');
  });

  it('smooths keypoints by default: a one-frame 10 px jump moves the face less than that', () => {
    const t = new FaceTrack(1, geometryAt(300, 200), probs('happy'), 0.9, 0);
    for (let i = 1; i <= 10; i++) t.see(geometryAt(300, 200), probs('happy'), 0.9, i * 33);
    t.see(geometryAt(310, 200), probs('happy'), 0.9, 11 * 33);
    const x = t.geometry.keypoints.chin.x;
    expect(x).toBeGreaterThan(300);
    expect(x).toBeLessThan(308);
  });
});
