/**
 * The masker with Node's batteries: the ONNX models read from a folder, the emoji pack read
 * from another, and onnxruntime-node (CPU) running them.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-node';

import { Masker } from '../core/masker/masker.js';
import type { MaskerModels, MaskerOptions } from '../core/masker/masker-options.js';
import type { ModelSessionOptions } from '../core/runtime.js';
import { loadEmojiPack } from './emoji-loader.js';
import { FileError } from './errors.js';
import { readInputBytes } from './input-file.js';

/**
 * The package's own models folder, resolved from this module two folders up, so it is the package
 * root's models/ both from src/node/ (tests) and from dist/node/ (the build).
 */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

/** The file name of each model inside a models folder. */
export const MODEL_FILES = {
  detector: 'face-detector.onnx',
  mtcnnPnet: 'mtcnn-pnet.onnx',
  mtcnnRnet: 'mtcnn-rnet.onnx',
  mtcnnOnet: 'mtcnn-onet.onnx',
  landmarks: 'face-landmarks.onnx',
  expression: 'expression.onnx',
} as const satisfies Record<keyof MaskerModels, string>;

/** Settings of {@link createNodeMasker}; every field is optional. */
export interface NodeMaskerOptions extends MaskerOptions {
  /** Folder holding the files of {@link MODEL_FILES}. Default: {@link DEFAULT_MODELS_DIR}. */
  modelsDir?: string;
  /** Emoji pack folder (keypoints.json and seven PNGs). Default: the shipped assets/emoji/. */
  emojiDir?: string;
  /**
   * CPU threads for each model (ORT's `intraOpNumThreads`), a positive integer. Default
   * {@link DEFAULT_THREADS}. `session` settings win over what this implies.
   */
  threads?: number;
}

/**
 * One thread per model unless asked: the models are small (about 1 ms a run here), so a
 * second thread gains little on the runs and costs more in hand-overs. Measured at 720p on this
 * 2-core machine (src/node/tools/bench.ts; scratch runs of `masker.process` in video mode): 41-45
 * ms per frame with one thread, 48 ms with two without spinning, 76-86 ms with two and ORT's
 * default spin-waiting, which takes the core the JavaScript between the runs needs.
 */
export const DEFAULT_THREADS = 1;

/**
 * The onnxruntime-node session settings for `threads` CPU threads per model: one operator at a
 * time (the graphs are chains), and pool threads that sleep between runs instead of spinning.
 */
export function nodeSessionOptions(threads: number = DEFAULT_THREADS): ModelSessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

/**
 * Reads the models of `dir` (default {@link DEFAULT_MODELS_DIR}).
 *
 * @throws FileError naming the model file that is missing, unreadable, a folder or empty.
 */
export async function readMaskerModels(dir: string = DEFAULT_MODELS_DIR): Promise<MaskerModels> {
  const read = async (key: keyof MaskerModels): Promise<Uint8Array> => {
    const bytes = await readInputBytes(path.join(dir, MODEL_FILES[key]));
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
  const [detector, mtcnnPnet, mtcnnRnet, mtcnnOnet, landmarks, expression] = await Promise.all(
    (['detector', 'mtcnnPnet', 'mtcnnRnet', 'mtcnnOnet', 'landmarks', 'expression'] as const).map(
      read,
    ),
  );
  return { detector, mtcnnPnet, mtcnnRnet, mtcnnOnet, landmarks, expression };
}

/**
 * Loads the models and the emoji pack and starts a {@link Masker} on onnxruntime-node. The caller
 * owns the masker and calls `dispose()` when done.
 *
 * @throws RangeError when `threads` is not a positive integer.
 * @throws FileError naming the file at fault: a model that is missing, empty or that ONNX Runtime
 *   cannot load, or a broken emoji pack.
 */
export async function createNodeMasker(options: NodeMaskerOptions = {}): Promise<Masker> {
  const { modelsDir = DEFAULT_MODELS_DIR, emojiDir, threads, ...maskerOptions } = options;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new RangeError(`threads: expected a positive integer, got ${threads}`);
  }

  const [models, emoji] = await Promise.all([readMaskerModels(modelsDir), loadEmojiPack(emojiDir)]);
  const session = { ...nodeSessionOptions(threads), ...maskerOptions.session };
  try {
    return await Masker.create(ort, models, emoji, { ...maskerOptions, session });
  } catch (error) {
    throw asModelFileError(error, modelsDir) ?? error;
  }
}

/**
 * The core names a model that fails to load by its file name (`expression.onnx: cannot load
 * model: ...`); this puts the full path in front instead, as a FileError.
 */
function asModelFileError(error: unknown, dir: string): FileError | undefined {
  if (!(error instanceof Error)) return undefined;
  for (const file of Object.values(MODEL_FILES)) {
    const prefix = `${file}: `;
    if (error.message.startsWith(prefix)) {
      return new FileError(path.join(dir, file), error.message.slice(prefix.length), {
        cause: error,
      });
    }
  }
  return undefined;
}
