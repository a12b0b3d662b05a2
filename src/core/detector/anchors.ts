/**
 * SSD anchor grid of MediaPipe's short-range face detector (BlazeFace).
 *
 * MediaPipe generates it from four layers with strides 8, 16, 16, 16, one aspect ratio (1.0)
 * plus one interpolated scale per layer, and fixed anchor size. Layers of equal stride share a
 * grid, so a 128 px input gives a 16 x 16 grid with 2 anchors per cell and an 8 x 8 grid with
 * 6 anchors per cell: 512 + 384 = 896 anchors. With fixed anchor size every anchor is 1 x 1
 * (normalised); only the centre matters.
 */

export interface Anchor {
  /** Centre, normalised to the model input (0..1). */
  x: number;
  y: number;
}

/** Strides of the short-range model's four anchor layers. */
export const SHORT_RANGE_STRIDES = [8, 16, 16, 16] as const;

/** Anchors a layer contributes per grid cell: one for aspect ratio 1 and one interpolated scale. */
const ANCHORS_PER_LAYER = 2;

/**
 * Anchor centres in the order of the model's outputs: grids from the finest stride up, each row
 * by row, each cell's anchors together.
 */
export function generateAnchors(
  inputSize: number,
  strides: readonly number[] = SHORT_RANGE_STRIDES,
): Anchor[] {
  const anchors: Anchor[] = [];
  let layer = 0;
  while (layer < strides.length) {
    const stride = strides[layer];
    let sameStride = 0;
    while (layer < strides.length && strides[layer] === stride) {
      sameStride++;
      layer++;
    }
    const cells = Math.ceil(inputSize / stride);
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let k = 0; k < sameStride * ANCHORS_PER_LAYER; k++) {
          anchors.push({ x: (x + 0.5) / cells, y: (y + 0.5) / cells });
        }
      }
    }
  }
  return anchors;
}
