/**
 * The inference worker: loads ONNX Runtime (WebAssembly, threads when the page is cross-origin
 * isolated, WebGPU when asked for and available), the models and the emoji pack, then
 * analyses each frame the page sends and hands it back with its faces and its mask plan.
 *
 * Work is done one message at a time, in order: a frame never runs while the masker is being
 * rebuilt for new settings, and the page sends the next frame only after the last result.
 */

import * as ort from 'onnxruntime-web';

import type { EmojiPack } from '../../core/emoji/emoji-pack.js';
import { Masker } from '../../core/masker/masker.js';
import type { MaskerModels, MaskerOptions } from '../../core/masker/masker-options.js';
import type { RgbaImage } from '../../core/types.js';
import { EXPRESSIONS } from '../../core/types.js';
import { AssetError, MODEL_FILES, ORT_FILES, fetchAsset, messageOf } from '../shared/assets.js';
import type { FetchProgress } from '../shared/assets.js';
import { planMasks, preparePack, type PlanningPack } from '../../core/masker/mask-plan.js';
import type {
  Backend,
  FromWorker,
  PipelineSettings,
  RuntimeInfo,
  Stage,
  ToWorker,
} from '../shared/protocol.js';
import { smoothingOptions } from '../shared/smoothing.js';
import { isVideoFrame, frameSize, type CameraFrame } from '../shared/camera-frame.js';
import { loadEmojiPack, premultiply } from './emoji-loader.js';
import { StageClock } from './stage-clock.js';
import { yuvToRgba } from './yuv-to-rgba.js';

/** At most this many WebAssembly threads: the models are small, more threads barely help. */
const MAX_THREADS = 4;

interface Loaded {
  models: MaskerModels;
  pack: EmojiPack;
  planning: PlanningPack;
  clock: StageClock;
}

const scope = self as unknown as DedicatedWorkerGlobalScope;
let loaded: Loaded | null = null;
let masker: Masker | null = null;
let pixels: OffscreenCanvasRenderingContext2D | null = null;
/** Every message is handled after the previous one is done. */
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  queue = queue.then(() => handle(message));
};

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'init':
      await init(message.baseUrl, message.pipeline, message.threads);
      return;
    case 'pipeline':
      if (loaded === null) return;
      try {
        await rebuild(loaded, message.pipeline);
      } catch (err) {
        // The old masker keeps running with its settings.
        post({ type: 'warning', message: `New settings not applied: ${messageOf(err)}` });
      }
      return;
    case 'frame':
      await analyzeFrame(message);
      return;
  }
}

async function init(
  baseUrl: string,
  pipeline: PipelineSettings,
  threads: number | null,
): Promise<void> {
  const progress = (p: FetchProgress) => post({ type: 'loading', ...p });
  try {
    // ONNX Runtime: its glue module and WebAssembly binary from this origin, fetched here so a
    // failure names the file (ORT would otherwise say only that no backend could start).
    const [, wasm, detector, mtcnnPnet, mtcnnRnet, mtcnnOnet, landmarks, expression, pack] =
      await Promise.all([
        fetchAsset(baseUrl, ORT_FILES.mjs, progress),
        fetchAsset(baseUrl, ORT_FILES.wasm, progress),
        fetchAsset(baseUrl, MODEL_FILES.detector, progress),
        fetchAsset(baseUrl, MODEL_FILES.mtcnnPnet, progress),
        fetchAsset(baseUrl, MODEL_FILES.mtcnnRnet, progress),
        fetchAsset(baseUrl, MODEL_FILES.mtcnnOnet, progress),
        fetchAsset(baseUrl, MODEL_FILES.landmarks, progress),
        fetchAsset(baseUrl, MODEL_FILES.expression, progress),
        loadEmojiPack(baseUrl, progress),
      ]);
    configureOrt(baseUrl, wasm, threads);

    const models: MaskerModels = {
      detector,
      mtcnnPnet,
      mtcnnRnet,
      mtcnnOnet,
      landmarks,
      expression,
    };
    // Both detectors' runs count as the detect stage.
    const stageOf = new Map<Uint8Array, Stage>([
      [detector, 'detect'],
      [mtcnnPnet, 'detect'],
      [mtcnnRnet, 'detect'],
      [mtcnnOnet, 'detect'],
      [landmarks, 'landmarks'],
      [expression, 'classify'],
    ]);
    loaded = { models, pack, planning: preparePack(pack), clock: new StageClock(ort, stageOf) };

    const textures = EXPRESSIONS.map((e) => ({
      expression: e,
      width: pack[e].image.width,
      height: pack[e].image.height,
      premultiplied: premultiply(pack[e].image),
    }));
    post(
      { type: 'emoji', textures },
      textures.map((t) => t.premultiplied.buffer),
    );
    await rebuild(loaded, pipeline);
  } catch (err) {
    post({ type: 'failed', file: fileAtFault(err), message: messageOf(err) });
  }
}

function configureOrt(baseUrl: string, wasm: Uint8Array, threads: number | null): void {
  ort.env.logLevel = 'error';
  ort.env.wasm.wasmPaths = {
    mjs: new URL(ORT_FILES.mjs, baseUrl).href,
    wasm: new URL(ORT_FILES.wasm, baseUrl).href,
  };
  ort.env.wasm.wasmBinary = wasm;
  // We are the worker already; ORT's own proxy worker would only add a hop.
  ort.env.wasm.proxy = false;
  // Threads need SharedArrayBuffer, which only a cross-origin isolated page has.
  ort.env.wasm.numThreads = !scope.crossOriginIsolated
    ? 1
    : (threads ?? Math.max(1, Math.min(MAX_THREADS, navigator.hardwareConcurrency || 1)));
}

/**
 * A new masker for `pipeline`, swapped in once it is ready (the old one keeps its tracks until
 * then, and is released after). A WebGPU masker that fails to start falls back to wasm.
 */
async function rebuild(state: Loaded, pipeline: PipelineSettings): Promise<void> {
  const options: MaskerOptions = {
    ...smoothingOptions(pipeline.smoothing),
    detector: { tiling: pipeline.smallFaces ? 'auto' : 'off' },
  };
  let fallbackReason: string | null = null;
  let backend: Backend = 'wasm';
  if (pipeline.backend !== 'wasm') {
    const adapter = await webGpuAdapter();
    if (adapter === null) {
      fallbackReason = 'this browser offers no WebGPU adapter';
    } else {
      backend = 'webgpu';
    }
  }

  let next: Masker;
  try {
    next = await createMasker(state, options, backend);
  } catch (err) {
    if (backend !== 'webgpu') throw err;
    fallbackReason = `WebGPU failed to start (${messageOf(err)})`;
    backend = 'wasm';
    next = await createMasker(state, options, backend);
  }
  if (fallbackReason !== null && pipeline.backend === 'webgpu') {
    post({ type: 'warning', message: `Running on wasm: ${fallbackReason}.` });
  }

  const previous = masker;
  masker = next;
  await previous?.dispose();
  const runtime: RuntimeInfo = {
    backend,
    threads: ort.env.wasm.numThreads ?? 1,
    crossOriginIsolated: scope.crossOriginIsolated,
    fallbackReason: pipeline.backend === 'wasm' ? null : fallbackReason,
  };
  post({ type: 'ready', runtime });
}

function createMasker(state: Loaded, options: MaskerOptions, backend: Backend): Promise<Masker> {
  return Masker.create(state.clock.runtime, state.models, state.pack, {
    ...options,
    session: { executionProviders: [backend] },
  });
}

async function analyzeFrame(message: Extract<ToWorker, { type: 'frame' }>): Promise<void> {
  const { frameId, frame } = message;
  const received = performance.now();
  if (masker === null || loaded === null) {
    post({ type: 'frame-failed', frameId, frame, message: 'the models are not loaded' }, [frame]);
    return;
  }
  try {
    const image = await readPixels(frame);
    const analyzeStart = performance.now();
    loaded.clock.startFrame();
    const faces = await masker.analyze(image, { timeMs: message.timeMs });
    const analyzeEnd = performance.now();
    const plan = planMasks(faces, loaded.planning, image, message.draw);
    const planned = performance.now();
    const stages = loaded.clock.finishFrame(analyzeStart, analyzeEnd);
    post(
      {
        type: 'result',
        frameId,
        frame,
        faces,
        plan,
        timings: {
          readPixelsMs: analyzeStart - received,
          ...stages,
          analyzeMs: analyzeEnd - analyzeStart,
          homographyMs: planned - analyzeEnd,
          workerMs: performance.now() - received,
        },
      },
      [frame],
    );
  } catch (err) {
    post({ type: 'frame-failed', frameId, frame, message: messageOf(err) }, [frame]);
  }
}

/**
 * The frame's RGBA pixels. A VideoFrame in NV12 or I420 (what cameras deliver) is copied out as
 * YUV and converted here; anything else is drawn on a canvas kept between frames and read back.
 */
async function readPixels(frame: CameraFrame): Promise<RgbaImage> {
  const { width, height } = frameSize(frame);
  if (isVideoFrame(frame)) {
    const format = frame.format;
    const visible = frame.visibleRect;
    const unscaled = visible !== null && visible.width === width && visible.height === height;
    if ((format === 'NV12' || format === 'I420') && unscaled) {
      const data = new Uint8Array(frame.allocationSize());
      const planes = await frame.copyTo(data);
      const { matrix, fullRange } = frame.colorSpace;
      return yuvToRgba({ layout: format, data, planes }, width, height, {
        matrix,
        fullRange: fullRange ?? false,
      });
    }
  }
  if (pixels === null || pixels.canvas.width !== width || pixels.canvas.height !== height) {
    pixels = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (pixels === null) throw new Error('no 2D canvas in this worker to read the frame with');
  }
  pixels.drawImage(frame, 0, 0, width, height);
  const { data } = pixels.getImageData(0, 0, width, height);
  return { width, height, data: new Uint8Array(data.buffer) };
}

/** WebGPU as far as this worker can see it (typed here: TypeScript's lib has no WebGPU yet). */
interface GpuLike {
  requestAdapter(): Promise<object | null>;
}

async function webGpuAdapter(): Promise<object | null> {
  const gpu = (navigator as WorkerNavigator & { gpu?: GpuLike }).gpu;
  if (gpu === undefined) return null;
  try {
    return await gpu.requestAdapter();
  } catch {
    return null;
  }
}

/** The file an error is about: an AssetError's, or the model a core error starts with. */
function fileAtFault(err: unknown): string | null {
  if (err instanceof AssetError) return err.file;
  const message = messageOf(err);
  for (const file of Object.values(MODEL_FILES)) {
    if (message.startsWith(`${file.slice(file.lastIndexOf('/') + 1)}: `)) return file;
  }
  return isOrtBackendError(err) ? ORT_FILES.wasm : null;
}

/** ORT says this when no execution provider would start (e.g. the WebAssembly did not load). */
function isOrtBackendError(err: unknown): boolean {
  return /no available backend|backend not found|failed to initialize/i.test(messageOf(err));
}
