import { describe, expect, it } from 'vitest';

import type { RgbaImage } from '../types.js';
import type { Affine } from './affine.js';
import { FramePyramid, warpToTensor } from './warp-to-tensor.js';

function image(width: number, height: number, fill: (x: number, y: number) => number[]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([...fill(x, y), 255], (y * width + x) * 4);
  }
  return { width, height, data };
}

const base = { colour: 'rgb', layout: 'nhwc', range: [0, 255], border: 'zero' } as const;

describe('warpToTensor', () => {
  it('copies pixels exactly under the identity', () => {
    const img = image(3, 2, (x, y) => [x * 10, y * 20, 7]);
    const out = warpToTensor(img, [1, 0, 0, 0, 1, 0], { ...base, width: 3, height: 2 });
    expect(Array.from(out)).toEqual([0, 0, 7, 10, 0, 7, 20, 0, 7, 0, 20, 7, 10, 20, 7, 20, 20, 7]);
  });

  it('writes channels-first planes and maps the range', () => {
    const img = image(2, 1, () => [255, 0, 51]);
    const out = warpToTensor(img, [1, 0, 0, 0, 1, 0], {
      ...base,
      layout: 'nchw',
      range: [-1, 1],
      width: 2,
      height: 1,
    });
    expect(Array.from(out).map((v) => +v.toFixed(4))).toEqual([1, 1, -1, -1, -0.6, -0.6]);
  });

  it('computes BT.601 luma for grey output', () => {
    const img = image(1, 1, () => [200, 100, 50]);
    const out = warpToTensor(img, [1, 0, 0, 0, 1, 0], {
      ...base,
      colour: 'grey',
      width: 1,
      height: 1,
    });
    expect(out[0]).toBeCloseTo(0.299 * 200 + 0.587 * 100 + 0.114 * 50, 4);
  });

  it('interpolates bilinearly between pixel centres', () => {
    const img = image(2, 1, (x) => [x * 100, 0, 0]);
    // Output pixel centre 0.5 maps to source 1.0: halfway between the two pixel centres.
    const out = warpToTensor(img, [1, 0, 0.5, 0, 1, 0], { ...base, width: 1, height: 1 });
    expect(out[0]).toBeCloseTo(50, 6);
  });

  it('averages (not aliases) when shrinking a fine stripe pattern', () => {
    const img = image(64, 64, (x) => (x % 2 === 0 ? [255, 255, 255] : [0, 0, 0]));
    const out = warpToTensor(img, [8, 0, 0, 0, 8, 0], {
      ...base,
      colour: 'grey',
      width: 8,
      height: 8,
    });
    for (const v of out) expect(v).toBeCloseTo(127.5, 0);
  });

  it('reads black outside the frame with the zero border and the edge with replicate', () => {
    const img = image(2, 2, () => [90, 90, 90]);
    const far = [1, 0, 100, 0, 1, 100] as const;
    expect(warpToTensor(img, far, { ...base, width: 1, height: 1 })[0]).toBe(0);
    expect(warpToTensor(img, far, { ...base, border: 'replicate', width: 1, height: 1 })[0]).toBe(
      90,
    );
  });

  it('rejects a frame whose data does not match its size', () => {
    const bad = { width: 4, height: 4, data: new Uint8Array(10) };
    expect(() => warpToTensor(bad, [1, 0, 0, 0, 1, 0], { ...base, width: 1, height: 1 })).toThrow(
      /4x4 RGBA image needs 64 bytes, got 10/,
    );
  });
});

describe('FramePyramid', () => {
  /** A smooth gradient frame with a fine checkerboard on top, w x h. */
  function textured(w: number, h: number): RgbaImage {
    const data = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 4;
        const checker = (x + y) % 2 ? 40 : 0;
        data[i] = Math.round((x / w) * 200) + checker;
        data[i + 1] = Math.round((y / h) * 200) + checker;
        data[i + 2] = 100 + checker;
        data[i + 3] = 255;
      }
    }
    return { width: w, height: h, data };
  }
  // Replicate: the footprint of the first column starts at the frame's edge, where a zero border
  // would blend in black.
  const options = { width: 32, height: 32, colour: 'rgb', layout: 'nhwc', range: [0, 255], border: 'replicate' } as const;

  it('averages the whole footprint of each output pixel when shrinking a lot', () => {
    const frame = textured(640, 360);
    // A 10x shrink: output pixel (u, v) covers source [10u, 10u + 10) x [10v + 20, 10v + 30).
    const fit: Affine = [10, 0, 0, 0, 10, 20];
    const viaPyramid = new FramePyramid(frame).warp(fit, options);
    let worst = 0;
    for (let v = 0; v < 32; v++) {
      for (let u = 0; u < 32; u++) {
        for (let ch = 0; ch < 3; ch++) {
          let sum = 0;
          for (let y = 10 * v + 20; y < 10 * v + 30; y++) {
            for (let x = 10 * u; x < 10 * u + 10; x++) sum += frame.data[(y * 640 + x) * 4 + ch];
          }
          worst = Math.max(worst, Math.abs(viaPyramid[3 * (v * 32 + u) + ch] - sum / 100));
        }
      }
    }
    // The 1/4 copy is read with 3 x 3 bilinear samples: close to the exact box mean, and the
    // checkerboard does not alias.
    expect(worst).toBeLessThan(3);
  });

  it('reads the frame itself when the warp does not shrink much', () => {
    const frame = textured(64, 64);
    const fit: Affine = [1.5, 0, 3, 0, 1.5, 2];
    expect(Array.from(new FramePyramid(frame).warp(fit, options))).toEqual(Array.from(warpToTensor(frame, fit, options)));
  });
});
