/**
 * The two JavaScript face-expression libraries we compare against, run the way their own Node
 * builds run without native code: `@vladmandic/face-api` 1.7 and `@vladmandic/human` 3.3, both on
 * tfjs 4.22's WASM backend (single-threaded in Node), with the model files shipped inside their
 * npm packages. Nothing is downloaded: the WASM binaries come from node_modules and the global
 * `fetch` is replaced, while a peer is loaded, by one that only reads local files.
 *
 * Only the small part of each library's API used here is typed (structurally, below); their own
 * declaration files bundle a private copy of tfjs' types.
 */

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { EXPRESSIONS, type Box, type Expression, type RgbaImage } from '../../core/types.js';

const require = createRequire(import.meta.url);

/** The few tensor operations used on a peer's own tfjs instance. */
export interface TfTensor {
  readonly shape: number[];
  dispose(): void;
  data(): Promise<Float32Array | Int32Array | Uint8Array>;
}

type TensorValues = Uint8Array | Int32Array | Float32Array;

interface TfModule {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  tensor3d(
    values: TensorValues,
    shape: [number, number, number],
    dtype?: 'int32' | 'float32',
  ): TfTensor;
  tensor4d(
    values: TensorValues,
    shape: [number, number, number, number],
    dtype?: 'int32' | 'float32',
  ): TfTensor;
  tidy<T extends TfTensor>(fn: () => T): T;
  div(a: TfTensor, b: number): TfTensor;
  sub(a: TfTensor, b: number): TfTensor;
  mul(a: TfTensor, b: number): TfTensor;
  image: { resizeBilinear(x: TfTensor, size: [number, number], alignCorners?: boolean): TfTensor };
  memory(): { numTensors: number };
}

interface FaceApiNet {
  loadFromDisk(dir: string): Promise<void>;
}

interface FaceApiDetection {
  score: number;
  box: { x: number; y: number; width: number; height: number };
}

interface FaceApiDetectAll extends PromiseLike<FaceApiDetection[]> {
  withFaceLandmarks(): {
    withFaceExpressions(): PromiseLike<
      { detection: FaceApiDetection; expressions: Record<string, number> }[]
    >;
  };
}

interface FaceApiModule {
  tf: TfModule;
  version: string;
  nets: {
    ssdMobilenetv1: FaceApiNet;
    tinyFaceDetector: FaceApiNet;
    faceLandmark68Net: FaceApiNet;
    faceExpressionNet: FaceApiNet & {
      predictExpressions(
        input: TfTensor | TfTensor[],
      ): Promise<Record<string, number> | Record<string, number>[]>;
    };
  };
  SsdMobilenetv1Options: new (options: { minConfidence?: number; maxResults?: number }) => object;
  TinyFaceDetectorOptions: new (options: { inputSize?: number; scoreThreshold?: number }) => object;
  detectAllFaces(input: TfTensor, options: object): FaceApiDetectAll;
}

interface HumanFace {
  box: [number, number, number, number];
  score: number;
  emotion?: { score: number; emotion: string }[];
}

interface HumanInstance {
  version: string;
  tf: TfModule;
  load(): Promise<void>;
  detect(input: TfTensor, config?: object): Promise<{ face?: HumanFace[]; error?: string | null }>;
  models: { models: Record<string, { execute(input: TfTensor): TfTensor } | null> };
}

interface HumanModule {
  Human: new (config: object) => HumanInstance;
}

/** A face a peer found, in source pixels, with its expression mapped to our labels. */
export interface PeerFace {
  box: Box;
  score: number;
  expression: Expression | null;
}

/**
 * face-api's expression names, in the order of its model's outputs, and the FER2013 class each
 * one is mapped to (the same seven emotions under other names).
 */
export const FACE_API_LABELS: Readonly<Record<string, Expression>> = {
  neutral: 'neutral',
  happy: 'happy',
  sad: 'sad',
  angry: 'angry',
  fearful: 'fear',
  disgusted: 'disgust',
  surprised: 'surprise',
};

/**
 * human's emotion names (its oarriaga FER2013 model, outputs in FER2013's own order); each is
 * the FER2013 class of the same name.
 */
export const HUMAN_LABELS: readonly Expression[] = [
  'angry',
  'disgust',
  'fear',
  'happy',
  'sad',
  'surprise',
  'neutral',
];

/** human's default `cacheSensitivity` (how different a frame must be to be analysed afresh). */
const HUMAN_DEFAULT_CACHE = 0.7;
/** Side of the square grey crop human's emotion model reads. */
export const HUMAN_EMOTION_INPUT = 64;

/** The folder of an installed package, found from its main file or its package.json. */
function packageDir(name: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    // human's `exports` hides package.json; its main file lives in dist/.
    return path.dirname(path.dirname(require.resolve(name)));
  }
}

/** The folder holding tfjs-backend-wasm's .wasm files, with a trailing slash. */
export function wasmDir(): string {
  return path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist') + path.sep;
}

/**
 * Runs `load` with a global `fetch` that reads `file://` URLs from disk and rejects anything
 * else, so a peer that tries the network fails loudly instead of downloading.
 */
async function withLocalFetch<T>(load: () => Promise<T>): Promise<T> {
  const original = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith('file://')) {
      throw new Error(`peer tried to fetch ${url}; only local files are allowed`);
    }
    const file = fileURLToPath(url);
    const type = file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    return new Response(await readFile(file), { headers: { 'content-type': type } });
  };
  try {
    return await load();
  } finally {
    globalThis.fetch = original;
  }
}

let faceApi: Promise<FaceApiModule> | undefined;

/** face-api's node-wasm build on the WASM backend (loaded once per process). */
export function loadFaceApi(): Promise<FaceApiModule> {
  faceApi ??= withLocalFetch(async () => {
    const module = require(
      path.join(packageDir('@vladmandic/face-api'), 'dist', 'face-api.node-wasm.js'),
    ) as FaceApiModule;
    const wasm = require('@tensorflow/tfjs-backend-wasm') as {
      setWasmPaths(prefix: string): void;
    };
    wasm.setWasmPaths(wasmDir());
    await module.tf.setBackend('wasm');
    await module.tf.ready();
    if (module.tf.getBackend() !== 'wasm') {
      throw new Error(`face-api: expected the wasm backend, got ${module.tf.getBackend()}`);
    }
    return module;
  });
  return faceApi;
}

/** The folder of face-api's shipped model files. */
export function faceApiModelDir(): string {
  return path.join(packageDir('@vladmandic/face-api'), 'model');
}

/** Packs the RGB of an RGBA image into a new array (the layout tfjs image tensors take). */
export function rgbOf(image: RgbaImage): Uint8Array {
  const out = new Uint8Array(image.width * image.height * 3);
  for (let i = 0, j = 0; i < out.length; i += 3, j += 4) {
    out[i] = image.data[j];
    out[i + 1] = image.data[j + 1];
    out[i + 2] = image.data[j + 2];
  }
  return out;
}

/** face-api's full pipeline: tiny face detector, 68 landmarks, expressions. */
export class FaceApiPeer {
  private constructor(
    private readonly api: FaceApiModule,
    private readonly detectorOptions: object,
  ) {}

  /**
   * Loads the three nets from the package's model folder.
   *
   * @param inputSize the tiny detector's input side (a multiple of 32; face-api's default 416)
   */
  static async create(inputSize = 416): Promise<FaceApiPeer> {
    const api = await loadFaceApi();
    const dir = faceApiModelDir();
    await api.nets.tinyFaceDetector.loadFromDisk(dir);
    await api.nets.faceLandmark68Net.loadFromDisk(dir);
    await api.nets.faceExpressionNet.loadFromDisk(dir);
    return new FaceApiPeer(api, new api.TinyFaceDetectorOptions({ inputSize }));
  }

  get version(): string {
    return this.api.version;
  }

  /** An RGB tensor of `image` (the caller disposes it); kept out of the timed part. */
  input(image: RgbaImage): TfTensor {
    return this.api.tf.tensor3d(rgbOf(image), [image.height, image.width, 3], 'int32');
  }

  /** Every face in `input` with its most likely expression. */
  async detect(input: TfTensor): Promise<PeerFace[]> {
    const found = await this.api
      .detectAllFaces(input, this.detectorOptions)
      .withFaceLandmarks()
      .withFaceExpressions();
    return found.map(({ detection, expressions }) => ({
      box: {
        x: detection.box.x,
        y: detection.box.y,
        width: detection.box.width,
        height: detection.box.height,
      },
      score: detection.score,
      expression: topLabel(expressions),
    }));
  }

  /**
   * The expression net alone on grey 48x48 FER2013 images (`count` of them, row-major, one after
   * another), each repeated into three channels; the net resizes them to 112x112 itself.
   * Returns one row of seven probabilities per image, in {@link EXPRESSIONS} order.
   */
  async expressions(grey: Uint8Array, size: number, count: number): Promise<Float32Array> {
    const tf = this.api.tf;
    const out = new Float32Array(count * EXPRESSIONS.length);
    const tensors: TfTensor[] = [];
    for (let i = 0; i < count; i++) {
      const rgb = new Uint8Array(size * size * 3);
      for (let p = 0; p < size * size; p++) {
        const v = grey[i * size * size + p];
        rgb[3 * p] = v;
        rgb[3 * p + 1] = v;
        rgb[3 * p + 2] = v;
      }
      tensors.push(tf.tensor3d(rgb, [size, size, 3], 'int32'));
    }
    try {
      const result = await this.api.nets.faceExpressionNet.predictExpressions(tensors);
      const rows = Array.isArray(result) ? result : [result];
      rows.forEach((row, i) => {
        for (const [name, label] of Object.entries(FACE_API_LABELS)) {
          out[i * EXPRESSIONS.length + EXPRESSIONS.indexOf(label)] = row[name];
        }
      });
    } finally {
      for (const t of tensors) t.dispose();
    }
    return out;
  }
}

/** human's face pipeline (BlazeFace detector, face mesh) with its emotion model. */
export class HumanPeer {
  private constructor(private readonly human: HumanInstance) {}

  static async create(): Promise<HumanPeer> {
    const dir = packageDir('@vladmandic/human');
    const config = {
      backend: 'wasm',
      wasmPath: wasmDir(),
      modelBasePath: pathToFileURL(path.join(dir, 'models')).href + '/',
      debug: false,
      warmup: 'none',
      filter: { enabled: false },
      face: {
        enabled: true,
        detector: { rotation: false, maxDetected: 20 },
        mesh: { enabled: true },
        iris: { enabled: false },
        description: { enabled: false },
        emotion: { enabled: true },
        antispoof: { enabled: false },
        liveness: { enabled: false },
      },
      body: { enabled: false },
      hand: { enabled: false },
      object: { enabled: false },
      gesture: { enabled: false },
      segmentation: { enabled: false },
    };
    const human = await withLocalFetch(async () => {
      const module = require(path.join(dir, 'dist', 'human.node-wasm.js')) as HumanModule;
      const instance = new module.Human(config);
      await instance.load();
      await instance.tf.ready();
      return instance;
    });
    if (human.tf.getBackend() !== 'wasm') {
      throw new Error(`human: expected the wasm backend, got ${human.tf.getBackend()}`);
    }
    if (!human.models.models.emotion) throw new Error('human: the emotion model did not load');
    return new HumanPeer(human);
  }

  get version(): string {
    return this.human.version;
  }

  /** An RGB batch-of-one tensor of `image` (the caller disposes it). */
  input(image: RgbaImage): TfTensor {
    return this.human.tf.tensor4d(rgbOf(image), [1, image.height, image.width, 3], 'int32');
  }

  /**
   * Every face in `input` with its most likely expression.
   *
   * @param cache let human skip work when the frame looks like the previous one (its default,
   *   `cacheSensitivity` 0.7), or compute everything on every frame (`false`)
   */
  async detect(input: TfTensor, cache: boolean): Promise<PeerFace[]> {
    const result = await this.human.detect(input, {
      cacheSensitivity: cache ? HUMAN_DEFAULT_CACHE : 0,
    });
    if (result.error || !result.face)
      throw new Error(`human: ${result.error ?? 'no face list in the result'}`);
    return result.face.map((f) => {
      const top = f.emotion?.[0]?.emotion;
      return {
        box: { x: f.box[0], y: f.box[1], width: f.box[2], height: f.box[3] },
        score: f.score,
        expression: top !== undefined && isExpression(top) ? top : null,
      };
    });
  }

  /**
   * The emotion model alone on grey FER2013 images, prepared as human prepares a face crop:
   * values scaled to 0..1, resized bilinearly to 64x64, then mapped to -1..1. Returns one row of
   * seven probabilities per image in {@link EXPRESSIONS} order.
   */
  async expressions(grey: Uint8Array, size: number, count: number): Promise<Float32Array> {
    const tf = this.human.tf;
    const model = this.human.models.models.emotion;
    if (!model) throw new Error('human: the emotion model is not loaded');
    const values = Float32Array.from(grey.subarray(0, count * size * size));
    const input = tf.tensor4d(values, [count, size, size, 1], 'float32');
    const output = tf.tidy(() => {
      const resized = tf.image.resizeBilinear(
        tf.div(input, 255),
        [HUMAN_EMOTION_INPUT, HUMAN_EMOTION_INPUT],
        false,
      );
      return model.execute(tf.mul(tf.sub(resized, 0.5), 2));
    });
    try {
      const data = await output.data();
      const out = new Float32Array(count * EXPRESSIONS.length);
      for (let i = 0; i < count; i++) {
        HUMAN_LABELS.forEach((label, k) => {
          out[i * EXPRESSIONS.length + EXPRESSIONS.indexOf(label)] =
            data[i * HUMAN_LABELS.length + k];
        });
      }
      return out;
    } finally {
      input.dispose();
      output.dispose();
    }
  }
}

function isExpression(name: string): name is Expression {
  return (EXPRESSIONS as readonly string[]).includes(name);
}

function topLabel(expressions: Record<string, number>): Expression | null {
  let best: string | null = null;
  for (const name of Object.keys(FACE_API_LABELS)) {
    if (best === null || expressions[name] > expressions[best]) best = name;
  }
  return best === null ? null : FACE_API_LABELS[best];
}
