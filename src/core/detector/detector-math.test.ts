import { describe, expect, it } from 'vitest';

import { generateAnchors } from './anchors.js';
import { decodeDetections } from './decode.js';
import type { FaceDetection } from './face-detector-result.js';
import { letterbox, searchRegions } from './tiles.js';
import { iou } from '../geometry/box-overlap.js';
import { weightedNms } from './weighted-nms.js';

describe('generateAnchors', () => {
  it('lays out 512 anchors on a 16x16 grid then 384 on an 8x8 grid', () => {
    const anchors = generateAnchors(128);
    expect(anchors).toHaveLength(896);
    expect(anchors[0]).toEqual({ x: 0.5 / 16, y: 0.5 / 16 });
    expect(anchors[1]).toEqual(anchors[0]);
    expect(anchors[2]).toEqual({ x: 1.5 / 16, y: 0.5 / 16 });
    expect(anchors[511]).toEqual({ x: 15.5 / 16, y: 15.5 / 16 });
    expect(anchors[512]).toEqual({ x: 0.5 / 8, y: 0.5 / 8 });
    expect(anchors[517]).toEqual(anchors[512]);
    expect(anchors[518]).toEqual({ x: 1.5 / 8, y: 0.5 / 8 });
    expect(anchors[895]).toEqual({ x: 7.5 / 8, y: 7.5 / 8 });
  });
});

describe('decodeDetections', () => {
  it('decodes offsets relative to the anchor and keeps only confident anchors', () => {
    const anchors = [
      { x: 0.25, y: 0.5 },
      { x: 0.75, y: 0.5 },
    ];
    const regressors = new Float32Array(32);
    regressors.set([12.8, -6.4, 32, 64, 0, 0, 12.8, 12.8], 0);
    const logits = new Float32Array([2, -2]);
    const [d, ...rest] = decodeDetections(regressors, logits, anchors, 128, 0.5);
    expect(rest).toHaveLength(0);
    expect(d.score).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(d.box.x).toBeCloseTo(0.35 - 0.125, 6);
    expect(d.box.y).toBeCloseTo(0.45 - 0.25, 6);
    expect(d.box.width).toBeCloseTo(0.25, 6);
    expect(d.box.height).toBeCloseTo(0.5, 6);
    expect(d.keypoints[0]).toEqual({ x: 0.25, y: 0.5 });
    expect(d.keypoints[1].x).toBeCloseTo(0.35, 6);
    expect(d.keypoints).toHaveLength(6);
  });

  it('rejects outputs that do not match the anchors', () => {
    expect(() =>
      decodeDetections(new Float32Array(10), new Float32Array(1), [{ x: 0, y: 0 }], 128, 0.5),
    ).toThrow(/expected 1 anchors x 16 regressors/);
  });
});

describe('weightedNms', () => {
  const det = (x: number, score: number): FaceDetection => ({
    box: { x, y: 0, width: 10, height: 10 },
    score,
    keypoints: [{ x: x + 5, y: 5 }],
  });

  it('blends overlapping detections by score and keeps the best score', () => {
    const [merged, other] = weightedNms([det(0, 0.9), det(2, 0.6), det(50, 0.7)], 0.3);
    expect(merged.score).toBe(0.9);
    expect(merged.box.x).toBeCloseTo((0 * 0.9 + 2 * 0.6) / 1.5, 10);
    expect(merged.keypoints[0].x).toBeCloseTo((5 * 0.9 + 7 * 0.6) / 1.5, 10);
    expect(other.box.x).toBe(50);
  });

  it('keeps faces that overlap less than the threshold apart', () => {
    expect(weightedNms([det(0, 0.9), det(8, 0.8)], 0.3)).toHaveLength(2);
    expect(iou(det(0, 1).box, det(8, 1).box)).toBeCloseTo(20 / 180, 10);
  });
});

describe('searchRegions', () => {
  it('letterboxes a wide frame centred with black bars above and below', () => {
    const [a, , c, , e, f] = letterbox(1280, 720, 128);
    expect(a).toBe(10);
    expect(e).toBe(10);
    expect(c).toBe(0);
    expect(f).toBe(-280);
  });

  it('adds overlapping tiles covering the frame only when tiling is on', () => {
    expect(searchRegions(640, 360, 128, 'off')).toHaveLength(1);
    const regions = searchRegions(640, 360, 128, 'auto');
    expect(regions.length).toBeGreaterThan(1);
    const tiles = regions.slice(1);
    const right = Math.max(...tiles.map((t) => t[2] + 128 * t[0]));
    const bottom = Math.max(...tiles.map((t) => t[5] + 128 * t[4]));
    expect(right).toBeCloseTo(640, 6);
    expect(bottom).toBeCloseTo(360, 6);
    expect(Math.min(...tiles.map((t) => t[2]))).toBe(0);
  });
});
