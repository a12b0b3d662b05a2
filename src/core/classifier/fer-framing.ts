/**
 * How FER2013 frames a face, as positions of face-mesh points in its 48x48 images, and the
 * points the live crop is aligned on.
 */

import type { Point } from '../types.js';
import type { FerFraming } from './face-align.js';
import { FER_MEAN_MESH_XY, FER_MEAN_MESH_SOURCE } from './fer-mean-mesh.generated.js';

/** Where each of the 468 mesh points falls on average in a 48x48 FER2013 Training image. */
export const FER_MEAN_MESH: readonly Point[] = Array.from(
  { length: FER_MEAN_MESH_XY.length / 2 },
  (_, i) => ({ x: FER_MEAN_MESH_XY[2 * i], y: FER_MEAN_MESH_XY[2 * i + 1] }),
);

/** How {@link FER_MEAN_MESH} was measured (images, command). */
export const FER_FRAMING_SOURCE = FER_MEAN_MESH_SOURCE;

/**
 * Mesh points that an expression hardly moves: eye corners, the nose from bridge to tip, the
 * temples, cheekbones and the middle of the forehead. Brows, lips and jaw are left out so that
 * an open mouth or raised brows do not change the crop's scale or position; FER2013's own crops
 * came from a detector that framed the whole face, which this reproduces on average.
 */
export const FER_ALIGN_INDICES: readonly number[] = [
  33, 133, 362, 263, 168, 6, 197, 195, 5, 4, 1, 234, 454, 127, 356, 93, 323, 10, 151, 9,
];

/** The FER2013 framing the classifier's crop is fitted to. */
export const FER_FRAMING: FerFraming = {
  imageSize: 48,
  indices: FER_ALIGN_INDICES,
  points: FER_ALIGN_INDICES.map((i) => FER_MEAN_MESH[i]),
};
