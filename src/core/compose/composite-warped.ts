/**
 * Draws an RGBA image onto an RGBA frame through a homography, by inverse mapping: every frame
 * pixel the warped image can reach is sent back into the image, sampled there, and blended.
 */

import { invertMatrix3 } from '../geometry/matrix3.js';
import type { Box, Matrix3, RgbaImage } from '../types.js';
import { assertRgbaImage } from './rgba-check.js';
import { warpBounds } from './warp-footprint.js';

const INV_255 = 1 / 255;

export interface CompositeOptions {
  /** Multiplies the image's alpha everywhere, 0..1. Default 1. */
  opacity?: number;
}

/**
 * Composites `image` "over" `frame`, in place, with `matrix` taking image pixel coordinates to
 * frame pixel coordinates (both continuous, pixel (i, j) covering [i, i+1) x [j, j+1), so its
 * centre is at (i + 0.5, j + 0.5)).
 *
 * Each frame pixel centre is mapped back through the exact inverse (a full projective division
 * per pixel), the image is sampled bilinearly with premultiplied alpha, transparent outside its
 * edges, and blended with Porter-Duff "over" onto the frame, which may itself be translucent.
 * Frame pixels the image does not reach, or reaches with alpha 0, are left byte for byte as
 * they were. Parts of the image that the matrix sends behind the horizon (w <= 0) are not drawn.
 * Shrinking by more than about two aliases; use `compositeMipmapped` for that.
 *
 * @returns the rectangle of frame pixels that were considered, or null when the image misses
 *   the frame.
 * @throws RangeError for a malformed image or frame, an opacity outside 0..1, or a matrix that
 *   has a non-finite entry or no inverse.
 */
export function compositeWarped(
  frame: RgbaImage,
  image: RgbaImage,
  matrix: Matrix3,
  options: CompositeOptions = {},
): Box | null {
  assertRgbaImage(frame, 'compositeWarped frame');
  assertRgbaImage(image, 'compositeWarped image');
  const opacity = options.opacity ?? 1;
  if (!(opacity >= 0 && opacity <= 1)) {
    throw new RangeError(`compositeWarped: opacity must be in 0..1, got ${opacity}`);
  }
  const inverse = invertMatrix3(matrix);
  if (inverse === null) {
    throw new RangeError(
      `compositeWarped: the matrix [${matrix.join(', ')}] has a non-finite entry or no inverse`,
    );
  }
  const bounds = warpBounds(matrix, image.width, image.height, frame.width, frame.height);
  if (bounds === null || opacity === 0) return bounds;

  const [a, b, c, d, e, f, g, h, k] = inverse;
  const src = image.data;
  const dst = frame.data;
  const iw = image.width;
  const ih = image.height;
  const rowStride = iw * 4;
  // Bilinear sums carry alpha in 0..255 and premultiplied colour in 0..255*255; this factor takes
  // them to 0..1 and 0..255 and applies the opacity.
  const scale = opacity / 255;
  const opaque = opacity === 1;

  for (let y = bounds.y; y < bounds.y + bounds.height; y++) {
    const cy = y + 0.5;
    const cx0 = bounds.x + 0.5;
    // Homogeneous image coordinates of this row's first pixel centre; each step right adds (a, d, g).
    const u0 = a * cx0 + b * cy + c;
    const v0 = d * cx0 + e * cy + f;
    const w0 = g * cx0 + h * cy + k;
    let out = (y * frame.width + bounds.x) * 4;
    for (let i = 0; i < bounds.width; i++, out += 4) {
      const w = w0 + g * i;
      if (!(w > 0)) continue;
      // Sample position in pixel-index space: pixel centres sit at whole numbers.
      const invW = 1 / w;
      const sx = (u0 + a * i) * invW - 0.5;
      const sy = (v0 + d * i) * invW - 0.5;
      if (!(sx > -1 && sy > -1 && sx < iw && sy < ih)) continue;
      // floor() for values above -1, without the call.
      const x0 = ((sx + 1) | 0) - 1;
      const y0 = ((sy + 1) | 0) - 1;
      const fx = sx - x0;
      const fy = sy - y0;
      const base = y0 * rowStride + x0 * 4;

      // The common case inside the emoji: four opaque neighbours over an opaque frame pixel,
      // where premultiplied and straight colour agree and "over" is a plain mix.
      if (
        opaque &&
        x0 >= 0 &&
        y0 >= 0 &&
        x0 + 1 < iw &&
        y0 + 1 < ih &&
        dst[out + 3] === 255 &&
        (src[base + 3] & src[base + 7] & src[base + rowStride + 3] & src[base + rowStride + 7]) ===
          255
      ) {
        const p = base + rowStride;
        const w00 = (1 - fx) * (1 - fy);
        const w10 = fx * (1 - fy);
        const w01 = (1 - fx) * fy;
        const w11 = fx * fy;
        for (let ch = 0; ch < 3; ch++) {
          const colour =
            w00 * src[base + ch] +
            w10 * src[base + 4 + ch] +
            w01 * src[p + ch] +
            w11 * src[p + 4 + ch];
          dst[out + ch] = (colour + 0.5) | 0;
        }
        continue;
      }

      // Premultiplied bilinear sum over the four neighbours; missing ones are transparent.
      let sa = 0;
      let sr = 0;
      let sg = 0;
      let sb = 0;
      const left = x0 >= 0;
      const right = x0 + 1 < iw;
      const top = y0 >= 0;
      const bottom = y0 + 1 < ih;
      if (top && left) {
        const wt = (1 - fx) * (1 - fy) * src[base + 3];
        sa += wt;
        sr += wt * src[base];
        sg += wt * src[base + 1];
        sb += wt * src[base + 2];
      }
      if (top && right) {
        const p = base + 4;
        const wt = fx * (1 - fy) * src[p + 3];
        sa += wt;
        sr += wt * src[p];
        sg += wt * src[p + 1];
        sb += wt * src[p + 2];
      }
      if (bottom && left) {
        const p = base + rowStride;
        const wt = (1 - fx) * fy * src[p + 3];
        sa += wt;
        sr += wt * src[p];
        sg += wt * src[p + 1];
        sb += wt * src[p + 2];
      }
      if (bottom && right) {
        const p = base + rowStride + 4;
        const wt = fx * fy * src[p + 3];
        sa += wt;
        sr += wt * src[p];
        sg += wt * src[p + 1];
        sb += wt * src[p + 2];
      }
      if (sa === 0) continue;

      // "Over": out = src + dst * (1 - srcAlpha), on premultiplied values. Premultiplied colour
      // never exceeds alpha, so the rounded results stay within 0..255.
      const alpha = sa * scale;
      const dstAlpha = dst[out + 3];
      if (dstAlpha === 255) {
        const keep = 1 - alpha;
        dst[out] = (sr * scale + dst[out] * keep + 0.5) | 0;
        dst[out + 1] = (sg * scale + dst[out + 1] * keep + 0.5) | 0;
        dst[out + 2] = (sb * scale + dst[out + 2] * keep + 0.5) | 0;
      } else {
        const keep = dstAlpha * INV_255 * (1 - alpha);
        const outAlpha = alpha + keep;
        const norm = 1 / outAlpha;
        dst[out] = ((sr * scale + dst[out] * keep) * norm + 0.5) | 0;
        dst[out + 1] = ((sg * scale + dst[out + 1] * keep) * norm + 0.5) | 0;
        dst[out + 2] = ((sb * scale + dst[out + 2] * keep) * norm + 0.5) | 0;
        dst[out + 3] = (outAlpha * 255 + 0.5) | 0;
      }
    }
  }
  return bounds;
}
