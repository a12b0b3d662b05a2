/**
 * The built web app (dist-web/, served by `vite preview`) in headless Chromium with a fake camera
 * playing a real clip (../shared/media/webcam/talking-d18.mp4, turned into a .y4m by ffmpeg).
 * `npm run test:e2e` builds the app first.
 */

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  chromium,
  type Browser,
  type BrowserContext,
  type Page,
  type Request,
} from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EXPRESSIONS } from '../../src/core/types.js';
import { ffmpegPath } from '../../src/node/ffmpeg-binaries.js';
import type { FrameCapture } from '../../src/web/app/hooks.js';
import { COVER_RGB, faceOutline, type EmojiDraw } from '../../src/core/masker/mask-plan.js';
import {
  compareWithEmoji,
  fractionOfColour,
  loadEmojiSamplers,
  type EmojiSampler,
} from './emoji-pixels.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLIP = path.join(ROOT, '../shared/media/webcam/talking-d18.mp4');
const CHROMIUM = '/usr/bin/chromium';
const RESULTS = path.join(ROOT, 'test-results');
/** The fake camera's picture: small, so that software WebGL and 2 busy cores keep up. */
const CAMERA_SIZE = 320;
const CAMERA_FPS = 15;

/** Loading 56 MB of runtime and models and starting ONNX Runtime on a loaded 2-core machine. */
const FIRST_FRAME_TIMEOUT_MS = 240_000;

const LAPTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };

let work: string;
let y4m: string;
let server: PreviewServer;
let origin: string;
let browser: Browser;
let samplers: Record<string, EmojiSampler>;

/** Chromium with a fake camera fed from `video`, or no camera at all. */
function launch(options: { camera: string | null; autoAllow: boolean }): Promise<Browser> {
  const args = [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
    // Software WebGL (SwiftShader): the machine has no GPU.
    '--use-angle=swiftshader',
    '--enable-unsafe-swiftshader',
  ];
  if (options.camera !== null) {
    args.push(
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${options.camera}`,
    );
  }
  if (options.autoAllow) args.push('--use-fake-ui-for-media-stream');
  return chromium.launch({ executablePath: CHROMIUM, args });
}

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist-web/index.html'))) {
    throw new Error(
      'dist-web/index.html is missing: run `npm run build` first (npm run test:e2e does)',
    );
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`,
    );
  }
  work = await mkdtemp(path.join(tmpdir(), 'emoji-mask-e2e-'));
  y4m = path.join(work, 'talking-d18.y4m');
  const ffmpeg = spawnSync(
    ffmpegPath('ffmpeg'),
    [
      '-v',
      'error',
      '-y',
      '-i',
      CLIP,
      '-vf',
      `scale=${CAMERA_SIZE}:${CAMERA_SIZE},fps=${CAMERA_FPS}`,
      '-pix_fmt',
      'yuv420p',
      y4m,
    ],
    { encoding: 'utf8' },
  );
  if (ffmpeg.status !== 0) throw new Error(`ffmpeg could not make ${y4m}: ${ffmpeg.stderr}`);

  server = await preview({
    root: ROOT,
    configFile: path.join(ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port: await freePort(), strictPort: true, open: false },
  });
  origin = new URL(server.resolvedUrls?.local[0] ?? '').origin;
  browser = await launch({ camera: y4m, autoAllow: true });
  samplers = await loadEmojiSamplers(path.join(ROOT, 'assets/emoji'));
  await mkdir(RESULTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) =>
    server ? server.httpServer.close(() => resolve()) : resolve(),
  );
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the app with a camera', () => {
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    context = await browser.newContext({ viewport: LAPTOP, acceptDownloads: true });
    context.on('request', (r) => requests.push(r.url()));
    page = await context.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => window.__emojiMask.framesDrawn >= 2, null, {
      timeout: FIRST_FRAME_TIMEOUT_MS,
      polling: 500,
    });
  });

  afterAll(async () => {
    await context?.close();
  });

  it('is cross-origin isolated and runs ONNX Runtime on WebAssembly threads', async () => {
    const state = await page.evaluate(() => ({
      isolated: crossOriginIsolated,
      runtime: window.__emojiMask.runtime,
      shown: document.getElementById('runtime')?.textContent ?? '',
    }));
    expect(state.isolated).toBe(true);
    expect(state.runtime?.crossOriginIsolated).toBe(true);
    expect(state.runtime?.threads).toBeGreaterThan(1);
    // Headless Chromium without a GPU has no WebGPU adapter: the automatic choice falls back.
    expect(state.runtime?.backend).toBe('wasm');
    expect(state.shown).toContain('threads');
  });

  it('draws the emoji of the expression over the whole face in sampled frames', async () => {
    for (let sample = 0; sample < 3; sample++) {
      const capture = await nextCapture(page);
      expect(capture.faces.length).toBe(1);
      const face = capture.faces[0];
      expect(face.tracking).toBe('live');
      expect(face.landmarks.length).toBe(468);
      // The face of this clip is large and centred in the 320 x 320 picture.
      expect(face.box.width).toBeGreaterThan(CAMERA_SIZE / 4);

      // Measured: 99.99-100% of the face's pixels match, mean error 0.6; the same frame checked
      // against the emoji mirrored, moved 8 px or of another expression gives 56-90%, 11-56.
      const { draw } = expectEmojiOverFace(capture, face);
      expect(draw.expression).toBe(face.expression);
    }
  });

  it('gives each face a plain opaque cover when emoji are off', async () => {
    await page.locator('#emoji').press('Space');
    expect(await page.locator('#emoji').isChecked()).toBe(false);
    try {
      // The frame in the worker when the box was unticked may still carry its emoji.
      await nextCapture(page);
      const capture = await nextCapture(page);
      expect(capture.faces.length).toBe(1);
      expect(capture.plan.draws[0]?.kind).toBe('cover');
      const covered = fractionOfColour(
        pixelsOf(capture),
        capture.width,
        capture.height,
        faceOutline(capture.faces[0]),
        COVER_RGB,
        2,
      );
      expect(covered).toBe(1);
    } finally {
      await page.locator('#emoji').press('Space');
    }
  });

  it('changes the expression readout as the expression in the clip changes', async () => {
    // The clip (7.2 s, looped by the fake camera) goes from a still face to a wide-open mouth.
    const seen = new Set<string>();
    const probabilities = new Set<string>();
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && (seen.size < 2 || probabilities.size < 5)) {
      await page.waitForTimeout(1000);
      const readout = await page.evaluate(() => ({
        shown: document.getElementById('expression')?.textContent ?? '',
        face: window.__emojiMask.lastFaces[0],
      }));
      if (readout.face === undefined) continue;
      expect(readout.shown).toBe(readout.face.expression);
      seen.add(readout.face.expression);
      probabilities.add(JSON.stringify(readout.face.probabilities));
    }
    for (const label of seen) expect(EXPRESSIONS).toContain(label);
    expect(probabilities.size).toBeGreaterThanOrEqual(5);
    expect([...seen].length, `labels seen: ${[...seen].join(', ')}`).toBeGreaterThanOrEqual(2);
  });

  it('shows the debug overlay and the probability chart, from the keyboard', async () => {
    await page.locator('#debug').focus();
    await page.keyboard.press('Space');
    await nextCapture(page);
    const debug = await page.evaluate(() => {
      const overlay = document.getElementById('overlay') as HTMLCanvasElement;
      const pixels = overlay
        .getContext('2d')
        ?.getImageData(0, 0, overlay.width, overlay.height).data;
      let painted = 0;
      for (let i = 3; i < (pixels?.length ?? 0); i += 4) if ((pixels?.[i] ?? 0) > 0) painted++;
      const meters = [...document.querySelectorAll<HTMLMeterElement>('#chart meter')];
      return {
        chartHidden: document.getElementById('chart')?.hidden ?? true,
        labels: meters.map((m) => document.querySelector(`label[for="${m.id}"]`)?.textContent),
        sum: meters.reduce((s, m) => s + m.value, 0),
        painted,
      };
    });
    expect(debug.chartHidden).toBe(false);
    expect(debug.labels).toEqual([...EXPRESSIONS]);
    expect(debug.sum).toBeCloseTo(1, 2);
    expect(debug.painted).toBeGreaterThan(500);
    await page.screenshot({ path: path.join(RESULTS, 'web-laptop-debug.png') });
    await page.locator('#debug').press('Space');
  });

  it('records the masked picture to a WebM file', async () => {
    const record = page.locator('#record');
    await record.press('Enter');
    await expect.poll(() => record.textContent()).toBe('Stop recording');
    await page.waitForTimeout(3000);
    await record.press('Enter');
    const link = page.locator('#download');
    await link.waitFor({ state: 'visible' });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/^emoji-mask-.*\.webm$/);
    const file = await readFile(await download.path());
    expect(file.length).toBeGreaterThan(1000);
    // WebM is Matroska: the file opens with the EBML magic number.
    expect([...file.subarray(0, 4)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
  });

  it('exposes the masked canvas as a MediaStream', async () => {
    const track = await page.evaluate(() => {
      const stream = window.emojiMask.captureStream(15);
      const [video] = stream.getVideoTracks();
      const out = {
        kind: video?.kind,
        state: video?.readyState,
        tracks: stream.getTracks().length,
      };
      stream.getTracks().forEach((t) => t.stop());
      return out;
    });
    expect(track).toEqual({ kind: 'video', state: 'live', tracks: 1 });
  });

  it('reports per-stage timings of every frame', async () => {
    const report = await page.evaluate(() => window.emojiMask.timings.at(-1));
    expect(report?.drawn).toBe(true);
    const w = report?.worker;
    expect(w?.ortRuns.detect).toBeGreaterThanOrEqual(1);
    expect(w?.ortRuns.landmarks).toBeGreaterThanOrEqual(1);
    expect(w?.ortRuns.classify).toBe(1);
    const stages =
      (w?.detectMs ?? 0) + (w?.landmarksMs ?? 0) + (w?.classifyMs ?? 0) + (w?.trackMs ?? 0);
    expect(stages).toBeCloseTo(w?.analyzeMs ?? -1, 0);
    expect(report?.latencyMs).toBeGreaterThanOrEqual(w?.workerMs ?? Infinity);

    // What this machine managed, for the record (speed is not asserted).
    const observed = await page.evaluate(() => {
      const all = window.emojiMask.timings.filter((r) => r.drawn).slice(3); // past the warm-up
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
      const span = (all.at(-1)?.capturedAt ?? 0) - (all[0]?.capturedAt ?? 0);
      return {
        frames: all.length,
        fps: span > 0 ? ((all.length - 1) * 1000) / span : 0,
        latencyMs: median(all.map((r) => r.latencyMs)),
        detectMs: median(all.map((r) => r.worker.detectMs)),
        landmarksMs: median(all.map((r) => r.worker.landmarksMs)),
        classifyMs: median(all.map((r) => r.worker.classifyMs)),
        homographyMs: median(all.map((r) => r.worker.homographyMs)),
        compositeMs: median(all.map((r) => r.compositeMs)),
      };
    });
    const line = Object.entries(observed)
      .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(2)}`)
      .join(', ');
    console.log(`observed in headless Chromium (medians): ${line}`);
  });

  it('does no work while the tab is hidden', async () => {
    const hide = (hidden: boolean) =>
      page.evaluate((h) => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
        Object.defineProperty(document, 'visibilityState', {
          configurable: true,
          get: () => (h ? 'hidden' : 'visible'),
        });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    const drawn = () => page.evaluate(() => window.__emojiMask.framesDrawn);
    await hide(true);
    try {
      await page.waitForTimeout(4000); // lets a frame already in the worker come back
      const before = await drawn();
      await page.waitForTimeout(4000);
      expect(await drawn()).toBe(before);
    } finally {
      await hide(false);
    }
    const resumed = await drawn();
    await page.waitForFunction((n) => window.__emojiMask.framesDrawn > n, resumed, {
      timeout: 60_000,
    });
  });

  it('recovers from a lost WebGL context', async () => {
    expect(await page.evaluate(() => window.__emojiMask.loseContext(1000))).toBe(true);
    await page.waitForFunction(() => window.__emojiMask.status.state === 'restoring', null, {
      timeout: 5000,
      polling: 50,
    });
    await page.waitForFunction(() => window.__emojiMask.status.state === 'running', null, {
      timeout: 60_000,
    });
    const capture = await nextCapture(page);
    expectEmojiOverFace(capture, capture.faces[0]);
  });

  it('lays out on a laptop and on a phone screen', async () => {
    for (const [name, viewport] of [
      ['laptop', LAPTOP],
      ['phone', PHONE],
    ] as const) {
      await page.setViewportSize(viewport);
      await nextCapture(page);
      await page.screenshot({ path: path.join(RESULTS, `web-${name}.png`), fullPage: true });
      const layout = await page.evaluate(() => {
        const box = (id: string) => document.getElementById(id)?.getBoundingClientRect();
        return {
          scrollWidth: document.documentElement.scrollWidth,
          output: box('output'),
          record: box('record'),
        };
      });
      expect(layout.scrollWidth).toBeLessThanOrEqual(viewport.width);
      expect(layout.output?.width).toBeGreaterThan(viewport.width / 2);
      expect(layout.output?.height).toBeGreaterThan(100);
      expect(layout.record?.width).toBeGreaterThan(0);
    }
    await page.setViewportSize(LAPTOP);
  });

  it('makes no request to any other origin', () => {
    expect(pageErrors).toEqual([]);
    const foreign = requests.filter((url) => !sameOrigin(url));
    expect(foreign).toEqual([]);
    // The worker's requests are seen too: the models and the WebAssembly came through here.
    const paths = new Set(requests.map((url) => new URL(url).pathname));
    expect(paths).toContain('/models/expression.onnx');
    expect(paths).toContain('/ort/ort-wasm-simd-threaded.jsep.wasm');
    expect(paths).toContain('/emoji/happy.png');
  });
});

describe('the app offline, once it has loaded', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => window.__emojiMask.framesDrawn >= 1, null, {
      timeout: FIRST_FRAME_TIMEOUT_MS,
      polling: 500,
    });
    // The page registers sw.js once the models are ready; wait until it has installed (kept
    // every file) and is active; without one, this fails.
    let state = await serviceWorkerState(page);
    for (const deadline = Date.now() + 120_000; state !== 'activated' && Date.now() < deadline;) {
      await page.waitForTimeout(500);
      state = await serviceWorkerState(page);
    }
    if (state !== 'activated') throw new Error(`the service worker is ${state} after 120 s`);
  });

  afterAll(async () => {
    await context?.close();
  });

  it("keeps every file of the built site in the service worker's cache", async () => {
    const kept = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      const names = await caches.keys();
      const urls: string[] = [];
      for (const name of names) {
        for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
      }
      return { scope: registration.scope, script: registration.active?.scriptURL, names, urls };
    });
    expect(kept.scope).toBe(`${origin}/`);
    expect(kept.script).toBe(`${origin}/sw.js`);
    expect(kept.names).toHaveLength(1);
    const site = (await filesIn(path.join(ROOT, 'dist-web'))).filter((f) => f !== 'sw.js');
    expect(site).toContain('models/expression.onnx');
    expect(site).toContain('ort/ort-wasm-simd-threaded.jsep.wasm');
    expect(kept.urls.map((url) => url.slice(origin.length + 1)).sort()).toEqual(site.sort());
  });

  it('reloads and masks the face with no network, cross-origin isolated', async () => {
    const requests: Request[] = [];
    const failed: string[] = [];
    context.on('request', (r) => requests.push(r));
    context.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => window.__emojiMask.framesDrawn >= 1, null, {
      timeout: FIRST_FRAME_TIMEOUT_MS,
      polling: 500,
    });

    const state = await page.evaluate(() => ({
      controlled: navigator.serviceWorker.controller !== null,
      isolated: crossOriginIsolated,
      runtime: window.__emojiMask.runtime,
    }));
    expect(state.controlled).toBe(true);
    expect(state.isolated).toBe(true);
    expect(state.runtime?.crossOriginIsolated).toBe(true);
    expect(state.runtime?.threads).toBeGreaterThan(1);

    const capture = await nextCapture(page);
    expect(capture.faces.length).toBe(1);
    expectEmojiOverFace(capture, capture.faces[0]);

    // Every request of the page and its workers was answered by the service worker, from its
    // cache: none failed, none was passed on to the network (a request by the worker itself).
    expect(failed).toEqual([]);
    const paths = new Set(requests.map((r) => new URL(r.url()).pathname));
    expect(paths).toContain('/');
    expect(paths).toContain('/models/expression.onnx');
    expect(paths).toContain('/ort/ort-wasm-simd-threaded.jsep.wasm');
    expect(paths).toContain('/emoji/happy.png');
    const byNetwork: string[] = [];
    for (const r of requests) {
      const response = await r.response();
      if (r.serviceWorker() !== null || response?.fromServiceWorker() !== true) {
        byNetwork.push(r.url());
      }
    }
    expect(byNetwork).toEqual([]);

    // And the network is really gone: a file the cache does not hold cannot be fetched.
    const probe = await page.evaluate(() =>
      fetch('index.html?not-cached').then(
        (r) => `HTTP ${r.status}`,
        (err: unknown) => String(err),
      ),
    );
    expect(probe).toMatch(/^TypeError/);
  });
});

describe('the app on a page that is not cross-origin isolated', () => {
  it('still masks the face, on one WebAssembly thread', async () => {
    const context = await browser.newContext();
    try {
      // The same files without COOP/COEP, as from a static host that cannot send headers.
      await context.route('**/*', async (route) => {
        const response = await route.fetch();
        const headers = { ...response.headers() };
        delete headers['cross-origin-opener-policy'];
        delete headers['cross-origin-embedder-policy'];
        await route.fulfill({ response, headers });
      });
      const page = await context.newPage();
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => window.__emojiMask.framesDrawn >= 1, null, {
        timeout: FIRST_FRAME_TIMEOUT_MS,
        polling: 500,
      });
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      expect(await page.evaluate(() => window.__emojiMask.runtime)).toMatchObject({
        backend: 'wasm',
        threads: 1,
        crossOriginIsolated: false,
      });
      expect(await page.locator('#runtime').textContent()).toContain('not cross-origin isolated');
      const capture = await nextCapture(page);
      expectEmojiOverFace(capture, capture.faces[0]);
    } finally {
      await context.close();
    }
  });
});

describe('the app when loading fails', () => {
  it('names a model that is missing, and why', async () => {
    const context = await browser.newContext();
    try {
      await context.route('**/models/face-landmarks.onnx', (route) =>
        route.fulfill({ status: 404, body: 'Not Found' }),
      );
      const page = await context.newPage();
      await page.goto(`${origin}/`);
      const status = await waitForStatus(page, 'error');
      expect(status.title).toBe('Could not load models/face-landmarks.onnx');
      expect(status.detail).toContain('HTTP 404');
      expect(await page.locator('#status').isVisible()).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('names a model that ONNX Runtime cannot load, and why', async () => {
    const context = await browser.newContext();
    try {
      await context.route('**/models/face-detector.onnx', (route) =>
        route.fulfill({ status: 200, body: 'this is not an ONNX model' }),
      );
      const page = await context.newPage();
      await page.goto(`${origin}/`);
      const status = await waitForStatus(page, 'error');
      expect(status.title).toBe('Could not load models/face-detector.onnx');
      expect(status.detail).toMatch(/^face-detector\.onnx: cannot load model: /);
    } finally {
      await context.close();
    }
  });

  it('names the WebAssembly file when it is missing', async () => {
    const context = await browser.newContext();
    try {
      await context.route('**/ort/ort-wasm-simd-threaded.jsep.wasm', (route) =>
        route.fulfill({ status: 404, body: 'Not Found' }),
      );
      const page = await context.newPage();
      await page.goto(`${origin}/`);
      const status = await waitForStatus(page, 'error');
      expect(status.title).toBe('Could not load ort/ort-wasm-simd-threaded.jsep.wasm');
      expect(status.detail).toContain('HTTP 404');
    } finally {
      await context.close();
    }
  });
});

describe('the app without a usable camera', () => {
  it('says so when camera permission is denied', async () => {
    const denying = await launch({ camera: y4m, autoAllow: false });
    try {
      const page = await denying.newPage();
      await page.goto(`${origin}/`);
      const status = await waitForStatus(page, 'denied');
      expect(status.title).toBe('Camera permission denied');
    } finally {
      await denying.close();
    }
  });

  it('says so when there is no camera', async () => {
    const cameraless = await launch({ camera: null, autoAllow: true });
    try {
      const page = await cameraless.newPage();
      await page.goto(`${origin}/`);
      const status = await waitForStatus(page, 'no-camera');
      expect(status.title).toBe('No camera');
    } finally {
      await cameraless.close();
    }
  });
});

async function nextCapture(page: Page): Promise<FrameCapture> {
  return page.evaluate(() => window.__emojiMask.captureNextFrame());
}

/**
 * Checks that the drawn frame shows `face`'s emoji over its outline, pixel for pixel against the
 * emoji artwork seen through the plan's inverse homography: at least 5000 pixels compared, 98 %
 * of them matching, mean error under 4 levels.
 */
function expectEmojiOverFace(
  capture: FrameCapture,
  face: FrameCapture['faces'][number],
): { draw: EmojiDraw } {
  const draw = capture.plan.draws.find((d) => d.faceId === face.id);
  if (draw?.kind !== 'emoji')
    throw new Error(`face ${face.id}: expected an emoji draw, got ${draw?.kind}`);
  const match = compareWithEmoji(
    pixelsOf(capture),
    capture.width,
    capture.height,
    faceOutline(face),
    draw.inverse,
    samplers[draw.expression],
    40,
  );
  expect(match.pixels).toBeGreaterThan(5000);
  expect(match.matching).toBeGreaterThan(0.98);
  expect(match.meanError).toBeLessThan(4);
  return { draw };
}

function pixelsOf(capture: FrameCapture): Uint8Array {
  return new Uint8Array(Buffer.from(capture.rgbaBase64, 'base64'));
}

async function waitForStatus(
  page: Page,
  state: string,
): Promise<{ title: string; detail: string }> {
  await page.waitForFunction((s) => window.__emojiMask?.status.state === s, state, {
    timeout: 120_000,
    polling: 100,
  });
  return page.evaluate(() => window.__emojiMask.status);
}

function sameOrigin(url: string): boolean {
  if (url.startsWith('data:')) return true;
  if (url.startsWith('blob:')) return url.slice('blob:'.length).startsWith(`${origin}/`);
  return new URL(url).origin === origin;
}

/** The state of the page's active service worker, or `none`. */
function serviceWorkerState(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    return registration?.active?.state ?? 'none';
  });
}

/** Every file under `dir`, as a path relative to it with `/` separators. */
async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
