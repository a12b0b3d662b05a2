/**
 * The page: camera in, masked picture out. The camera frame goes to the inference worker
 * unmirrored; the worker hands it back with its faces and mask plan, and only then is it drawn,
 * frame and masks together (the display shows the last masked frame, never a newer bare one).
 */

import type { FaceResult } from '../../core/types.js';
import { messageOf } from '../shared/assets.js';
import type { CameraFrame } from '../shared/camera-frame.js';
import { threadsParam } from '../shared/url-params.js';
import type { MaskPlan } from '../../core/masker/mask-plan.js';
import type {
  DrawSettings,
  FromWorker,
  PipelineSettings,
  RuntimeInfo,
  ToWorker,
  WorkerTimings,
} from '../shared/protocol.js';
import { CameraError, listCameras, openCamera, type CameraState } from './camera.js';
import { ProbabilityChart, clearDebugOverlay, drawDebugOverlay } from './debug-overlay.js';
import { GlRenderer, type RendererState } from './gl-renderer.js';
import { CAPTURE_FPS, CanvasRecorder } from './recorder.js';
import { FrameStats } from './frame-stats.js';
import { installHooks, type FrameReport, type Hooks } from './hooks.js';
import { registerOffline } from './offline.js';

// Page elements.
const view = element('view', HTMLDivElement);
const output = element('output', HTMLCanvasElement);
const overlay = element('overlay', HTMLCanvasElement);
const video = element('camera', HTMLVideoElement);
const status = element('status', HTMLDivElement);
const controls = {
  camera: element('camera-select', HTMLSelectElement),
  mirror: element('mirror', HTMLInputElement),
  emoji: element('emoji', HTMLInputElement),
  strict: element('strict', HTMLInputElement),
  smallFaces: element('small-faces', HTMLInputElement),
  smoothing: element('smoothing', HTMLInputElement),
  backend: element('backend', HTMLSelectElement),
  debug: element('debug', HTMLInputElement),
  record: element('record', HTMLButtonElement),
};
const chartBox = element('chart', HTMLDivElement);
const chart = new ProbabilityChart(chartBox);
const stats = new FrameStats();

// What the page knows, from which the status box is drawn.
let camera: CameraState = { kind: 'waiting' };
let models:
  | { kind: 'loading'; files: Map<string, { loaded: number; total: number | null; done: boolean }> }
  | { kind: 'ready'; runtime: RuntimeInfo }
  | { kind: 'failed'; file: string | null; message: string } = {
  kind: 'loading',
  files: new Map(),
};
let rendererState: RendererState | 'failed' = 'ready';
let rendererDetail = '';
let applying = false;

/** The performance mark set when the models are first ready; its detail is the RuntimeInfo. */
const MODELS_READY_MARK = 'emoji-mask:models-ready';

// Frames: at most one in the worker at a time.
let inFlight = false;
let freshFrame = false;
let nextFrameId = 1;
const captureTimes = new Map<number, number>();

const renderer = makeRenderer();
const recorder = new CanvasRecorder(output);
const hooks: Hooks = installHooks({
  renderer,
  captureStream: (fps = CAPTURE_FPS) => output.captureStream(fps),
});

const worker = new Worker(new URL('../worker/masker-worker.ts', import.meta.url), {
  type: 'module',
  name: 'emoji-mask inference',
});
worker.onmessage = (event: MessageEvent<FromWorker>) => onWorkerMessage(event.data);
worker.onerror = (event) => {
  event.preventDefault();
  models = {
    kind: 'failed',
    file: 'the inference worker script',
    message: event.message || 'the worker could not be started (script missing or blocked)',
  };
  showStatus();
};
const threads = threadsParam(location.search);
send({
  type: 'init',
  baseUrl: document.baseURI,
  pipeline: pipelineSettings(),
  threads: threads.threads,
});
if (threads.problem !== null) showNotice(threads.problem);

wireControls();
void startCamera(null);
navigator.mediaDevices?.addEventListener('devicechange', () => {
  const current = video.srcObject instanceof MediaStream ? video.srcObject : null;
  void fillCameraList(current?.getVideoTracks()[0]?.getSettings().deviceId ?? null);
});
watchVideo();
document.addEventListener('visibilitychange', () => {
  // A hidden tab does no work: no frames are sent, so the worker idles.
  if (!document.hidden) pump();
  showStatus();
});
showStatus();

function onWorkerMessage(message: FromWorker): void {
  switch (message.type) {
    case 'loading': {
      if (models.kind !== 'loading') return;
      models.files.set(message.file, {
        loaded: message.loadedBytes,
        total: message.totalBytes,
        done: message.done,
      });
      showStatus();
      return;
    }
    case 'emoji':
      renderer?.setEmoji(message.textures);
      return;
    case 'ready':
      // For benchmarks: model load time is this mark's startTime (ms since navigation start).
      if (performance.getEntriesByName(MODELS_READY_MARK).length === 0) {
        performance.mark(MODELS_READY_MARK, { detail: message.runtime });
      }
      models = { kind: 'ready', runtime: message.runtime };
      hooks.runtime = message.runtime;
      applying = false;
      showRuntime(message.runtime);
      showStatus();
      pump();
      registerOffline(); // built site: keeps every file for offline use (src/web/sw)
      return;
    case 'result':
      onResult(message.frameId, message.frame, message.faces, message.plan, message.timings);
      return;
    case 'frame-failed':
      message.frame.close();
      captureTimes.delete(message.frameId);
      showNotice(`A frame could not be analysed and was not shown: ${message.message}`);
      inFlight = false;
      pump();
      return;
    case 'failed':
      models = { kind: 'failed', file: message.file, message: message.message };
      showStatus();
      return;
    case 'warning':
      applying = false;
      showNotice(message.message);
      return;
  }
}

/** Draws a frame with its masks, and everything that reports on it. */
function onResult(
  frameId: number,
  frame: CameraFrame,
  faces: FaceResult[],
  plan: MaskPlan,
  timings: WorkerTimings,
): void {
  const capturedAt = captureTimes.get(frameId) ?? performance.now();
  captureTimes.delete(frameId);
  const drawStart = performance.now();
  const drawn = renderer?.draw(frame, plan) ?? false;
  if (drawn && hooks.bench.syncComposite) renderer?.finish();
  const drawEnd = performance.now();
  if (drawn) hooks.afterDraw(faces, plan);
  frame.close();

  if (drawn) {
    stats.add(drawEnd, drawEnd - capturedAt);
    if (controls.debug.checked) drawDebugOverlay(overlay, faces, plan, controls.mirror.checked);
    chart.update(faces[0]);
    element('expression', HTMLElement).textContent = faces[0]?.expression ?? 'no face';
    showStats();
  }
  const report: FrameReport = {
    frameId,
    capturedAt,
    drawn,
    faces: faces.length,
    latencyMs: drawEnd - capturedAt,
    compositeMs: drawEnd - drawStart,
    worker: timings,
  };
  hooks.report(report);
  if (status.dataset.state === 'starting') showStatus();

  inFlight = false;
  pump();
}

/** Sends the newest camera frame when the worker is free and there is a new one. */
function pump(): void {
  if (inFlight || !freshFrame || document.hidden || models.kind !== 'ready') return;
  if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || video.videoWidth === 0) return;
  freshFrame = false;
  inFlight = true;
  const capturedAt = performance.now();
  captureFrame(video).then(
    (frame) => {
      const frameId = nextFrameId++;
      captureTimes.set(frameId, capturedAt);
      send({ type: 'frame', frameId, frame, timeMs: capturedAt, draw: drawSettings() }, [frame]);
    },
    (err: unknown) => {
      inFlight = false;
      showNotice(`The camera frame could not be read: ${messageOf(err)}`);
    },
  );
}

/** The video's current frame: a VideoFrame where the browser has WebCodecs, else an ImageBitmap. */
async function captureFrame(source: HTMLVideoElement): Promise<CameraFrame> {
  return typeof VideoFrame === 'function' ? new VideoFrame(source) : createImageBitmap(source);
}

/** Marks each new camera frame (at the camera's rate; a hidden tab gets no callbacks). */
function watchVideo(): void {
  const next = () => {
    freshFrame = true;
    pump();
    watchVideo();
  };
  if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(next);
  else requestAnimationFrame(next);
}

async function startCamera(deviceId: string | null): Promise<void> {
  const previous = video.srcObject instanceof MediaStream ? video.srcObject : null;
  previous?.getTracks().forEach((t) => t.stop());
  camera = { kind: 'waiting' };
  showStatus();
  try {
    const stream = await openCamera(deviceId);
    video.srcObject = stream;
    await video.play();
    const track = stream.getVideoTracks()[0];
    camera = { kind: 'live', label: track?.label ?? 'camera' };
    track?.addEventListener('ended', () => {
      camera = {
        kind: 'error',
        detail:
          'the camera stopped (unplugged, or taken by another program); pick it again or reload',
      };
      showStatus();
    });
    await fillCameraList(track?.getSettings().deviceId ?? null);
  } catch (err) {
    camera = err instanceof CameraError ? err.state : { kind: 'error', detail: messageOf(err) };
    await fillCameraList(null);
  }
  showStatus();
}

async function fillCameraList(current: string | null): Promise<void> {
  const cameras = await listCameras().catch(() => []);
  const select = controls.camera;
  select.replaceChildren(
    ...cameras.map((c, i) => {
      const option = document.createElement('option');
      option.value = c.deviceId;
      option.textContent = c.label || `Camera ${i + 1}`;
      option.selected = c.deviceId === current;
      return option;
    }),
  );
  select.disabled = cameras.length < 2;
}

function wireControls(): void {
  controls.camera.addEventListener('change', () => void startCamera(controls.camera.value || null));
  controls.mirror.addEventListener('change', () => {
    view.classList.toggle('mirrored', controls.mirror.checked);
  });
  controls.debug.addEventListener('change', () => {
    chartBox.hidden = !controls.debug.checked;
    if (!controls.debug.checked) clearDebugOverlay(overlay);
  });
  const smoothingValue = element('smoothing-value', HTMLOutputElement);
  controls.smoothing.addEventListener('input', () => {
    smoothingValue.value = controls.smoothing.value;
  });
  // These need a new masker in the worker: sent when the user lets go, not on every step.
  for (const input of [controls.smoothing, controls.smallFaces, controls.backend]) {
    input.addEventListener('change', () => {
      applying = true;
      showStats();
      send({ type: 'pipeline', pipeline: pipelineSettings() });
    });
  }
  controls.record.addEventListener('click', () => void toggleRecording());
  controls.record.disabled = false;
}

async function toggleRecording(): Promise<void> {
  const button = controls.record;
  const link = element('download', HTMLAnchorElement);
  try {
    if (!recorder.recording) {
      recorder.start();
      button.textContent = 'Stop recording';
      button.setAttribute('aria-pressed', 'true');
      return;
    }
    const blob = await recorder.stop();
    button.textContent = 'Start recording';
    button.setAttribute('aria-pressed', 'false');
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(blob);
    link.download = `emoji-mask-${new Date().toISOString().replace(/[:.]/g, '-')}.webm`;
    link.textContent = `Download recording (${formatBytes(blob.size)} WebM)`;
    link.hidden = false;
  } catch (err) {
    showNotice(`Recording failed: ${messageOf(err)}`);
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1e6
    ? `${(bytes / 1e6).toFixed(1)} MB`
    : `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

function pipelineSettings(): PipelineSettings {
  const backend = controls.backend.value;
  return {
    smoothing: Number(controls.smoothing.value) / 100,
    smallFaces: controls.smallFaces.checked,
    backend: backend === 'wasm' || backend === 'webgpu' ? backend : 'auto',
  };
}

function drawSettings(): DrawSettings {
  return { emoji: controls.emoji.checked, strict: controls.strict.checked };
}

function makeRenderer(): GlRenderer | null {
  try {
    return new GlRenderer(output, (state, detail) => {
      rendererState = state;
      rendererDetail = detail ?? '';
      if (state === 'ready') pump();
      showStatus();
    });
  } catch (err) {
    rendererState = 'failed';
    rendererDetail = messageOf(err);
    return null;
  }
}

/** The status box over the picture: the one thing the user should know now, if any. */
function showStatus(): void {
  const [state, title, detail] = currentStatus();
  status.dataset.state = state;
  status.hidden = state === 'running';
  status.classList.toggle(
    'error',
    ['error', 'denied', 'no-camera', 'camera-error'].includes(state),
  );
  element('status-title', HTMLElement).textContent = title;
  element('status-detail', HTMLElement).textContent = detail;
  element('status-models', HTMLElement).textContent =
    models.kind === 'loading' && state !== 'loading' ? loadingLine() : '';
  hooks.status = { state, title, detail };
}

function currentStatus(): [string, string, string] {
  if (models.kind === 'failed') {
    return ['error', `Could not load ${models.file ?? 'the app'}`, models.message];
  }
  if (rendererState === 'failed' || rendererState === 'unavailable') {
    return ['error', 'Graphics unavailable', rendererDetail];
  }
  switch (camera.kind) {
    case 'denied':
      return ['denied', 'Camera permission denied', camera.detail];
    case 'none':
      return ['no-camera', 'No camera', camera.detail];
    case 'error':
      return ['camera-error', 'Camera error', camera.detail];
    case 'waiting':
      return ['waiting-camera', 'Waiting for camera', 'Allow the camera when the browser asks.'];
    case 'live':
      break;
  }
  if (models.kind === 'loading') return ['loading', 'Loading models', loadingLine()];
  if (rendererState === 'lost') return ['restoring', 'Graphics reset', 'Restoring the picture…'];
  if (document.hidden) return ['paused', 'Paused', 'The tab is hidden.'];
  if (stats.count === 0) return ['starting', 'Starting', 'Analysing the first frame…'];
  return ['running', '', ''];
}

function loadingLine(): string {
  if (models.kind !== 'loading') return '';
  if (models.files.size === 0) return 'Starting the inference worker…';
  const pending = [...models.files].filter(([, f]) => !f.done);
  if (pending.length === 0) return 'Starting ONNX Runtime…';
  return pending
    .map(([file, f]) => {
      const mb = (n: number) => (n / 1e6).toFixed(1);
      return f.total
        ? `${file} ${mb(f.loaded)} of ${mb(f.total)} MB`
        : `${file} ${mb(f.loaded)} MB`;
    })
    .join(' · ');
}

function showStats(): void {
  element('fps', HTMLElement).textContent = stats.count > 1 ? stats.fps.toFixed(1) : '–';
  element('latency', HTMLElement).textContent =
    stats.count > 0 ? `${Math.round(stats.latencyMs)} ms` : '–';
  if (applying) element('runtime', HTMLElement).textContent = 'applying settings…';
  else if (models.kind === 'ready') showRuntime(models.runtime);
}

function showRuntime(runtime: RuntimeInfo): void {
  const threads =
    runtime.threads > 1
      ? `${runtime.threads} threads`
      : runtime.crossOriginIsolated
        ? '1 thread'
        : '1 thread (page not cross-origin isolated)';
  const text = runtime.backend === 'webgpu' ? 'WebGPU' : `WebAssembly SIMD, ${threads}`;
  element('runtime', HTMLElement).textContent = runtime.fallbackReason
    ? `${text} (${runtime.fallbackReason})`
    : text;
}

let noticeTimer = 0;
function showNotice(text: string): void {
  const notice = element('notice', HTMLParagraphElement);
  notice.textContent = text;
  notice.hidden = false;
  window.clearTimeout(noticeTimer);
  noticeTimer = window.setTimeout(() => (notice.hidden = true), 8000);
}

function send(message: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(message, transfer);
}

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type))
    throw new Error(`index.html: #${id} is missing or not a ${type.name}`);
  return found;
}
