import type { ModelSessionOptions } from '../runtime.js';

/** Settings of {@link FaceDetector}; every field is optional. */
export interface FaceDetectorOptions {
  /** Lowest detection confidence (0..1) kept. Default {@link DEFAULT_MIN_DETECTION_SCORE}. */
  minScore?: number;
  /** IoU (0..1) above which two detections are one face and get blended. Default {@link DEFAULT_NMS_IOU}. */
  nmsIou?: number;
  /** At most this many faces, the most confident first. Default: no limit. */
  maxFaces?: number;
  /**
   * Also search overlapping square tiles of the frame at a finer scale, for faces too small for
   * the whole-frame pass (under about 1/10 of the frame's long side). Costs one model run per
   * tile. Default {@link DEFAULT_TILING}.
   */
  tiling?: 'off' | 'auto';
  /** ONNX Runtime session settings. Default: the runtime's. */
  session?: ModelSessionOptions;
}

/** MediaPipe's own threshold for this model. */
export const DEFAULT_MIN_DETECTION_SCORE = 0.5;
/** MediaPipe's own suppression threshold for this model. */
export const DEFAULT_NMS_IOU = 0.3;
export const DEFAULT_TILING = 'off';

export interface ResolvedFaceDetectorOptions {
  minScore: number;
  nmsIou: number;
  maxFaces: number;
  tiling: 'off' | 'auto';
  session: ModelSessionOptions;
}

/** Applies defaults and checks ranges; errors name the option as `<prefix>.<name>`. */
export function resolveFaceDetectorOptions(
  options: FaceDetectorOptions = {},
  prefix = 'detector',
): ResolvedFaceDetectorOptions {
  const minScore = options.minScore ?? DEFAULT_MIN_DETECTION_SCORE;
  const nmsIou = options.nmsIou ?? DEFAULT_NMS_IOU;
  const maxFaces = options.maxFaces ?? Number.POSITIVE_INFINITY;
  const tiling = options.tiling ?? DEFAULT_TILING;
  checkUnit(`${prefix}.minScore`, minScore);
  checkUnit(`${prefix}.nmsIou`, nmsIou);
  if (!(maxFaces >= 1) || (Number.isFinite(maxFaces) && !Number.isInteger(maxFaces))) {
    throw new RangeError(
      `${prefix}.maxFaces: expected a whole number of at least 1, got ${maxFaces}`,
    );
  }
  if (tiling !== 'off' && tiling !== 'auto') {
    throw new RangeError(
      `${prefix}.tiling: expected 'off' or 'auto', got ${JSON.stringify(tiling)}`,
    );
  }
  return { minScore, nmsIou, maxFaces, tiling, session: options.session ?? {} };
}

export function checkUnit(name: string, value: number): void {
  if (!(typeof value === 'number' && value >= 0 && value <= 1)) {
    throw new RangeError(`${name}: expected a number in 0..1, got ${value}`);
  }
}
