/**
 * `npm run metrics`: how steady and how private the masker's video output is, on every clip in
 * ../shared/media, for three smoothing variants run side by side on the same frames:
 *
 * - `ours`: the default options (One Euro keypoints; expression probabilities averaged with
 *   hysteresis and a minimum hold);
 * - `none`: `keypointSmoothing: false, expressionSmoothing: false`, the raw per-frame result;
 * - `majority5`: our keypoint smoothing, with the shown label the majority of the last five raw
 *   per-frame classes of the face (the published proposal; `MajorityVote` per face id).
 *
 * For each clip and variant it reports emoji switches per face-minute, the delay to follow a
 * sustained change of the raw class, keypoint jitter on still stretches, how much of each face's
 * raw silhouette the drawn emoji or cover hides, and the frames in which an independent face
 * detector (face-api's SSD MobileNet v1) finds a face showing unmasked in the output. The measures
 * are defined in quality-metrics.ts and unmasked-check.ts; the raw class, the still stretches and
 * the silhouettes come from the `none` run, so every variant is judged on the same events.
 */

import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { Command, InvalidArgumentError } from 'commander';
import sharp from 'sharp';

import { iou } from '../../core/geometry/box-overlap.js';
import type { CoverDisc } from '../../core/emoji/emoji-pack.js';
import type { MaskPlan } from '../../core/masker/mask-plan.js';
import type { Masker } from '../../core/masker/masker.js';
import type { MaskerOptions } from '../../core/masker/masker-options.js';
import { MajorityVote } from '../../core/tracking/expression-smoother.js';
import {
  EXPRESSIONS,
  MASK_KEYPOINT_NAMES,
  type Box,
  type Expression,
  type FaceResult,
  type Point,
  type RgbaImage,
} from '../../core/types.js';
import { loadEmojiPack } from '../emoji-loader.js';
import { createNodeMasker } from '../node-masker.js';
import { decodeVideoFrames } from '../video-io.js';
import { probeVideo } from '../video-probe.js';
import {
  combineJitter,
  countSwitches,
  COVERAGE_SAMPLES,
  followDelays,
  FULL_COVERAGE,
  keypointJitter,
  maskCoverage,
  median,
  quantile,
  stillFrames,
  stretches,
  summariseCoverage,
  type CoverageSummary,
  type Jitter,
  type Timed,
} from './quality-metrics.js';
import {
  machineInfo,
  MEDIA_DIR,
  readJsonIfPresent,
  REPO_ROOT,
  RESULTS_DIR,
  round,
  runTool,
  writeJson,
} from './tool-env.js';
import type { MachineInfo } from './bench-schema.js';
import type { CheckDetector, CheckedFace } from './unmasked-check.js';
import { UnmaskedCheckWorker } from './unmasked-check-worker.js';

/** The smoothing variants compared, in table order. */
export const VARIANTS = [
  {
    name: 'ours',
    description:
      'default options: One Euro keypoints, expression probabilities averaged with hysteresis and a minimum hold',
    options: {} satisfies MaskerOptions,
    vote: false,
  },
  {
    name: 'none',
    description: 'no smoothing: raw keypoints and the raw per-frame class',
    options: { keypointSmoothing: false, expressionSmoothing: false } satisfies MaskerOptions,
    vote: false,
  },
  {
    name: 'majority5',
    description: 'One Euro keypoints; label = majority of the last 5 raw per-frame classes',
    options: { expressionSmoothing: false } satisfies MaskerOptions,
    vote: true,
  },
] as const;

export type VariantName = (typeof VARIANTS)[number]['name'];

/** A sustained change of the raw class must last this long (see `followDelays`). */
export const PERSIST_MS = 500;
/** Still frames: box centre moves < 5% of the inter-ocular distance over ±3 frames ... */
export const STILL_HALF_WINDOW = 3;
export const STILL_MAX_MOTION = 0.05;
/** ... for at least 10 consecutive frames. */
export const STILL_MIN_FRAMES = 10;
/** A progress line on stderr every this many frames. */
const PROGRESS_EVERY = 100;
/** Frames waiting for the checker at most; the masker waits beyond that. */
const MAX_CHECKS_IN_FLIGHT = 6;
/** A face of one variant is the same face as one of the raw run when their boxes overlap this much. */
const MATCH_IOU = 0.3;
/** The JSON lists this many of the least covered face-frames below {@link FULL_COVERAGE}. */
const WORST_LISTED = 5;

/** One face in one frame of one variant, as drawn. */
interface FaceRecord {
  id: number;
  state: FaceResult['tracking'];
  /** The emoji drawn; null when the face was painted over instead (`covered`). */
  shown: Expression | null;
  box: Box;
  /** The six masking keypoints in MASK_KEYPOINT_NAMES order, source pixels. */
  keypoints: Point[];
  /** Distance between the outer eye corners, px. */
  iod: number;
}

interface FrameRecord {
  index: number;
  timeMs: number;
}

/** The coverage of one raw-run face in one frame under one variant's drawing. */
interface CoverageRecord {
  /** 0-based frame number. */
  frame: number;
  /** Track id of the face in the raw (`none`) run. */
  faceId: number;
  coverage: number;
}

/**
 * A place in a clip where a person looked at the checker's unmasked find and judged it not to be
 * a face (a hand, a pattern). A find whose box centre lies inside `box` between `fromFrame` and
 * `toFrame` (0-based, inclusive) is reported as reviewed instead of as a leak. The list lives in
 * docs/results/unmasked-reviewed.json; a new find is never reviewed until someone adds it there.
 */
export interface ReviewedRegion {
  /** File name of the clip (no folder). */
  clip: string;
  fromFrame: number;
  toFrame: number;
  box: Box;
  /** What it is, as the reviewer saw it. */
  verdict: string;
}

/** The reviewed regions file. */
export const REVIEWED_FILE = path.join(RESULTS_DIR, 'unmasked-reviewed.json');

async function readReviewed(file: string): Promise<ReviewedRegion[]> {
  const data = await readJsonIfPresent<{ regions?: ReviewedRegion[] }>(file);
  const regions = data?.regions ?? [];
  regions.forEach((r, i) => {
    const ok =
      typeof r.clip === 'string' &&
      Number.isInteger(r.fromFrame) &&
      Number.isInteger(r.toFrame) &&
      [r.box?.x, r.box?.y, r.box?.width, r.box?.height].every(Number.isFinite) &&
      typeof r.verdict === 'string';
    if (!ok) {
      throw new Error(
        `${file}: regions[${i}]: expected { clip, fromFrame, toFrame, box: { x, y, width, height }, verdict }, got ${JSON.stringify(r)}`,
      );
    }
  });
  return regions;
}

/** The verdict of the reviewed region holding `box` in frame `frame` of `clip`, if any. */
function reviewOf(
  regions: readonly ReviewedRegion[],
  clip: string,
  frame: number,
  box: Box,
): string | undefined {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  return regions.find(
    (r) =>
      r.clip === clip &&
      frame >= r.fromFrame &&
      frame <= r.toFrame &&
      cx >= r.box.x &&
      cx <= r.box.x + r.box.width &&
      cy >= r.box.y &&
      cy <= r.box.y + r.box.height,
  )?.verdict;
}

/** A face the checker found, with the verdict of a review when one covers it. */
type JudgedFace = CheckedFace & { reviewed?: string };

function roundBox(b: Box): Box {
  return {
    x: round(b.x, 1),
    y: round(b.y, 1),
    width: round(b.width, 1),
    height: round(b.height, 1),
  };
}

/** What the JSON holds for one variant of one clip. */
export interface VariantMetrics {
  switches: number;
  faceMinutes: number;
  switchesPerFaceMinute: number;
  follow: {
    changes: number;
    followed: number;
    missed: number;
    medianMs: number | null;
    meanMs: number | null;
    p90Ms: number | null;
  };
  jitter: Jitter & { stillFrames: number };
  /**
   * How much of each face's raw silhouette this variant's drawing hides (see
   * `maskCoverage`): over the live faces with a mesh of the `none` run, one value per face per
   * frame. Absent in files written before coverage was measured.
   */
  coverage?: CoverageSummary & {
    /** The least covered face-frames below {@link FULL_COVERAGE}, least first (at most 5). */
    worst: CoverageRecord[];
  };
  /** Present when this variant's output was checked by the independent detector. */
  unmasked?: {
    checkedFrames: number;
    /**
     * Frames with at least one unmasked face the checker found that no review explains: the
     * number that must be 0.
     */
    frames: number;
    /** 0-based frame numbers of those frames. */
    frameNumbers: number[];
    /** Frames whose only unmasked finds lie in a reviewed region (see {@link ReviewedRegion}). */
    reviewedFrames: number;
    /** Every unmasked find, reviewed or not. */
    candidates: { frame: number; box: Box; score: number; changed: number; reviewed?: string }[];
    /** Faces the checker found on drawn emoji or covers (masked; not a leak). */
    detectionsOnMasks: number;
  };
  /** Mean wall time of analyze + render per frame, ms (machine shared: indicative only). */
  msPerFrame: number;
}

export interface ClipMetrics {
  file: string;
  width: number;
  height: number;
  fps: number;
  /** Frames processed: every frame of the clip, or of its first `settings.maxSeconds`. */
  frames: number;
  seconds: number;
  /** Faces (raw-run track ids) that appeared. */
  faces: number;
  /** Faces the checker found in every `inputStride`-th input frame, for scale. */
  inputCheck: { sampledFrames: number; faces: number };
  variants: Record<VariantName, VariantMetrics>;
}

export interface MetricsReport {
  kind: 'video-metrics';
  command: string;
  machine: MachineInfo;
  settings: {
    /** Only the first this many seconds of each clip were processed; null: whole clips. */
    maxSeconds: number | null;
    persistMs: number;
    still: { halfWindow: number; maxMotionIod: number; minFrames: number };
    /** Sample points per silhouette and the coverage counted as full (absent in older files). */
    coverage?: { samplesPerFace: number; fullAt: number };
    checker: {
      detector: CheckDetector;
      minScore: number;
      changeThreshold: number;
      maxChangedFraction: number;
    };
    /** The file of reviewed regions that were applied (see {@link ReviewedRegion}). */
    reviewedRegions: string;
    checkedVariants: VariantName[];
    inputStride: number;
  };
  variants: { name: VariantName; description: string }[];
  clips: ClipMetrics[];
  /** Wall time of the whole run, s. */
  wallSeconds: number;
}

interface Args {
  /** Undefined: whole clips. */
  seconds?: number;
  video: string[];
  check: 'ours' | 'all';
  checker: CheckDetector;
  inputStride: number;
  out: string;
  framesDir: string;
  threads: number;
}

/** The clips of ../shared/media: the Hamilton clip and every webcam/talking-*.mp4. */
async function defaultClips(): Promise<string[]> {
  const webcam = path.join(MEDIA_DIR, 'webcam');
  const talking = (await readdir(webcam)).filter((f) => /^talking-.*\.mp4$/.test(f)).sort();
  return [
    path.join(MEDIA_DIR, 'short_hamilton_clip.mp4'),
    ...talking.map((f) => path.join(webcam, f)),
  ];
}

function toRecord(face: FaceResult, shown: Expression): FaceRecord {
  const keypoints = MASK_KEYPOINT_NAMES.map((k) => face.keypoints[k]);
  const { leftEyeOuter: l, rightEyeOuter: r } = face.keypoints;
  return {
    id: face.id,
    state: face.tracking,
    shown: face.tracking === 'covered' ? null : shown,
    box: face.box,
    keypoints,
    iod: Math.hypot(l.x - r.x, l.y - r.y),
  };
}

/** `image` with a red frame drawn around each box, as PNG bytes. */
async function pngWithBoxes(image: RgbaImage, boxes: readonly Box[]): Promise<Buffer> {
  const data = new Uint8Array(image.data);
  const { width, height } = image;
  const paint = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    data.set([255, 0, 0, 255], (y * width + x) * 4);
  };
  for (const b of boxes) {
    const [x0, y0, x1, y1] = [b.x, b.y, b.x + b.width, b.y + b.height].map(Math.round);
    for (let t = 0; t < 2; t++) {
      for (let x = x0; x <= x1; x++) (paint(x, y0 + t), paint(x, y1 - t));
      for (let y = y0; y <= y1; y++) (paint(x0 + t, y), paint(x1 - t, y));
    }
  }
  return sharp(data, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
}

async function measureClip(
  file: string,
  maskers: Record<VariantName, Masker>,
  discs: Readonly<Record<Expression, CoverDisc>>,
  checker: UnmaskedCheckWorker,
  reviewed: readonly ReviewedRegion[],
  args: Args,
): Promise<ClipMetrics> {
  const info = await probeVideo(file);
  const frames: FrameRecord[] = [];
  const records = Object.fromEntries(VARIANTS.map((v) => [v.name, [] as FaceRecord[][]])) as Record<
    VariantName,
    FaceRecord[][]
  >;
  const busyMs = Object.fromEntries(VARIANTS.map((v) => [v.name, 0])) as Record<
    VariantName,
    number
  >;
  const coverage = Object.fromEntries(
    VARIANTS.map((v) => [v.name, [] as CoverageRecord[]]),
  ) as Record<VariantName, CoverageRecord[]>;
  const checked = new Map<VariantName, JudgedFace[][]>();
  const clip = path.basename(file);
  const inputCheck = { sampledFrames: 0, faces: 0 };
  const inFlight: Promise<void>[] = [];
  const submit = async (work: Promise<void>) => {
    inFlight.push(work);
    if (inFlight.length > MAX_CHECKS_IN_FLIGHT) await inFlight.shift();
  };
  const votes = new Map<number, MajorityVote>();
  const lastVote = new Map<number, Expression>();
  const stem = path.basename(file, path.extname(file));
  for (const masker of Object.values(maskers)) masker.reset();

  let firstMs: number | null = null;
  for await (const frame of decodeVideoFrames(info)) {
    firstMs ??= frame.timeMs;
    if (args.seconds !== undefined && frame.timeMs - firstMs >= args.seconds * 1000) break;
    frames.push({ index: frame.index, timeMs: frame.timeMs });
    if (frames.length % PROGRESS_EVERY === 0) {
      process.stderr.write(`metrics: ${stem}: ${frames.length} frames\n`);
    }

    const plans = {} as Record<VariantName, MaskPlan>;
    let rawFaces: FaceResult[] = [];
    for (const variant of VARIANTS) {
      const masker = maskers[variant.name];
      const started = performance.now();
      const faces = await masker.analyze(frame.image, { timeMs: frame.timeMs });
      // majority5 runs without expression smoothing, so `expression` is the raw class here.
      const drawn = variant.vote
        ? faces.map((f) => {
            if (f.tracking === 'live') {
              let vote = votes.get(f.id);
              if (!vote) votes.set(f.id, (vote = new MajorityVote(5)));
              lastVote.set(f.id, vote.update(f.expression));
            }
            return { ...f, expression: lastVote.get(f.id) ?? f.expression };
          })
        : faces;
      const output: RgbaImage = { ...frame.image, data: new Uint8Array(frame.image.data) };
      masker.render(output, drawn);
      busyMs[variant.name] += performance.now() - started;
      records[variant.name].push(drawn.map((f) => toRecord(f, f.expression)));
      // The plan render just drew (same faces, same frame size), kept for the coverage below.
      plans[variant.name] = masker.plan(drawn, output);
      if (variant.name === 'none') rawFaces = faces;

      if (args.check === 'all' || variant.name === 'ours') {
        if (!checked.has(variant.name)) checked.set(variant.name, []);
        const slot = checked.get(variant.name) as JudgedFace[][];
        const position = slot.push([]) - 1;
        const index = frame.index;
        await submit(
          checker.check(frame.image, output).then(async (found) => {
            const judged = found.map((f) => ({
              ...f,
              reviewed: f.unmasked ? reviewOf(reviewed, clip, index, f.box) : undefined,
            }));
            slot[position] = judged;
            const leaks = judged.filter((f) => f.unmasked && f.reviewed === undefined);
            if (leaks.length === 0) return;
            await mkdir(args.framesDir, { recursive: true });
            const name = `${stem}-${variant.name}-f${String(index).padStart(4, '0')}.png`;
            const target = path.join(args.framesDir, name);
            await writeFile(
              target,
              await pngWithBoxes(
                output,
                leaks.map((l) => l.box),
              ),
            );
            const scores = leaks.map((l) => l.score.toFixed(2)).join(', ');
            process.stderr.write(
              `metrics: ${clip} frame ${index} (${variant.name}): ${leaks.length} face(s) unmasked (score ${scores}), saved ${path.relative(REPO_ROOT, target)}\n`,
            );
          }),
        );
      }
    }
    // Coverage: the raw silhouette of every live face with a mesh, under each variant's drawing.
    for (const face of rawFaces) {
      if (face.tracking !== 'live' || face.landmarks.length === 0) continue;
      for (const variant of VARIANTS) {
        const value = maskCoverage(face.outline, plans[variant.name], discs);
        if (value !== null) {
          coverage[variant.name].push({ frame: frame.index, faceId: face.id, coverage: value });
        }
      }
    }
    if (frame.index % args.inputStride === 0) {
      inputCheck.sampledFrames++;
      await submit(
        checker.detect(frame.image).then((found) => {
          inputCheck.faces += found.length;
        }),
      );
    }
  }
  await Promise.all(inFlight);

  const intervals = frames.slice(1).map((f, i) => f.timeMs - frames[i].timeMs);
  const frameMs =
    intervals.length > 0 ? median(intervals) : 1000 / (info.frameRate.num / info.frameRate.den);
  const reference = records.none;
  const refIds = [
    ...new Set(
      reference.flatMap((faces) => faces.filter((f) => f.state === 'live').map((f) => f.id)),
    ),
  ];
  const variants = {} as Record<VariantName, VariantMetrics>;
  for (const variant of VARIANTS) {
    variants[variant.name] = summarise(
      frames,
      frameMs,
      reference,
      refIds,
      records[variant.name],
      checked.get(variant.name),
    );
    variants[variant.name].coverage = coverageMetrics(coverage[variant.name]);
    variants[variant.name].msPerFrame = round(busyMs[variant.name] / Math.max(1, frames.length), 1);
  }

  return {
    file: path.relative(REPO_ROOT, file),
    width: info.width,
    height: info.height,
    fps: round(1000 / frameMs, 2),
    frames: frames.length,
    seconds: round((frames.length * frameMs) / 1000, 2),
    faces: refIds.length,
    inputCheck,
    variants,
  };
}

/**
 * The measures of one variant: switches on its own faces; follow delay and jitter on the faces
 * and still stretches of the raw (`none`) run, each matched to this variant's face by box overlap.
 */
function summarise(
  frames: readonly FrameRecord[],
  frameMs: number,
  reference: readonly FaceRecord[][],
  refIds: readonly number[],
  own: readonly FaceRecord[][],
  found: readonly JudgedFace[][] | undefined,
): VariantMetrics {
  // Switches, on this variant's own faces.
  const ownIds = [...new Set(own.flatMap((faces) => faces.map((f) => f.id)))];
  const labelSeqs = ownIds.map((id) =>
    own.map((faces, i): Timed<string> => ({
      timeMs: frames[i].timeMs,
      value: faces.find((f) => f.id === id)?.shown ?? null,
    })),
  );
  const switches = countSwitches(labelSeqs, frameMs);

  // Follow delay and jitter, on the raw run's faces and still stretches.
  const delays: number[] = [];
  let changes = 0;
  let missed = 0;
  const jitters: Jitter[] = [];
  let stillCount = 0;
  for (const id of refIds) {
    const ref = reference.map(
      (faces) => faces.find((f) => f.id === id && f.state === 'live') ?? null,
    );
    const matched = ref.map((r, i) => (r ? bestMatch(r, own[i]) : null));
    const raw = ref.map((r, i): Timed<string> => ({
      timeMs: frames[i].timeMs,
      value: r?.shown ?? null,
    }));
    const shown = matched.map((m, i): Timed<string> => ({
      timeMs: frames[i].timeMs,
      value: m?.shown ?? null,
    }));
    const follow = followDelays(raw, shown, PERSIST_MS);
    changes += follow.changes;
    missed += follow.missed;
    delays.push(...follow.delaysMs);

    const boxes = ref.map((r) =>
      r
        ? {
            centre: { x: r.box.x + r.box.width / 2, y: r.box.y + r.box.height / 2 },
            size: Math.sqrt(r.box.width * r.box.height),
          }
        : null,
    );
    const iod = ref.map((r) => r?.iod ?? null);
    const ranges = stretches(
      stillFrames(boxes, iod, STILL_HALF_WINDOW, STILL_MAX_MOTION),
      STILL_MIN_FRAMES,
    );
    stillCount += ranges.reduce((n, [a, b]) => n + b - a, 0);
    const points = matched.map((m) => (m && m.state === 'live' ? m.keypoints : null));
    jitters.push(keypointJitter(points, iod, ranges));
  }

  const leakFrames = found
    ? found.flatMap((faces, i) =>
        faces.some((f) => f.unmasked && f.reviewed === undefined) ? [frames[i].index] : [],
      )
    : [];
  const jitter = combineJitter(jitters);
  const orNull = (v: number) => (Number.isFinite(v) ? round(v, 1) : null);
  return {
    switches: switches.switches,
    faceMinutes: round(switches.faceMinutes, 3),
    switchesPerFaceMinute: round(switches.perFaceMinute, 1),
    follow: {
      changes,
      followed: delays.length,
      missed,
      medianMs: orNull(median(delays)),
      meanMs: orNull(delays.reduce((a, b) => a + b, 0) / delays.length),
      p90Ms: orNull(quantile(delays, 0.9)),
    },
    jitter: {
      samples: jitter.samples,
      rmsPx: round(jitter.rmsPx, 3),
      rmsIod: round(jitter.rmsIod, 5),
      stillFrames: stillCount,
    },
    ...(found
      ? {
          unmasked: {
            checkedFrames: found.length,
            frames: leakFrames.length,
            frameNumbers: leakFrames,
            reviewedFrames: found.filter(
              (faces) =>
                faces.some((f) => f.unmasked) && faces.every((f) => !f.unmasked || f.reviewed),
            ).length,
            candidates: found.flatMap((faces, i) =>
              faces
                .filter((f) => f.unmasked)
                .map((f) => ({
                  frame: frames[i].index,
                  box: roundBox(f.box),
                  score: round(f.score, 3),
                  changed: round(f.changed, 3),
                  ...(f.reviewed ? { reviewed: f.reviewed } : {}),
                })),
            ),
            detectionsOnMasks: found.reduce(
              (n, faces) => n + faces.filter((f) => !f.unmasked).length,
              0,
            ),
          },
        }
      : {}),
    msPerFrame: 0,
  };
}

/** The coverage summary of one variant of one clip, rounded for the JSON. */
function coverageMetrics(
  records: readonly CoverageRecord[],
): NonNullable<VariantMetrics['coverage']> {
  const summary = summariseCoverage(records.map((r) => r.coverage));
  const orNull = (v: number | null) => (v === null ? null : round(v, 4));
  const worst = records
    .filter((r) => r.coverage < FULL_COVERAGE)
    .sort((a, b) => a.coverage - b.coverage)
    .slice(0, WORST_LISTED)
    .map((r) => ({ ...r, coverage: round(r.coverage, 4) }));
  return {
    faceFrames: summary.faceFrames,
    mean: orNull(summary.mean),
    min: orNull(summary.min),
    p5: orNull(summary.p5),
    atLeast99: orNull(summary.atLeast99),
    worst,
  };
}

/** The face of `candidates` whose box overlaps `ref`'s most, if at least {@link MATCH_IOU}. */
function bestMatch(ref: FaceRecord, candidates: readonly FaceRecord[]): FaceRecord | null {
  let best: FaceRecord | null = null;
  let bestIou = MATCH_IOU;
  for (const c of candidates) {
    const overlap = iou(ref.box, c.box);
    if (overlap >= bestIou) {
      best = c;
      bestIou = overlap;
    }
  }
  return best;
}

function printTable(report: MetricsReport): void {
  const header = [
    'clip',
    'variant',
    'switch/face-min',
    'follow ms (median, n, missed)',
    'jitter px',
    'jitter %IOD',
    'coverage mean / p5 / >=0.99',
    'unmasked frames',
  ];
  const rows: string[][] = [];
  for (const clip of report.clips) {
    for (const v of VARIANTS) {
      const m = clip.variants[v.name];
      rows.push([
        path.basename(clip.file),
        v.name,
        m.switchesPerFaceMinute.toFixed(1),
        `${m.follow.medianMs ?? '-'}, ${m.follow.followed}/${m.follow.changes}, ${m.follow.missed}`,
        m.jitter.samples > 0 ? m.jitter.rmsPx.toFixed(2) : '-',
        m.jitter.samples > 0 ? (100 * m.jitter.rmsIod).toFixed(2) : '-',
        coverageCell(m.coverage),
        m.unmasked
          ? `${m.unmasked.frames} of ${m.unmasked.checkedFrames}${m.unmasked.reviewedFrames > 0 ? ` (+${m.unmasked.reviewedFrames} reviewed)` : ''}`
          : 'not checked',
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  process.stdout.write(`${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}

/** `mean / p5 / share >= 0.99` of a variant's coverage, e.g. `0.998 / 0.990 / 96.1 %`. */
function coverageCell(c: VariantMetrics['coverage']): string {
  if (!c || c.mean === null || c.p5 === null || c.atLeast99 === null) return '-';
  return `${c.mean.toFixed(3)} / ${c.p5.toFixed(3)} / ${(100 * c.atLeast99).toFixed(1)} %`;
}

function positive(name: string, integer: boolean) {
  return (text: string): number => {
    const v = Number(text);
    if (!(v > 0) || (integer && !Number.isInteger(v))) {
      throw new InvalidArgumentError(
        `${name}: expected a positive ${integer ? 'whole ' : ''}number, got "${text}"`,
      );
    }
    return v;
  };
}

async function main(): Promise<void> {
  const program = new Command('metrics')
    .description('Video quality of the masker (steadiness and privacy) on the shared clips')
    .option(
      '--seconds <s>',
      'process only the first <s> seconds of each clip (default: every frame of the whole clip)',
      positive('--seconds', false),
    )
    .option(
      '--video <file...>',
      'clips to measure (default: ../shared/media/short_hamilton_clip.mp4 and webcam/talking-*.mp4)',
    )
    .option(
      '--check <which>',
      'variants whose output the independent detector checks: ours | all',
      'ours',
    )
    .option(
      '--checker <model>',
      "independent detector: ssd (face-api's SSD MobileNet v1) | tiny",
      'ssd',
    )
    .option(
      '--input-stride <n>',
      'also run the checker on every <n>-th input frame, for scale',
      positive('--input-stride', true),
      10,
    )
    .option(
      '--threads <n>',
      'ONNX Runtime threads per model (the checker takes another core)',
      positive('--threads', true),
      1,
    )
    .option('--out <file>', 'JSON result', path.join(RESULTS_DIR, 'video-metrics.json'))
    .option(
      '--frames-dir <dir>',
      'where frames with an unmasked face are saved as PNG',
      path.join(REPO_ROOT, 'tmp', 'unmasked'),
    )
    .parse();
  const opts = program.opts<Omit<Args, 'video'> & { video?: string[] }>();
  if (opts.check !== 'ours' && opts.check !== 'all')
    program.error(`--check: expected ours or all, got "${opts.check}"`);
  if (opts.checker !== 'ssd' && opts.checker !== 'tiny')
    program.error(`--checker: expected ssd or tiny, got "${opts.checker}"`);
  const args: Args = { ...opts, video: opts.video ?? (await defaultClips()) };

  const started = performance.now();
  const machine = machineInfo();
  const reviewed = await readReviewed(REVIEWED_FILE);
  // The pack createNodeMasker loads (its default folder): the opaque disc of each emoji.
  const pack = await loadEmojiPack();
  const discs = Object.fromEntries(EXPRESSIONS.map((e) => [e, pack[e].cover])) as Record<
    Expression,
    CoverDisc
  >;
  const checker = await UnmaskedCheckWorker.start({ detector: args.checker });
  const maskers = {} as Record<VariantName, Masker>;
  try {
    for (const v of VARIANTS)
      maskers[v.name] = await createNodeMasker({ ...v.options, threads: args.threads });
    const clips: ClipMetrics[] = [];
    for (const file of args.video) {
      const clipStarted = performance.now();
      clips.push(await measureClip(file, maskers, discs, checker, reviewed, args));
      const c = clips[clips.length - 1];
      process.stderr.write(
        `metrics: ${path.basename(file)}: ${c.frames} frames in ${((performance.now() - clipStarted) / 1000).toFixed(0)} s\n`,
      );
    }
    const report: MetricsReport = {
      kind: 'video-metrics',
      command: ['npm run metrics --', ...process.argv.slice(2)].join(' ').replace(/ --$/, ''),
      machine,
      settings: {
        maxSeconds: args.seconds ?? null,
        persistMs: PERSIST_MS,
        still: {
          halfWindow: STILL_HALF_WINDOW,
          maxMotionIod: STILL_MAX_MOTION,
          minFrames: STILL_MIN_FRAMES,
        },
        coverage: { samplesPerFace: COVERAGE_SAMPLES, fullAt: FULL_COVERAGE },
        checker: {
          detector: checker.options.detector,
          minScore: checker.options.minScore,
          changeThreshold: checker.options.changeThreshold,
          maxChangedFraction: checker.options.maxChangedFraction,
        },
        reviewedRegions: path.relative(REPO_ROOT, REVIEWED_FILE),
        checkedVariants: args.check === 'all' ? VARIANTS.map((v) => v.name) : ['ours'],
        inputStride: args.inputStride,
      },
      variants: VARIANTS.map((v) => ({ name: v.name, description: v.description })),
      clips,
      wallSeconds: round((performance.now() - started) / 1000, 1),
    };
    await writeJson(args.out, report);
    printTable(report);
    const leaks = clips
      .flatMap((c) => VARIANTS.map((v) => c.variants[v.name].unmasked?.frames ?? 0))
      .reduce((a, b) => a + b, 0);
    process.stdout.write(
      `\nwrote ${path.relative(process.cwd(), args.out)} (${report.wallSeconds} s); frames with a face unmasked: ${leaks}${leaks > 0 ? `, saved to ${path.relative(process.cwd(), args.framesDir)}/` : ''}\n`,
    );
  } finally {
    await Promise.all(Object.values(maskers).map((m) => m.dispose()));
    await checker.close();
  }
}

runTool('metrics', main);
