import type { FaceDetectorOptions } from '../detector/face-detector-options.js';
import type { FaceLandmarkerOptions } from '../landmarks/face-landmarker-options.js';
import type { ProfileDetectorOptions } from '../mtcnn/profile-detector.js';
import type { Logger, ModelSessionOptions } from '../runtime.js';
import type { ExpressionSmootherOptions } from '../tracking/expression-smoother.js';
import type { FailClosedOptions } from '../tracking/face-track.js';
import type { OneEuroOptions } from '../tracking/one-euro.js';

/** The bytes of the ONNX models the masker runs. */
export interface MaskerModels {
  /** `face-detector.onnx`: MediaPipe short-range face detector. */
  detector: Uint8Array;
  /** `mtcnn-pnet.onnx`, `mtcnn-rnet.onnx`, `mtcnn-onet.onnx`: the second detector's cascade. */
  mtcnnPnet: Uint8Array;
  mtcnnRnet: Uint8Array;
  mtcnnOnet: Uint8Array;
  /** `face-landmarks.onnx`: MediaPipe face mesh (468 points). */
  landmarks: Uint8Array;
  /** `expression.onnx`: the FER2013 expression classifier. */
  expression: Uint8Array;
}

/** The second detector's settings, and how often the masker runs it on a video. */
export interface MaskerProfileOptions extends ProfileDetectorOptions {
  /**
   * In a video, run it on every this many frames, and besides on every frame that starts a new
   * shot or has a face the mesh is not following (one known only by a detector's box, or lost).
   * Stills always run it. Default {@link DEFAULT_PROFILE_INTERVAL}.
   */
  interval?: number;
}

/**
 * Every other frame: the cascade costs about half of the rest of the pipeline at 720p (+20-28
 * ms a frame on this machine), and a face that only it finds shows for at most one frame at 30
 * fps before it is masked, unless it appears with a cut, which always runs it.
 */
export const DEFAULT_PROFILE_INTERVAL = 2;

/** Settings of {@link Masker}; every field is optional. */
export interface MaskerOptions {
  detector?: FaceDetectorOptions;
  /**
   * The second detector (MTCNN), which finds faces in profile and faces cut by the frame's
   * edge that the first misses; `false` runs without it (faces it alone finds then show).
   */
  profileDetector?: MaskerProfileOptions | false;
  landmarks?: FaceLandmarkerOptions;
  /** ONNX Runtime settings applied to every session (a stage's own `session` wins). */
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
