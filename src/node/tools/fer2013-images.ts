/**
 * FER2013's PrivateTest faces from the image release (see ../shared/data/fer2013/README.md):
 * read from an unpacked copy (`~/.cache/fer2013/test/<class>/PrivateTest_<id>.jpg`) when there is
 * one, else straight out of the tarball, and decoded to 48x48 grey with sharp.
 */

import { readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

import sharp from 'sharp';

import { EXPRESSIONS } from '../../core/types.js';

/** Side of every FER2013 image, in pixels. */
export const FER_IMAGE_SIZE = 48;

/** FER2013 PrivateTest per-class counts in {@link EXPRESSIONS} order (the dataset's README). */
export const PRIVATE_TEST_COUNTS = [491, 55, 528, 879, 594, 416, 626] as const;

/** The unpacked image release, when a user has one. */
export const DEFAULT_FER_DIR = path.join(os.homedir(), '.cache', 'fer2013');

/** The image release tarball in the shared material beside the repository. */
export const DEFAULT_FER_TARBALL = fileURLToPath(
  new URL('../../../../shared/data/fer2013/fer2013-images.tar.gz', import.meta.url),
);

/** Decoded faces of one split. */
export interface FerFaces {
  /** `count` grey images of 48x48, row-major, one after another. */
  grey: Uint8Array;
  /** Class index in {@link EXPRESSIONS} order, one per image. */
  labels: number[];
  count: number;
  /** Where the images were read from (a folder or the tarball). */
  source: string;
}

/** Options of {@link readPrivateTest}. */
export interface ReadPrivateTestOptions {
  /** Unpacked release folder (with `test/<class>/`); default {@link DEFAULT_FER_DIR}. */
  dir?: string;
  /** Tarball to read when `dir` has no PrivateTest images; default {@link DEFAULT_FER_TARBALL}. */
  tarball?: string;
  /**
   * Keep every `stride`-th image of each class (in file-name order), for quick runs; default 1
   * (all 3589).
   */
  stride?: number;
}

const PRIVATE_TEST = /^PrivateTest_\d+\.jpg$/;

/**
 * Reads every PrivateTest image (or every `stride`-th of each class).
 *
 * @throws Error naming the folder or tarball when neither holds the split, a file does not
 *   decode to 48x48, or (with stride 1) the per-class counts differ from the README's.
 */
export async function readPrivateTest(options: ReadPrivateTestOptions = {}): Promise<FerFaces> {
  const stride = options.stride ?? 1;
  if (!(Number.isInteger(stride) && stride >= 1)) {
    throw new RangeError(`stride: expected a whole number >= 1, got ${stride}`);
  }
  const dir = options.dir ?? DEFAULT_FER_DIR;
  const tarball = options.tarball ?? DEFAULT_FER_TARBALL;

  let files = await readFromFolder(dir);
  let source = path.join(dir, 'test');
  if (files === null) {
    files = await readFromTarball(tarball);
    source = tarball;
  }
  const counts = EXPRESSIONS.map((_, k) => files.filter((f) => f.label === k).length);
  if (counts.join() !== PRIVATE_TEST_COUNTS.join()) {
    throw new Error(
      `${source}: expected PrivateTest counts ${PRIVATE_TEST_COUNTS.join(', ')} (angry..neutral), got ${counts.join(', ')}`,
    );
  }

  files.sort((a, b) => a.label - b.label || a.name.localeCompare(b.name));
  const seen = EXPRESSIONS.map(() => 0);
  const kept = files.filter((f) => seen[f.label]++ % stride === 0);
  const size = FER_IMAGE_SIZE;
  const grey = new Uint8Array(kept.length * size * size);
  await Promise.all(
    kept.map(async (file, i) => {
      const { data, info } = await sharp(file.bytes)
        .greyscale()
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.width !== size || info.height !== size || info.channels !== 1) {
        throw new Error(
          `${source}: ${file.name} decoded to ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x1`,
        );
      }
      grey.set(data, i * size * size);
    }),
  );
  return { grey, labels: kept.map((f) => f.label), count: kept.length, source };
}

interface EncodedFace {
  name: string;
  label: number;
  bytes: Uint8Array;
}

/** The PrivateTest files of an unpacked release, or null when it has none. */
async function readFromFolder(dir: string): Promise<EncodedFace[] | null> {
  const test = path.join(dir, 'test');
  const isDir = await stat(test).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) return null;
  const faces: EncodedFace[] = [];
  for (const [label, name] of EXPRESSIONS.entries()) {
    const folder = path.join(test, name);
    const entries = await readdir(folder).catch(() => [] as string[]);
    for (const entry of entries.filter((e) => PRIVATE_TEST.test(e))) {
      faces.push({ name: entry, label, bytes: await readFile(path.join(folder, entry)) });
    }
  }
  return faces.length > 0 ? faces : null;
}

async function readFromTarball(file: string): Promise<EncodedFace[]> {
  let archive: Uint8Array;
  try {
    archive = gunzipSync(await readFile(file));
  } catch (error) {
    throw new Error(`${file}: cannot read the FER2013 tarball (${(error as Error).message})`, {
      cause: error,
    });
  }
  const faces: EncodedFace[] = [];
  for (const entry of tarEntries(archive, file)) {
    const match = /^test\/([a-z]+)\/(PrivateTest_\d+\.jpg)$/.exec(entry.name);
    if (!match) continue;
    const label = (EXPRESSIONS as readonly string[]).indexOf(match[1]);
    if (label < 0) throw new Error(`${file}: ${entry.name} is not in a class folder`);
    faces.push({ name: match[2], label, bytes: entry.data });
  }
  return faces;
}

/**
 * The regular files of an uncompressed ustar archive (name with its ustar prefix, and bytes).
 * Other entry types (folders, links, pax headers) are skipped.
 */
export function* tarEntries(
  tar: Uint8Array,
  name: string,
): Generator<{ name: string; data: Uint8Array }> {
  const field = (from: number, length: number): string => {
    const bytes = tar.subarray(from, from + length);
    const end = bytes.indexOf(0);
    return Buffer.from(end < 0 ? bytes : bytes.subarray(0, end)).toString('utf8');
  };
  let offset = 0;
  while (offset + 512 <= tar.length && tar[offset] !== 0) {
    const size = parseInt(field(offset + 124, 12).trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0)
      throw new Error(`${name}: bad tar header at byte ${offset}`);
    const type = field(offset + 156, 1);
    const prefix = field(offset + 257, 6).startsWith('ustar') ? field(offset + 345, 155) : '';
    const body = offset + 512;
    if (body + size > tar.length)
      throw new Error(`${name}: tar entry at byte ${offset} runs past the end`);
    if (type === '0' || type === '') {
      yield {
        name: (prefix ? `${prefix}/` : '') + field(offset, 100),
        data: tar.subarray(body, body + size),
      };
    }
    offset = body + Math.ceil(size / 512) * 512;
  }
}
