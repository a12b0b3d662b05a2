/**
 * Resamples a region of an RGBA frame into a float tensor for a model: an affine warp with
 * bilinear filtering, box-averaged over several samples per output pixel when the warp shrinks
 * the image (so a 1080p frame squeezed to 128 px does not alias), then a linear map of 0..255 to
 * the model's input range.
 */

import type { RgbaImage } from '../types.js';
import type { Affine } from './affine.js';

export interface WarpToTensorOptions {
  /** Output width and height in pixels. */
  width: number;
  height: number;
  /** `rgb`: three channels R, G, B. `grey`: one channel, ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B). */
  colour: 'rgb' | 'grey';
  /** `nhwc`: channels last (TensorFlow/MediaPipe); `nchw`: channels first (PyTorch). */
  layout: 'nhwc' | 'nchw';
  /** The values that 0 and 255 become; `[0, 255]` keeps raw values. */
  range: readonly [number, number];
  /** Outside the frame: `zero` reads black, `replicate` repeats the nearest edge pixel. */
  border: 'zero' | 'replicate';
}

/** Most samples per axis per output pixel when shrinking, after the pyramid has done the rest. */
const MAX_SUPERSAMPLE = 8;
/**
 * A shrink beyond this many source pixels per output pixel reads a half-size copy of the frame
 * instead (box-filtered 2x2, built once per frame and shared by every warp of that frame): a
 * 720p frame squeezed into the detector's 128 px then costs 4 samples a pixel, not 64.
 */
const PYRAMID_STEP_ABOVE = 2;

/**
 * Fills `out` (from `offset`) with the `width` x `height` crop whose pixel (u, v) shows the source
 * point `cropToSource(u + 0.5, v + 0.5)`: pixel centres sit at half-integers in both images.
 *
 * @param cropToSource maps crop pixel coordinates to source pixel coordinates.
 * @returns `out`, or a new Float32Array when none was given.
 */
export function warpToTensor(
  frame: RgbaImage,
  cropToSource: Affine,
  options: WarpToTensorOptions,
  out?: Float32Array,
  offset = 0,
): Float32Array {
  const { width, height, colour, layout } = options;
  const channels = colour === 'rgb' ? 3 : 1;
  const size = width * height * channels;
  const target = out ?? new Float32Array(size);
  if (offset + size > target.length) {
    throw new RangeError(
      `warpToTensor: output holds ${target.length} values, need ${offset + size} for a ${width}x${height}x${channels} crop at offset ${offset}`,
    );
  }
  checkFrame(frame);

  const [a, b, c, d, e, f] = cropToSource;
  // Samples per axis: one per source pixel the output pixel covers.
  const nu = Math.min(MAX_SUPERSAMPLE, Math.max(1, Math.ceil(Math.hypot(a, d) - 1e-6)));
  const nv = Math.min(MAX_SUPERSAMPLE, Math.max(1, Math.ceil(Math.hypot(b, e) - 1e-6)));
  const weight = 1 / (nu * nv);
  const scale = (options.range[1] - options.range[0]) / 255;
  const bias = options.range[0];
  const replicate = options.border === 'replicate';
  const edgeSampler = makeBilinearSampler(frame, replicate);
  const { width: frameWidth, height: frameHeight, data } = frame;
  const maxX = frameWidth - 1;
  const maxY = frameHeight - 1;
  const row = frameWidth * 4;
  const rgb = [0, 0, 0];
  const planeSize = width * height;
  // Source step between neighbouring samples along the crop's x axis.
  const stepX = a / nu;
  const stepY = d / nu;

  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      let r = 0;
      let g = 0;
      let bl = 0;
      for (let j = 0; j < nv; j++) {
        const y = v + (j + 0.5) / nv;
        const x = u + 0.5 / nu;
        // Source pixel centres are at half-integers: shift to index space.
        let sx = a * x + b * y + c - 0.5;
        let sy = d * x + e * y + f - 0.5;
        for (let i = 0; i < nu; i++, sx += stepX, sy += stepY) {
          const x0 = Math.floor(sx);
          const y0 = Math.floor(sy);
          if (x0 >= 0 && y0 >= 0 && x0 < maxX && y0 < maxY) {
            // All four taps inside the frame: the common case, inlined.
            const fx = sx - x0;
            const fy = sy - y0;
            const w00 = (1 - fx) * (1 - fy);
            const w10 = fx * (1 - fy);
            const w01 = (1 - fx) * fy;
            const w11 = fx * fy;
            const p = y0 * row + x0 * 4;
            const q = p + row;
            r += w00 * data[p] + w10 * data[p + 4] + w01 * data[q] + w11 * data[q + 4];
            g += w00 * data[p + 1] + w10 * data[p + 5] + w01 * data[q + 1] + w11 * data[q + 5];
            bl += w00 * data[p + 2] + w10 * data[p + 6] + w01 * data[q + 2] + w11 * data[q + 6];
          } else {
            edgeSampler(sx, sy, rgb);
            r += rgb[0];
            g += rgb[1];
            bl += rgb[2];
          }
        }
      }
      r *= weight;
      g *= weight;
      bl *= weight;
      const pixel = v * width + u;
      if (channels === 1) {
        target[offset + pixel] = (0.299 * r + 0.587 * g + 0.114 * bl) * scale + bias;
      } else if (layout === 'nhwc') {
        const o = offset + pixel * 3;
        target[o] = r * scale + bias;
        target[o + 1] = g * scale + bias;
        target[o + 2] = bl * scale + bias;
      } else {
        target[offset + pixel] = r * scale + bias;
        target[offset + planeSize + pixel] = g * scale + bias;
        target[offset + 2 * planeSize + pixel] = bl * scale + bias;
      }
    }
  }
  return target;
}

/**
 * Half-size copies of one frame, made as needed, for many warps that shrink it a lot (the
 * detector's whole-frame pass and its tiles, the mesh's crop of a face that fills the frame): each warp reads the copy at which it shrinks by at
 * most {@link PYRAMID_STEP_ABOVE}, then supersamples that. The frame must not change while the
 * pyramid is in use.
 */
export class FramePyramid {
  private readonly levels: RgbaImage[];

  constructor(frame: RgbaImage) {
    checkFrame(frame);
    this.levels = [frame];
  }

  /** The full-size frame. */
  get frame(): RgbaImage {
    return this.levels[0];
  }

  /** {@link warpToTensor} of the frame, read from the copy that suits `cropToSource`. */
  warp(cropToSource: Affine, options: WarpToTensorOptions, out?: Float32Array, offset = 0): Float32Array {
    const [a, b, c, d, e, f] = cropToSource;
    const shrink = Math.min(Math.hypot(a, d), Math.hypot(b, e));
    let level = 0;
    while (shrink / 2 ** level > PYRAMID_STEP_ABOVE) {
      const last = this.levels[level];
      if (last.width < 2 || last.height < 2) break;
      this.levels[level + 1] ??= halve(last);
      level++;
    }
    // Level pixel = source pixel / 2^level (pixel corners at whole numbers in both).
    const k = 1 / 2 ** level;
    const transform: Affine = [a * k, b * k, c * k, d * k, e * k, f * k];
    return warpToTensor(this.levels[level], transform, options, out, offset);
  }
}

/** A 2x2 box-filtered half-size copy (odd last rows and columns are dropped). */
function halve(image: RgbaImage): RgbaImage {
  const width = Math.floor(image.width / 2);
  const height = Math.floor(image.height / 2);
  const src = image.data;
  const data = new Uint8Array(width * height * 4);
  const row = image.width * 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (2 * y * image.width + 2 * x) * 4;
      const o = (y * width + x) * 4;
      for (let ch = 0; ch < 4; ch++) {
        data[o + ch] = (src[i + ch] + src[i + 4 + ch] + src[i + row + ch] + src[i + row + 4 + ch] + 2) >> 2;
      }
    }
  }
  return { width, height, data };
}

type Sampler = (x: number, y: number, rgb: number[]) => void;

/**
 * Bilinear RGB lookup at index-space coordinates (pixel (i, j) is at x = i, y = j), for samples
 * near or past the frame's edge; {@link warpToTensor} inlines the same sum for the rest.
 */
function makeBilinearSampler(frame: RgbaImage, replicate: boolean): Sampler {
  const { width, height, data } = frame;
  const maxX = width - 1;
  const maxY = height - 1;
  return (x, y, rgb) => {
    if (replicate) {
      x = x < 0 ? 0 : x > maxX ? maxX : x;
      y = y < 0 ? 0 : y > maxY ? maxY : y;
    } else if (x <= -1 || y <= -1 || x >= width || y >= height) {
      rgb[0] = 0;
      rgb[1] = 0;
      rgb[2] = 0;
      return;
    }
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const fx = x - x0;
    const fy = y - y0;
    // Taps outside the frame (only with the zero border) read black with weight intact.
    const inX0 = x0 >= 0;
    const inX1 = x0 + 1 <= maxX;
    const inY0 = y0 >= 0;
    const inY1 = y0 + 1 <= maxY;
    const w00 = inX0 && inY0 ? (1 - fx) * (1 - fy) : 0;
    const w10 = inX1 && inY0 ? fx * (1 - fy) : 0;
    const w01 = inX0 && inY1 ? (1 - fx) * fy : 0;
    const w11 = inX1 && inY1 ? fx * fy : 0;
    const row0 = y0 * width;
    const row1 = row0 + width;
    const p00 = (row0 + x0) * 4;
    const p10 = p00 + 4;
    const p01 = (row1 + x0) * 4;
    const p11 = p01 + 4;
    for (let ch = 0; ch < 3; ch++) {
      let s = 0;
      if (w00 !== 0) s += w00 * data[p00 + ch];
      if (w10 !== 0) s += w10 * data[p10 + ch];
      if (w01 !== 0) s += w01 * data[p01 + ch];
      if (w11 !== 0) s += w11 * data[p11 + ch];
      rgb[ch] = s;
    }
  };
}

/** @throws RangeError when the frame's size and data disagree or it is empty. */
export function checkFrame(frame: RgbaImage): void {
  const { width, height, data } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(
      `frame: expected a positive integer width and height, got ${width}x${height}`,
    );
  }
  if (data.length !== width * height * 4) {
    throw new RangeError(
      `frame: a ${width}x${height} RGBA image needs ${width * height * 4} bytes, got ${data.length}`,
    );
  }
}
