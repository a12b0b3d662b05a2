/** How much two axis-aligned boxes overlap, for matching and suppressing faces. */

import type { Box } from '../types.js';

/** Intersection over union of two boxes; 0 when either is empty. */
export function iou(a: Box, b: Box): number {
  return overlap(a, b, 'union');
}

/**
 * Overlap of two boxes: intersection over union, or (`min`) intersection over the smaller box,
 * which also counts a small box lying inside a large one as a full overlap. 0 when they do not
 * meet or either is empty.
 */
export function overlap(a: Box, b: Box, measure: 'union' | 'min'): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const areaA = a.width * a.height;
  const areaB = b.width * b.height;
  const base = measure === 'union' ? areaA + areaB - inter : Math.min(areaA, areaB);
  return base > 0 ? inter / base : 0;
}
