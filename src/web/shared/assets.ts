/**
 * The files the app loads, all from its own origin (paths relative to the page, so the built
 * site works from any folder of a static host), and a fetch that names the file when it fails.
 */

/** ONNX Runtime's WebAssembly build with the WebGPU provider (the one `onnxruntime-web` uses). */
export const ORT_FILES = {
  mjs: 'ort/ort-wasm-simd-threaded.jsep.mjs',
  wasm: 'ort/ort-wasm-simd-threaded.jsep.wasm',
} as const;

/** The models, as the Node CLI names them (src/node/node-masker.ts). */
export const MODEL_FILES = {
  detector: 'models/face-detector.onnx',
  mtcnnPnet: 'models/mtcnn-pnet.onnx',
  mtcnnRnet: 'models/mtcnn-rnet.onnx',
  mtcnnOnet: 'models/mtcnn-onet.onnx',
  landmarks: 'models/face-landmarks.onnx',
  expression: 'models/expression.onnx',
} as const;

/** The emoji pack: keypoints.json names the seven PNGs beside it. */
export const EMOJI_DIR = 'emoji/';
export const EMOJI_KEYPOINTS_FILE = `${EMOJI_DIR}keypoints.json`;

/** A file that could not be loaded; `file` is its path as served (e.g. `models/expression.onnx`). */
export class AssetError extends Error {
  constructor(
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, options);
    this.name = 'AssetError';
  }
}

export interface FetchProgress {
  file: string;
  loadedBytes: number;
  totalBytes: number | null;
  done: boolean;
}

/**
 * Fetches `file` (relative to `baseUrl`) and returns its bytes, reporting progress as they come.
 *
 * @throws AssetError naming the file for a network failure, an HTTP error status, or an empty
 *   body.
 */
export async function fetchAsset(
  baseUrl: string,
  file: string,
  onProgress: (progress: FetchProgress) => void = () => undefined,
): Promise<Uint8Array> {
  const url = new URL(file, baseUrl).href;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new AssetError(file, `cannot be fetched from ${url} (${messageOf(err)})`, { cause: err });
  }
  if (!response.ok) {
    throw new AssetError(
      file,
      `the server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''} for ${url}`,
    );
  }

  const header = response.headers.get('content-length');
  const totalBytes = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  const chunks: Uint8Array[] = [];
  let loadedBytes = 0;
  try {
    if (response.body === null) throw new Error('the response has no body');
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loadedBytes += value.byteLength;
      onProgress({ file, loadedBytes, totalBytes, done: false });
    }
  } catch (err) {
    throw new AssetError(
      file,
      `download broke off after ${loadedBytes} bytes (${messageOf(err)})`,
      {
        cause: err,
      },
    );
  }
  if (loadedBytes === 0) throw new AssetError(file, `is empty (0 bytes from ${url})`);

  const bytes = new Uint8Array(loadedBytes);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  onProgress({ file, loadedBytes, totalBytes, done: true });
  return bytes;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
