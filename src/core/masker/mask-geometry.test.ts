import { describe, expect, it } from 'vitest';

import type { EmojiArt } from '../emoji/emoji-pack.js';
import { applyHomography, invertMatrix3 } from '../geometry/homography.js';
import type { MaskKeypoints, Point } from '../types.js';
import { COVER_MARGIN, coverPolygon, placeEmoji } from './mask-geometry.js';

// A 100x100 emoji whose disc (radius 45 about the centre) holds its six keypoints.
const emojiKeypoints: MaskKeypoints = {
  rightEyeOuter: { x: 30, y: 40 },
  leftEyeOuter: { x: 70, y: 40 },
  mouthRight: { x: 38, y: 66 },
  mouthLeft: { x: 62, y: 66 },
  philtrum: { x: 50, y: 58 },
  chin: { x: 50, y: 82 },
};
const emoji: EmojiArt = {
  image: { width: 100, height: 100, data: new Uint8Array(100 * 100 * 4) },
  keypoints: emojiKeypoints,
  cover: { centerX: 50, centerY: 50, radius: 45 },
};

/** The emoji's keypoints moved by a similarity: a face the emoji fits exactly. */
function face(scale: number, tx: number, ty: number): MaskKeypoints {
  const out = {} as MaskKeypoints;
  for (const [k, p] of Object.entries(emojiKeypoints) as [keyof MaskKeypoints, Point][]) {
    out[k] = { x: p.x * scale + tx, y: p.y * scale + ty };
  }
  return out;
}

function discRadiusAt(matrix: Parameters<typeof invertMatrix3>[0], p: Point): number {
  const q = applyHomography(invertMatrix3(matrix)!, p);
  return Math.hypot(q.x - 50, q.y - 50);
}

describe('placeEmoji', () => {
  it('keeps the keypoint fit when the outline is already inside the disc', () => {
    const keypoints = face(2, 100, 50);
    const outline = [
      { x: 200, y: 130 },
      { x: 160, y: 180 },
    ];
    const placed = placeEmoji(emoji, keypoints, outline);
    expect(placed.ok).toBe(true);
    if (!placed.ok) return;
    expect(placed.widening).toBe(1);
    const p = applyHomography(placed.matrix, emojiKeypoints.chin);
    expect(p.x).toBeCloseTo(keypoints.chin.x, 6);
    expect(p.y).toBeCloseTo(keypoints.chin.y, 6);
  });

  it('widens the emoji until an outline reaching past the disc is inside it, with margin', () => {
    const keypoints = face(2, 100, 50);
    // Disc centre maps to (200, 150); a forehead point 130 px above is 65 emoji px out.
    const outline = [
      { x: 200, y: 20 },
      { x: 120, y: 150 },
      { x: 280, y: 150 },
    ];
    const placed = placeEmoji(emoji, keypoints, outline);
    expect(placed.ok).toBe(true);
    if (!placed.ok) return;
    expect(placed.widening).toBeCloseTo((65 / 45) * (1 + COVER_MARGIN), 6);
    for (const p of outline) expect(discRadiusAt(placed.matrix, p)).toBeLessThan(45);
    // Widening is about the disc centre, which stays put.
    const centre = applyHomography(placed.matrix, { x: 50, y: 50 });
    expect(centre.x).toBeCloseTo(200, 6);
    expect(centre.y).toBeCloseTo(150, 6);
  });

  it('reports degenerate keypoints instead of throwing', () => {
    const flat = face(0, 10, 10);
    const placed = placeEmoji(emoji, flat, [{ x: 10, y: 10 }]);
    expect(placed.ok).toBe(false);
    const nan = { ...face(1, 0, 0), chin: { x: Number.NaN, y: 3 } };
    expect(placeEmoji(emoji, nan, []).ok).toBe(false);
  });

  it('refuses an outline so far out that the fit cannot be trusted', () => {
    const placed = placeEmoji(emoji, face(1, 0, 0), [{ x: 5000, y: 50 }]);
    expect(placed).toEqual({ ok: false, reason: 'unbounded' });
  });
});

describe('coverPolygon', () => {
  it('encloses every input point with room to spare', () => {
    const pts = [
      { x: 0, y: 0 },
      { x: 10, y: 0 },
      { x: 10, y: 20 },
      { x: 0, y: 20 },
      { x: 5, y: 10 },
    ];
    const poly = coverPolygon(pts);
    const xs = poly.map((p) => p.x);
    const ys = poly.map((p) => p.y);
    expect(Math.min(...xs)).toBeLessThan(-0.5);
    expect(Math.max(...xs)).toBeGreaterThan(10.5);
    expect(Math.min(...ys)).toBeLessThan(-1);
    expect(Math.max(...ys)).toBeGreaterThan(21);
  });

  it('refuses a fit that would draw the disc as a sliver (a face seen side-on)', () => {
    // The emoji's keypoints squeezed to a fifth of their width: what a mesh on a profile gives.
    const squeeze = (p: Point): Point => ({ x: 200 + (p.x - 50) * 0.4, y: 100 + (p.y - 50) * 2 });
    const keypoints = {} as MaskKeypoints;
    for (const [k, p] of Object.entries(emojiKeypoints) as [keyof MaskKeypoints, Point][]) {
      keypoints[k] = squeeze(p);
    }
    const outline = [0, 1, 2, 3, 4, 5].map((i) => {
      const t = (i * Math.PI) / 3;
      return squeeze({ x: 50 + 30 * Math.cos(t), y: 50 + 30 * Math.sin(t) });
    });
    expect(placeEmoji(emoji, keypoints, outline)).toEqual({ ok: false, reason: 'distorted' });
    // The same squeeze by half (a head turned well to one side) is still drawn.
    const half = (p: Point): Point => ({ x: 200 + (p.x - 50) * 1, y: 100 + (p.y - 50) * 2 });
    const turned = {} as MaskKeypoints;
    for (const [k, p] of Object.entries(emojiKeypoints) as [keyof MaskKeypoints, Point][]) {
      turned[k] = half(p);
    }
    expect(
      placeEmoji(
        emoji,
        turned,
        outline.map((p) => ({ x: 200 + (p.x - 200) * 2.5, y: p.y })),
      ).ok,
    ).toBe(true);
  });

  it('refuses a fit whose disc comes out far larger than the face', () => {
    const keypoints = face(2, 100, 50);
    // A tiny outline at the chin: the disc (radius 90 px here) would be 20 times its size.
    const chin = keypoints.chin;
    const outline = [
      { x: chin.x - 4, y: chin.y - 4 },
      { x: chin.x + 4, y: chin.y - 4 },
      { x: chin.x, y: chin.y + 4 },
    ];
    expect(placeEmoji(emoji, keypoints, outline)).toEqual({ ok: false, reason: 'distorted' });
  });
});
