import { describe, expect, it } from 'vitest';

import { loadEmojiPack } from '../../node/emoji-loader.js';
import { applyHomography } from '../geometry/homography.js';
import { MASK_KEYPOINT_NAMES } from '../types.js';
import { estimateFromBox, estimateFromDetection } from './detection-fallback.js';
import { placeEmoji } from './mask-geometry.js';

describe('estimateFromBox', () => {
  it('lays the emoji upright over a tall profile box and widens it over the grown outline', async () => {
    const pack = await loadEmojiPack();
    // The output network's box of the profile in frame 30 of short_hamilton_clip.mp4.
    const box = { x: 286, y: 67, width: 177, height: 292 };
    const { keypoints, outline } = estimateFromBox(box, pack.neutral);
    for (const name of MASK_KEYPOINT_NAMES) {
      const p = keypoints[name];
      expect(p.x).toBeGreaterThan(box.x);
      expect(p.x).toBeLessThan(box.x + box.width);
      expect(p.y).toBeGreaterThan(box.y);
      expect(p.y).toBeLessThanOrEqual(box.y + box.height);
    }
    expect(keypoints.leftEyeOuter.x).toBeGreaterThan(keypoints.rightEyeOuter.x);
    // The outline reaches 35 % of the half-width and 30 % of the half-height past the box.
    const xs = outline.map((p) => p.x);
    const ys = outline.map((p) => p.y);
    expect(Math.min(...xs)).toBeCloseTo(box.x - 0.35 * (box.width / 2), 6);
    expect(Math.max(...ys)).toBeCloseTo(box.y + box.height + 0.3 * (box.height / 2), 0);

    for (const expression of ['neutral', 'happy', 'surprise'] as const) {
      const fit = placeEmoji(pack[expression], keypoints, outline);
      expect(fit.ok).toBe(true);
      if (!fit.ok) continue;
      // A plain scaling and shift: no shear, no perspective.
      const m = fit.matrix.map((v) => v / fit.matrix[8]);
      for (const i of [1, 3, 6, 7]) expect(Math.abs(m[i])).toBeLessThan(1e-9);
      // Every outline point lies inside the widened disc.
      const { centerX, centerY, radius } = pack[expression].cover;
      const rim = Array.from({ length: 360 }, (_, k) => {
        const t = (k * Math.PI) / 180;
        return applyHomography(fit.matrix, {
          x: centerX + radius * fit.widening * Math.cos(t),
          y: centerY + radius * fit.widening * Math.sin(t),
        });
      });
      const rx = (Math.max(...rim.map((p) => p.x)) - Math.min(...rim.map((p) => p.x))) / 2;
      const ry = (Math.max(...rim.map((p) => p.y)) - Math.min(...rim.map((p) => p.y))) / 2;
      const cx = box.x + box.width / 2;
      const cy = box.y + box.height / 2;
      for (const p of outline) expect(((p.x - cx) / rx) ** 2 + ((p.y - cy) / ry) ** 2).toBeLessThan(1);
    }
  });
});

describe('estimateFromDetection', () => {
  const frontal = {
    box: { x: 590, y: 80, width: 160, height: 160 },
    score: 0.9,
    keypoints: [
      { x: 628, y: 142 },
      { x: 703, y: 140 },
      { x: 666, y: 180 },
      { x: 666, y: 213 },
      { x: 595, y: 150 },
      { x: 740, y: 148 },
    ],
  };

  it('scales a frontal face by its eyes and tilts the outline with them', () => {
    const { keypoints, outline } = estimateFromDetection(frontal);
    // 75 px between the eyes: outer corners 0.21 of that beyond each eye.
    expect(keypoints.rightEyeOuter.x).toBeCloseTo(628 - 0.21 * 75.03, 1);
    const xs = outline.map((p) => p.x);
    expect(Math.max(...xs) - Math.min(...xs)).toBeCloseTo(2 * 1.05 * 75.03, 0);
  });

  it('takes the scale from the box when the eyes nearly meet (a profile), centred on the box', () => {
    // BlazeFace on the profile in frame 30 of short_hamilton_clip.mp4: a 207 px box, eyes 15 px apart.
    const profile = {
      box: { x: 286, y: 116, width: 207, height: 207 },
      score: 0.77,
      keypoints: [
        { x: 330, y: 170 },
        { x: 345, y: 172 },
        { x: 300, y: 230 },
        { x: 340, y: 285 },
        { x: 480, y: 200 },
        { x: 480, y: 200 },
      ],
    };
    const { outline } = estimateFromDetection(profile);
    const xs = outline.map((p) => p.x);
    const ys = outline.map((p) => p.y);
    const d = 207 / 2.2;
    expect(Math.max(...xs) - Math.min(...xs)).toBeCloseTo(2 * 1.05 * d, 6);
    expect(Math.max(...ys) - Math.min(...ys)).toBeCloseTo(2 * 1.45 * d, 6);
    expect((Math.max(...xs) + Math.min(...xs)) / 2).toBeCloseTo(286 + 207 / 2, 6);
  });
});
