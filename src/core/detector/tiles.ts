/**
 * Which square regions of a frame the detector looks at. The whole frame, letterboxed, always;
 * with tiling, also a grid of overlapping squares, so small faces reach the model at a size it
 * was trained on.
 */

import type { Affine } from '../image-ops/affine.js';

/** Tiles overlap by this fraction of their side, so a face cut by one tile is whole in the next. */
const TILE_OVERLAP = 0.25;

/**
 * Affine maps from the model's `inputSize` square to source pixels, one per region to search.
 * The first letterboxes the whole frame (centred, aspect kept).
 */
export function searchRegions(
  width: number,
  height: number,
  inputSize: number,
  tiling: 'off' | 'auto',
): Affine[] {
  const regions = [letterbox(width, height, inputSize)];
  if (tiling === 'off') return regions;

  // Tiles with a side of half the short side... but never smaller than the model input.
  const side = Math.max(inputSize, Math.min(width, height) / 2);
  if (side >= Math.max(width, height)) return regions;
  const step = side * (1 - TILE_OVERLAP);
  for (const y of starts(height, side, step)) {
    for (const x of starts(width, side, step)) {
      const s = side / inputSize;
      regions.push([s, 0, x, 0, s, y]);
    }
  }
  return regions;
}

/** The square-to-frame map that fits the whole frame in the square, centred. */
export function letterbox(width: number, height: number, inputSize: number): Affine {
  const s = Math.max(width, height) / inputSize;
  return [s, 0, (width - inputSize * s) / 2, 0, s, (height - inputSize * s) / 2];
}

/** Evenly spread starting offsets of windows of `side` covering `length`, about `step` apart. */
function starts(length: number, side: number, step: number): number[] {
  if (side >= length) return [(length - side) / 2];
  const count = Math.ceil((length - side) / step) + 1;
  const spacing = (length - side) / (count - 1);
  return Array.from({ length: count }, (_, i) => i * spacing);
}
