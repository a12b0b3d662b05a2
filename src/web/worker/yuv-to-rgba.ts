/**
 * Camera frames arrive as YUV (NV12 or I420) in WebCodecs `VideoFrame`s; the masker reads RGBA.
 * Copying the planes out as they are and converting here is several times faster in Chromium
 * than asking the browser for RGBA (`copyTo` with `format: 'RGBA'`, or drawing to a canvas and
 * reading it back).
 */

import type { RgbaImage } from '../../core/types.js';

/** The chroma layouts converted: NV12 (one interleaved U,V plane) and I420 (separate U and V). */
export type YuvLayout = 'NV12' | 'I420';

/** Where the planes lie in the copied bytes (the `PlaneLayout`s `VideoFrame.copyTo` returns). */
export interface YuvPlanes {
  layout: YuvLayout;
  data: Uint8Array;
  /** Y, then UV (NV12) or U and V (I420): offset of the first byte and bytes per row. */
  planes: readonly { offset: number; stride: number }[];
}

/** Which Y'CbCr matrix and range the frame uses (from `VideoFrame.colorSpace`). */
export interface YuvColour {
  /** `bt709` (HD) or anything else, treated as BT.601 (`smpte170m`, `bt470bg`: SD cameras). */
  matrix: string | null;
  /** Full range (0..255) rather than studio range (Y 16..235, chroma 16..240). */
  fullRange: boolean;
}

/**
 * The RGBA image (alpha 255) of a `width` x `height` YUV 4:2:0 frame.
 *
 * @throws RangeError when the planes do not hold a frame of that size.
 */
export function yuvToRgba(
  source: YuvPlanes,
  width: number,
  height: number,
  colour: YuvColour,
): RgbaImage {
  const expected = source.layout === 'NV12' ? 2 : 3;
  if (source.planes.length !== expected) {
    throw new RangeError(
      `yuvToRgba: ${source.layout} has ${expected} planes, got ${source.planes.length}`,
    );
  }
  const chromaWidth = Math.ceil(width / 2);
  const chromaHeight = Math.ceil(height / 2);
  const [y, uPlane, second] = source.planes;
  const needs = [
    y.offset + y.stride * (height - 1) + width,
    uPlane.offset + uPlane.stride * (chromaHeight - 1) + chromaWidth * (expected === 2 ? 2 : 1),
    ...(second ? [second.offset + second.stride * (chromaHeight - 1) + chromaWidth] : []),
  ];
  if (Math.max(...needs) > source.data.length) {
    throw new RangeError(
      `yuvToRgba: a ${width}x${height} ${source.layout} frame needs ${Math.max(...needs)} bytes, got ${source.data.length}`,
    );
  }

  const k = coefficients(colour);
  const src = source.data;
  // Clamped stores round and clamp each channel to 0..255; the image shares its buffer.
  const out = new Uint8ClampedArray(width * height * 4);
  // NV12 chroma: U at even bytes, V at odd; I420: U and V in their own planes.
  const vPlane = second ?? uPlane;
  const chromaStep = expected === 2 ? 2 : 1;
  const vShift = expected === 2 ? 1 : 0;

  // One chroma sample serves a 2x2 block of pixels: its three terms are worked out once.
  for (let row = 0; row < height; row++) {
    const yRow = y.offset + row * y.stride;
    const cRow = row >> 1;
    const uRow = uPlane.offset + cRow * uPlane.stride;
    const vRow = vPlane.offset + cRow * vPlane.stride + vShift;
    let o = row * width * 4;
    for (let col = 0; col < width; col += 2) {
      const c = (col >> 1) * chromaStep;
      const u = src[uRow + c] - 128;
      const v = src[vRow + c] - 128;
      const red = k.rv * v;
      const green = -k.gu * u - k.gv * v;
      const blue = k.bu * u;
      const last = Math.min(col + 2, width);
      for (let x = col; x < last; x++, o += 4) {
        const luma = (src[yRow + x] - k.yOffset) * k.yScale;
        out[o] = luma + red;
        out[o + 1] = luma + green;
        out[o + 2] = luma + blue;
        out[o + 3] = 255;
      }
    }
  }
  return { width, height, data: new Uint8Array(out.buffer) };
}

/** Multipliers of the inverse Y'CbCr transform, for 8-bit values. */
function coefficients(colour: YuvColour): {
  yOffset: number;
  yScale: number;
  rv: number;
  gu: number;
  gv: number;
  bu: number;
} {
  const [kr, kb] = colour.matrix === 'bt709' ? [0.2126, 0.0722] : [0.299, 0.114];
  const kg = 1 - kr - kb;
  const yScale = colour.fullRange ? 1 : 255 / 219;
  const cScale = colour.fullRange ? 1 : 255 / 224;
  return {
    yOffset: colour.fullRange ? 0 : 16,
    yScale,
    rv: 2 * (1 - kr) * cScale,
    gu: ((2 * kb * (1 - kb)) / kg) * cScale,
    gv: ((2 * kr * (1 - kr)) / kg) * cScale,
    bu: 2 * (1 - kb) * cScale,
  };
}
