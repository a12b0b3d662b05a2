/**
 * `npm run bench` (browser half): the built web app (dist-web/, `npm run build`) in headless
 * Chromium, driven by playwright-core, with onnxruntime-web on WebAssembly. Chromium's fake
 * camera plays the Node bench's photo (obama-1080p.jpg, 1920x1080) as a looped .y4m made by
 * ffmpeg, and scales it to each size asked for with `applyConstraints` on the app's camera track.
 * Each thread count gets its own page (`?threads=N`: ONNX Runtime fixes its thread pool when it
 * starts), and each page measures the three sizes in turn.
 *
 * Per page: model load time (navigation start to the app's `emoji-mask:models-ready` mark); then
 * per size, warm-up frames that are not counted and the medians of the per-frame reports the app
 * sends to `window.emojiMask.timings` (docs/WEB.md, "Bench hook"), with `syncComposite` on so
 * that the composite time includes the GPU's work. Writes docs/results/bench-browser.json (the
 * shape of bench-schema.ts, plus what only a browser has) and prints a table.
 */

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { Command } from 'commander';
import { chromium, type Browser, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';

import { ffmpegPath } from '../ffmpeg-binaries.js';
import type {
  BenchFrame,
  BenchReport,
  PipelineRun,
  Resolution,
  StageTimings,
  TimingStats,
} from './bench-schema.js';
import { quantile } from './quality-metrics.js';
import {
  isMainModule,
  machineInfo,
  MEDIA_DIR,
  packageVersion,
  REPO_ROOT,
  RESULTS_DIR,
  round,
  runTool,
  writeJson,
} from './tool-env.js';
import { PUBLISHED } from './bench-schema.js';

/** Debian's Chromium, as the e2e suite uses it. */
const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** The Node bench's `photo` frame, so both environments see the same picture. */
const PHOTO = 'obama-1080p.jpg';

const RESOLUTIONS: readonly { name: Resolution; width: number; height: number }[] = [
  { name: '480p', width: 854, height: 480 },
  { name: '720p', width: 1280, height: 720 },
  { name: '1080p', width: 1920, height: 1080 },
];

/** The fake camera's frame rate, and how many (identical) frames its looped file holds. */
const CAMERA_FPS = 30;
const CAMERA_FILE_FRAMES = 10;

/** The app sets this performance mark when its models are first ready (src/web/app/main.ts). */
const MODELS_READY_MARK = 'emoji-mask:models-ready';

/** Fetching 56 MB of runtime and models and starting ONNX Runtime on a loaded 2-core machine. */
const MODEL_LOAD_TIMEOUT_MS = 180_000;
/** The longest one frame may take before the bench gives up on a page. */
const FRAME_TIMEOUT_MS = 30_000;

/**
 * Quick: the headline case only (720p, 2 threads). A page costs about 35 s before its first
 * timed frame on the shared 2-core machine (models, then a slow first frame while the WebAssembly
 * is optimised), so there is one page per thread count and the frame counts are small. At least
 * two warm-up frames: the frame in flight when the size changes is still of the old size.
 */
const MODES = {
  quick: { warmup: 2, timed: 4, resolutions: ['720p'] as Resolution[], threads: [2] },
  full: {
    warmup: 2,
    timed: 6,
    resolutions: ['480p', '720p', '1080p'] as Resolution[],
    threads: [1, 2],
  },
} as const;

type Mode = keyof typeof MODES;

/**
 * Chromium's flags: headless with software WebGL (SwiftShader: no GPU here) and a fake camera
 * that plays `cameraFile` without asking for permission.
 */
export function chromiumFlags(cameraFile: string): string[] {
  return [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
    '--use-angle=swiftshader',
    '--enable-unsafe-swiftshader',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${cameraFile}`,
  ];
}

/**
 * One analysed frame as the page reports it: the fields of FrameReport (src/web/app/hooks.ts)
 * that are read here.
 */
export interface PageFrameReport {
  frameId: number;
  capturedAt: number;
  drawn: boolean;
  faces: number;
  latencyMs: number;
  compositeMs: number;
  worker: {
    readPixelsMs: number;
    detectMs: number;
    landmarksMs: number;
    classifyMs: number;
    trackMs: number;
    analyzeMs: number;
    homographyMs: number;
    workerMs: number;
    ortRuns: Record<OrtStage, number>;
  };
}

type OrtStage = 'detect' | 'landmarks' | 'classify';

/** What ONNX Runtime ended up with in the app's worker (RuntimeInfo, src/web/shared/protocol.ts). */
interface PageRuntime {
  backend: string;
  threads: number;
  crossOriginIsolated: boolean;
  fallbackReason: string | null;
}

/** Our pipeline in the browser at one size with one thread count. */
export interface BrowserRun extends Omit<PipelineRun, 'endToEndStill'> {
  /** The picture the camera delivered (checked against the size asked for). */
  width: number;
  height: number;
  /** Median faces per timed frame. */
  faces: number;
  /**
   * Median ONNX Runtime runs per timed frame, per model: 1 + tiles for the detector, 1 mesh run
   * per tracked face (2 for a face found anew), 1 classifier run.
   */
  ortRuns: Record<OrtStage, number>;
  runtime: PageRuntime;
  /** Camera capture to drawn (what the viewer waits): endToEnd plus frameIn and transfer. */
  latency: TimingStats;
  /** The part of `Masker.analyze` after the last model run: tracking and smoothing. */
  track: TimingStats;
  /** The camera frame (ImageBitmap) to RGBA in the worker: the browser's "decoding". */
  frameIn: TimingStats;
  /** Grabbing the frame on the page and the messages to and from the worker. */
  transfer: TimingStats;
  /**
   * CPU time of all of Chromium per frame while the timed frames ran (every thread of every
   * process: with 2 threads it can exceed the frame time), ms; null when Chromium did not say.
   */
  cpuMsPerFrame: number | null;
}

export interface BrowserBenchReport extends Omit<BenchReport, 'runs' | 'modelLoad'> {
  runs: BrowserRun[];
  modelLoad: {
    /** The first page of the run. */
    maskerColdMs: number;
    /** The other pages (each in a new browser context, so with an empty HTTP cache too). */
    maskerWarm?: TimingStats;
    /** Every page: its thread count and model load time, ms. */
    pages: { threads: number; ms: number }[];
  };
  browser: {
    name: string;
    version: string;
    flags: string[];
    userAgent: string;
    /** Every page was cross-origin isolated (COOP/COEP from `vite preview`), so had threads. */
    crossOriginIsolated: boolean;
    /** WebAssembly SIMD and threads (SharedArrayBuffer) as the page sees them. */
    wasmSimd: boolean;
    sharedArrayBuffer: boolean;
    /** The ONNX Runtime build the app loads. */
    wasmFile: string;
    /** The WebGL renderer the picture is drawn with. */
    webgl: string;
    webgpu: { navigatorGpu: boolean; adapter: string | null; measured: boolean };
    /** What the fake camera plays, and the app's settings. */
    camera: string;
    settings: string;
  };
  /** What each number means, for the report. */
  definitions: Record<string, string>;
}

const DEFINITIONS: Record<string, string> = {
  detect:
    'worker.detectMs: detector preprocessing and runs (1 + tiles with small faces on: ortRuns)',
  landmarks: 'worker.landmarksMs: decoding the detections, mesh preprocessing and runs',
  classify: 'worker.classifyMs: crop warps and the classifier run',
  homography: 'worker.homographyMs: planMasks (homography fits, widening, cover polygons)',
  composite: 'compositeMs with syncComposite: frame upload and WebGL draws, waited for',
  endToEnd: 'analyze + homography + composite per frame: the pipeline without frame in/out',
  fps: 'frames drawn per second over the timed frames (one frame in flight at a time)',
  latency: 'camera capture to drawn: endToEnd + frameIn + transfer',
  modelLoad: `navigation start to the app's ${MODELS_READY_MARK} mark: fetching the runtime, models and emoji, compiling the WebAssembly, creating the sessions`,
};

/** Summary of `values` (ms) in the schema's form. */
export function timingStats(values: readonly number[]): TimingStats {
  return {
    runs: values.length,
    medianMs: round(quantile(values, 0.5), 3),
    p10Ms: round(quantile(values, 0.1), 3),
    p90Ms: round(quantile(values, 0.9), 3),
  };
}

/** The pipeline's own time for one frame, without getting the frame in and out (ms). */
export function endToEndMs(report: PageFrameReport): number {
  return report.worker.analyzeMs + report.worker.homographyMs + report.compositeMs;
}

/** Frames drawn per second over `reports` (in frame order); 0 with fewer than two. */
export function drawnFps(reports: readonly PageFrameReport[]): number {
  if (reports.length < 2) return 0;
  const drawnAt = (r: PageFrameReport) => r.capturedAt + r.latencyMs;
  const span = drawnAt(reports[reports.length - 1]) - drawnAt(reports[0]);
  return span > 0 ? ((reports.length - 1) * 1000) / span : 0;
}

/** The per-stage and end-to-end summaries of the timed frames of one page. */
export function summarizeReports(reports: readonly PageFrameReport[]): {
  stages: StageTimings;
  endToEnd: TimingStats;
  latency: TimingStats;
  track: TimingStats;
  frameIn: TimingStats;
  transfer: TimingStats;
  fps: number;
  faces: number;
  ortRuns: Record<OrtStage, number>;
} {
  if (reports.length === 0) throw new Error('summarizeReports: expected frame reports, got none');
  const of = (pick: (r: PageFrameReport) => number) => timingStats(reports.map(pick));
  const median = (pick: (r: PageFrameReport) => number) => quantile(reports.map(pick), 0.5);
  return {
    stages: {
      detect: of((r) => r.worker.detectMs),
      landmarks: of((r) => r.worker.landmarksMs),
      classify: of((r) => r.worker.classifyMs),
      homography: of((r) => r.worker.homographyMs),
      composite: of((r) => r.compositeMs),
    },
    endToEnd: of(endToEndMs),
    latency: of((r) => r.latencyMs),
    track: of((r) => r.worker.trackMs),
    frameIn: of((r) => r.worker.readPixelsMs),
    transfer: of((r) => r.latencyMs - r.worker.workerMs - r.compositeMs),
    fps: round(drawnFps(reports), 2),
    faces: median((r) => r.faces),
    ortRuns: {
      detect: median((r) => r.worker.ortRuns.detect),
      landmarks: median((r) => r.worker.ortRuns.landmarks),
      classify: median((r) => r.worker.ortRuns.classify),
    },
  };
}

/**
 * CPU time so far of every Chromium process (browser, renderers with their workers, GPU,
 * utilities), ms, as Chromium itself reports it; null when it cannot say.
 */
async function chromiumCpuMs(browser: Browser): Promise<number | null> {
  try {
    const cdp = await browser.newBrowserCDPSession();
    try {
      const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as {
        processInfo: { cpuTime: number }[];
      };
      return processInfo.reduce((sum, p) => sum + p.cpuTime, 0) * 1000;
    } finally {
      await cdp.detach();
    }
  } catch {
    return null;
  }
}

/** What `npm run build` puts into dist-web/, relative to the repository. */
const WEB_SOURCES = [
  'index.html',
  'vite.config.ts',
  'src/web',
  'src/core',
  'models',
  'assets/emoji',
];

/** The web sources changed since dist-web/ was built (test files aside), at most `limit`. */
async function newerThanBuild(limit = 3): Promise<string[]> {
  const built = (await stat(path.join(REPO_ROOT, 'dist-web', 'index.html'))).mtimeMs;
  const newer: string[] = [];
  for (const source of WEB_SOURCES) {
    const full = path.join(REPO_ROOT, source);
    if (!existsSync(full)) continue;
    const files = (await stat(full)).isDirectory()
      ? (await readdir(full, { recursive: true })).map((f) => path.join(source, f))
      : [source];
    for (const file of files) {
      if (file.endsWith('.test.ts')) continue;
      const info = await stat(path.join(REPO_ROOT, file));
      if (info.isFile() && info.mtimeMs > built) newer.push(file);
      if (newer.length >= limit) return newer;
    }
  }
  return newer;
}

/** The fake camera's file: the photo at its own size (1920x1080), looped, as .y4m. */
function makeCameraFile(dir: string): string {
  const source = path.join(MEDIA_DIR, PHOTO);
  if (!existsSync(source)) throw new Error(`${source}: missing (the shared media folder)`);
  const file = path.join(dir, 'photo.y4m');
  const ffmpeg = spawnSync(
    ffmpegPath('ffmpeg'),
    [
      ['-v', 'error', '-y', '-loop', '1', '-framerate', String(CAMERA_FPS), '-i', source],
      ['-frames:v', String(CAMERA_FILE_FRAMES), '-pix_fmt', 'yuv420p', file],
    ].flat(),
    { encoding: 'utf8' },
  );
  if (ffmpeg.status !== 0) throw new Error(`ffmpeg could not make ${file}: ${ffmpeg.stderr}`);
  return file;
}

/** The page's view of its runtime: isolation, SIMD, WebGL renderer and WebGPU adapter. */
async function probePage(page: Page): Promise<{
  userAgent: string;
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  wasmSimd: boolean;
  webgl: string;
  navigatorGpu: boolean;
  adapter: string | null;
}> {
  return page.evaluate(async () => {
    // The smallest module using a SIMD instruction: () -> v128 { i8x16.splat(i32.const 0) }.
    const simd = new Uint8Array([
      0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253,
      15, 11,
    ]);
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    const gpu = (
      navigator as Navigator & {
        gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> };
      }
    ).gpu;
    let adapter: string | null = null;
    if (gpu) {
      const found = await gpu.requestAdapter().catch(() => null);
      if (found) adapter = JSON.stringify(found.info ?? {});
    }
    return {
      userAgent: navigator.userAgent,
      crossOriginIsolated: self.crossOriginIsolated,
      sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
      wasmSimd: WebAssembly.validate(simd),
      webgl: gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : 'none',
      navigatorGpu: gpu !== undefined,
      adapter,
    };
  });
}

interface PageWindow {
  emojiMask: { timings: PageFrameReport[]; bench: { syncComposite: boolean } };
  __emojiMask?: { status: { state: string; title: string; detail: string } };
}

/** The newest frame id the page has reported, or 0. */
function lastFrameId(page: Page): Promise<number> {
  return page.evaluate(
    () => (window as unknown as PageWindow).emojiMask.timings.at(-1)?.frameId ?? 0,
  );
}

/** Waits until `count` drawn frames newer than `afterId` are reported; returns the newest id. */
async function waitForFrames(page: Page, afterId: number, count: number): Promise<number> {
  await page.waitForFunction(
    ([after, n]) =>
      (window as unknown as PageWindow).emojiMask.timings.filter(
        (r) => r.drawn && r.frameId > after,
      ).length >= n,
    [afterId, count] as const,
    { timeout: FRAME_TIMEOUT_MS * count, polling: 100 },
  );
  return lastFrameId(page);
}

/** Asks the app's camera track for `size` and waits until the video has it. */
async function setCameraSize(page: Page, size: (typeof RESOLUTIONS)[number]): Promise<void> {
  const wanted = { width: size.width, height: size.height };
  await page.waitForFunction(
    () => (document.getElementById('camera') as HTMLVideoElement | null)?.srcObject != null,
    null,
    { timeout: MODEL_LOAD_TIMEOUT_MS, polling: 100 },
  );
  await page.evaluate(async ({ width, height }) => {
    const video = document.getElementById('camera') as HTMLVideoElement;
    const [track] = (video.srcObject as MediaStream).getVideoTracks();
    await track.applyConstraints({ width: { exact: width }, height: { exact: height } });
  }, wanted);
  try {
    await page.waitForFunction(
      ({ width, height }) => {
        const video = document.getElementById('camera') as HTMLVideoElement;
        return video.videoWidth === width && video.videoHeight === height;
      },
      wanted,
      { timeout: FRAME_TIMEOUT_MS, polling: 50 },
    );
  } catch (err) {
    const got = await page.evaluate(() => {
      const video = document.getElementById('camera') as HTMLVideoElement;
      return `${video.videoWidth}x${video.videoHeight}`;
    });
    throw new Error(
      `the fake camera did not switch to ${size.width}x${size.height} (${size.name}): the video is ${got}`,
      { cause: err },
    );
  }
}

interface PageOutcome {
  runs: BrowserRun[];
  loadMs: number;
  probe: Awaited<ReturnType<typeof probePage>>;
}

/**
 * Opens the app with `threads` threads in a new context of `browser` and measures it at each of
 * `sizes`, in turn.
 */
async function measurePage(
  browser: Browser,
  origin: string,
  threads: number,
  sizes: readonly (typeof RESOLUTIONS)[number][],
  mode: (typeof MODES)[Mode],
  log: (text: string) => void,
): Promise<PageOutcome> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // The page's script has run by DOMContentLoaded (module scripts are deferred).
    await page.goto(`${origin}/?threads=${threads}`, { waitUntil: 'domcontentloaded' });
    await page.evaluate(() => {
      (window as unknown as PageWindow).emojiMask.bench.syncComposite = true;
    });

    // Model load: the app's own mark, or the error it shows.
    await page.waitForFunction(
      (mark) =>
        performance.getEntriesByName(mark).length > 0 ||
        (window as unknown as PageWindow).__emojiMask?.status.state === 'error',
      MODELS_READY_MARK,
      { timeout: MODEL_LOAD_TIMEOUT_MS, polling: 50 },
    );
    const ready = await page.evaluate((mark) => {
      const entry = performance.getEntriesByName(mark)[0] as PerformanceMark | undefined;
      return entry
        ? { ok: true as const, loadMs: entry.startTime, runtime: entry.detail as PageRuntime }
        : { ok: false as const, status: (window as unknown as PageWindow).__emojiMask?.status };
    }, MODELS_READY_MARK);
    if (!ready.ok) {
      throw new Error(
        `${threads} thread(s): the app did not load: ${ready.status?.title ?? 'error'}: ${ready.status?.detail ?? ''}`,
      );
    }
    if (ready.runtime.backend !== 'wasm' || ready.runtime.threads !== threads) {
      throw new Error(
        `expected ONNX Runtime on wasm with ${threads} thread(s), got ${ready.runtime.backend} with ${ready.runtime.threads} (cross-origin isolated: ${ready.runtime.crossOriginIsolated})`,
      );
    }
    log(`${threads} thread(s): models ready in ${ready.loadMs.toFixed(0)} ms`);

    const runs: BrowserRun[] = [];
    for (const size of sizes) {
      const label = `${size.name}, ${threads} thread(s)`;
      await setCameraSize(page, size);

      // Warm-up frames, then the timed ones, with the CPU time of all of Chromium between.
      const warmEnd = await waitForFrames(page, await lastFrameId(page), mode.warmup);
      const cpuStart = await chromiumCpuMs(browser);
      const timedEnd = await waitForFrames(page, warmEnd, mode.timed);
      const cpuEnd = await chromiumCpuMs(browser);
      const reports = (
        await page.evaluate(() => (window as unknown as PageWindow).emojiMask.timings)
      ).filter((r) => r.drawn && r.frameId > warmEnd && r.frameId <= timedEnd);
      if (errors.length > 0) throw new Error(`${label}: page errors: ${errors.join('; ')}`);

      const summary = summarizeReports(reports);
      if (summary.faces !== 1) {
        log(`warning: ${label}: ${summary.faces} faces found in the photo (expected 1)`);
      }
      runs.push({
        threads,
        resolution: size.name,
        frame: 'photo',
        stages: summary.stages,
        endToEnd: summary.endToEnd,
        fps: summary.fps,
        width: size.width,
        height: size.height,
        faces: summary.faces,
        ortRuns: summary.ortRuns,
        runtime: ready.runtime,
        latency: summary.latency,
        track: summary.track,
        frameIn: summary.frameIn,
        transfer: summary.transfer,
        cpuMsPerFrame:
          cpuStart !== null && cpuEnd !== null
            ? round((cpuEnd - cpuStart) / Math.max(1, timedEnd - warmEnd), 1)
            : null,
      });
      log(
        `${label}: ${summary.endToEnd.medianMs.toFixed(1)} ms end to end, ${summary.latency.medianMs.toFixed(1)} ms latency, ${summary.fps.toFixed(2)} fps`,
      );
    }
    return { runs, loadMs: round(ready.loadMs, 1), probe: await probePage(page) };
  } finally {
    await context.close();
  }
}

function printSummary(report: BrowserBenchReport): void {
  const w = (s: string, n: number) => s.padEnd(n);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(
    `\nour pipeline in ${report.browser.name} (${report.runtime}), medians of ${report.iterations.timed} warm frames, ms`,
  );
  const heads = ['detect', 'landmarks', 'classify', 'homography', 'composite', 'e2e', 'latency'];
  out(`${w('frame', 16)}${w('threads', 9)}${heads.map((h) => w(h, 11)).join('')}fps   CPU ms`);
  for (const r of report.runs) {
    const s = r.stages;
    const cells = [
      s.detect,
      s.landmarks,
      s.classify,
      s.homography,
      s.composite,
      r.endToEnd,
      r.latency,
    ].map((t) => w(t.medianMs.toFixed(2), 11));
    out(
      `${w(`${r.frame}@${r.resolution}`, 16)}${w(String(r.threads), 9)}${cells.join('')}${w(r.fps.toFixed(2), 6)}${r.cpuMsPerFrame?.toFixed(0) ?? '-'}`,
    );
  }
  out(
    `model load (navigation start to models ready): ${report.modelLoad.pages.map((p) => `${p.ms.toFixed(0)} ms (${p.threads} thread${p.threads === 1 ? '' : 's'})`).join(', ')}`,
  );
  const gpu = report.browser.webgpu;
  out(
    `\ncross-origin isolated: ${report.browser.crossOriginIsolated}; WebAssembly SIMD: ${report.browser.wasmSimd}; WebGL: ${report.browser.webgl}; WebGPU: ${gpu.adapter ?? (gpu.navigatorGpu ? 'no adapter (not measured)' : 'no navigator.gpu (not measured)')}`,
  );
}

async function main(): Promise<void> {
  const program = new Command('bench-browser')
    .description('Speed of the web app (onnxruntime-web) in headless Chromium, on this machine')
    .option(
      '--quick',
      `720p with 2 threads only, ${MODES.quick.timed} timed frames (about 1 minute)`,
    )
    .option('--out <file>', 'JSON result', path.join(RESULTS_DIR, 'bench-browser.json'))
    .option('--threads <list>', 'WebAssembly thread counts, comma-separated (default 1,2; quick 2)')
    .option('--chromium <file>', 'the Chromium to drive', DEFAULT_CHROMIUM)
    .parse();
  const raw = program.opts<{ quick?: boolean; out: string; threads?: string; chromium: string }>();
  const modeName: Mode = raw.quick ? 'quick' : 'full';
  const mode = MODES[modeName];
  const threadList = raw.threads?.split(',').map(Number) ?? [...mode.threads];
  if (!threadList.every((t) => Number.isInteger(t) && t >= 1 && t <= 16)) {
    program.error(
      `--threads: expected whole numbers 1-16 separated by commas, got "${raw.threads}"`,
    );
  }
  if (!existsSync(path.join(REPO_ROOT, 'dist-web', 'index.html'))) {
    throw new Error(
      `${path.join(REPO_ROOT, 'dist-web', 'index.html')}: missing; run npm run build first`,
    );
  }
  if (!existsSync(raw.chromium)) {
    throw new Error(
      `${raw.chromium}: no Chromium there; install Debian's chromium or pass --chromium <file>`,
    );
  }

  const started = performance.now();
  const log = (text: string) =>
    process.stderr.write(
      `bench-browser: ${text} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
    );
  const stale = await newerThanBuild();
  if (stale.length > 0) {
    log(`warning: dist-web/ is older than ${stale.join(', ')}: run npm run build to measure them`);
  }
  // The machine as the Node bench describes it, less onnxruntime-node (not used here).
  const machine = { ...machineInfo(), onnxruntimeNode: undefined };
  const work = await mkdtemp(path.join(os.tmpdir(), 'emoji-mask-bench-browser-'));
  let server: PreviewServer | null = null;
  const outcomes: PageOutcome[] = [];
  let version = 'unknown';
  try {
    server = await preview({
      root: REPO_ROOT,
      configFile: path.join(REPO_ROOT, 'vite.config.ts'),
      logLevel: 'warn',
      preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
    });
    const origin = new URL(server.resolvedUrls?.local[0] ?? '').origin;
    const sizes = mode.resolutions.map(
      (name) => RESOLUTIONS.find((r) => r.name === name) as (typeof RESOLUTIONS)[number],
    );
    const cameraFile = makeCameraFile(work);
    const browser = await chromium.launch({
      executablePath: raw.chromium,
      args: chromiumFlags(cameraFile),
    });
    version = browser.version();
    try {
      for (const threads of threadList) {
        outcomes.push(await measurePage(browser, origin, threads, sizes, mode, log));
      }
    } finally {
      await browser.close();
    }
  } finally {
    const running = server;
    if (running) await new Promise<void>((resolve) => running.httpServer.close(() => resolve()));
    await rm(work, { recursive: true, force: true });
  }

  const runs = outcomes.flatMap((o) => o.runs);
  const probe = outcomes[0].probe;
  const loads = outcomes.map((o) => o.loadMs);
  const frames: BenchFrame[] = runs
    .filter((r, i) => runs.findIndex((x) => x.resolution === r.resolution) === i)
    .map((r) => ({
      name: 'photo',
      resolution: r.resolution,
      width: r.width,
      height: r.height,
      source: `${PHOTO} scaled to ${r.width}x${r.height} by Chromium's fake camera (the 1920x1080 photo as a looped ${CAMERA_FPS} fps .y4m, the track constrained to the size)`,
      faces: r.faces,
    }));
  const onnxruntimeWeb = packageVersion('onnxruntime-web');
  const browserName = `Chromium ${version} (headless)`;
  const report: BrowserBenchReport = {
    kind: 'bench',
    environment: 'chromium',
    runtime: `onnxruntime-web ${onnxruntimeWeb} (WebAssembly SIMD, threads)`,
    mode: modeName,
    // The npm script that ran it (`npm run bench` chains it), else the tool itself.
    command: process.env.npm_lifecycle_event?.startsWith('bench')
      ? `npm run ${process.env.npm_lifecycle_event}`
      : `npm run build && node dist/node/tools/bench-browser.js${modeName === 'quick' ? ' --quick' : ''}`,
    machine: { ...machine, onnxruntimeWeb, browser: browserName },
    iterations: { warmup: mode.warmup, timed: mode.timed },
    frames,
    // Nothing is decoded: the camera hands over frames; getting them to RGBA is `frameIn` per run.
    decode: { image: [] },
    modelLoad: {
      maskerColdMs: loads[0],
      ...(loads.length > 1 ? { maskerWarm: timingStats(loads.slice(1)) } : {}),
      pages: outcomes.map((o, i) => ({ threads: threadList[i], ms: o.loadMs })),
    },
    runs,
    peers: [],
    published: PUBLISHED,
    browser: {
      name: browserName,
      version,
      flags: chromiumFlags('<camera .y4m>'),
      userAgent: probe.userAgent,
      crossOriginIsolated: outcomes.every((o) => o.probe.crossOriginIsolated),
      wasmSimd: probe.wasmSimd,
      sharedArrayBuffer: probe.sharedArrayBuffer,
      wasmFile: 'ort/ort-wasm-simd-threaded.jsep.wasm',
      webgl: probe.webgl,
      webgpu: { navigatorGpu: probe.navigatorGpu, adapter: probe.adapter, measured: false },
      camera: `${PHOTO} looped, ${CAMERA_FPS} fps`,
      settings:
        'the app defaults: small faces on (detector tiling auto), smoothing 50, emoji on, strict off',
    },
    definitions: DEFINITIONS,
    wallSeconds: round((performance.now() - started) / 1000, 1),
  };
  await writeJson(raw.out, report);
  printSummary(report);
  process.stdout.write(
    `\nwrote ${path.relative(process.cwd(), raw.out)} in ${report.wallSeconds} s (load average at start ${machine.loadAverage.join(', ')} on ${machine.cores} cores)\n`,
  );
}

if (isMainModule(import.meta.url)) runTool('bench-browser', main);
