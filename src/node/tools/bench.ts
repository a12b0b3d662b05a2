/**
 * `npm run bench` (Node half): our pipeline's speed per stage and end to end at 480p, 720p and
 * 1080p with 1 and 2 threads in onnxruntime-node, model load and decode times, the two peers
 * (face-api, human; WASM) on the same frames in the same run, and FER2013 PrivateTest accuracy of
 * the three expression models. Writes docs/results/bench-node.json (see bench-schema.ts) and
 * prints the comparison; `npm run results` turns it into docs/RESULTS.md.
 *
 * Every time is a median over warm runs (warm-up runs first, not counted). Decoding is timed on
 * its own and never inside a pipeline time; peers get their input tensor made outside the timing
 * too, as we get our RGBA frame.
 */

import os from 'node:os';
import path from 'node:path';

import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

import { ExpressionClassifier } from '../../core/classifier/expression-classifier.js';
import { ferCropsToTensor, ferCropToSource } from '../../core/classifier/face-align.js';
import { FER_FRAMING } from '../../core/classifier/fer-framing.js';
import { buildMipChain, compositeMipmapped, type MipChain } from '../../core/compose/index.js';
import { FaceDetector } from '../../core/detector/face-detector.js';
import { FaceLandmarker } from '../../core/landmarks/face-landmarker.js';
import type { FaceMesh } from '../../core/landmarks/face-landmarker-result.js';
import { maskKeypointsFromMesh } from '../../core/landmarks/mesh-to-ibug.js';
import { roiFromDetection, roiFromLandmarks } from '../../core/landmarks/roi.js';
import { DEFAULT_MASKER_TILING, type Masker } from '../../core/masker/masker.js';
import type { MaskerModels } from '../../core/masker/masker-options.js';
import { MESH_FACE_OVAL, placeEmoji } from '../../core/masker/mask-geometry.js';
import type { EmojiArt } from '../../core/emoji/emoji-pack.js';
import { EXPRESSIONS, type Expression, type RgbaImage } from '../../core/types.js';
import { loadEmojiPack } from '../emoji-loader.js';
import { decodeImage } from '../image-io.js';
import { createNodeMasker, nodeSessionOptions, readMaskerModels } from '../node-masker.js';
import { decodeVideoFrames } from '../video-io.js';
import { probeVideo } from '../video-probe.js';
import type {
  AccuracyResult,
  BenchFrame,
  BenchReport,
  PeerResult,
  PipelineRun,
  Resolution,
  StageTimings,
  TimingStats,
} from './bench-schema.js';
import { FER_IMAGE_SIZE, readPrivateTest, type FerFaces } from './fer2013-images.js';
import { FACE_API_LABELS, FaceApiPeer, HUMAN_LABELS, HumanPeer, type TfTensor } from './peers.js';
import { quantile } from './quality-metrics.js';
import { writeResults } from './results-report.js';
import {
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
import { MIN_PRESENCE } from '../../core/masker/masker.js';

const RESOLUTIONS: readonly { name: Resolution; width: number; height: number }[] = [
  { name: '480p', width: 854, height: 480 },
  { name: '720p', width: 1280, height: 720 },
  { name: '1080p', width: 1920, height: 1080 },
];

/** Frame spacing given to the masker in video mode, ms (30 fps). */
const FRAME_MS = 1000 / 30;

const MODES = {
  quick: { warmup: 2, timed: 5, frames: ['photo'], ferStride: 10, loadRepeats: 1, videoFrames: 30 },
  full: {
    warmup: 3,
    timed: 20,
    frames: ['photo', 'webcam'],
    ferStride: 1,
    loadRepeats: 3,
    videoFrames: 150,
  },
} as const;

type Mode = keyof typeof MODES;

interface Options {
  mode: Mode;
  out: string;
  peers: boolean;
  accuracy: boolean;
  threads: number[];
}

/** Times `run` `timed` times after `warmup` untimed runs; `prepare` runs untimed before each. */
async function measure(
  run: () => unknown,
  warmup: number,
  timed: number,
  prepare?: () => void,
): Promise<TimingStats> {
  for (let i = 0; i < warmup; i++) {
    prepare?.();
    await run();
  }
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < timed; i++) {
    prepare?.();
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await run();
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return stats(wall, cpu);
}

function stats(wall: number[], cpu?: number[]): TimingStats {
  return {
    runs: wall.length,
    medianMs: round(quantile(wall, 0.5), 3),
    p10Ms: round(quantile(wall, 0.1), 3),
    p90Ms: round(quantile(wall, 0.9), 3),
    ...(cpu ? { cpuMedianMs: round(quantile(cpu, 0.5), 3) } : {}),
  };
}

const copyOf = (image: RgbaImage): RgbaImage => ({ ...image, data: new Uint8Array(image.data) });

/** The test frames of every resolution: the 1080p photo and a webcam frame, scaled with sharp. */
async function makeFrames(
  names: readonly string[],
): Promise<{ frame: BenchFrame; image: RgbaImage; jpeg: Buffer }[]> {
  const webcamFile = path.join(MEDIA_DIR, 'webcam', 'talking-d9.mp4');
  const sources: Record<string, { label: string; png: () => Promise<Buffer> }> = {
    photo: {
      label: 'obama-1080p.jpg',
      png: async () => sharp(path.join(MEDIA_DIR, 'obama-1080p.jpg')).png().toBuffer(),
    },
    webcam: {
      label: 'talking-d9.mp4 frame 60 (512x480), centre crop',
      png: async () => {
        const info = await probeVideo(webcamFile);
        for await (const f of decodeVideoFrames(info)) {
          if (f.index < 60) continue;
          const { width, height } = f.image;
          return sharp(f.image.data, { raw: { width, height, channels: 4 } })
            .png()
            .toBuffer();
        }
        throw new Error(`${webcamFile}: fewer than 61 frames`);
      },
    },
  };
  const out: { frame: BenchFrame; image: RgbaImage; jpeg: Buffer }[] = [];
  for (const name of names) {
    const source = sources[name];
    const png = await source.png();
    for (const r of RESOLUTIONS) {
      const jpeg = await sharp(png)
        .resize(r.width, r.height, { fit: 'cover' })
        .jpeg({ quality: 92 })
        .toBuffer();
      const { image } = await decodeImage(jpeg, `${name}@${r.name}`);
      out.push({
        frame: {
          name,
          resolution: r.name,
          width: r.width,
          height: r.height,
          source: `${source.label} scaled to ${r.width}x${r.height}`,
          faces: 0,
        },
        image,
        jpeg,
      });
    }
  }
  return out;
}

/** The stage objects the masker builds, made directly so that each stage can be timed alone. */
interface Stages {
  detector: FaceDetector;
  landmarker: FaceLandmarker;
  classifier: ExpressionClassifier;
  emoji: Record<Expression, { art: EmojiArt; chain: MipChain }>;
  dispose(): Promise<void>;
}

async function createStages(models: MaskerModels, threads: number): Promise<Stages> {
  const session = nodeSessionOptions(threads);
  const detector = await FaceDetector.create(ort, models.detector, {
    tiling: DEFAULT_MASKER_TILING,
    session,
  });
  const landmarker = await FaceLandmarker.create(ort, models.landmarks, { session });
  const classifier = await ExpressionClassifier.create(ort, models.expression, { session });
  const pack = await loadEmojiPack();
  const emoji = {} as Stages['emoji'];
  for (const e of EXPRESSIONS) emoji[e] = { art: pack[e], chain: buildMipChain(pack[e].image) };
  return {
    detector,
    landmarker,
    classifier,
    emoji,
    dispose: async () => {
      await Promise.all([detector.dispose(), landmarker.dispose(), classifier.dispose()]);
    },
  };
}

/** Times the five stages on `image` in the masker's order, for the faces a new frame yields. */
async function timeStages(
  stages: Stages,
  image: RgbaImage,
  warmup: number,
  timed: number,
): Promise<{ faces: number; timings: StageTimings }> {
  const { detector, landmarker, classifier, emoji } = stages;

  // The faces as the masker would hold them after one frame: detected, meshed twice.
  const meshes: FaceMesh[] = [];
  for (const detection of await detector.detect(image)) {
    const first = await landmarker.run(image, roiFromDetection(detection));
    if (first.presence < MIN_PRESENCE) continue;
    const mesh = await landmarker.run(image, roiFromLandmarks(first.landmarks));
    if (mesh.presence >= MIN_PRESENCE) meshes.push(mesh);
  }

  const size = classifier.inputSize;
  const crops = meshes.map((m) => ferCropToSource(m.landmarks, FER_FRAMING, size));
  const classify = async (): Promise<Expression[]> => {
    const pixels = ferCropsToTensor(image, crops, size);
    const probs = await classifier.classifyCrops(pixels, meshes.length);
    return meshes.map((_, i) => {
      const row = Array.from(probs.subarray(i * EXPRESSIONS.length, (i + 1) * EXPRESSIONS.length));
      return classifier.labels[row.indexOf(Math.max(...row))];
    });
  };
  const labels = await classify();
  const place = () =>
    meshes.map((m, i) =>
      placeEmoji(
        emoji[labels[i]].art,
        maskKeypointsFromMesh(m.landmarks),
        MESH_FACE_OVAL.map((k) => m.landmarks[k]),
      ),
    );
  const placements = place();
  const canvas = copyOf(image);

  const timings: StageTimings = {
    detect: await measure(() => detector.detect(image), warmup, timed),
    landmarks: await measure(
      async () => {
        for (const m of meshes) await landmarker.run(image, roiFromLandmarks(m.landmarks));
      },
      warmup,
      timed,
    ),
    classify: await measure(classify, warmup, timed),
    homography: await measure(place, warmup, timed),
    composite: await measure(
      () => {
        placements.forEach((p, i) => {
          if (p.ok) compositeMipmapped(canvas, emoji[labels[i]].chain, p.matrix);
        });
      },
      warmup,
      timed,
    ),
  };
  return { faces: meshes.length, timings };
}

async function timeEndToEnd(
  masker: Masker,
  image: RgbaImage,
  warmup: number,
  timed: number,
): Promise<{ video: TimingStats; still: TimingStats }> {
  let frame = copyOf(image);
  const prepare = () => {
    frame = copyOf(image);
  };
  masker.reset();
  let timeMs = 0;
  const video = await measure(
    () => masker.process(frame, { timeMs: (timeMs += FRAME_MS) }),
    warmup,
    timed,
    prepare,
  );
  masker.reset();
  const still = await measure(() => masker.process(frame), warmup, timed, prepare);
  return { video, still };
}

async function timePeers(
  frames: { frame: BenchFrame; image: RgbaImage }[],
  warmup: number,
  timed: number,
): Promise<PeerResult[]> {
  let started = performance.now();
  const faceApi = await FaceApiPeer.create();
  const faceApiLoad = performance.now() - started;
  started = performance.now();
  const human = await HumanPeer.create();
  const humanLoad = performance.now() - started;

  const runOn = async (
    makeInput: (image: RgbaImage) => TfTensor,
    detect: (input: TfTensor) => Promise<{ expression: string | null }[]>,
  ) => {
    const runs = [];
    for (const { frame, image } of frames) {
      const input = makeInput(image);
      try {
        const found = await detect(input);
        const endToEnd = await measure(() => detect(input), warmup, timed);
        runs.push({
          resolution: frame.resolution,
          frame: frame.name,
          endToEnd,
          faces: found.length,
          expressions: found.map((f) => f.expression),
        });
      } finally {
        input.dispose();
      }
    }
    return runs;
  };
  const wasm = `tfjs ${packageVersion('@tensorflow/tfjs-core')} WASM (SIMD, one thread: tfjs has no WASM threads in Node)`;
  return [
    {
      name: 'face-api',
      version: faceApi.version,
      pipeline: 'TinyFaceDetector (input 416) + 68-point landmarks + expression net',
      backend: wasm,
      threads: 1,
      loadMs: round(faceApiLoad, 1),
      runs: await runOn(
        (i) => faceApi.input(i),
        (t) => faceApi.detect(t),
      ),
    },
    {
      name: 'human',
      version: human.version,
      pipeline:
        'BlazeFace + face mesh + emotion, caching off (cacheSensitivity 0: every frame analysed)',
      backend: wasm,
      threads: 1,
      loadMs: round(humanLoad, 1),
      runs: await runOn(
        (i) => human.input(i),
        (t) => human.detect(t, false),
      ),
    },
    {
      name: 'human (cache on)',
      version: human.version,
      pipeline:
        'as above with its default cache (cacheSensitivity 0.7); the same frame repeated lets it skip work, so this is a best case',
      backend: wasm,
      threads: 1,
      loadMs: round(humanLoad, 1),
      runs: await runOn(
        (i) => human.input(i),
        (t) => human.detect(t, true),
      ),
    },
  ];
}

async function measureAccuracy(
  stride: number,
  models: MaskerModels,
): Promise<NonNullable<BenchReport['accuracy']>> {
  const faces = await readPrivateTest({ stride });
  const batch = 64;
  const ours = await ExpressionClassifier.create(ort, models.expression, {
    session: { intraOpNumThreads: 1 },
  });
  const size = ours.inputSize;
  const margin = (FER_IMAGE_SIZE - size) / 2;
  const results: AccuracyResult[] = [];
  try {
    results.push(
      await score(
        'ours',
        '44x44 centre crop of the 48x48 image, grey 0..255 (models/expression.onnx, onnxruntime-node, 1 thread)',
        'the seven FER2013 classes, same order',
        faces,
        batch,
        async (grey, count) => {
          const pixels = new Float32Array(count * size * size);
          for (let i = 0; i < count; i++) {
            for (let y = 0; y < size; y++) {
              for (let x = 0; x < size; x++) {
                pixels[(i * size + y) * size + x] =
                  grey[(i * FER_IMAGE_SIZE + y + margin) * FER_IMAGE_SIZE + x + margin];
              }
            }
          }
          return ours.classifyCrops(pixels, count);
        },
      ),
    );
  } finally {
    await ours.dispose();
  }
  const faceApi = await FaceApiPeer.create();
  results.push(
    await score(
      'face-api',
      'the 48x48 grey image repeated to RGB; the net pads and resizes it to 112x112 itself',
      Object.entries(FACE_API_LABELS)
        .map(([k, v]) => `${k}→${v}`)
        .join(', '),
      faces,
      batch,
      (grey, count) => faceApi.expressions(grey, FER_IMAGE_SIZE, count),
    ),
  );
  const human = await HumanPeer.create();
  results.push(
    await score(
      'human',
      '48x48 grey scaled to 0..1, resized bilinearly to 64x64, mapped to -1..1 (as human prepares a face crop)',
      `${HUMAN_LABELS.join(', ')}: FER2013's own names and order`,
      faces,
      batch,
      (grey, count) => human.expressions(grey, FER_IMAGE_SIZE, count),
    ),
  );
  return { split: 'PrivateTest', source: displayPath(faces.source), stride, models: results };
}

/** `file` relative to the repository when inside it, else with the home folder as `~`. */
function displayPath(file: string): string {
  const relative = path.relative(REPO_ROOT, file);
  if (!relative.startsWith('..')) return relative;
  const home = os.homedir();
  return file.startsWith(home + path.sep) ? `~${file.slice(home.length)}` : file;
}

async function score(
  name: string,
  input: string,
  labelMapping: string,
  faces: FerFaces,
  batch: number,
  classify: (grey: Uint8Array, count: number) => Promise<Float32Array>,
): Promise<AccuracyResult> {
  const per = FER_IMAGE_SIZE * FER_IMAGE_SIZE;
  const classes = EXPRESSIONS.length;
  const hits = new Array<number>(classes).fill(0);
  const totals = new Array<number>(classes).fill(0);
  let busy = 0;
  for (let start = 0; start < faces.count; start += batch) {
    const count = Math.min(batch, faces.count - start);
    const began = performance.now();
    const probs = await classify(faces.grey.subarray(start * per, (start + count) * per), count);
    busy += performance.now() - began;
    for (let i = 0; i < count; i++) {
      const row = Array.from(probs.subarray(i * classes, (i + 1) * classes));
      const truth = faces.labels[start + i];
      totals[truth]++;
      if (row.indexOf(Math.max(...row)) === truth) hits[truth]++;
    }
  }
  const correct = hits.reduce((a, b) => a + b, 0);
  return {
    name,
    input,
    labelMapping,
    images: faces.count,
    accuracy: round(correct / faces.count, 4),
    perClassRecall: hits.map((h, k) => round(totals[k] > 0 ? h / totals[k] : 0, 4)),
    msPerImage: round(busy / faces.count, 3),
  };
}

async function timeDecode(
  frames: { frame: BenchFrame; jpeg: Buffer }[],
  warmup: number,
  timed: number,
  videoFrames: number,
): Promise<BenchReport['decode']> {
  const image: BenchReport['decode']['image'] = [];
  for (const { frame, jpeg } of frames.filter((f) => f.frame.name === 'photo')) {
    image.push({
      resolution: frame.resolution,
      stats: await measure(() => decodeImage(jpeg, frame.name), warmup, timed),
    });
  }
  const file = path.join(MEDIA_DIR, 'webcam', 'talking-d13.mp4');
  const info = await probeVideo(file);
  let count = 0;
  let firstAt = 0;
  for await (const f of decodeVideoFrames(info)) {
    // Timing starts at the first frame, so ffmpeg's start-up is not counted.
    if (f.index === 0) firstAt = performance.now();
    if (++count > videoFrames) break;
  }
  const msPerFrame = (performance.now() - firstAt) / Math.max(1, count - 1);
  return {
    image,
    video: {
      file: path.relative(REPO_ROOT, file),
      width: info.width,
      height: info.height,
      frames: count - 1,
      msPerFrame: round(msPerFrame, 3),
    },
  };
}

async function timeModelLoad(
  models: MaskerModels,
  repeats: number,
  maskerColdMs: number,
): Promise<BenchReport['modelLoad']> {
  const session = { intraOpNumThreads: 1 };
  const loadAndDispose = (create: () => Promise<{ dispose(): Promise<void> }>) => async () => {
    const made = await create();
    await made.dispose();
  };
  return {
    maskerColdMs: round(maskerColdMs, 1),
    maskerWarm: await measure(
      loadAndDispose(() => createNodeMasker({ threads: 1 })),
      0,
      repeats,
    ),
    detector: await measure(
      loadAndDispose(() => FaceDetector.create(ort, models.detector, { session })),
      0,
      repeats,
    ),
    landmarks: await measure(
      loadAndDispose(() => FaceLandmarker.create(ort, models.landmarks, { session })),
      0,
      repeats,
    ),
    classifier: await measure(
      loadAndDispose(() => ExpressionClassifier.create(ort, models.expression, { session })),
      0,
      repeats,
    ),
  };
}

function printSummary(report: BenchReport): void {
  const w = (s: string, n: number) => s.padEnd(n);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`\nour pipeline (onnxruntime-node), medians of ${report.iterations.timed} warm runs, ms`);
  out(
    `${w('frame', 16)}${w('threads', 9)}${['detect', 'landmarks', 'classify', 'homography', 'composite', 'e2e video', 'e2e still', 'fps'].map((h) => w(h, 11)).join('')}`,
  );
  for (const r of report.runs) {
    const s = r.stages;
    const cells = [
      s.detect,
      s.landmarks,
      s.classify,
      s.homography,
      s.composite,
      r.endToEnd,
      r.endToEndStill,
    ].map((t) => w(t ? t.medianMs.toFixed(2) : '-', 11));
    out(
      `${w(`${r.frame}@${r.resolution}`, 16)}${w(String(r.threads), 9)}${cells.join('')}${r.fps.toFixed(1)}`,
    );
  }
  for (const peer of report.peers) {
    out(
      `\n${peer.name} ${peer.version} (${peer.backend}), ms per frame and our speed-up (their ms / our ms, 1 thread, video mode)`,
    );
    for (const run of peer.runs) {
      const ours = report.runs.find(
        (r) => r.threads === 1 && r.resolution === run.resolution && r.frame === run.frame,
      );
      const ratio = ours ? run.endToEnd.medianMs / ours.endToEnd.medianMs : NaN;
      out(
        `${w(`${run.frame}@${run.resolution}`, 16)}${w(run.endToEnd.medianMs.toFixed(1), 10)}faces ${run.faces}  ours ${ours?.endToEnd.medianMs.toFixed(1) ?? '-'}  x${ratio.toFixed(2)}`,
      );
    }
  }
  const ours720 = report.runs.filter((r) => r.resolution === '720p' && r.threads === 2);
  for (const r of ours720) {
    out(
      `\n720p ${r.frame}, 2 threads: ${r.endToEnd.medianMs.toFixed(1)} ms per frame vs published ${report.published.msPer720pFrame} ms on ${report.published.cores} cores: published / ours = x${(report.published.msPer720pFrame / r.endToEnd.medianMs).toFixed(2)}`,
    );
  }
  if (report.accuracy) {
    out(
      `\nFER2013 ${report.accuracy.split} (${report.accuracy.models[0].images} images${report.accuracy.stride > 1 ? `, every ${report.accuracy.stride}th of each class` : ''})`,
    );
    for (const m of report.accuracy.models)
      out(`${w(m.name, 12)}${(100 * m.accuracy).toFixed(1)}%  ${m.msPerImage.toFixed(2)} ms/image`);
  }
}

async function main(): Promise<void> {
  const program = new Command('bench')
    .description('Speed and accuracy of our pipeline and of two peers, on this machine, in Node')
    .option('--quick', 'fewer runs, one frame per size, every 10th FER image (under 2 minutes)')
    .option('--out <file>', 'JSON result', path.join(RESULTS_DIR, 'bench-node.json'))
    .option('--no-peers', 'skip face-api and human')
    .option('--no-accuracy', 'skip the FER2013 accuracy comparison')
    .option('--threads <list>', 'thread counts, comma-separated', '1,2')
    .option('--no-results', 'do not rewrite docs/RESULTS.md afterwards')
    .parse();
  const raw = program.opts<{
    quick?: boolean;
    out: string;
    peers: boolean;
    accuracy: boolean;
    threads: string;
    results: boolean;
  }>();
  const threads = raw.threads.split(',').map(Number);
  if (!threads.every((t) => Number.isInteger(t) && t >= 1))
    program.error(
      `--threads: expected whole numbers >= 1 separated by commas, got "${raw.threads}"`,
    );
  const options: Options = {
    mode: raw.quick ? 'quick' : 'full',
    out: raw.out,
    peers: raw.peers,
    accuracy: raw.accuracy,
    threads,
  };
  const mode = MODES[options.mode];
  const started = performance.now();
  const log = (text: string) =>
    process.stderr.write(
      `bench: ${text} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
    );

  // Cold load first, before anything else has touched ONNX Runtime.
  const coldStart = performance.now();
  const firstMasker = await createNodeMasker({ threads: 1 });
  const maskerColdMs = performance.now() - coldStart;
  await firstMasker.dispose();

  const machine = machineInfo();
  const models = await readMaskerModels();
  const frames = await makeFrames(mode.frames);
  log(`${frames.length} frames ready`);

  const runs: PipelineRun[] = [];
  for (const t of options.threads) {
    const stages = await createStages(models, t);
    const masker = await createNodeMasker({ threads: t });
    try {
      for (const f of frames) {
        const { faces, timings } = await timeStages(stages, f.image, mode.warmup, mode.timed);
        f.frame.faces = faces;
        const e2e = await timeEndToEnd(masker, f.image, mode.warmup, mode.timed);
        runs.push({
          threads: t,
          resolution: f.frame.resolution,
          frame: f.frame.name,
          stages: timings,
          endToEnd: e2e.video,
          endToEndStill: e2e.still,
          fps: round(1000 / e2e.video.medianMs, 1),
        });
        log(
          `${f.frame.name}@${f.frame.resolution}, ${t} thread(s): ${e2e.video.medianMs.toFixed(1)} ms end to end`,
        );
      }
    } finally {
      await stages.dispose();
      await masker.dispose();
    }
  }

  const decode = await timeDecode(frames, mode.warmup, mode.timed, mode.videoFrames);
  const modelLoad = await timeModelLoad(models, mode.loadRepeats, maskerColdMs);
  log('decode and model load timed');
  const peers = options.peers ? await timePeers(frames, mode.warmup, mode.timed) : [];
  if (options.peers) log('peers timed');
  const accuracy = options.accuracy ? await measureAccuracy(mode.ferStride, models) : undefined;
  if (accuracy) log('FER2013 accuracy measured');

  const report: BenchReport = {
    kind: 'bench',
    environment: 'node',
    runtime: `onnxruntime-node ${packageVersion('onnxruntime-node')} (CPU execution provider)`,
    mode: options.mode,
    command: options.mode === 'quick' ? 'npm run bench:quick' : 'npm run bench',
    machine,
    iterations: { warmup: mode.warmup, timed: mode.timed },
    frames: frames.map((f) => f.frame),
    decode,
    modelLoad,
    runs,
    peers,
    ...(accuracy ? { accuracy } : {}),
    published: PUBLISHED,
    wallSeconds: round((performance.now() - started) / 1000, 1),
  };
  await writeJson(options.out, report);
  printSummary(report);
  process.stdout.write(
    `\nwrote ${path.relative(process.cwd(), options.out)} in ${report.wallSeconds} s (load average at start ${machine.loadAverage.join(', ')} on ${machine.cores} cores)\n`,
  );
  if (raw.results) {
    const written = await writeResults();
    process.stdout.write(
      `wrote ${written.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`,
    );
  }
}

runTool('bench', main);
