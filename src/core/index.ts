/**
 * The isomorphic core (`emoji-mask/core`): the masking pipeline and the pieces it is built from,
 * with no Node or DOM dependency. The host passes in an ONNX Runtime module (onnxruntime-node or
 * onnxruntime-web) and the model and emoji bytes.
 */

// The pipeline.
export { Masker, type FrameInfo } from './masker/masker.js';
export {
  DEFAULT_PROFILE_INTERVAL,
  type MaskerModels,
  type MaskerOptions,
  type MaskerProfileOptions,
} from './masker/masker-options.js';

// Shared value types.
export {
  EXPRESSIONS,
  MASK_KEYPOINT_NAMES,
  type Box,
  type Expression,
  type FaceResult,
  type MaskKeypoints,
  type Matrix3,
  type Point,
  type RgbaImage,
} from './types.js';

// The host interface.
export {
  ModelSession,
  SILENT_LOGGER,
  type Logger,
  type ModelSessionOptions,
  type ModelValueInfo,
  type OrtRuntime,
} from './runtime.js';

// The stages, for callers that run them on their own.
export { FaceDetector, FACE_DETECTOR_MODEL_NAME } from './detector/face-detector.js';
export type { FaceDetectorOptions } from './detector/face-detector-options.js';
export type { FaceDetection } from './detector/face-detector-result.js';
export {
  PROFILE_DETECTOR_MODEL_NAMES,
  ProfileDetector,
  type ProfileDetectorModels,
  type ProfileDetectorOptions,
  type ProfileFace,
} from './mtcnn/profile-detector.js';
export { FaceLandmarker, FACE_LANDMARKS_MODEL_NAME } from './landmarks/face-landmarker.js';
export type { FaceLandmarkerOptions } from './landmarks/face-landmarker-options.js';
export type { FaceMesh, Landmark3 } from './landmarks/face-landmarker-result.js';
export { ExpressionClassifier, EXPRESSION_MODEL_NAME } from './classifier/expression-classifier.js';
export type { ExpressionClassifierOptions } from './classifier/expression-classifier-options.js';

// Emoji packs.
export {
  MIN_EMOJI_SIZE,
  checkEmojiArt,
  checkEmojiPack,
  parseEmojiKeypoints,
  type CoverDisc,
  type EmojiArt,
  type EmojiPack,
  type EmojiPlacement,
} from './emoji/emoji-pack.js';

// Geometry and compositing.
export {
  applyHomography,
  invertMatrix3,
  solveHomography,
  type HomographyFailure,
  type HomographyResult,
} from './geometry/homography.js';
export {
  buildMipChain,
  compositeMipmapped,
  compositeWarped,
  fillPolygon,
  type CompositeOptions,
  type MipChain,
  type RgbaColor,
} from './compose/index.js';

// Placement, alignment and smoothing over time.
export { placeEmoji, coverPolygon, MESH_FACE_OVAL, type EmojiFit } from './masker/mask-geometry.js';
export { fitSimilarity, ferCropToSource, type FerFraming } from './classifier/face-align.js';
export { OneEuroFilter, type OneEuroOptions } from './tracking/one-euro.js';
export {
  ExpressionSmoother,
  MajorityVote,
  type ExpressionSmootherOptions,
} from './tracking/expression-smoother.js';
export type { FailClosedOptions, TrackState } from './tracking/face-track.js';
