/**
 * Plain value types shared by every stage of the pipeline.
 *
 * Coordinates are pixels of the source frame, origin top-left, x to the right and y down,
 * unless a name says otherwise.
 */

/** An 8-bit RGBA image, row-major, 4 bytes a pixel, no padding between rows. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The seven FER2013 classes in the classifier's output order (also in the model's metadata). */
export const EXPRESSIONS = [
  'angry',
  'disgust',
  'fear',
  'happy',
  'sad',
  'surprise',
  'neutral',
] as const;

export type Expression = (typeof EXPRESSIONS)[number];

/**
 * The six masking keypoints. "Left" and "right" are the subject's own: the subject's left eye
 * is on the right of an unmirrored image.
 */
export interface MaskKeypoints {
  leftEyeOuter: Point;
  rightEyeOuter: Point;
  mouthLeft: Point;
  mouthRight: Point;
  philtrum: Point;
  chin: Point;
}

/** Keypoint names in a fixed order, for solvers that take arrays. */
export const MASK_KEYPOINT_NAMES = [
  'leftEyeOuter',
  'rightEyeOuter',
  'mouthLeft',
  'mouthRight',
  'philtrum',
  'chin',
] as const satisfies readonly (keyof MaskKeypoints)[];

/** A row-major 3x3 projective transform taking [x, y, 1] to [u, v, w] (then u/w, v/w). */
export type Matrix3 = [number, number, number, number, number, number, number, number, number];

/** What the pipeline found for one face in one frame. */
export interface FaceResult {
  /**
   * Identity of the face within one stream: the same face keeps its id from frame to frame while
   * it is tracked. Ids start at 1 and are never reused within a stream.
   */
  id: number;
  /** Axis-aligned bounds of the face in source pixels. */
  box: Box;
  /** Detector or tracker confidence in 0..1. */
  score: number;
  /**
   * `live`: found in this frame. `held`: not found, its emoji kept where the face was (video
   * only, briefly). `covered`: not found for longer, its last region painted opaque.
   */
  tracking: 'live' | 'held' | 'covered';
  expression: Expression;
  /** Probability of each expression; sums to 1. */
  probabilities: Record<Expression, number>;
  keypoints: MaskKeypoints;
  /**
   * The face's silhouette (the mesh's face oval, or an ellipse estimated from the detector), in
   * source pixels: the emoji is drawn to cover all of it. Smoothed with the keypoints in video.
   */
  outline: Point[];
  /**
   * Forehead, temple and jaw points the emoji is fitted to besides the keypoints
   * (`MESH_SHAPE_ANCHORS`); empty when the face has no mesh.
   */
  anchors: Point[];
  /**
   * The 468 face-mesh points in source pixels (z in the same pixel scale, larger is farther);
   * empty when the mesh model rejected the face and the keypoints are estimated from the
   * detector's coarser points instead.
   */
  landmarks: { x: number; y: number; z: number }[];
}
