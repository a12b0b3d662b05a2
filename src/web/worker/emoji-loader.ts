/**
 * The emoji pack in the browser: keypoints.json and its seven PNGs fetched from the app's origin,
 * decoded with createImageBitmap and read back through an OffscreenCanvas (no sharp, no fs).
 */

import { checkEmojiArt, parseEmojiKeypoints } from '../../core/emoji/emoji-pack.js';
import type { EmojiArt, EmojiPack } from '../../core/emoji/emoji-pack.js';
import { EXPRESSIONS } from '../../core/types.js';
import type { Expression, RgbaImage } from '../../core/types.js';
import {
  AssetError,
  EMOJI_DIR,
  EMOJI_KEYPOINTS_FILE,
  fetchAsset,
  messageOf,
} from '../shared/assets.js';
import type { FetchProgress } from '../shared/assets.js';

/**
 * Loads and checks the pack (the core's `checkEmojiArt`: size, opaque cover disc, keypoints).
 *
 * @throws AssetError naming the file at fault: keypoints.json missing or malformed, a PNG missing,
 *   undecodable, of another size than keypoints.json says, or failing the checks.
 */
export async function loadEmojiPack(
  baseUrl: string,
  onProgress: (progress: FetchProgress) => void,
): Promise<EmojiPack> {
  const jsonBytes = await fetchAsset(baseUrl, EMOJI_KEYPOINTS_FILE, onProgress);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(jsonBytes));
  } catch (err) {
    throw new AssetError(EMOJI_KEYPOINTS_FILE, `is not valid JSON (${messageOf(err)})`, {
      cause: err,
    });
  }
  const placements = asAssetError(EMOJI_KEYPOINTS_FILE, () =>
    parseEmojiKeypoints(json, EMOJI_KEYPOINTS_FILE),
  );

  const entries = await Promise.all(
    EXPRESSIONS.map(async (expression): Promise<[Expression, EmojiArt]> => {
      const { file, width, height, keypoints, cover } = placements[expression];
      const path = `${EMOJI_DIR}${file}`;
      const image = await decodePng(await fetchAsset(baseUrl, path, onProgress), path);
      if (image.width !== width || image.height !== height) {
        throw new AssetError(
          path,
          `is ${image.width}x${image.height} px but ${EMOJI_KEYPOINTS_FILE} says ${width}x${height}`,
        );
      }
      const art: EmojiArt = { image, keypoints, cover };
      asAssetError(path, () => checkEmojiArt(art, path));
      return [expression, art];
    }),
  );
  return Object.freeze(Object.fromEntries(entries) as Record<Expression, EmojiArt>);
}

/**
 * Straight-alpha RGBA pixels of a PNG. (The 2D canvas stores premultiplied pixels, so alpha
 * below about 1/255 loses its colour; the pack's cover discs are opaque, where nothing is lost.)
 */
async function decodePng(bytes: Uint8Array, path: string): Promise<RgbaImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart], { type: 'image/png' }), {
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    });
  } catch (err) {
    throw new AssetError(path, `cannot be decoded as an image (${messageOf(err)})`, { cause: err });
  }
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (context === null) throw new AssetError(path, 'no 2D canvas to decode it on');
    context.drawImage(bitmap, 0, 0);
    const { data, width, height } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    return { width, height, data };
  } finally {
    bitmap.close();
  }
}

/** Premultiplied copy of an emoji's pixels, as the GPU samples them (bilinear, mipmapped). */
export function premultiply(image: RgbaImage): Uint8Array {
  const src = image.data;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += 4) {
    const a = src[i + 3];
    out[i] = Math.round((src[i] * a) / 255);
    out[i + 1] = Math.round((src[i + 1] * a) / 255);
    out[i + 2] = Math.round((src[i + 2] * a) / 255);
    out[i + 3] = a;
  }
  return out;
}

function asAssetError<T>(file: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw new AssetError(file, messageOf(err).replace(`${file}: `, ''), { cause: err });
  }
}
