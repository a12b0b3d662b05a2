import { describe, expect, it } from 'vitest';

import type { RgbaImage } from '../types.js';
import { fillPolygon } from './fill-polygon.js';

function blank(width: number, height: number): RgbaImage {
  return { width, height, data: new Uint8Array(width * height * 4) };
}

/** The frame as rows of '#' (filled with alpha 255) and '.' (untouched). */
function mask(frame: RgbaImage): string[] {
  const rows: string[] = [];
  for (let y = 0; y < frame.height; y++) {
    let row = '';
    for (let x = 0; x < frame.width; x++)
      row += frame.data[(y * frame.width + x) * 4 + 3] ? '#' : '.';
    rows.push(row);
  }
  return rows;
}

describe('fillPolygon', () => {
  it('fills exactly the pixels whose centres are inside a rectangle', () => {
    const frame = blank(6, 5);
    const count = fillPolygon(
      frame,
      [
        { x: 1, y: 1 },
        { x: 4, y: 1 },
        { x: 4, y: 3.4 },
        { x: 1, y: 3.4 },
      ],
      { r: 10, g: 20, b: 30 },
    );
    expect(mask(frame)).toEqual(['......', '.###..', '.###..', '......', '......']);
    expect(count).toBe(6);
    expect(Array.from(frame.data.subarray((1 * 6 + 1) * 4, (1 * 6 + 2) * 4))).toEqual([
      10, 20, 30, 255,
    ]);
  });

  it('fills a triangle in either winding direction the same way', () => {
    const triangle = [
      { x: 0, y: 0 },
      { x: 8, y: 0 },
      { x: 0, y: 8 },
    ];
    const a = blank(8, 8);
    const b = blank(8, 8);
    fillPolygon(a, triangle, { r: 1, g: 1, b: 1 });
    fillPolygon(b, [...triangle].reverse(), { r: 1, g: 1, b: 1 });
    expect(mask(a)).toEqual(mask(b));
    // Centre (x + 0.5, y + 0.5) is inside when x + y + 1 < 8.
    mask(a).forEach((row, y) => expect(row).toBe('#'.repeat(7 - y) + '.'.repeat(y + 1)));
  });

  it('fills the doubly wound middle of a self-intersecting star (non-zero rule)', () => {
    const frame = blank(21, 21);
    // Pentagram: every second vertex of a regular pentagon, so the middle is wound twice.
    const star = [0, 2, 4, 1, 3].map((k) => ({
      x: 10.5 + 10 * Math.sin((2 * Math.PI * k) / 5),
      y: 10.5 - 10 * Math.cos((2 * Math.PI * k) / 5),
    }));
    fillPolygon(frame, star, { r: 0, g: 0, b: 0 });
    const rows = mask(frame);
    // Even-odd would leave the centre empty; non-zero fills it.
    expect(rows[10][10]).toBe('#');
    expect(rows[2][10]).toBe('#'); // top tip
    expect(rows[2][4]).toBe('.'); // between the top and upper-left tips
    expect(rows[0][0]).toBe('.');
  });

  it('clips to the frame and overwrites rather than blends', () => {
    const frame = blank(4, 4);
    frame.data.fill(200);
    const n = fillPolygon(
      frame,
      [
        { x: -100, y: -100 },
        { x: 100, y: -100 },
        { x: 100, y: 100 },
        { x: -100, y: 100 },
      ],
      { r: 5, g: 6, b: 7, a: 8 },
    );
    expect(n).toBe(16);
    for (let i = 0; i < 16; i++)
      expect(Array.from(frame.data.subarray(i * 4, i * 4 + 4))).toEqual([5, 6, 7, 8]);
  });

  it('fills nothing for fewer than three vertices or an outline off the frame', () => {
    const frame = blank(4, 4);
    expect(
      fillPolygon(
        frame,
        [
          { x: 0, y: 0 },
          { x: 4, y: 4 },
        ],
        { r: 1, g: 1, b: 1 },
      ),
    ).toBe(0);
    const off = [
      { x: 10, y: 10 },
      { x: 20, y: 10 },
      { x: 20, y: 20 },
    ];
    expect(fillPolygon(frame, off, { r: 1, g: 1, b: 1 })).toBe(0);
    expect(frame.data.every((v) => v === 0)).toBe(true);
  });

  it('refuses non-finite vertices and bad colours', () => {
    const frame = blank(4, 4);
    const bad = [
      { x: 0, y: 0 },
      { x: NaN, y: 1 },
      { x: 3, y: 3 },
    ];
    expect(() => fillPolygon(frame, bad, { r: 1, g: 1, b: 1 })).toThrow(/vertex 1 is not finite/);
    const ok = [
      { x: 0, y: 0 },
      { x: 3, y: 0 },
      { x: 3, y: 3 },
    ];
    expect(() => fillPolygon(frame, ok, { r: 256, g: 0, b: 0 })).toThrow(/0\.\.255/);
  });
});
