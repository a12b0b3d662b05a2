/**
 * The crop the expression classifier sees: the face framed the way FER2013 frames its faces.
 *
 * FER2013 faces are 48x48 crops made by a face detector, roughly upright, with the eyes about a
 * third of the way down. The classifier was trained on the middle 44x44 of those crops, so
 * what it sees at run time should match that framing: the same face size, position and
 * roll. `FER_FRAMING` (measured on FER2013 Training images with our own face mesh, see
 * `scripts/measure-fer-framing.ts`) holds where chosen mesh points fall, on average, in a
 * 48x48 FER image. A least-squares similarity transform (scale, rotation, shift; no shear, so
 * the face keeps its shape) from a live face's mesh points onto those positions gives the crop.
 */

import type { Affine } from '../image-ops/affine.js';
import { invertAffine } from '../image-ops/affine.js';
import { warpToTensor } from '../image-ops/warp-to-tensor.js';
import type { Point, RgbaImage } from '../types.js';

/** Mean positions of some mesh points in a 48x48 FER2013 image (pixel units, origin top-left). */
export interface FerFraming {
  /** Side of the FER image the positions are in (48). */
  imageSize: number;
  /** Face-mesh indices. */
  indices: readonly number[];
  /** Where each of `indices` falls, in the same order. */
  points: readonly Point[];
}

/**
 * The least-squares similarity transform taking `from[i]` to `to[i]`: the `[a, b, c, d, e, f]`
 * with x' = a x + b y + c, y' = d x + e y + f, where [a b; d e] is a scaled rotation.
 * Needs two distinct points at least; returns null when `from` has no spread.
 */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Affine | null {
  const n = Math.min(from.length, to.length);
  if (n < 2) return null;
  let fx = 0;
  let fy = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < n; i++) {
    fx += from[i].x;
    fy += from[i].y;
    tx += to[i].x;
    ty += to[i].y;
  }
  fx /= n;
  fy /= n;
  tx /= n;
  ty /= n;
  // As complex numbers, the best scaled rotation is sum(q * conj(p)) / sum(|p|^2).
  let re = 0;
  let im = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const px = from[i].x - fx;
    const py = from[i].y - fy;
    const qx = to[i].x - tx;
    const qy = to[i].y - ty;
    re += qx * px + qy * py;
    im += qy * px - qx * py;
    norm += px * px + py * py;
  }
  if (!(norm > 0) || !Number.isFinite(re) || !Number.isFinite(im)) return null;
  const a = re / norm;
  const b = im / norm;
  return [a, -b, tx - a * fx + b * fy, b, a, ty - b * fx - a * fy];
}

/**
 * The transform from the classifier's `cropSize` crop (pixel coordinates, centred in the
 * FER frame as in training: a 44 crop of 48 starts 2 pixels in) to source pixels, for a face
 * whose mesh is `landmarks`; null when the landmarks are degenerate.
 */
export function ferCropToSource(
  landmarks: readonly Point[],
  framing: FerFraming,
  cropSize: number,
): Affine | null {
  const from = framing.indices.map((i) => landmarks[i]);
  const sourceToFer = fitSimilarity(from, framing.points);
  if (sourceToFer === null) return null;
  const ferToSource = invertAffine(sourceToFer);
  const margin = (framing.imageSize - cropSize) / 2;
  const [a, b, c, d, e, f] = ferToSource;
  // crop (u, v) is FER (u + margin, v + margin).
  return [a, b, c + a * margin + b * margin, d, e, f + d * margin + e * margin];
}

/**
 * The classifier's input for `crops` of `frame` (each from {@link ferCropToSource}): one
 * `size` x `size` grey plane of raw 0..255 values per crop, edges replicated, batched NCHW. A
 * null crop leaves its plane zero.
 */
export function ferCropsToTensor(
  frame: RgbaImage,
  crops: readonly (Affine | null)[],
  size: number,
): Float32Array {
  const pixels = new Float32Array(crops.length * size * size);
  crops.forEach((crop, i) => {
    if (crop === null) return;
    warpToTensor(
      frame,
      crop,
      {
        width: size,
        height: size,
        colour: 'grey',
        layout: 'nchw',
        range: [0, 255],
        border: 'replicate',
      },
      pixels,
      i * size * size,
    );
  });
  return pixels;
}
