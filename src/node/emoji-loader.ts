/**
 * Reads an emoji pack from a folder: keypoints.json and the seven PNGs it names, decoded with
 * sharp to straight RGBA. By default the pack shipped with this package (assets/emoji/).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { checkEmojiArt, parseEmojiKeypoints } from '../core/emoji/emoji-pack.js';
import type { EmojiArt, EmojiPack } from '../core/emoji/emoji-pack.js';
import { EXPRESSIONS } from '../core/types.js';
import type { Expression } from '../core/types.js';
import { FileError, describeFsError, errnoCode, firstLine } from './errors.js';
import { readImageFile } from './image-io.js';
import { readInputBytes } from './input-file.js';

/**
 * The package's own pack. The path is resolved from this module, two folders up, so it is the
 * package root's assets/emoji/ both from src/node/ (tests) and from dist/node/ (the build).
 */
export const DEFAULT_EMOJI_DIR = fileURLToPath(new URL('../../assets/emoji/', import.meta.url));

/** The file in a pack folder that lists the PNGs and their keypoints. */
export const EMOJI_KEYPOINTS_FILE = 'keypoints.json';

/** Largest emoji PNG accepted, in pixels (4096 x 4096); the shipped ones are 1024 x 1024. */
const MAX_EMOJI_PIXELS = 4096 * 4096;

const REBUILD_HINT = 'rebuild the pack with `node scripts/build-emoji.mjs`';

/**
 * Loads the emoji pack in `dir` (default DEFAULT_EMOJI_DIR) and checks it with the core's
 * `checkEmojiArt`: every PNG at least 512 px, its size as keypoints.json records it, with an
 * alpha channel, its cover disc opaque and its keypoints inside that disc.
 *
 * @throws FileError naming the folder or the file at fault: a missing folder, a missing, empty
 *   or corrupt keypoints.json or PNG, a keypoints.json of the wrong shape, or an image that
 *   fails the checks.
 */
export async function loadEmojiPack(dir: string = DEFAULT_EMOJI_DIR): Promise<EmojiPack> {
  await checkFolder(dir);

  const jsonFile = path.join(dir, EMOJI_KEYPOINTS_FILE);
  const text = (await readInputBytes(jsonFile)).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = firstLine(error instanceof Error ? error.message : String(error));
    throw new FileError(jsonFile, `not valid JSON (${reason})`, { cause: error });
  }
  const placements = asFileError(jsonFile, () => parseEmojiKeypoints(json, jsonFile));

  const entries = await Promise.all(
    EXPRESSIONS.map(async (expression): Promise<[Expression, EmojiArt]> => {
      const { file, width, height, keypoints, cover } = placements[expression];
      const pngFile = path.join(dir, file);
      const { image, hasAlpha } = await readImageFile(pngFile, MAX_EMOJI_PIXELS);
      if (!hasAlpha) {
        throw new FileError(
          pngFile,
          'has no alpha channel; an emoji must be transparent outside its round face',
        );
      }
      if (image.width !== width || image.height !== height) {
        throw new FileError(
          pngFile,
          `is ${image.width}x${image.height} px but ${jsonFile} says ${width}x${height}; ${REBUILD_HINT}`,
        );
      }
      const art: EmojiArt = { image, keypoints, cover };
      asFileError(pngFile, () => checkEmojiArt(art, pngFile));
      return [expression, art];
    }),
  );
  return Object.freeze(Object.fromEntries(entries) as Record<Expression, EmojiArt>);
}

async function checkFolder(dir: string): Promise<void> {
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    const problem =
      errnoCode(error) === 'ENOENT'
        ? `emoji pack folder not found (expected ${EMOJI_KEYPOINTS_FILE} and seven PNGs; ${REBUILD_HINT})`
        : `emoji pack folder: ${describeFsError(error)}`;
    throw new FileError(dir, problem, { cause: error });
  }
  if (!info.isDirectory()) {
    throw new FileError(dir, 'is a file; expected the emoji pack folder');
  }
}

/**
 * Runs a core check whose error messages start with `file: `, rethrowing its TypeError or
 * RangeError as a FileError for `file` (the Node side's one error type for bad files).
 */
function asFileError<T>(file: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
    const prefix = `${file}: `;
    const problem = error.message.startsWith(prefix)
      ? error.message.slice(prefix.length)
      : error.message;
    throw new FileError(file, problem, { cause: error });
  }
}
