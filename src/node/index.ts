/**
 * The Node library (`emoji-mask`): a masker that loads the shipped models and emoji pack, and the
 * image and video file helpers the CLI is built from. The isomorphic pipeline itself is also
 * available on its own as `emoji-mask/core`.
 *
 * @example
 * ```ts
 * import { createNodeMasker, readImageFile, writeImageFile } from 'emoji-mask';
 *
 * const masker = await createNodeMasker();
 * const { image } = await readImageFile('photo.jpg');
 * const faces = await masker.process(image); // draws the emoji in place
 * await writeImageFile('masked.jpg', image);
 * await masker.dispose();
 * ```
 */

// The masker.
export {
  DEFAULT_MODELS_DIR,
  MODEL_FILES,
  createNodeMasker,
  readMaskerModels,
  type NodeMaskerOptions,
} from './node-masker.js';
export {
  EXPRESSIONS,
  MASK_KEYPOINT_NAMES,
  Masker,
  type Box,
  type Expression,
  type FaceResult,
  type FrameInfo,
  type Logger,
  type MaskKeypoints,
  type MaskerModels,
  type MaskerOptions,
  type Point,
  type RgbaImage,
} from '../core/index.js';
export { DEFAULT_EMOJI_DIR, loadEmojiPack } from './emoji-loader.js';

// Files in and out.
export { FileError } from './errors.js';
export {
  IMAGE_OUTPUT_EXTENSIONS,
  MAX_IMAGE_PIXELS,
  decodeImage,
  readImageFile,
  writeImageFile,
  type DecodedImage,
  type WriteImageOptions,
} from './image-io.js';
export { probeVideo, type AudioStreamInfo, type Rational, type VideoInfo } from './video-probe.js';
export {
  VIDEO_OUTPUT_EXTENSIONS,
  decodeVideoFrames,
  openVideoEncoder,
  type VideoEncoder,
  type VideoEncoderOptions,
  type VideoFrame,
} from './video-io.js';

// The JSON the CLI writes.
export {
  checkFrameResultJson,
  checkImageResultJson,
  faceToJson,
  frameResultToJson,
  imageResultToJson,
  type FaceJson,
  type FrameResultJson,
  type ImageResultJson,
} from './result-json.js';
