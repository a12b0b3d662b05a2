import { describe, expect, it } from 'vitest';

import { overlap } from '../geometry/box-overlap.js';
import {
  applyOffsets,
  proposals,
  pyramidScales,
  squareBox,
  suppress,
} from './cascade-boxes.js';

describe('proposals', () => {
  it('maps each cell over the threshold to its 12 px window in source pixels, with its offsets', () => {
    // A 3 x 2 map (width 3): cells (row 0, col 1) and (row 1, col 2) pass 0.6.
    const face = new Float32Array([0.1, 0.9, 0.5, 0.2, 0.3, 0.7]);
    const offsets = new Float32Array(4 * 6);
    for (let plane = 0; plane < 4; plane++) offsets[plane * 6 + 5] = (plane + 1) / 10;
    const found = proposals(face, offsets, 3, 2, 0.5, 0.6);
    expect(found.map((c) => c.score)).toEqual([face[1], face[5]]);
    // At scale 0.5 a cell is 4 source px from the next and its window 24 px wide.
    expect(found[0].box).toEqual({ x: 4, y: 0, width: 24, height: 24 });
    expect(found[1].box).toEqual({ x: 8, y: 4, width: 24, height: 24 });
    expect(found[1].offsets).toEqual([0.1, 0.2, 0.3, 0.4].map((v) => Math.fround(v)));
    expect(found[0].offsets).toEqual([0, 0, 0, 0]);
  });

  it('refuses a map whose size disagrees with the tensors', () => {
    expect(() => proposals(new Float32Array(6), new Float32Array(20), 3, 2, 1, 0.5)).toThrow(
      /3x2 map needs 6 scores and 24 offsets, got 6 and 20/,
    );
  });
});

describe('box arithmetic', () => {
  it('moves each edge by its offset times the width or height', () => {
    const moved = applyOffsets({ x: 10, y: 20, width: 100, height: 50 }, [0.1, -0.2, 0.3, 0.4]);
    expect(moved).toEqual({ x: 20, y: 10, width: 120, height: 80 });
  });

  it('squares a box about its centre on its longer side', () => {
    expect(squareBox({ x: 10, y: 20, width: 40, height: 100 })).toEqual({ x: -20, y: 20, width: 100, height: 100 });
  });

  it('measures overlap over the union or over the smaller box', () => {
    const big = { x: 0, y: 0, width: 10, height: 10 };
    const inside = { x: 2, y: 2, width: 4, height: 4 };
    expect(overlap(big, inside, 'union')).toBeCloseTo(0.16, 10);
    expect(overlap(big, inside, 'min')).toBe(1);
    expect(overlap(big, { x: 10, y: 0, width: 5, height: 5 }, 'union')).toBe(0);
  });

  it('suppresses a weaker box overlapping a kept one, keeping separate faces, best first', () => {
    const a = { box: { x: 0, y: 0, width: 10, height: 10 }, score: 0.7 };
    const b = { box: { x: 1, y: 1, width: 10, height: 10 }, score: 0.9 };
    const c = { box: { x: 50, y: 0, width: 10, height: 10 }, score: 0.8 };
    const inner = { box: { x: 52, y: 2, width: 4, height: 4 }, score: 0.75 };
    expect(suppress([a, b, c, inner], 0.5)).toEqual([b, c, inner]);
    expect(suppress([a, b, c, inner], 0.5, 'min')).toEqual([b, c]);
  });
});

describe('pyramidScales', () => {
  it('starts where the smallest face fills the 12 px window and shrinks by the factor to 12 px', () => {
    const scales = pyramidScales(640, 360, 72, 0.709);
    expect(scales[0]).toBeCloseTo(12 / 72, 12);
    for (let i = 1; i < scales.length; i++) expect(scales[i] / scales[i - 1]).toBeCloseTo(0.709, 12);
    // 360 * scale must stay >= 12: 60, 42.5, 30.2, 21.4, 15.2 px, then 10.8 is too small.
    expect(scales).toHaveLength(5);
  });

  it('rejects a non-positive face size or a factor outside (0, 1)', () => {
    expect(() => pyramidScales(640, 360, 0, 0.7)).toThrow(/minFace > 0/);
    expect(() => pyramidScales(640, 360, 20, 1)).toThrow(/0 < factor < 1/);
  });
});
