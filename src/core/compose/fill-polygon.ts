/** Solid fill of a polygon, for the opaque cover drawn when a face cannot be masked properly. */

import type { Point, RgbaImage } from '../types.js';
import { assertRgbaImage } from './rgba-check.js';

/** An RGBA colour, each channel an integer 0..255. */
export interface RgbaColor {
  r: number;
  g: number;
  b: number;
  /** Default 255 (opaque). */
  a?: number;
}

/**
 * Overwrites (does not blend) every frame pixel whose centre (i + 0.5, j + 0.5) lies inside
 * `polygon` with `color`, in place. The inside is taken by the non-zero winding rule, so a
 * self-intersecting outline covers at least everything any of its loops encloses. Parts outside
 * the frame are clipped; fewer than three vertices fill nothing.
 *
 * To make sure a region is covered to its very edge, pass an outline grown by at least half a
 * pixel: a pixel whose centre is outside is left alone even if the polygon overlaps it.
 *
 * @returns the number of pixels written.
 * @throws RangeError for a malformed frame, a non-finite vertex (a cover must never be skipped
 *   silently) or a channel outside 0..255.
 */
export function fillPolygon(frame: RgbaImage, polygon: readonly Point[], color: RgbaColor): number {
  assertRgbaImage(frame, 'fillPolygon frame');
  const channels = [color.r, color.g, color.b, color.a ?? 255];
  if (!channels.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw new RangeError(
      `fillPolygon: colour channels must be integers 0..255, got ${channels.join(', ')}`,
    );
  }
  polygon.forEach((p, i) => {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new RangeError(`fillPolygon: vertex ${i} is not finite (${p.x}, ${p.y})`);
    }
  });
  const n = polygon.length;
  if (n < 3) return 0;

  let minY = Infinity;
  let maxY = -Infinity;
  for (const p of polygon) {
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  // Rows whose centre can be inside: minY <= j + 0.5 < maxY.
  const rowStart = Math.max(0, Math.ceil(minY - 0.5));
  const rowEnd = Math.min(frame.height, Math.ceil(maxY - 0.5));

  const { width, data } = frame;
  const [r, g, b, a] = channels;
  const crossX = new Float64Array(n);
  const crossDir = new Int8Array(n);
  let written = 0;

  for (let j = rowStart; j < rowEnd; j++) {
    const cy = j + 0.5;
    // Edges crossing this row's centre line, half-open in y so a shared vertex counts once.
    let count = 0;
    for (let i = 0; i < n; i++) {
      const p = polygon[i];
      const q = polygon[(i + 1) % n];
      if (p.y <= cy === q.y <= cy) continue;
      const x = p.x + ((cy - p.y) / (q.y - p.y)) * (q.x - p.x);
      const dir = q.y > p.y ? 1 : -1;
      // Insertion sort by x: polygons here have tens of vertices, not thousands.
      let k = count++;
      while (k > 0 && crossX[k - 1] > x) {
        crossX[k] = crossX[k - 1];
        crossDir[k] = crossDir[k - 1];
        k--;
      }
      crossX[k] = x;
      crossDir[k] = dir;
    }

    let winding = 0;
    for (let c = 0; c < count - 1; c++) {
      winding += crossDir[c];
      if (winding === 0) continue;
      // Pixels whose centre lies in [crossX[c], crossX[c + 1]).
      const i0 = Math.max(0, Math.ceil(crossX[c] - 0.5));
      const i1 = Math.min(width, Math.ceil(crossX[c + 1] - 0.5));
      for (let i = i0, o = (j * width + i0) * 4; i < i1; i++, o += 4) {
        data[o] = r;
        data[o + 1] = g;
        data[o + 2] = b;
        data[o + 3] = a;
        written++;
      }
    }
  }
  return written;
}
