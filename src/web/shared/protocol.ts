/**
 * The messages between the page (src/web/app) and the inference worker (src/web/worker), and the
 * settings and timings they carry. Every type here survives structured cloning.
 *
 * Coordinates are pixels of the unmirrored camera frame, origin top-left (as in the core).
 */

import type { Expression, FaceResult } from '../../core/types.js';
import type { MaskPlan } from '../../core/masker/mask-plan.js';
import type { CameraFrame } from './camera-frame.js';

/** Where ONNX Runtime runs the models: WebAssembly on the CPU, or WebGPU. */
export type Backend = 'wasm' | 'webgpu';

/** The user's backend choice; `auto` tries WebGPU when the browser offers an adapter, else wasm. */
export type BackendChoice = 'auto' | Backend;

/** Settings that need a new masker (new ONNX sessions or tracker settings) when they change. */
export interface PipelineSettings {
  /** Smoothing strength in 0..1; 0.5 gives the core's defaults, 0 none (see smoothing.ts). */
  smoothing: number;
  /** Also search tiles of the frame for small faces (the core's `tiling: 'auto'`); slower. */
  smallFaces: boolean;
  backend: BackendChoice;
}

/** Settings that only change how a frame's masks are drawn; sent with every frame. */
import type { DrawSettings } from '../../core/masker/mask-plan.js';

export type { DrawSettings };

/** An emoji's artwork for the GPU: premultiplied RGBA, row-major, top row first. */
export interface EmojiTexture {
  expression: Expression;
  width: number;
  height: number;
  premultiplied: Uint8Array;
}

/** What ONNX Runtime ended up with in the worker. */
export interface RuntimeInfo {
  backend: Backend;
  /** WebAssembly threads (1 when the page is not cross-origin isolated). */
  threads: number;
  crossOriginIsolated: boolean;
  /** Why the backend differs from the one asked for, when it does. */
  fallbackReason: string | null;
}

/**
 * Per-frame timings in milliseconds, measured in the worker with `performance.now()`.
 *
 * The stage times cut `Masker.analyze` at the end of the last ONNX run of each model, in the
 * order the masker runs them (detector, then mesh, then classifier): `detectMs` includes the
 * detector's preprocessing and runs, `landmarksMs` the detections' decoding and the mesh's
 * preprocessing and runs, `classifyMs` the crop warps and the classifier run, `trackMs` what is
 * left (tracking, smoothing). A stage with no run (no face) is 0.
 */
export interface WorkerTimings {
  /** Reading the frame's pixels (VideoFrame or ImageBitmap -> RGBA) before analysis. */
  readPixelsMs: number;
  detectMs: number;
  landmarksMs: number;
  classifyMs: number;
  trackMs: number;
  /** The whole `Masker.analyze` call (the four stages above together). */
  analyzeMs: number;
  /** Placing the emoji: homography, widening, cover polygons (mask-plan.ts). */
  homographyMs: number;
  /** Time inside ONNX Runtime's `session.run`, summed per model, and the number of runs. */
  ortRunMs: Record<Stage, number>;
  ortRuns: Record<Stage, number>;
  /** From the frame message arriving to the result being posted. */
  workerMs: number;
}

/** The pipeline's stages; both detectors' models count as `detect`. */
export type Stage = 'detect' | 'landmarks' | 'classify';

export type ToWorker =
  | {
      type: 'init';
      baseUrl: string;
      pipeline: PipelineSettings;
      /**
       * WebAssembly threads asked for by the page's `?threads=` parameter (benchmarks); null for
       * the default, min(4, cores). Either way 1 when the page is not cross-origin isolated.
       */
      threads: number | null;
    }
  | { type: 'pipeline'; pipeline: PipelineSettings }
  | {
      type: 'frame';
      frameId: number;
      /** The unmirrored camera frame; the worker hands it back with the result. */
      frame: CameraFrame;
      /** Capture time, `performance.now()` of the page, in ms. */
      timeMs: number;
      draw: DrawSettings;
    };

export type FromWorker =
  | {
      type: 'loading';
      /** File name as served, e.g. `models/expression.onnx`. */
      file: string;
      loadedBytes: number;
      /** From Content-Length; null when the server did not say. */
      totalBytes: number | null;
      done: boolean;
    }
  | { type: 'emoji'; textures: EmojiTexture[] }
  | { type: 'ready'; runtime: RuntimeInfo }
  | {
      type: 'result';
      frameId: number;
      frame: CameraFrame;
      faces: FaceResult[];
      plan: MaskPlan;
      timings: WorkerTimings;
    }
  | { type: 'frame-failed'; frameId: number; frame: CameraFrame; message: string }
  /** Loading failed for good: `file` names the file at fault when there is one. */
  | { type: 'failed'; file: string | null; message: string }
  | { type: 'warning'; message: string };
