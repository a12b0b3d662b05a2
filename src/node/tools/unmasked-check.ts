/**
 * The privacy check of `npm run metrics`: an independent face detector (face-api's SSD
 * MobileNet v1 or its tiny detector, models unrelated to our MediaPipe ones) runs on every
 * output frame, and a face it finds counts as visible unmasked when most of its box shows the
 * input's own pixels, i.e. the masker painted nothing there.
 */

import type { Box, RgbaImage } from '../../core/types.js';
import { faceApiModelDir, loadFaceApi, rgbOf, type TfTensor } from './peers.js';

/** Which face-api detector checks the output. */
export type CheckDetector = 'ssd' | 'tiny';

/** Settings of {@link UnmaskedFaceCheck.create}. */
export interface UnmaskedCheckOptions {
  /** Default `'ssd'`: slower, but it finds the small and profile faces the tiny one misses. */
  detector?: CheckDetector;
  /** Least detector score that counts as a face, 0..1. Default 0.5 (face-api's own default). */
  minScore?: number;
  /**
   * A pixel counts as changed by the masker when one of its channels moved by more than this
   * (0..255). Default 12; the frames are compared before encoding, so only drawing changes them.
   */
  changeThreshold?: number;
  /** A found face is unmasked when less than this fraction of its box changed. Default 0.5. */
  maxChangedFraction?: number;
}

/** One face the independent detector found in an output frame. */
export interface CheckedFace {
  box: Box;
  score: number;
  /** Fraction (0..1) of the box's pixels the masker changed. */
  changed: number;
  /** Less than `maxChangedFraction` of it changed: a real face showing through. */
  unmasked: boolean;
}

export const DEFAULT_UNMASKED_CHECK: Required<UnmaskedCheckOptions> = {
  detector: 'ssd',
  minScore: 0.5,
  changeThreshold: 12,
  maxChangedFraction: 0.5,
};

export class UnmaskedFaceCheck {
  private constructor(
    private readonly detectFaces: (input: TfTensor) => Promise<{ box: Box; score: number }[]>,
    private readonly tensorOf: (image: RgbaImage) => TfTensor,
    readonly options: Required<UnmaskedCheckOptions>,
  ) {}

  static async create(options: UnmaskedCheckOptions = {}): Promise<UnmaskedFaceCheck> {
    const resolved = { ...DEFAULT_UNMASKED_CHECK };
    for (const [k, v] of Object.entries(options))
      if (v !== undefined) Object.assign(resolved, { [k]: v });
    if (resolved.detector !== 'ssd' && resolved.detector !== 'tiny') {
      throw new RangeError(
        `detector: expected "ssd" or "tiny", got ${JSON.stringify(resolved.detector)}`,
      );
    }
    for (const key of ['minScore', 'maxChangedFraction'] as const) {
      const v = resolved[key];
      if (!(v >= 0 && v <= 1)) throw new RangeError(`${key}: expected a number in 0..1, got ${v}`);
    }

    const api = await loadFaceApi();
    const dir = faceApiModelDir();
    let detectorOptions: object;
    if (resolved.detector === 'ssd') {
      await api.nets.ssdMobilenetv1.loadFromDisk(dir);
      detectorOptions = new api.SsdMobilenetv1Options({
        minConfidence: resolved.minScore,
        maxResults: 100,
      });
    } else {
      await api.nets.tinyFaceDetector.loadFromDisk(dir);
      detectorOptions = new api.TinyFaceDetectorOptions({
        inputSize: 608,
        scoreThreshold: resolved.minScore,
      });
    }
    const detectFaces = async (input: TfTensor) =>
      (await api.detectAllFaces(input, detectorOptions)).map((d) => ({
        box: { x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height },
        score: d.score,
      }));
    const tensorOf = (image: RgbaImage) =>
      api.tf.tensor3d(rgbOf(image), [image.height, image.width, 3], 'int32');
    return new UnmaskedFaceCheck(detectFaces, tensorOf, resolved);
  }

  /** Faces the independent detector finds in `image` (no comparison). */
  async detect(image: RgbaImage): Promise<{ box: Box; score: number }[]> {
    const input = this.tensorOf(image);
    try {
      return await this.detectFaces(input);
    } finally {
      input.dispose();
    }
  }

  /** Faces found in the masked `output`, each judged against the unmasked `input`. */
  async check(input: RgbaImage, output: RgbaImage): Promise<CheckedFace[]> {
    const found = await this.detect(output);
    return found.map(({ box, score }) => {
      const changed = changedFraction(input, output, box, this.options.changeThreshold);
      return { box, score, changed, unmasked: changed < this.options.maxChangedFraction };
    });
  }
}

/**
 * The fraction of the pixels of `box` (clipped to the frame) where `a` and `b` differ by more
 * than `threshold` in some colour channel; 1 for a box wholly outside the frame (nothing shows).
 */
export function changedFraction(a: RgbaImage, b: RgbaImage, box: Box, threshold: number): number {
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(
      `changedFraction: frames differ in size, ${a.width}x${a.height} and ${b.width}x${b.height}`,
    );
  }
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(a.width, Math.ceil(box.x + box.width));
  const y1 = Math.min(a.height, Math.ceil(box.y + box.height));
  if (x1 <= x0 || y1 <= y0) return 1;
  let changed = 0;
  for (let y = y0; y < y1; y++) {
    let i = (y * a.width + x0) * 4;
    for (let x = x0; x < x1; x++, i += 4) {
      if (
        Math.abs(a.data[i] - b.data[i]) > threshold ||
        Math.abs(a.data[i + 1] - b.data[i + 1]) > threshold ||
        Math.abs(a.data[i + 2] - b.data[i + 2]) > threshold
      ) {
        changed++;
      }
    }
  }
  return changed / ((x1 - x0) * (y1 - y0));
}
