import { describe, expect, it } from 'vitest';

import type { Matrix3, RgbaImage } from '../types.js';
import { compositeWarped } from './composite-warped.js';
import { buildMipChain, compositeMipmapped, selectMipLevel } from './mip-chain.js';

function makeImage(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number, number],
): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  }
  return { width, height, data };
}

/** Standard deviation of the red channel over a rectangle of the frame. */
function redSpread(frame: RgbaImage, x0: number, y0: number, size: number): number {
  const values: number[] = [];
  for (let y = y0; y < y0 + size; y++) {
    for (let x = x0; x < x0 + size; x++) values.push(frame.data[(y * frame.width + x) * 4]);
  }
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
}

describe('buildMipChain', () => {
  it('halves while both sides are even and at least minSize', () => {
    const chain = buildMipChain(makeImage(64, 32, () => [0, 0, 0, 255]));
    expect(chain.map((l) => [l.width, l.height])).toEqual([
      [64, 32],
      [32, 16],
      [16, 8],
    ]);
    expect(
      buildMipChain(
        makeImage(12, 12, () => [0, 0, 0, 255]),
        1,
      ).map((l) => l.width),
    ).toEqual([12, 6, 3]);
  });

  it('averages premultiplied colour, so transparent pixels add no colour', () => {
    // Each 2x2 block: one opaque blue pixel, three transparent red ones.
    const image = makeImage(4, 4, (x, y) =>
      x % 2 === 0 && y % 2 === 0 ? [0, 0, 255, 255] : [255, 0, 0, 0],
    );
    const [, half] = buildMipChain(image, 1);
    for (let i = 0; i < 4; i++) {
      expect(Array.from(half.data.subarray(i * 4, i * 4 + 4))).toEqual([0, 0, 255, 64]);
    }
  });
});

describe('selectMipLevel', () => {
  it('picks the level drawn closest to its own size', () => {
    const chain = buildMipChain(makeImage(256, 256, () => [0, 0, 0, 255]));
    const at = (s: number): number => selectMipLevel(chain, [s, 0, 10, 0, s, 20, 0, 0, 1]).level;
    expect(at(2)).toBe(0);
    expect(at(1)).toBe(0);
    expect(at(0.5)).toBe(1);
    expect(at(0.3)).toBe(2);
    expect(at(0.125)).toBe(3);
    expect(at(1e-6)).toBe(chain.length - 1);
  });

  it('returns a matrix that maps the level onto the same place in the frame', () => {
    const chain = buildMipChain(makeImage(256, 256, () => [0, 0, 0, 255]));
    const m: Matrix3 = [0.2, 0.01, 30, -0.02, 0.25, 40, 1e-4, 2e-4, 1];
    const { image, matrix } = selectMipLevel(chain, m);
    const f = 256 / image.width;
    const project = (h: Matrix3, x: number, y: number): [number, number] => {
      const w = h[6] * x + h[7] * y + h[8];
      return [(h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w];
    };
    const [ax, ay] = project(matrix, image.width, image.height);
    const [bx, by] = project(m, image.width * f, image.height * f);
    expect(ax).toBeCloseTo(bx, 9);
    expect(ay).toBeCloseTo(by, 9);
  });
});

describe('compositeMipmapped', () => {
  it('shrinks a fine checkerboard to an even grey where plain bilinear aliases', () => {
    const checker = makeImage(256, 256, (x, y) =>
      (x + y) % 2 === 0 ? [255, 255, 255, 255] : [0, 0, 0, 255],
    );
    const m: Matrix3 = [0.23, 0, 5, 0, 0.23, 5, 0, 0, 1];
    const plain = makeImage(70, 70, () => [0, 0, 0, 255]);
    compositeWarped(plain, checker, m);
    const mipped = makeImage(70, 70, () => [0, 0, 0, 255]);
    compositeMipmapped(mipped, buildMipChain(checker), m);
    // The interior, away from the edge fringe.
    expect(redSpread(plain, 10, 10, 50)).toBeGreaterThan(20);
    expect(redSpread(mipped, 10, 10, 50)).toBeLessThan(2);
    const centre = mipped.data[(35 * 70 + 35) * 4];
    expect(Math.abs(centre - 128)).toBeLessThanOrEqual(1);
  });
});
