/**
 * The JSON the CLI writes with `--json`: one document per image, one line per frame for video
 * (JSON Lines). Coordinates are pixels of the source image as displayed (EXIF rotation or the
 * video's rotation applied), origin top-left, x to the right, y down, rounded to
 * {@link PIXEL_DECIMALS} decimals; scores and probabilities are in 0..1, rounded to
 * {@link PROBABILITY_DECIMALS}. The checkers here are the schema in code: the tests run every
 * document the CLI writes through them.
 */
import {
  EXPRESSIONS,
  MASK_KEYPOINT_NAMES,
  type Expression,
  type FaceResult,
  type MaskKeypoints,
} from '../core/types.js';

/** Decimals kept for pixel coordinates (1/100 px). */
export const PIXEL_DECIMALS = 2;
/** Decimals kept for scores and probabilities. */
export const PROBABILITY_DECIMALS = 4;
/** Decimals kept for frame times in milliseconds (1 µs). */
export const TIME_DECIMALS = 3;

/** One face as written to JSON. */
export interface FaceJson {
  /** The face's id within the stream; in a video the same face keeps it from frame to frame. */
  id: number;
  /** Axis-aligned bounds of the face, source pixels. */
  box: { x: number; y: number; width: number; height: number };
  /** Detector or tracker confidence, 0..1. */
  score: number;
  /**
   * `live`: found in this frame; `held`: not found in this video frame, its emoji kept where the
   * face just was; `covered`: not found for longer, the last region painted over.
   */
  tracking: FaceResult['tracking'];
  /** The most probable expression: the emoji drawn on the face. */
  expression: Expression;
  /** Probability of each of the seven expressions, 0..1, summing to 1 (before rounding). */
  probabilities: Record<Expression, number>;
  /** The six masking keypoints, named for the subject's own left and right, source pixels. */
  keypoints: Record<keyof MaskKeypoints, { x: number; y: number }>;
}

/** What `emoji-mask image --json` writes. */
export interface ImageResultJson {
  /** Size of the image as displayed, pixels. */
  width: number;
  height: number;
  faces: FaceJson[];
}

/** One line of what `emoji-mask video --json` writes, one per frame in display order. */
export interface FrameResultJson {
  /** 0-based frame index. */
  frame: number;
  /** The frame's presentation time in milliseconds, as in the source. */
  timeMs: number;
  faces: FaceJson[];
}

/** Rounds `value` to `decimals` places; -0 becomes 0. */
export function roundTo(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  const rounded = Math.round(value * scale) / scale;
  return rounded === 0 ? 0 : rounded;
}

const px = (value: number): number => roundTo(value, PIXEL_DECIMALS);
const unit = (value: number): number => roundTo(value, PROBABILITY_DECIMALS);

/** The JSON form of one face (the 468 mesh points are left out). */
export function faceToJson(face: FaceResult): FaceJson {
  const probabilities = {} as Record<Expression, number>;
  for (const expression of EXPRESSIONS)
    probabilities[expression] = unit(face.probabilities[expression]);
  const keypoints = {} as FaceJson['keypoints'];
  for (const name of MASK_KEYPOINT_NAMES) {
    const { x, y } = face.keypoints[name];
    keypoints[name] = { x: px(x), y: px(y) };
  }
  return {
    id: face.id,
    box: {
      x: px(face.box.x),
      y: px(face.box.y),
      width: px(face.box.width),
      height: px(face.box.height),
    },
    score: unit(face.score),
    tracking: face.tracking,
    expression: face.expression,
    probabilities,
    keypoints,
  };
}

/** The document for one masked image. */
export function imageResultToJson(
  width: number,
  height: number,
  faces: readonly FaceResult[],
): ImageResultJson {
  return { width, height, faces: faces.map(faceToJson) };
}

/** The line for one video frame. */
export function frameResultToJson(
  frame: number,
  timeMs: number,
  faces: readonly FaceResult[],
): FrameResultJson {
  return { frame, timeMs: roundTo(timeMs, TIME_DECIMALS), faces: faces.map(faceToJson) };
}

/**
 * Checks that `value` is an {@link ImageResultJson}: every field present with the right type,
 * finite numbers, sizes positive integers, probabilities in 0..1 summing to 1 within rounding and
 * `expression` the most probable one.
 *
 * @throws TypeError naming the offending field as a dotted path (`faces.0.box.width: ...`).
 */
export function checkImageResultJson(value: unknown): ImageResultJson {
  const doc = record(value, '(top level)');
  exactKeys(doc, ['width', 'height', 'faces'], '(top level)');
  positiveInteger(doc.width, 'width');
  positiveInteger(doc.height, 'height');
  checkFaces(doc.faces, 'faces', { expressionIsMostProbable: true });
  return value as ImageResultJson;
}

/** Checks that `value` is a {@link FrameResultJson}, as {@link checkImageResultJson} does. */
export function checkFrameResultJson(value: unknown): FrameResultJson {
  const doc = record(value, '(top level)');
  exactKeys(doc, ['frame', 'timeMs', 'faces'], '(top level)');
  if (!Number.isInteger(doc.frame) || (doc.frame as number) < 0) {
    throw new TypeError(`frame: expected an integer >= 0, got ${describe(doc.frame)}`);
  }
  finite(doc.timeMs, 'timeMs');
  // In a video the drawn label is smoothed with hysteresis: it can trail the averaged leader.
  checkFaces(doc.faces, 'faces', { expressionIsMostProbable: false });
  return value as FrameResultJson;
}

/** Most a rounded probability table may be off 1: half a unit of the last decimal, 7 times. */
const SUM_TOLERANCE = 0.5 * 10 ** -PROBABILITY_DECIMALS * EXPRESSIONS.length;

const FACE_KEYS = ['id', 'box', 'score', 'tracking', 'expression', 'probabilities', 'keypoints'];
const TRACKING_STATES: readonly FaceResult['tracking'][] = ['live', 'held', 'covered'];

interface FaceRules {
  /** A photo's expression is its most probable class; a video's is the smoothed, held label. */
  expressionIsMostProbable: boolean;
}

function checkFaces(value: unknown, where: string, rules: FaceRules): void {
  if (!Array.isArray(value))
    throw new TypeError(`${where}: expected an array, got ${describe(value)}`);
  value.forEach((item, i) => checkFace(item, `${where}.${i}`, rules));
}

function checkFace(value: unknown, where: string, rules: FaceRules): void {
  const face = record(value, where);
  exactKeys(face, FACE_KEYS, where);
  if (!Number.isInteger(face.id) || (face.id as number) < 1) {
    throw new TypeError(`${where}.id: expected an integer >= 1, got ${describe(face.id)}`);
  }

  const box = record(face.box, `${where}.box`);
  exactKeys(box, ['x', 'y', 'width', 'height'], `${where}.box`);
  finite(box.x, `${where}.box.x`);
  finite(box.y, `${where}.box.y`);
  inRange(box.width, 0, Number.MAX_VALUE, `${where}.box.width`);
  inRange(box.height, 0, Number.MAX_VALUE, `${where}.box.height`);
  inRange(face.score, 0, 1, `${where}.score`);
  if (!TRACKING_STATES.includes(face.tracking as FaceResult['tracking'])) {
    throw new TypeError(
      `${where}.tracking: expected one of ${TRACKING_STATES.join(', ')}, got ${describe(face.tracking)}`,
    );
  }

  const probabilities = record(face.probabilities, `${where}.probabilities`);
  exactKeys(probabilities, EXPRESSIONS, `${where}.probabilities`);
  let sum = 0;
  for (const expression of EXPRESSIONS) {
    sum += inRange(probabilities[expression], 0, 1, `${where}.probabilities.${expression}`);
  }
  if (Math.abs(sum - 1) > SUM_TOLERANCE) {
    throw new TypeError(`${where}.probabilities: expected a sum of 1, got ${sum}`);
  }
  if (!EXPRESSIONS.includes(face.expression as Expression)) {
    throw new TypeError(
      `${where}.expression: expected one of ${EXPRESSIONS.join(', ')}, got ${describe(face.expression)}`,
    );
  }
  const chosen = probabilities[face.expression as Expression] as number;
  const best = Math.max(...EXPRESSIONS.map((e) => probabilities[e] as number));
  if (rules.expressionIsMostProbable && chosen < best) {
    throw new TypeError(
      `${where}.expression: "${String(face.expression)}" has probability ${chosen}, but another has ${best}`,
    );
  }

  const keypoints = record(face.keypoints, `${where}.keypoints`);
  exactKeys(keypoints, MASK_KEYPOINT_NAMES, `${where}.keypoints`);
  for (const name of MASK_KEYPOINT_NAMES) {
    const point = record(keypoints[name], `${where}.keypoints.${name}`);
    exactKeys(point, ['x', 'y'], `${where}.keypoints.${name}`);
    finite(point.x, `${where}.keypoints.${name}.x`);
    finite(point.y, `${where}.keypoints.${name}.y`);
  }
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${where}: expected an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function exactKeys(value: Record<string, unknown>, keys: readonly string[], where: string): void {
  for (const key of keys) {
    if (!(key in value)) throw new TypeError(`${where}: missing field "${key}"`);
  }
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) {
      throw new TypeError(`${where}: unexpected field "${key}"; expected only ${keys.join(', ')}`);
    }
  }
}

function finite(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${where}: expected a finite number, got ${describe(value)}`);
  }
  return value;
}

function inRange(value: unknown, min: number, max: number, where: string): number {
  const number = finite(value, where);
  if (number < min || number > max) {
    throw new TypeError(`${where}: expected a number in ${min}..${max}, got ${number}`);
  }
  return number;
}

function positiveInteger(value: unknown, where: string): void {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new TypeError(`${where}: expected a positive integer, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
