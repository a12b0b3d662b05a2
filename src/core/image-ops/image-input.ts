/**
 * Works out how an image model wants its input from the shape it declares, so that a model
 * converted channels-first or channels-last both work without a setting.
 */

import type { ModelValueInfo } from '../runtime.js';

export interface ImageInputLayout {
  layout: 'nhwc' | 'nchw';
  width: number;
  height: number;
  channels: number;
}

/**
 * Reads `[N, H, W, C]` or `[N, C, H, W]` (C = `channels`) from a 4-D input; the batch dimension
 * may be symbolic.
 *
 * @throws Error naming the model and the shape when it is neither.
 */
export function imageInputLayout(
  modelName: string,
  input: ModelValueInfo,
  channels: number,
): ImageInputLayout {
  const dims = input.shape;
  const fixed = (d: number | string | undefined): d is number => typeof d === 'number' && d > 0;
  if (input.type !== 'float32' || dims.length !== 4) {
    throw new Error(
      `${modelName}: expected a float32 image input of rank 4, got ${input.type} [${dims.join(', ')}] for "${input.name}"`,
    );
  }
  const [, d1, d2, d3] = dims;
  if (d3 === channels && fixed(d1) && fixed(d2))
    return { layout: 'nhwc', height: d1, width: d2, channels };
  if (d1 === channels && fixed(d2) && fixed(d3))
    return { layout: 'nchw', height: d2, width: d3, channels };
  throw new Error(
    `${modelName}: expected input "${input.name}" shaped [N, H, W, ${channels}] or [N, ${channels}, H, W], got [${dims.join(', ')}]`,
  );
}
