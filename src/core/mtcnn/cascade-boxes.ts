/**
 * Box arithmetic of the MTCNN cascade (Zhang et al. 2016): turning the proposal network's score
 * map into boxes, moving boxes by the offsets each stage regresses, squaring them for the next
 * stage's square input, and non-maximum suppression. Boxes are continuous source-pixel
 * rectangles; no model runs here.
 */

import { overlap } from '../geometry/box-overlap.js';
import type { Box } from '../types.js';

/** A face hypothesis: its box, the stage's face probability and the offsets it regressed. */
export interface Candidate {
  box: Box;
  score: number;
  /** Moves of the left, top, right and bottom edges, in units of the box's width or height. */
  offsets: readonly [number, number, number, number];
}

/** The proposal network looks at 12 x 12 pixel windows, 2 pixels apart (one pooling step). */
export const PROPOSAL_WINDOW = 12;
export const PROPOSAL_STRIDE = 2;

/**
 * One candidate per cell of the proposal network's map whose face probability is at least
 * `threshold`, with its window mapped back from the image scaled by `scale` to source pixels.
 *
 * @param face `[h * w]` face probabilities, row-major.
 * @param offsets `[4 * h * w]`: the four offset planes one after another (NCHW, batch 1).
 */
export function proposals(
  face: Float32Array,
  offsets: Float32Array,
  mapWidth: number,
  mapHeight: number,
  scale: number,
  threshold: number,
): Candidate[] {
  const plane = mapWidth * mapHeight;
  if (face.length !== plane || offsets.length !== 4 * plane) {
    throw new RangeError(
      `proposals: a ${mapWidth}x${mapHeight} map needs ${plane} scores and ${4 * plane} offsets, got ${face.length} and ${offsets.length}`,
    );
  }
  const side = PROPOSAL_WINDOW / scale;
  const found: Candidate[] = [];
  for (let i = 0; i < plane; i++) {
    if (face[i] < threshold) continue;
    const row = Math.floor(i / mapWidth);
    const col = i - row * mapWidth;
    found.push({
      box: {
        x: (PROPOSAL_STRIDE * col) / scale,
        y: (PROPOSAL_STRIDE * row) / scale,
        width: side,
        height: side,
      },
      score: face[i],
      offsets: [offsets[i], offsets[plane + i], offsets[2 * plane + i], offsets[3 * plane + i]],
    });
  }
  return found;
}

/** The box with each edge moved by its offset times the box's width (left, right) or height. */
export function applyOffsets(box: Box, offsets: readonly [number, number, number, number]): Box {
  const left = box.x + offsets[0] * box.width;
  const top = box.y + offsets[1] * box.height;
  const right = box.x + box.width + offsets[2] * box.width;
  const bottom = box.y + box.height + offsets[3] * box.height;
  return { x: left, y: top, width: Math.max(0, right - left), height: Math.max(0, bottom - top) };
}

/** The square of side max(width, height) with the same centre. */
export function squareBox(box: Box): Box {
  const side = Math.max(box.width, box.height);
  return {
    x: box.x + box.width / 2 - side / 2,
    y: box.y + box.height / 2 - side / 2,
    width: side,
    height: side,
  };
}

/**
 * Greedy non-maximum suppression: the best remaining candidate is kept and every other whose
 * overlap with it exceeds `threshold` is dropped. Returns the kept ones, best first.
 */
export function suppress<T extends { box: Box; score: number }>(
  candidates: readonly T[],
  threshold: number,
  measure: 'union' | 'min' = 'union',
): T[] {
  const sorted = [...candidates].sort((p, q) => q.score - p.score);
  const kept: T[] = [];
  for (const c of sorted) {
    if (kept.every((k) => overlap(k.box, c.box, measure) <= threshold)) kept.push(c);
  }
  return kept;
}

/**
 * The scales of the image pyramid the proposal network runs on: the first makes a face of
 * `minFace` pixels fill its 12-pixel window, each next one is `factor` times the last, down to
 * where the shorter side would be under 12 pixels.
 */
export function pyramidScales(
  width: number,
  height: number,
  minFace: number,
  factor: number,
): number[] {
  if (!(minFace > 0) || !(factor > 0 && factor < 1)) {
    throw new RangeError(
      `pyramidScales: expected minFace > 0 and 0 < factor < 1, got ${minFace} and ${factor}`,
    );
  }
  const scales: number[] = [];
  let scale = PROPOSAL_WINDOW / minFace;
  while (Math.min(width, height) * scale >= PROPOSAL_WINDOW) {
    scales.push(scale);
    scale *= factor;
  }
  return scales;
}
