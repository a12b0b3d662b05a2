/**
 * The JSON a benchmark run writes, one file per environment: `docs/results/bench-node.json`
 * (onnxruntime-node, `npm run bench`) and `docs/results/bench-browser.json` (onnxruntime-web in
 * headless Chromium). `npm run results` reads every `bench-*.json` there and puts each
 * environment in its own section of docs/RESULTS.md, so a new environment only has to write
 * this shape. Times are milliseconds of wall-clock time unless a name says otherwise.
 */

/** The machine and software a measurement ran on. */
export interface MachineInfo {
  /** The CPU model as lscpu (or os.cpus) names it. */
  cpu: string;
  /** Logical cores the OS reports. */
  cores: number;
  /** Total memory in GiB. */
  memoryGiB: number;
  platform: string;
  /** Node's version (of the process that ran the measurement or drove the browser). */
  node: string;
  onnxruntimeNode?: string;
  onnxruntimeWeb?: string;
  /** Browser name and version, for a browser environment. */
  browser?: string;
  /** 1, 5 and 15 minute load averages when the run started: above the core count, it was shared. */
  loadAverage: [number, number, number];
  /** ISO time the run started. */
  date: string;
}

/** Summary of repeated timings of one operation (after warm-up runs that are not counted). */
export interface TimingStats {
  /** Timed runs. */
  runs: number;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  /**
   * Median CPU time of the whole process per run (user + system, every thread), when the
   * environment can measure it. On a shared machine it moves less than wall time; with more
   * than one thread it exceeds wall time.
   */
  cpuMedianMs?: number;
}

/** The five stages of one frame, in the order the masker runs them. */
export interface StageTimings {
  /** Face detector on the whole frame (and its tiles), with non-maximum suppression. */
  detect: TimingStats;
  /** Face mesh of every face, each seeded from its previous mesh (a tracked face). */
  landmarks: TimingStats;
  /** FER crop of every face (warp to 44x44 grey) and one classifier run for all of them. */
  classify: TimingStats;
  /** Emoji placement of every face: six-point homography and its widening over the outline. */
  homography: TimingStats;
  /** Warping and blending every emoji into the frame. */
  composite: TimingStats;
}

export type Resolution = '480p' | '720p' | '1080p';

/** A test frame: a real picture scaled to one of the three sizes. */
export interface BenchFrame {
  /** Short name, unique within a resolution (`photo`, `webcam`). */
  name: string;
  resolution: Resolution;
  width: number;
  height: number;
  /** Where it came from and how it was scaled. */
  source: string;
  /** Faces our masker finds in it. */
  faces: number;
}

/** Our pipeline on one frame with one thread count. */
export interface PipelineRun {
  threads: number;
  resolution: Resolution;
  frame: string;
  stages: StageTimings;
  /**
   * `Masker.process` in video mode on the same frame again and again (faces tracked, one mesh
   * run each): the steady state of a webcam or a video.
   */
  endToEnd: TimingStats;
  /**
   * `Masker.process` as a still photo (every face new: detection plus two mesh runs each);
   * absent where not measured.
   */
  endToEndStill?: TimingStats;
  /** 1000 / endToEnd.medianMs. */
  fps: number;
}

/** A peer library on one frame. */
export interface PeerRun {
  resolution: Resolution;
  frame: string;
  endToEnd: TimingStats;
  /** Faces it found, and their expressions (mapped to FER2013 names). */
  faces: number;
  expressions: (string | null)[];
}

export interface PeerResult {
  /** `face-api` or `human` (with a qualifier such as `human (cache on)`). */
  name: string;
  version: string;
  /** Which models and settings run per frame. */
  pipeline: string;
  backend: string;
  threads: number;
  /** Model load time, ms (first load in the process). */
  loadMs: number;
  runs: PeerRun[];
}

/** One expression model on FER2013 PrivateTest. */
export interface AccuracyResult {
  name: string;
  /** What the model reads and how the 48x48 image is brought to it. */
  input: string;
  /** How its label names map to FER2013's seven classes. */
  labelMapping: string;
  images: number;
  /** Top-1 accuracy, 0..1. */
  accuracy: number;
  /** Recall of each class in angry, disgust, fear, happy, sad, surprise, neutral order. */
  perClassRecall: number[];
  /** Wall time per image of the expression model alone, in batches, ms. */
  msPerImage: number;
}

export interface BenchReport {
  kind: 'bench';
  /** `node` or `chromium`: the section of docs/RESULTS.md this file fills. */
  environment: string;
  /** The ONNX Runtime package and backend, e.g. `onnxruntime-node 1.30.0 (CPU)`. */
  runtime: string;
  mode: 'quick' | 'full';
  command: string;
  machine: MachineInfo;
  /** Warm-up and timed runs per measurement. */
  iterations: { warmup: number; timed: number };
  frames: BenchFrame[];
  /** Decoding, reported apart from the pipeline (never inside its times). */
  decode: {
    /** JPEG file bytes to RGBA with sharp, per resolution. */
    image: { resolution: Resolution; stats: TimingStats }[];
    /** ffmpeg decoding a video to RGBA through a pipe, per frame. */
    video?: { file: string; width: number; height: number; frames: number; msPerFrame: number };
  };
  /** Loading the models, ms: each session once cold, then the median of warm repeats. */
  modelLoad: {
    /** The whole masker (three sessions and the emoji mip chains), first in the process. */
    maskerColdMs: number;
    maskerWarm: TimingStats;
    /** Each session alone (absent where the environment cannot load one alone). */
    detector?: TimingStats;
    landmarks?: TimingStats;
    classifier?: TimingStats;
  };
  runs: PipelineRun[];
  peers: PeerResult[];
  accuracy?: { split: string; source: string; stride: number; models: AccuracyResult[] };
  /** The published pipeline's figure we compare against. */
  published: { msPer720pFrame: number; cores: number; note: string };
  wallSeconds: number;
}

/** The published pipeline's speed, as issue 6 quotes it. */
export const PUBLISHED = {
  msPer720pFrame: 75.6,
  cores: 6,
  note: 'the published pipeline, 75.6 ms per 720p frame on a 6-core CPU (figure quoted in issue 6)',
};
