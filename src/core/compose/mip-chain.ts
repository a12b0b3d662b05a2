/**
 * Pre-shrunk copies of an image, so a large emoji drawn small is sampled from a copy of about
 * the right size: bilinear sampling alone skips source pixels when shrinking by more than two,
 * which makes edges jagged and shimmer from frame to frame, and reads memory far apart.
 */

import { determinant3, homogeneousW } from '../geometry/matrix3.js';
import type { Box, Matrix3, RgbaImage } from '../types.js';
import { compositeWarped, type CompositeOptions } from './composite-warped.js';
import { assertRgbaImage } from './rgba-check.js';

/** Level 0 is the original; each next level has half the width and height. */
export type MipChain = readonly RgbaImage[];

/**
 * Halves `image` repeatedly with a 2x2 box filter on premultiplied colour (a transparent pixel
 * adds no colour to its neighbours), while both sides are even and the result would be at least
 * `minSize` pixels on each side. Build it once per image, not per frame.
 *
 * @param minSize smallest side a level may have; default 8.
 */
export function buildMipChain(image: RgbaImage, minSize = 8): MipChain {
  assertRgbaImage(image, 'buildMipChain image');
  const levels: RgbaImage[] = [image];
  let last = image;
  while (
    last.width % 2 === 0 &&
    last.height % 2 === 0 &&
    last.width / 2 >= minSize &&
    last.height / 2 >= minSize
  ) {
    last = halve(last);
    levels.push(last);
  }
  return levels;
}

function halve(image: RgbaImage): RgbaImage {
  const width = image.width / 2;
  const height = image.height / 2;
  const src = image.data;
  const data = new Uint8ClampedArray(width * height * 4);
  const stride = image.width * 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = 2 * y * stride + 8 * x;
      const q = [p, p + 4, p + stride, p + stride + 4];
      let alpha = 0;
      let r = 0;
      let g = 0;
      let b = 0;
      for (const t of q) {
        const a = src[t + 3];
        alpha += a;
        r += a * src[t];
        g += a * src[t + 1];
        b += a * src[t + 2];
      }
      const o = (y * width + x) * 4;
      if (alpha > 0) {
        data[o] = Math.round(r / alpha);
        data[o + 1] = Math.round(g / alpha);
        data[o + 2] = Math.round(b / alpha);
        data[o + 3] = Math.round(alpha / 4);
      }
    }
  }
  return { width, height, data };
}

/**
 * The level to draw `chain` with through `matrix` (level-0 pixels to frame pixels): the one whose
 * pixels come out closest to one frame pixel across, judged by the area scale at the image
 * centre, sqrt(|det H| / w^3). Returned with the matrix that maps that level's pixels.
 */
export function selectMipLevel(
  chain: MipChain,
  matrix: Matrix3,
): { level: number; image: RgbaImage; matrix: Matrix3 } {
  const base = chain[0];
  const centre = { x: base.width / 2, y: base.height / 2 };
  const w = homogeneousW(matrix, centre);
  const scale = Math.sqrt(Math.abs(determinant3(matrix) / (w * w * w)));
  // round(log2(1/scale)): the chosen level is drawn at between 0.71 and 1.41 of its size.
  const wanted = Number.isFinite(scale) && scale > 0 ? Math.round(-Math.log2(scale)) : 0;
  const level = Math.min(chain.length - 1, Math.max(0, wanted));
  const image = chain[level];
  const f = base.width / image.width;
  const m = matrix;
  // matrix * diag(f, f, 1): level pixel coordinates times f are level-0 coordinates.
  const scaled: Matrix3 = [
    m[0] * f,
    m[1] * f,
    m[2],
    m[3] * f,
    m[4] * f,
    m[5],
    m[6] * f,
    m[7] * f,
    m[8],
  ];
  return { level, image, matrix: scaled };
}

/**
 * `compositeWarped` from the level of `chain` that suits the scale of `matrix`; same contract,
 * with `matrix` mapping level-0 (original) pixel coordinates to frame pixels.
 */
export function compositeMipmapped(
  frame: RgbaImage,
  chain: MipChain,
  matrix: Matrix3,
  options: CompositeOptions = {},
): Box | null {
  if (chain.length === 0) throw new RangeError('compositeMipmapped: the mip chain is empty');
  const chosen = selectMipLevel(chain, matrix);
  return compositeWarped(frame, chosen.image, chosen.matrix, options);
}
