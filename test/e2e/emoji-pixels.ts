/**
 * Checks on the pixels the web app drew: inside each face's outline, does the canvas show the
 * emoji the plan says, where its homography puts it? The expected colour is the premultiplied
 * emoji averaged over each canvas pixel's footprint in the emoji (what mipmapped sampling
 * approximates), so a wrong matrix, a flipped or mirrored draw, or a bare face all fail.
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';

import sharp from 'sharp';

import { MESH_FACE_OVAL } from '../../src/core/masker/mask-geometry.js';
import type { Expression, FaceResult, Matrix3, Point } from '../../src/core/types.js';
import { EXPRESSIONS } from '../../src/core/types.js';

/** Premultiplied RGB of an emoji with a summed-area table per channel, for box averages. */
export interface EmojiSampler {
  width: number;
  height: number;
  /** (width + 1) x (height + 1) running sums of premultiplied R, G, B, A. */
  sums: Float64Array[];
}

export async function loadEmojiSamplers(dir: string): Promise<Record<Expression, EmojiSampler>> {
  const json = JSON.parse(await readFile(path.join(dir, 'keypoints.json'), 'utf8')) as {
    expressions: Record<Expression, { file: string }>;
  };
  const out = {} as Record<Expression, EmojiSampler>;
  for (const expression of EXPRESSIONS) {
    const { data, info } = await sharp(path.join(dir, json.expressions[expression].file))
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { width, height } = info;
    const sums = [0, 1, 2, 3].map(() => new Float64Array((width + 1) * (height + 1)));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        const a = data[i + 3] / 255;
        const values = [data[i] * a, data[i + 1] * a, data[i + 2] * a, data[i + 3]];
        for (let c = 0; c < 4; c++) {
          const s = sums[c];
          const at = (y + 1) * (width + 1) + (x + 1);
          s[at] = values[c] + s[at - 1] + s[at - (width + 1)] - s[at - (width + 1) - 1];
        }
      }
    }
    out[expression] = { width, height, sums };
  }
  return out;
}

/** Mean premultiplied RGBA of the emoji over the box [x0, x1) x [y0, y1) (clipped). */
function boxMean(s: EmojiSampler, x0: number, y0: number, x1: number, y1: number): number[] {
  const cx0 = Math.max(0, Math.min(s.width, Math.round(x0)));
  const cy0 = Math.max(0, Math.min(s.height, Math.round(y0)));
  const cx1 = Math.max(cx0 + 1, Math.min(s.width, Math.round(x1)));
  const cy1 = Math.max(cy0 + 1, Math.min(s.height, Math.round(y1)));
  const w = s.width + 1;
  const area = (cx1 - cx0) * (cy1 - cy0);
  return s.sums.map(
    (t) => (t[cy1 * w + cx1] - t[cy0 * w + cx1] - t[cy1 * w + cx0] + t[cy0 * w + cx0]) / area,
  );
}

function project(m: Matrix3, x: number, y: number): Point {
  const w = m[6] * x + m[7] * y + m[8];
  return { x: (m[0] * x + m[1] * y + m[2]) / w, y: (m[3] * x + m[4] * y + m[5]) / w };
}

export function faceOval(face: FaceResult): Point[] {
  return MESH_FACE_OVAL.map((i) => ({ x: face.landmarks[i].x, y: face.landmarks[i].y }));
}

/** Pixel centres (x + 0.5, y + 0.5) inside `polygon`, as [x, y] pixel indices. */
export function pixelsInside(
  polygon: readonly Point[],
  width: number,
  height: number,
): [number, number][] {
  const inside: [number, number][] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (pointInPolygon(x + 0.5, y + 0.5, polygon)) inside.push([x, y]);
    }
  }
  return inside;
}

function pointInPolygon(x: number, y: number, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[i];
    const b = polygon[j];
    if (a.y > y !== b.y > y && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

export interface EmojiMatch {
  /** Pixels compared (inside the face outline). */
  pixels: number;
  /** Fraction whose every channel is within the tolerance of the expected emoji colour. */
  matching: number;
  /** Mean absolute channel difference, 0..255. */
  meanError: number;
}

/**
 * Compares the canvas `rgba` inside `outline` with the emoji drawn through `inverse` (frame
 * pixels to emoji pixels), channel tolerance `tolerance` (0..255).
 */
export function compareWithEmoji(
  rgba: Uint8Array,
  width: number,
  height: number,
  outline: readonly Point[],
  inverse: Matrix3,
  emoji: EmojiSampler,
  tolerance: number,
): EmojiMatch {
  let matching = 0;
  let errorSum = 0;
  const pixels = pixelsInside(outline, width, height);
  for (const [x, y] of pixels) {
    const c = project(inverse, x + 0.5, y + 0.5);
    // The pixel's footprint in the emoji: how far one pixel step moves there.
    const dx = project(inverse, x + 1.5, y + 0.5);
    const dy = project(inverse, x + 0.5, y + 1.5);
    const half =
      Math.max(0.5, Math.hypot(dx.x - c.x, dx.y - c.y), Math.hypot(dy.x - c.x, dy.y - c.y)) / 2;
    const expected = boxMean(emoji, c.x - half, c.y - half, c.x + half, c.y + half);
    const i = (y * width + x) * 4;
    let worst = 0;
    for (let k = 0; k < 3; k++) {
      const diff = Math.abs(rgba[i + k] - expected[k]);
      worst = Math.max(worst, diff);
      errorSum += diff;
    }
    if (worst <= tolerance) matching += 1;
  }
  return {
    pixels: pixels.length,
    matching: pixels.length > 0 ? matching / pixels.length : 0,
    meanError: pixels.length > 0 ? errorSum / (3 * pixels.length) : Number.NaN,
  };
}

/** Fraction of the pixels inside `outline` within `tolerance` of the solid colour `rgb`. */
export function fractionOfColour(
  rgba: Uint8Array,
  width: number,
  height: number,
  outline: readonly Point[],
  rgb: readonly [number, number, number],
  tolerance: number,
): number {
  const pixels = pixelsInside(outline, width, height);
  let matching = 0;
  for (const [x, y] of pixels) {
    const i = (y * width + x) * 4;
    if ([0, 1, 2].every((k) => Math.abs(rgba[i + k] - rgb[k]) <= tolerance)) matching += 1;
  }
  return pixels.length > 0 ? matching / pixels.length : 0;
}
