import { describe, expect, it } from 'vitest';

import { applyHomography, multiplyMatrix3 } from '../geometry/matrix3.js';
import type { Matrix3, RgbaImage } from '../types.js';
import { compositeWarped } from './composite-warped.js';
import { projectImageCorners, warpBounds } from './warp-footprint.js';

type Rgba = [number, number, number, number];

function makeImage(
  width: number,
  height: number,
  pixel: (x: number, y: number) => Rgba,
): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  }
  return { width, height, data };
}

function pixelAt(image: RgbaImage, x: number, y: number): Rgba {
  const o = (y * image.width + x) * 4;
  return [image.data[o], image.data[o + 1], image.data[o + 2], image.data[o + 3]];
}

/** A small image where every pixel differs, with a range of alphas including 0 and 255. */
const pattern = (x: number, y: number): Rgba => [
  (x * 37 + 11) % 256,
  (y * 53 + 7) % 256,
  (x * 11 + y * 29) % 256,
  [255, 0, 128, 255, 1, 200][(x + 2 * y) % 6],
];

const IDENTITY: Matrix3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

describe('compositeWarped', () => {
  it('reproduces the image exactly under the identity, onto a transparent frame', () => {
    const image = makeImage(7, 5, pattern);
    const frame = makeImage(7, 5, () => [0, 0, 0, 0]);
    compositeWarped(frame, image, IDENTITY);
    for (let y = 0; y < 5; y++) {
      for (let x = 0; x < 7; x++) {
        const expected = pattern(x, y);
        // Where the image is fully transparent the frame stays (0, 0, 0, 0).
        expect(pixelAt(frame, x, y)).toEqual(expected[3] === 0 ? [0, 0, 0, 0] : expected);
      }
    }
  });

  it('moves the image by whole pixels without blurring it', () => {
    const image = makeImage(4, 3, (x, y) => [x * 60, y * 90, 200, 255]);
    const frame = makeImage(10, 8, () => [1, 2, 3, 255]);
    compositeWarped(frame, image, [1, 0, 5, 0, 1, 3, 0, 0, 1]);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 10; x++) {
        const inside = x >= 5 && x < 9 && y >= 3 && y < 6;
        expect(pixelAt(frame, x, y)).toEqual(
          inside ? [(x - 5) * 60, (y - 3) * 90, 200, 255] : [1, 2, 3, 255],
        );
      }
    }
  });

  it('scales by 2 with bilinear interpolation between pixel centres', () => {
    const image = makeImage(2, 2, (x, y) => [x * 200, y * 100, 40, 255]);
    const frame = makeImage(6, 6, () => [9, 9, 9, 255]);
    compositeWarped(frame, image, [2, 0, 0, 0, 2, 0, 0, 0, 1]);
    // Frame centre (i + 0.5) lands at image index (i + 0.5) / 2 - 0.5; inside the image's centre
    // span the colour is interpolated linearly between the two image pixels.
    const lerp = (i: number, lo: number, hi: number): number => {
      const t = Math.min(1, Math.max(0, (i + 0.5) / 2 - 0.5));
      return Math.round(lo + t * (hi - lo));
    };
    for (let y = 1; y < 3; y++) {
      for (let x = 1; x < 3; x++) {
        expect(pixelAt(frame, x, y)).toEqual([lerp(x, 0, 200), lerp(y, 0, 100), 40, 255]);
      }
    }
    // Half a pixel beyond the image edge: nothing reaches there.
    for (let i = 0; i < 6; i++) {
      expect(pixelAt(frame, 5, i)).toEqual([9, 9, 9, 255]);
      expect(pixelAt(frame, i, 5)).toEqual([9, 9, 9, 255]);
    }
    // The outer ring of the image fades into the frame over half a source pixel.
    const [r, , , alpha] = pixelAt(frame, 0, 0);
    expect(alpha).toBe(255);
    expect(r).toBe(Math.round(0.75 * 0.75 * 0 + (1 - 0.75 * 0.75) * 9));
  });

  it('leaves the frame untouched where the image alpha is 0', () => {
    const image = makeImage(6, 6, () => [255, 255, 255, 0]);
    const frame = makeImage(8, 8, (x, y) => [x, y, 7, (x * y) % 256]);
    const before = Uint8ClampedArray.from(frame.data);
    compositeWarped(frame, image, [1.3, 0.2, 0.7, -0.1, 1.1, 0.4, 0.01, 0.02, 1]);
    expect(frame.data).toEqual(before);
  });

  it('replaces the frame where the image is opaque', () => {
    const image = makeImage(4, 4, () => [10, 20, 30, 255]);
    const frame = makeImage(4, 4, (x, y) => [200, x * 50, y * 50, 255]);
    compositeWarped(frame, image, IDENTITY);
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++) expect(pixelAt(frame, x, y)).toEqual([10, 20, 30, 255]);
  });

  it('blends half alpha and half opacity with the "over" rule', () => {
    const half = makeImage(3, 3, () => [200, 100, 0, 128]);
    const frame = makeImage(3, 3, () => [0, 50, 250, 255]);
    compositeWarped(frame, half, IDENTITY);
    const s = 128 / 255;
    expect(pixelAt(frame, 1, 1)).toEqual([
      Math.round(200 * s),
      Math.round(100 * s + 50 * (1 - s)),
      Math.round(250 * (1 - s)),
      255,
    ]);

    const opaque = makeImage(3, 3, () => [200, 100, 0, 255]);
    const frame2 = makeImage(3, 3, () => [0, 50, 250, 255]);
    compositeWarped(frame2, opaque, IDENTITY, { opacity: 0.5 });
    expect(pixelAt(frame2, 1, 1)).toEqual([100, 75, 125, 255]);

    // Onto a half-transparent frame the alphas combine: 0.5 + 0.5 * 0.5.
    const frame3 = makeImage(3, 3, () => [0, 0, 200, 128]);
    compositeWarped(frame3, opaque, IDENTITY, { opacity: 0.5 });
    const [r, , b, a] = pixelAt(frame3, 1, 1);
    const keep = (128 / 255) * 0.5;
    expect(a).toBe(Math.round((0.5 + keep) * 255));
    expect(r).toBe(Math.round((0.5 * 200) / (0.5 + keep)));
    expect(b).toBe(Math.round((keep * 200) / (0.5 + keep)));
  });

  it('sends the corners of the image where a projective matrix says', () => {
    // 20x20 image: grey, with a 2x2 block of a distinct colour in each corner.
    const corner = (x: number, y: number): Rgba => {
      const right = x >= 18;
      const bottom = y >= 18;
      if ((x < 2 || right) && (y < 2 || bottom)) {
        return right
          ? bottom
            ? [0, 0, 255, 255]
            : [0, 255, 0, 255]
          : bottom
            ? [255, 255, 255, 255]
            : [255, 0, 0, 255];
      }
      return [128, 128, 128, 255];
    };
    const image = makeImage(20, 20, corner);
    const frame = makeImage(200, 200, () => [0, 0, 0, 255]);
    const m: Matrix3 = [6, 1, 20, -0.5, 5, 30, 0.004, 0.006, 1];
    const bounds = compositeWarped(frame, image, m);
    const expectColour: [number, number, Rgba][] = [
      [1, 1, [255, 0, 0, 255]],
      [19, 1, [0, 255, 0, 255]],
      [19, 19, [0, 0, 255, 255]],
      [1, 19, [255, 255, 255, 255]],
      [10, 10, [128, 128, 128, 255]],
    ];
    for (const [ix, iy, colour] of expectColour) {
      const p = applyHomography(m, { x: ix, y: iy });
      expect(pixelAt(frame, Math.floor(p.x), Math.floor(p.y))).toEqual(colour);
    }
    const quad = projectImageCorners(m, 20, 20);
    expect(quad).not.toBeNull();
    const expectedQuad = [
      { x: 0, y: 0 },
      { x: 20, y: 0 },
      { x: 20, y: 20 },
      { x: 0, y: 20 },
    ].map((p) => applyHomography(m, p));
    quad?.forEach((p, i) => {
      expect(p.x).toBeCloseTo(expectedQuad[i].x, 9);
      expect(p.y).toBeCloseTo(expectedQuad[i].y, 9);
    });
    // Nothing is drawn outside the reported bounds.
    expect(bounds).not.toBeNull();
    const b = bounds as NonNullable<typeof bounds>;
    for (let y = 0; y < 200; y++) {
      for (let x = 0; x < 200; x++) {
        if (x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height) continue;
        expect(pixelAt(frame, x, y)).toEqual([0, 0, 0, 255]);
      }
    }
  });

  it('clips an image that hangs over every edge of the frame', () => {
    const image = makeImage(10, 10, (x, y) => [x * 20, y * 20, 99, 255]);
    const frame = makeImage(4, 4, () => [0, 0, 0, 255]);
    const bounds = compositeWarped(frame, image, [1, 0, -3, 0, 1, -5, 0, 0, 1]);
    expect(bounds).toEqual({ x: 0, y: 0, width: 4, height: 4 });
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++)
        expect(pixelAt(frame, x, y)).toEqual([(x + 3) * 20, (y + 5) * 20, 99, 255]);
    }
  });

  it('does nothing for an image entirely off the frame', () => {
    const image = makeImage(5, 5, () => [255, 0, 0, 255]);
    const frame = makeImage(4, 4, () => [1, 1, 1, 255]);
    const before = Uint8ClampedArray.from(frame.data);
    expect(compositeWarped(frame, image, [1, 0, 50, 0, 1, -60, 0, 0, 1])).toBeNull();
    expect(frame.data).toEqual(before);
  });

  it('draws only the part in front of the horizon when the projection is unbounded', () => {
    const image = makeImage(12, 10, () => [255, 0, 0, 255]);
    const frame = makeImage(80, 80, () => [0, 0, 0, 255]);
    // w = 1 - x / 8 (image columns x > 8 lie behind the horizon), then a shift by (50, 50).
    const m = multiplyMatrix3([1, 0, 50, 0, 1, 50, 0, 0, 1], [1, 0, 0, 0, 1, 0, -1 / 8, 0, 1]);
    expect(projectImageCorners(m, 12, 10)).toBeNull();
    expect(compositeWarped(frame, image, m)).toEqual({ x: 0, y: 0, width: 80, height: 80 });
    // Image point (2, 5) is in front (w = 0.75) and lands at (52.7, 56.7).
    expect(pixelAt(frame, 52, 56)).toEqual([255, 0, 0, 255]);
    // Image point (10, 5) is behind (w = -0.25); ignoring w's sign would paint it at (10, 30).
    expect(pixelAt(frame, 10, 30)).toEqual([0, 0, 0, 255]);
  });

  it('refuses a matrix with no inverse or a non-finite entry, and a bad opacity', () => {
    const image = makeImage(2, 2, () => [1, 2, 3, 255]);
    const frame = makeImage(2, 2, () => [0, 0, 0, 255]);
    expect(() => compositeWarped(frame, image, [1, 2, 0, 2, 4, 0, 0, 0, 1])).toThrow(/no inverse/);
    expect(() => compositeWarped(frame, image, [1, 0, NaN, 0, 1, 0, 0, 0, 1])).toThrow(
      /non-finite/,
    );
    expect(() => compositeWarped(frame, image, IDENTITY, { opacity: 1.5 })).toThrow(/opacity/);
  });

  it('refuses an image whose data does not match its size', () => {
    const frame = makeImage(2, 2, () => [0, 0, 0, 255]);
    const broken = { width: 3, height: 3, data: new Uint8Array(12) };
    expect(() => compositeWarped(frame, broken, IDENTITY)).toThrow(
      /image: expected 36 bytes .* got 12/,
    );
  });
});

describe('warpBounds', () => {
  it('covers the projected image plus its bilinear fringe, clipped to the frame', () => {
    expect(warpBounds(IDENTITY, 10, 10, 100, 100)).toEqual({ x: 0, y: 0, width: 11, height: 11 });
    expect(warpBounds([2, 0, 20.25, 0, 2, 30.5, 0, 0, 1], 10, 10, 100, 100)).toEqual({
      x: 19,
      y: 29,
      width: 23,
      height: 23,
    });
    expect(warpBounds([2, 0, 90, 0, 2, 90, 0, 0, 1], 10, 10, 100, 100)).toEqual({
      x: 89,
      y: 89,
      width: 11,
      height: 11,
    });
  });
});
