import type { FaceDetectorOptions } from '../detector/face-detector-options.js';
import type { FaceLandmarkerOptions } from '../landmarks/face-landmarker-options.js';
import type { Logger, ModelSessionOptions } from '../runtime.js';
import type { ExpressionSmootherOptions } from '../tracking/expression-smoother.js';
import type { FailClosedOptions } from '../tracking/face-track.js';
import type { OneEuroOptions } from '../tracking/one-euro.js';

/** The bytes of the three ONNX models the masker runs. */
export interface MaskerModels {
  /** `face-detector.onnx`: MediaPipe short-range face detector. */
  detector: Uint8Array;
  /** `face-landmarks.onnx`: MediaPipe face mesh (468 points). */
  landmarks: Uint8Array;
  /** `expression.onnx`: the FER2013 expression classifier. */
  expression: Uint8Array;
}

/** Settings of {@link Masker}; every field is optional. */
export interface MaskerOptions {
  detector?: FaceDetectorOptions;
  landmarks?: FaceLandmarkerOptions;
  /** ONNX Runtime settings applied to all three sessions (a stage's own `session` wins). */
  session?: ModelSessionOptions;
  /**
   * Video only: One Euro smoothing of each face's keypoints and outline, `false` for none.
   * Default {@link DEFAULT_ONE_EURO}.
   */
  keypointSmoothing?: OneEuroOptions | false;
  /**
   * Video only: averaging with hysteresis of each face's expression, `false` for the raw
   * per-frame class. Default {@link DEFAULT_EXPRESSION_SMOOTHING}.
   */
  expressionSmoothing?: ExpressionSmootherOptions | false;
  /** Video only: how long a lost face's emoji is held and then its region covered. */
  failClosed?: FailClosedOptions;
  /**
   * Cover the whole frame whenever the pipeline is unsure: a face lost (held or covered), found
   * by the detector but rejected by the mesh model, or whose emoji cannot be placed. Default
   * false.
   */
  strict?: boolean;
  /** Where warnings go. Default: nowhere. */
  logger?: Logger;
}
