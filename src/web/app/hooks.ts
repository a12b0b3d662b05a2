/**
 * What the page offers to other code on `window`:
 *
 * - `window.emojiMask`, for pages and tools built on the app: the masked picture as a
 *   MediaStream, and the per-frame timings for benchmarks (also sent as an `emoji-mask:frame`
 *   event on `window`). Described in docs/WEB.md.
 * - `window.__emojiMask`, for the end-to-end tests only: state, the last analysis, and a way to
 *   read the pixels of the next drawn frame and to lose the WebGL context on purpose.
 */

import type { FaceResult } from '../../core/types.js';
import type { MaskPlan } from '../../core/masker/mask-plan.js';
import type { RuntimeInfo, WorkerTimings } from '../shared/protocol.js';
import type { GlRenderer } from './gl-renderer.js';

/** One analysed frame, as reported to `emoji-mask:frame` listeners. Times in ms. */
export interface FrameReport {
  frameId: number;
  /** `performance.now()` when the frame was taken from the camera. */
  capturedAt: number;
  /** False when the frame could not be drawn (WebGL context lost). */
  drawn: boolean;
  faces: number;
  /** Capture to drawn: everything the viewer waits for. */
  latencyMs: number;
  /** Uploading the frame and drawing it with its masks (GPU work included with `syncComposite`). */
  compositeMs: number;
  /** The worker's own stage times. */
  worker: WorkerTimings;
}

/** The pixels of one drawn frame, for tests: RGBA, top row first, as base64. */
export interface FrameCapture {
  width: number;
  height: number;
  rgbaBase64: string;
  faces: FaceResult[];
  plan: MaskPlan;
}

/** How many frame reports `window.emojiMask.timings` keeps. */
const KEPT_REPORTS = 600;

export interface PublicApi {
  /** The masked picture as it is drawn (never mirrored), e.g. for a video call. */
  captureStream(fps?: number): MediaStream;
  /** The last reports, oldest first. */
  readonly timings: FrameReport[];
  /** Set `syncComposite` to make `compositeMs` wait for the GPU (slower; for benchmarks). */
  readonly bench: { syncComposite: boolean };
}

export interface TestApi {
  status: { state: string; title: string; detail: string };
  runtime: RuntimeInfo | null;
  framesDrawn: number;
  lastFaces: FaceResult[];
  lastPlan: MaskPlan | null;
  /** Resolves with the pixels of the next frame drawn. */
  captureNextFrame(): Promise<FrameCapture>;
  /** Loses the WebGL context, and asks for it back after `restoreAfterMs`. */
  loseContext(restoreAfterMs: number): boolean;
}

declare global {
  interface Window {
    emojiMask: PublicApi;
    __emojiMask: TestApi;
  }
}

export interface Hooks {
  runtime: RuntimeInfo | null;
  status: TestApi['status'];
  readonly bench: PublicApi['bench'];
  report(report: FrameReport): void;
  /** Call straight after a frame is drawn, in the same task (the pixels are still there). */
  afterDraw(faces: FaceResult[], plan: MaskPlan): void;
}

export function installHooks(page: {
  renderer: GlRenderer | null;
  captureStream(fps?: number): MediaStream;
}): Hooks {
  const timings: FrameReport[] = [];
  const bench = { syncComposite: false };
  let pendingCapture: ((capture: FrameCapture) => void)[] = [];

  const test: TestApi = {
    status: { state: 'waiting-camera', title: '', detail: '' },
    runtime: null,
    framesDrawn: 0,
    lastFaces: [],
    lastPlan: null,
    captureNextFrame: () => new Promise((resolve) => pendingCapture.push(resolve)),
    loseContext(restoreAfterMs) {
      const extension = page.renderer?.loseContextExtension() ?? null;
      if (extension === null) return false;
      extension.loseContext();
      setTimeout(() => extension.restoreContext(), restoreAfterMs);
      return true;
    },
  };
  window.__emojiMask = test;
  window.emojiMask = { captureStream: (fps) => page.captureStream(fps), timings, bench };

  return {
    get runtime() {
      return test.runtime;
    },
    set runtime(value) {
      test.runtime = value;
    },
    get status() {
      return test.status;
    },
    set status(value) {
      test.status = value;
    },
    bench,
    report(report) {
      timings.push(report);
      if (timings.length > KEPT_REPORTS) timings.splice(0, timings.length - KEPT_REPORTS);
      window.dispatchEvent(new CustomEvent<FrameReport>('emoji-mask:frame', { detail: report }));
    },
    afterDraw(faces, plan) {
      test.framesDrawn += 1;
      test.lastFaces = faces;
      test.lastPlan = plan;
      if (pendingCapture.length === 0) return;
      const pixels = page.renderer?.readPixels();
      if (!pixels) return;
      const capture = {
        width: pixels.width,
        height: pixels.height,
        rgbaBase64: toBase64(pixels.data),
        faces,
        plan,
      };
      const waiting = pendingCapture;
      pendingCapture = [];
      waiting.forEach((resolve) => resolve(capture));
    },
  };
}

function toBase64(bytes: Uint8Array | Uint8ClampedArray): string {
  let text = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    text += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(text);
}
