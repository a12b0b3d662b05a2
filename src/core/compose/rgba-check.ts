/** Input checks shared by the drawing functions. */

import type { RgbaImage } from '../types.js';

/**
 * Throws a RangeError naming `what` unless `image` has positive integer dimensions and exactly
 * width * height * 4 bytes of data.
 */
export function assertRgbaImage(image: RgbaImage, what: string): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(
      `${what}: expected positive integer width and height, got ${width}x${height}`,
    );
  }
  if (data.length !== width * height * 4) {
    throw new RangeError(
      `${what}: expected ${width * height * 4} bytes of RGBA for ${width}x${height}, got ${data.length}`,
    );
  }
}
