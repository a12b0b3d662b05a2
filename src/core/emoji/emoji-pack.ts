/**
 * The emoji artwork the masker draws: one image per expression, with the six masking keypoints
 * marked on it and the disc of the emoji's face.
 *
 * A pack on disk is a folder of PNGs plus `keypoints.json` (built by scripts/build-emoji.mjs,
 * described in assets/emoji/README.md). This module checks the JSON and the decoded pack; reading
 * the files is the platform's job (src/node/emoji-loader.ts in Node).
 */

import { assertRgbaImage } from '../compose/rgba-check.js';
import { EXPRESSIONS, MASK_KEYPOINT_NAMES } from '../types.js';
import type { Expression, MaskKeypoints, Point, RgbaImage } from '../types.js';

/** A circle in image pixels (continuous coordinates, origin at the image's top-left corner). */
export interface CoverDisc {
  centerX: number;
  centerY: number;
  /** Radius in pixels, > 0. */
  radius: number;
}

/** One emoji, in its own pixel coordinates (origin top-left of `image`). */
export interface EmojiArt {
  /** Straight (not premultiplied) RGBA artwork, at least 512 px on each side. */
  image: RgbaImage;
  /** Where the subject's eye corners, mouth corners, philtrum and chin fall on the artwork. */
  keypoints: MaskKeypoints;
  /**
   * The opaque round face of the emoji: everything inside this circle covers what is behind it
   * (every pixel centre inside has alpha >= COVER_MIN_ALPHA).
   */
  cover: CoverDisc;
}

/** One emoji for each of the seven expressions. */
export type EmojiPack = Readonly<Record<Expression, EmojiArt>>;

/** The smallest emoji side accepted, in pixels: below it a close-up face looks blurred. */
export const MIN_EMOJI_SIZE = 512;

/** The least alpha (of 255) of any pixel whose centre lies inside an emoji's cover disc. */
export const COVER_MIN_ALPHA = 250;

/** The `version` of the keypoints.json format this module reads. */
export const EMOJI_KEYPOINTS_VERSION = 1;

/** What keypoints.json says about one emoji: its PNG and its geometry in that PNG's pixels. */
export interface EmojiPlacement {
  /** The PNG's file name inside the pack folder (a plain name ending in `.png`, no folders). */
  file: string;
  /** The size the PNG must have, in pixels. */
  width: number;
  height: number;
  keypoints: MaskKeypoints;
  cover: CoverDisc;
}

/**
 * Checks the parsed contents of a keypoints.json and returns the placement of each of the seven
 * emoji. `source` names the file in error messages.
 *
 * Expected shape: `{ version: 1, expressions: { <expression>: { file, width, height, keypoints:
 * { leftEyeOuter: {x, y}, ...six points }, cover: { centerX, centerY, radius } } } }`, with an
 * entry for every expression and no other; other top-level and per-entry fields are ignored.
 *
 * @throws TypeError naming `source` and the field (as a dotted path) for a missing field or a
 *   value of the wrong type; RangeError for an unsupported version, an unknown expression, a
 *   non-finite coordinate, a size that is not a positive integer or a radius <= 0.
 */
export function parseEmojiKeypoints(
  json: unknown,
  source: string,
): Readonly<Record<Expression, EmojiPlacement>> {
  const root = expectObject(json, source, '(top level)');
  if (root.version !== EMOJI_KEYPOINTS_VERSION) {
    throw new RangeError(
      `${source}: version: expected ${EMOJI_KEYPOINTS_VERSION}, got ${describe(root.version)}`,
    );
  }
  const expressions = expectObject(root.expressions, source, 'expressions');
  for (const key of Object.keys(expressions)) {
    if (!(EXPRESSIONS as readonly string[]).includes(key)) {
      throw new RangeError(
        `${source}: expressions.${key}: unknown expression; expected only ${EXPRESSIONS.join(', ')}`,
      );
    }
  }

  const out = {} as Record<Expression, EmojiPlacement>;
  for (const expression of EXPRESSIONS) {
    out[expression] = parsePlacement(expressions[expression], source, `expressions.${expression}`);
  }
  return out;
}

/**
 * Checks one decoded emoji: a well-formed RGBA image at least MIN_EMOJI_SIZE on each side, a
 * cover disc inside the image whose every pixel is opaque (alpha >= COVER_MIN_ALPHA), the six
 * keypoints finite and inside the disc, and the subject's left on the image right (left eye and
 * mouth corner to the right of the right ones). `name` starts each error message.
 *
 * @throws RangeError describing the first problem found.
 */
export function checkEmojiArt(art: EmojiArt, name: string): void {
  const { image, keypoints, cover } = art;
  assertRgbaImage(image, name);
  if (image.width < MIN_EMOJI_SIZE || image.height < MIN_EMOJI_SIZE) {
    throw new RangeError(
      `${name}: image is ${image.width}x${image.height} px, expected at least ${MIN_EMOJI_SIZE} px on each side`,
    );
  }

  const { centerX, centerY, radius } = cover;
  if (![centerX, centerY, radius].every(Number.isFinite) || radius <= 0) {
    throw new RangeError(
      `${name}: cover disc must have finite centre and a radius > 0, got centre (${centerX}, ${centerY}) radius ${radius}`,
    );
  }
  const inside =
    centerX - radius >= 0 &&
    centerY - radius >= 0 &&
    centerX + radius <= image.width &&
    centerY + radius <= image.height;
  if (!inside) {
    throw new RangeError(
      `${name}: cover disc (centre (${centerX}, ${centerY}), radius ${radius}) does not fit inside the ${image.width}x${image.height} image`,
    );
  }

  for (const key of MASK_KEYPOINT_NAMES) {
    const p: Point | undefined = keypoints[key];
    if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new RangeError(`${name}: keypoint ${key} must have finite x and y, got ${describe(p)}`);
    }
    if (Math.hypot(p.x - centerX, p.y - centerY) >= radius) {
      throw new RangeError(
        `${name}: keypoint ${key} (${p.x}, ${p.y}) lies outside the cover disc (centre (${centerX}, ${centerY}), radius ${radius})`,
      );
    }
  }
  const { leftEyeOuter, rightEyeOuter, mouthLeft, mouthRight } = keypoints;
  if (leftEyeOuter.x <= rightEyeOuter.x || mouthLeft.x <= mouthRight.x) {
    throw new RangeError(
      `${name}: keypoints are mirrored: the subject's left eye and mouth corner must be right of the right ones in the image, got eye x ${leftEyeOuter.x} (left) vs ${rightEyeOuter.x} (right), mouth x ${mouthLeft.x} vs ${mouthRight.x}`,
    );
  }

  const leak = firstTranslucentPixel(image, cover);
  if (leak) {
    throw new RangeError(
      `${name}: pixel (${leak.x}, ${leak.y}) inside the cover disc has alpha ${leak.alpha}, expected >= ${COVER_MIN_ALPHA}: the face behind would show through`,
    );
  }
}

/**
 * Checks a whole pack: an entry for each of the seven expressions, each passing
 * {@link checkEmojiArt} (errors are prefixed `emoji pack: <expression>`).
 *
 * @throws RangeError describing the first problem found.
 */
export function checkEmojiPack(pack: EmojiPack): void {
  for (const expression of EXPRESSIONS) {
    const art: EmojiArt | undefined = pack[expression];
    if (!art) {
      throw new RangeError(
        `emoji pack: no emoji for "${expression}"; a pack needs all of ${EXPRESSIONS.join(', ')}`,
      );
    }
    checkEmojiArt(art, `emoji pack: ${expression}`);
  }
}

/** The first pixel (row by row) whose centre is inside `disc` and whose alpha is too low. */
function firstTranslucentPixel(
  image: RgbaImage,
  disc: CoverDisc,
): { x: number; y: number; alpha: number } | null {
  const { width, data } = image;
  const { centerX, centerY, radius } = disc;
  const r2 = radius * radius;
  const y0 = Math.max(0, Math.floor(centerY - radius));
  const y1 = Math.min(image.height - 1, Math.ceil(centerY + radius));
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - centerY;
    const half2 = r2 - dy * dy;
    if (half2 <= 0) continue;
    // Pixel centres x + 0.5 strictly inside the chord at this row.
    const half = Math.sqrt(half2);
    const x0 = Math.max(0, Math.ceil(centerX - half - 0.5));
    const x1 = Math.min(width - 1, Math.floor(centerX + half - 0.5));
    for (let x = x0; x <= x1; x++) {
      const alpha = data[(y * width + x) * 4 + 3];
      if (alpha < COVER_MIN_ALPHA) return { x, y, alpha };
    }
  }
  return null;
}

function parsePlacement(value: unknown, source: string, at: string): EmojiPlacement {
  const entry = expectObject(value, source, at);
  const file = entry.file;
  if (typeof file !== 'string') {
    throw new TypeError(`${source}: ${at}.file: expected a file name, got ${describe(file)}`);
  }
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*\.png$/.test(file)) {
    throw new RangeError(
      `${source}: ${at}.file: expected a plain PNG file name (letters, digits, . _ -, ending in .png, no folders), got ${describe(file)}`,
    );
  }
  const width = expectSize(entry.width, source, `${at}.width`);
  const height = expectSize(entry.height, source, `${at}.height`);

  const points = expectObject(entry.keypoints, source, `${at}.keypoints`);
  const keypoints = {} as MaskKeypoints;
  for (const key of MASK_KEYPOINT_NAMES) {
    const point = expectObject(points[key], source, `${at}.keypoints.${key}`);
    keypoints[key] = {
      x: expectFinite(point.x, source, `${at}.keypoints.${key}.x`),
      y: expectFinite(point.y, source, `${at}.keypoints.${key}.y`),
    };
  }

  const disc = expectObject(entry.cover, source, `${at}.cover`);
  const cover: CoverDisc = {
    centerX: expectFinite(disc.centerX, source, `${at}.cover.centerX`),
    centerY: expectFinite(disc.centerY, source, `${at}.cover.centerY`),
    radius: expectFinite(disc.radius, source, `${at}.cover.radius`),
  };
  if (cover.radius <= 0) {
    throw new RangeError(`${source}: ${at}.cover.radius: expected > 0, got ${cover.radius}`);
  }
  return { file, width, height, keypoints, cover };
}

function expectObject(value: unknown, source: string, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${source}: ${at}: expected an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function expectFinite(value: unknown, source: string, at: string): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${source}: ${at}: expected a number, got ${describe(value)}`);
  }
  if (!Number.isFinite(value)) {
    throw new RangeError(`${source}: ${at}: expected a finite number, got ${value}`);
  }
  return value;
}

function expectSize(value: unknown, source: string, at: string): number {
  const size = expectFinite(value, source, at);
  if (!Number.isInteger(size) || size <= 0) {
    throw new RangeError(`${source}: ${at}: expected a positive integer (pixels), got ${size}`);
  }
  return size;
}

/** A short description of a JSON value for error messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (typeof value === 'object') return 'an object';
  return String(value);
}
