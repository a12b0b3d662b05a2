/**
 * Still images in and out, through sharp (libvips): JPEG, PNG, WebP, AVIF, TIFF and GIF (first
 * frame) are read; JPEG, PNG, WebP, AVIF and TIFF are written, the format chosen by the output's
 * extension. Every decoded image is 8-bit RGBA in display orientation (EXIF rotation applied):
 * grey, 16-bit and alpha-less inputs are converted. Metadata (EXIF, GPS, XMP) is not copied to
 * the output.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import sharp from 'sharp';

import type { RgbaImage } from '../core/types.js';
import { withAtomicOutput } from './atomic-file.js';
import { FileError, describeFsError, firstLine } from './errors.js';
import { readInputBytes } from './input-file.js';

/**
 * The largest image accepted, in pixels (100 megapixels, e.g. 10000 × 10000). Larger inputs are
 * refused before decoding: one such frame is 400 MB of RGBA.
 */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** A decoded image and what the output needs to know about the source. */
export interface DecodedImage {
  image: RgbaImage;
  /** Whether the source had an alpha channel (kept when writing PNG, WebP, AVIF or TIFF). */
  hasAlpha: boolean;
  /** The source format as sharp names it (`jpeg`, `png`, `webp`, ...). */
  format: string;
}

/** Output formats by file extension (lower case, with the dot). */
const OUTPUT_FORMATS = {
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.png': 'png',
  '.webp': 'webp',
  '.avif': 'avif',
  '.tif': 'tiff',
  '.tiff': 'tiff',
} as const;

type OutputFormat = (typeof OUTPUT_FORMATS)[keyof typeof OUTPUT_FORMATS];

/** The image extensions `writeImageFile` accepts. */
export const IMAGE_OUTPUT_EXTENSIONS = Object.keys(OUTPUT_FORMATS);

/** The output format for `file`'s extension, or a FileError listing the supported ones. */
export function outputImageFormat(file: string): OutputFormat {
  const ext = path.extname(file).toLowerCase() as keyof typeof OUTPUT_FORMATS;
  const format = OUTPUT_FORMATS[ext];
  if (!format) {
    throw new FileError(
      file,
      `unsupported image output extension "${path.extname(file)}"; use one of ${IMAGE_OUTPUT_EXTENSIONS.join(' ')}`,
    );
  }
  return format;
}

/**
 * Reads and decodes the image at `file`. Throws a FileError naming the file when it is missing,
 * empty, not an image, truncated or corrupt, or larger than `maxPixels`
 * (default MAX_IMAGE_PIXELS).
 */
export async function readImageFile(
  file: string,
  maxPixels: number = MAX_IMAGE_PIXELS,
): Promise<DecodedImage> {
  const bytes = await readInputBytes(file);
  return decodeImage(bytes, file, maxPixels);
}

/** Decodes encoded image bytes; `name` is used in error messages. */
export async function decodeImage(
  bytes: Uint8Array,
  name: string,
  maxPixels: number = MAX_IMAGE_PIXELS,
): Promise<DecodedImage> {
  let meta;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new FileError(name, `not an image sharp can read (${describeSharpError(error)})`, {
      cause: error,
    });
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) {
    throw new FileError(name, `image has no size (format ${meta.format ?? 'unknown'})`);
  }
  if (width * height > maxPixels) {
    const mp = ((width * height) / 1e6).toFixed(1);
    throw new FileError(
      name,
      `image is ${width}×${height} (${mp} MP), larger than the limit of ${maxPixels / 1e6} MP`,
    );
  }
  try {
    const { data, info } = await sharp(bytes, { failOn: 'warning', limitInputPixels: maxPixels })
      .rotate()
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) {
      throw new Error(`decoded to ${info.channels} channels, expected 4`);
    }
    const image: RgbaImage = {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
    return { image, hasAlpha: meta.hasAlpha === true, format: meta.format ?? 'unknown' };
  } catch (error) {
    throw new FileError(name, `corrupt or truncated image (${describeSharpError(error)})`, {
      cause: error,
    });
  }
}

/** Options for `writeImageFile`. */
export interface WriteImageOptions {
  /** Keep the alpha channel where the format has one (default true); JPEG never has one. */
  alpha?: boolean;
  /** Quality 1–100 for JPEG, WebP and AVIF (default 92). */
  quality?: number;
}

/**
 * Encodes `image` in the format of `file`'s extension and writes it atomically (temporary file
 * in the same folder, then rename). Throws a FileError for an unsupported extension or a write
 * failure; on failure no file is left behind.
 */
export async function writeImageFile(
  file: string,
  image: RgbaImage,
  options: WriteImageOptions = {},
): Promise<void> {
  const format = outputImageFormat(file);
  const bytes = await encodeImage(image, format, options);
  await withAtomicOutput(file, async (temp) => {
    try {
      await writeFile(temp, bytes);
    } catch (error) {
      throw new FileError(file, `cannot write: ${describeFsError(error)}`, { cause: error });
    }
  });
}

/** Encodes an RGBA image to `format` in memory. */
export async function encodeImage(
  image: RgbaImage,
  format: OutputFormat,
  options: WriteImageOptions = {},
): Promise<Buffer> {
  const quality = options.quality ?? 92;
  const keepAlpha = (options.alpha ?? true) && format !== 'jpeg';
  const pixels = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  let pipeline = sharp(pixels, {
    raw: { width: image.width, height: image.height, channels: 4 },
    limitInputPixels: false,
  });
  if (format === 'jpeg') {
    // What a viewer shows for a transparent pixel: the white page behind it.
    pipeline = pipeline.flatten({ background: '#ffffff' });
  } else if (!keepAlpha) {
    pipeline = pipeline.removeAlpha();
  }
  switch (format) {
    case 'jpeg':
      return pipeline.jpeg({ quality, mozjpeg: true }).toBuffer();
    case 'png':
      return pipeline.png().toBuffer();
    case 'webp':
      return pipeline.webp({ quality }).toBuffer();
    case 'avif':
      return pipeline.avif({ quality }).toBuffer();
    case 'tiff':
      return pipeline.tiff({ compression: 'lzw' }).toBuffer();
  }
}

function describeSharpError(error: unknown): string {
  return firstLine(error instanceof Error ? error.message : String(error));
}
