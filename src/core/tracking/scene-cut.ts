/**
 * Notices a cut between two shots of a video: the frame's coarse layout of light and dark no
 * longer resembles the last frame's. After a cut the faces of the old shot have left the
 * picture, so their held and covered masks must go rather than sit over the new shot.
 *
 * A frame is summarised by the mean luma of a 16 x 16 grid of cells; two frames are compared by
 * the correlation of their summaries (mean and contrast removed), so a change of exposure or a
 * light switched on is not a cut, while a new shot is. On the clips in `../shared/media` the
 * three cuts of `short_hamilton_clip.mp4` correlate at 0.00 to 0.29 with the frame before, and
 * no other pair of neighbouring frames (fast pans and gestures included) below 0.72.
 */

import type { RgbaImage } from '../types.js';

const GRID = 16;
/** Neighbouring frames correlating below this are from different shots. */
export const DEFAULT_CUT_CORRELATION = 0.5;
/**
 * Pixels read along each axis of a cell, about: a 1080p frame costs what a 240p one does (the
 * summary runs on every video frame), and every cell still averages some 150 pixels.
 */
const SAMPLES_PER_CELL_SIDE = 12;

export class SceneCutDetector {
  private last: Float64Array | null = null;

  constructor(private readonly threshold = DEFAULT_CUT_CORRELATION) {}

  /** True when `frame` starts a new shot (never for the first frame after a reset). */
  next(frame: RgbaImage): boolean {
    const summary = summarise(frame);
    const previous = this.last;
    this.last = summary;
    return previous !== null && correlation(previous, summary) < this.threshold;
  }

  reset(): void {
    this.last = null;
  }
}

/** Mean luma (BT.601) of each cell of a {@link GRID} x {@link GRID} grid over the frame. */
export function summarise(frame: RgbaImage): Float64Array {
  const { width, height, data } = frame;
  const sums = new Float64Array(GRID * GRID);
  const counts = new Float64Array(GRID * GRID);
  const stepX = Math.max(1, Math.floor(width / (GRID * SAMPLES_PER_CELL_SIDE)));
  const stepY = Math.max(1, Math.floor(height / (GRID * SAMPLES_PER_CELL_SIDE)));
  for (let y = 0; y < height; y += stepY) {
    const cellRow = Math.min(GRID - 1, Math.floor((y * GRID) / height)) * GRID;
    for (let x = 0; x < width; x += stepX) {
      const i = (y * width + x) * 4;
      const cell = cellRow + Math.min(GRID - 1, Math.floor((x * GRID) / width));
      sums[cell] += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
      counts[cell]++;
    }
  }
  for (let c = 0; c < sums.length; c++) sums[c] = counts[c] > 0 ? sums[c] / counts[c] : 0;
  return sums;
}

/**
 * Pearson correlation of two summaries. Two flat frames (no contrast at all) correlate 1 when
 * equally bright and 0 otherwise.
 */
export function correlation(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i];
    meanB += b[i];
  }
  meanA /= n;
  meanB /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - meanA;
    const db = b[i] - meanB;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  // Below about one grey level of spread a frame has no layout to compare.
  const flat = n * 1;
  if (aa < flat || bb < flat) return aa < flat && bb < flat && Math.abs(meanA - meanB) < 8 ? 1 : 0;
  return ab / Math.sqrt(aa * bb);
}
