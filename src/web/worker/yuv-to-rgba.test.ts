import { describe, expect, it } from 'vitest';

import { yuvToRgba, type YuvPlanes } from './yuv-to-rgba.js';

/** A 4x2 test frame: one colour per 2x2 block, as studio-range BT.601 Y'CbCr. */
const BLOCKS = [
  // Reference values of BT.601 studio range for red and blue.
  { y: 81, u: 90, v: 240, rgb: [255, 0, 0] },
  { y: 41, u: 240, v: 110, rgb: [0, 0, 255] },
];

function planes(layout: 'NV12' | 'I420', stride: number): YuvPlanes {
  const width = 4;
  const height = 2;
  const ySize = stride * height;
  const data = new Uint8Array(ySize + 2 * stride + 7).fill(99); // padding bytes must be ignored
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) data[row * stride + col] = BLOCKS[col >> 1].y;
  }
  if (layout === 'NV12') {
    BLOCKS.forEach((b, i) => {
      data[ySize + 2 * i] = b.u;
      data[ySize + 2 * i + 1] = b.v;
    });
    return {
      layout,
      data,
      planes: [
        { offset: 0, stride },
        { offset: ySize, stride },
      ],
    };
  }
  BLOCKS.forEach((b, i) => {
    data[ySize + i] = b.u;
    data[ySize + stride + i] = b.v;
  });
  return {
    layout,
    data,
    planes: [
      { offset: 0, stride },
      { offset: ySize, stride },
      { offset: ySize + stride, stride },
    ],
  };
}

describe('yuvToRgba', () => {
  it.each(['NV12', 'I420'] as const)('converts %s studio-range BT.601 to RGB', (layout) => {
    const image = yuvToRgba(planes(layout, 6), 4, 2, { matrix: 'smpte170m', fullRange: false });
    expect(image.width).toBe(4);
    for (let pixel = 0; pixel < 8; pixel++) {
      const expected = BLOCKS[(pixel % 4) >> 1].rgb;
      const got = Array.from(image.data.subarray(pixel * 4, pixel * 4 + 4));
      got.slice(0, 3).forEach((v, ch) => expect(Math.abs(v - expected[ch])).toBeLessThanOrEqual(2));
      expect(got[3]).toBe(255);
    }
  });

  it('maps studio black and white to 0 and 255, and full range keeps grey values', () => {
    const grey = (y: number, fullRange: boolean) => {
      const data = new Uint8Array([y, y, y, y, 128, 128]);
      const planesOf: YuvPlanes = {
        layout: 'NV12',
        data,
        planes: [
          { offset: 0, stride: 2 },
          { offset: 4, stride: 2 },
        ],
      };
      return Array.from(yuvToRgba(planesOf, 2, 2, { matrix: 'bt709', fullRange }).data.slice(0, 3));
    };
    expect(grey(16, false)).toEqual([0, 0, 0]);
    expect(grey(235, false)).toEqual([255, 255, 255]);
    expect(grey(100, true)).toEqual([100, 100, 100]);
  });

  it('uses the BT.709 matrix when the frame says so', () => {
    // Pure red in BT.709 studio range: Y 63, Cb 102, Cr 240.
    const data = new Uint8Array([63, 63, 63, 63, 102, 240]);
    const red = yuvToRgba(
      {
        layout: 'NV12',
        data,
        planes: [
          { offset: 0, stride: 2 },
          { offset: 4, stride: 2 },
        ],
      },
      2,
      2,
      { matrix: 'bt709', fullRange: false },
    );
    const [r, g, b] = red.data;
    expect(r).toBeGreaterThanOrEqual(252);
    expect(g).toBeLessThanOrEqual(3);
    expect(b).toBeLessThanOrEqual(3);
  });

  it('rejects planes too short for the frame, naming the sizes', () => {
    const short = planes('NV12', 4);
    const truncated = { ...short, data: short.data.subarray(0, 10) };
    expect(() => yuvToRgba(truncated, 4, 2, { matrix: null, fullRange: false })).toThrow(
      'a 4x2 NV12 frame needs 12 bytes, got 10',
    );
    expect(() =>
      yuvToRgba({ ...short, planes: short.planes.slice(0, 1) }, 4, 2, {
        matrix: null,
        fullRange: false,
      }),
    ).toThrow(/NV12 has 2 planes, got 1/);
  });
});
