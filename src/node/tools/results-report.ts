/**
 * `npm run results`: writes docs/RESULTS.md from the JSON files in docs/results/ (every
 * `bench-*.json`, `video-metrics.json`, and the training side's `metrics.json` with its PNGs when
 * `python -m training evaluate --out docs/results` has written them), drawing the latency figures
 * as PNG. Nothing is measured here; every number comes from those files.
 */

import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';

import { Command } from 'commander';

import { writeFileAtomic } from '../atomic-file.js';
import type { BenchReport, MachineInfo, PipelineRun, TimingStats } from './bench-schema.js';
import { COVERAGE_SAMPLES, FULL_COVERAGE } from './quality-metrics.js';
import { groupedBarChart, stackedBarChart } from './svg-chart.js';
import { isMainModule, readJsonIfPresent, REPO_ROOT, RESULTS_DIR, runTool } from './tool-env.js';
import type { MetricsReport, VariantMetrics } from './video-metrics.js';

const STAGES = ['detect', 'landmarks', 'classify', 'homography', 'composite'] as const;
const LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
/** Figures the training side writes (`python -m training evaluate --out docs/results`). */
const TRAINING_FIGURES: readonly (readonly [string, string])[] = [
  ['confusion-PrivateTest.png', 'Confusion matrix on PrivateTest'],
  ['confusion-PublicTest.png', 'Confusion matrix on PublicTest'],
  ['training-curve.png', 'Training curve'],
] as const;

/** The training side's evaluation file, only the fields shown here. */
interface TrainingMetrics {
  source?: { path?: string; precision?: string };
  [split: string]: unknown;
}

const ms = (t: TimingStats | undefined, digits = 1) => (t ? t.medianMs.toFixed(digits) : '-');
/** Their time over ours, worded so that a ratio below 1 reads as slower. */
function speedUp(theirsMs: number, oursMs: number): string {
  const ratio = theirsMs / oursMs;
  return ratio >= 1 ? `x${ratio.toFixed(2)} faster` : `x${(1 / ratio).toFixed(2)} slower`;
}

const cpu = (t: TimingStats) => (t.cpuMedianMs === undefined ? '-' : t.cpuMedianMs.toFixed(1));
const pct = (v: number) => `${(100 * v).toFixed(1)} %`;

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function machineLine(m: MachineInfo): string {
  const versions = [
    `Node ${m.node}`,
    m.onnxruntimeNode ? `onnxruntime-node ${m.onnxruntimeNode}` : null,
    m.onnxruntimeWeb ? `onnxruntime-web ${m.onnxruntimeWeb}` : null,
    m.browser ?? null,
  ].filter(Boolean);
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.platform}; ${versions.join(', ')}; load average ${m.loadAverage.join(' / ')} (1/5/15 min) at the start, ${m.date.slice(0, 16).replace('T', ' ')} UTC`;
}

function sharedWarning(m: MachineInfo): string {
  return m.loadAverage[0] > m.cores
    ? `\n\n> The machine was shared when this ran (load average ${m.loadAverage[0]} on ${m.cores} cores): wall times are inflated and noisy. The CPU-time column moves less; rerun on an idle machine for publishable numbers.`
    : '';
}

function ourRun(
  bench: BenchReport,
  resolution: string,
  frame: string,
  threads: number,
): PipelineRun | undefined {
  return bench.runs.find(
    (r) => r.resolution === resolution && r.frame === frame && r.threads === threads,
  );
}

async function benchSection(bench: BenchReport, figures: string[]): Promise<string> {
  const env = bench.environment;
  const out: string[] = [];
  out.push(`## Speed: ${env} (${bench.runtime})`);
  out.push(
    `Measured by \`${bench.command}\` (${bench.mode} mode: ${bench.iterations.warmup} warm-up and ${bench.iterations.timed} timed runs per number, medians) on ${machineLine(bench.machine)}.${sharedWarning(bench.machine)}`,
  );
  out.push(
    `Frames: ${[...new Set(bench.frames.map((f) => f.source.replace(/ scaled to .*/, '')))].join('; ')}, each scaled to 854x480, 1280x720 and 1920x1080 with sharp (faces found: ${bench.frames.map((f) => `${f.name}@${f.resolution} ${f.faces}`).join(', ')}).`,
  );

  // Our pipeline.
  out.push('### Our pipeline per stage (ms per frame, medians)');
  out.push(
    'Stages timed alone, in the masker\'s order, on a frame whose faces are already tracked (one mesh run per face). "End to end" is `Masker.process` in video mode on the same frame (steady state of a webcam); "still" is the same call for a photo (every face new: two mesh runs each). CPU is the process\'s CPU time per end-to-end frame (all threads).',
  );
  out.push(
    table(
      ['frame', 'threads', ...STAGES, 'end to end', 'fps', 'still', 'CPU ms'],
      bench.runs.map((r) => [
        `${r.frame} ${r.resolution}`,
        r.threads,
        ...STAGES.map((s) => ms(r.stages[s], 2)),
        `**${ms(r.endToEnd)}**`,
        r.fps.toFixed(1),
        ms(r.endToEndStill),
        r.endToEnd.cpuMedianMs?.toFixed(1) ?? '-',
      ]),
    ),
  );
  const stageFigure = `stage-latency-${env}.png`;
  const bars = bench.runs.map((r) => ({
    label: `${r.frame} ${r.resolution}, ${r.threads} thr`,
    segments: STAGES.map((s) => r.stages[s].medianMs),
    note: `${r.endToEnd.medianMs.toFixed(1)} ms e2e`,
  }));
  await writeFileAtomic(
    path.join(RESULTS_DIR, stageFigure),
    await stackedBarChart(`Per-stage latency, ${env} (medians)`, STAGES, bars, 'ms per frame'),
  );
  figures.push(stageFigure);
  out.push(`![Per-stage latency, ${env}](results/${stageFigure})`);

  // The published figure.
  const published = bench.published;
  const rows720 = bench.runs.filter((r) => r.resolution === '720p' && r.threads === 2);
  if (rows720.length > 0) {
    out.push('### Against the published pipeline');
    out.push(
      table(
        ['pipeline', 'cores / threads', 'ms per 720p frame', 'speed-up'],
        [
          [
            published.note.split(',')[0],
            `${published.cores} cores`,
            published.msPer720pFrame,
            '1 (reference)',
          ],
          ...rows720.map((r) => [
            `ours, ${r.frame} frame`,
            '2 threads on 2 cores',
            r.endToEnd.medianMs.toFixed(1),
            `**${speedUp(published.msPer720pFrame, r.endToEnd.medianMs)}**`,
          ]),
        ],
      ),
    );
  }

  // Peers.
  if (bench.peers.length > 0) {
    out.push('### Peers on the same frames, same run');
    out.push(
      bench.peers
        .map(
          (p) =>
            `- **${p.name}** ${p.version}: ${p.pipeline}; ${p.backend}; model load ${p.loadMs.toFixed(0)} ms.`,
        )
        .join('\n'),
    );
    out.push(
      'Speed-up: their ms per frame over our end-to-end ms per frame with 1 thread (they run one thread too); "slower" when ours takes longer.',
    );
    const rows: (string | number)[][] = [];
    for (const r of bench.runs.filter((x) => x.threads === 1)) {
      const cells: (string | number)[] = [
        `${r.frame} ${r.resolution}`,
        `${ms(r.endToEnd)} (CPU ${cpu(r.endToEnd)})`,
      ];
      for (const p of bench.peers) {
        const run = p.runs.find((x) => x.resolution === r.resolution && x.frame === r.frame);
        cells.push(
          run
            ? `${ms(run.endToEnd)} (CPU ${cpu(run.endToEnd)}; ${run.faces} face${run.faces === 1 ? '' : 's'}): ${speedUp(run.endToEnd.medianMs, r.endToEnd.medianMs)}`
            : '-',
        );
      }
      rows.push(cells);
    }
    out.push(
      table(
        [
          'frame',
          'ours, 1 thread: ms (CPU ms)',
          ...bench.peers.map((p) => `${p.name}: ms (CPU ms), speed-up`),
        ],
        rows,
      ),
    );
    const peerFigure = `speed-vs-peers-${env}.png`;
    const frame = bench.runs[0]?.frame ?? 'photo';
    const groups = ['480p', '720p', '1080p'].map((res) => ({
      label: res,
      values: [
        ourRun(bench, res, frame, 1)?.endToEnd.medianMs ?? null,
        ourRun(bench, res, frame, 2)?.endToEnd.medianMs ?? null,
        ...bench.peers.map(
          (p) =>
            p.runs.find((x) => x.resolution === res && x.frame === frame)?.endToEnd.medianMs ??
            null,
        ),
      ],
    }));
    await writeFileAtomic(
      path.join(RESULTS_DIR, peerFigure),
      await groupedBarChart(
        `End-to-end ms per frame (${frame}), ${env}`,
        ['ours 1 thread', 'ours 2 threads', ...bench.peers.map((p) => p.name)],
        groups,
        'ms per frame',
      ),
    );
    figures.push(peerFigure);
    out.push(`![End to end against the peers, ${env}](results/${peerFigure})`);
  }

  // Load and decode.
  const load = bench.modelLoad;
  out.push('### Model load and decoding (not part of the frame times)');
  out.push(
    table(
      ['what', 'ms'],
      [
        [
          'whole masker, first in the process (three sessions, emoji pack)',
          load.maskerColdMs.toFixed(0),
        ],
        ['whole masker, again', ms(load.maskerWarm, 0)],
        ...(
          [
            ['face-detector.onnx session', load.detector],
            ['face-landmarks.onnx session', load.landmarks],
            ['expression.onnx session', load.classifier],
          ] as const
        )
          .filter(([, t]) => t !== undefined)
          .map(([what, t]) => [what, ms(t)]),
        ...bench.decode.image.map((d) => [`JPEG to RGBA (sharp), ${d.resolution}`, ms(d.stats, 2)]),
        ...(bench.decode.video
          ? [
              [
                `video to RGBA (ffmpeg pipe), ${bench.decode.video.width}x${bench.decode.video.height}, per frame over ${bench.decode.video.frames} frames`,
                bench.decode.video.msPerFrame.toFixed(2),
              ],
            ]
          : []),
      ],
    ),
  );

  // Accuracy.
  if (bench.accuracy) {
    const a = bench.accuracy;
    out.push(`### FER2013 ${a.split} accuracy (same images, same run)`);
    out.push(
      `${a.models[0]?.images ?? 0} images from \`${a.source}\`${a.stride > 1 ? ` (every ${a.stride}th image of each class: a quick-mode sample, not the full split)` : ' (the whole split)'}. Per-class recall in the order ${LABELS.join(', ')}.`,
    );
    out.push(
      table(
        ['model', 'accuracy', 'per-class recall', 'ms per image', 'input', 'labels'],
        a.models.map((m) => [
          m.name,
          `**${pct(m.accuracy)}**`,
          m.perClassRecall.map((r) => (100 * r).toFixed(0)).join(' / '),
          m.msPerImage.toFixed(2),
          m.input,
          m.labelMapping,
        ]),
      ),
    );
  }
  return out.join('\n\n');
}

/** The video-quality section of RESULTS.md, from `npm run metrics`'s JSON. */
export function metricsSection(report: MetricsReport): string {
  const s = report.settings;
  const fullAt = s.coverage?.fullAt ?? FULL_COVERAGE;
  const out: string[] = ['## Video quality'];
  const span =
    s.maxSeconds === null
      ? 'every frame of each clip'
      : `every frame of the first ${s.maxSeconds} s of each clip`;
  out.push(
    `Measured by \`${report.command}\` on ${machineLine(report.machine)}; ${span}, the three variants on the same frames.`,
  );
  out.push(report.variants.map((v) => `- **${v.name}**: ${v.description}`).join('\n'));
  out.push(
    [
      '**Definitions** (src/node/tools/quality-metrics.ts).',
      '*Switches per face-minute*: frames whose drawn emoji differs from the one drawn for the same face in the frame before, divided by the time faces were shown.',
      `*Follow delay*: for each change of the raw per-frame class (the \`none\` run) that then lasts at least ${s.persistMs} ms, the time until the variant's drawn label equals the new class; "missed" when it never does before the raw class changes again.`,
      `*Jitter*: on still stretches (the raw face box centre moves less than ${100 * s.still.maxMotionIod} % of the inter-ocular distance over ±${s.still.halfWindow} frames, and its size less than that, for at least ${s.still.minFrames} frames), the RMS length of the second difference p[t+1] − 2p[t] + p[t−1] of the six keypoints, in px and in % of that frame's inter-ocular distance (outer eye corners). A face moving at constant speed scores 0.`,
      `*Coverage*: in every frame, for each live face of the \`none\` run that has a mesh, the share of its raw silhouette (the unsmoothed mesh face oval) that the variant's drawing hides: about ${s.coverage?.samplesPerFace ?? COVERAGE_SAMPLES} points on a square grid inside the silhouette, each covered when it falls inside an opaque cover, or inside the opaque disc of a drawn emoji (the emoji's semi-transparent rim does not count). Mean, minimum and 5th percentile over face-frames, and the share of face-frames covered ≥ ${fullAt}.`,
      `*Unmasked frames*: face-api's ${s.checker.detector === 'ssd' ? 'SSD MobileNet v1' : 'tiny face detector'} (a model unrelated to ours) runs on every output frame of ${s.checkedVariants.join(', ')}; a face it finds (score ≥ ${s.checker.minScore}) is unmasked when less than ${100 * s.checker.maxChangedFraction} % of its box differs from the input frame (by more than ${s.checker.changeThreshold} levels in a channel). "on masks" counts its hits on our emoji and covers.`,
    ].join(' '),
  );
  const rows: (string | number)[][] = [];
  for (const clip of report.clips) {
    for (const v of report.variants) {
      const m = clip.variants[v.name];
      rows.push([
        `${path.basename(clip.file)} (${clip.width}x${clip.height}, ${clip.frames} frames, ${clip.faces} face${clip.faces === 1 ? '' : 's'})`,
        v.name,
        m.switchesPerFaceMinute.toFixed(1),
        m.follow.medianMs === null
          ? `- (${m.follow.changes} changes)`
          : `${m.follow.medianMs.toFixed(0)} (${m.follow.followed} of ${m.follow.changes}, ${m.follow.missed} missed)`,
        m.jitter.samples > 0
          ? `${m.jitter.rmsPx.toFixed(2)} / ${(100 * m.jitter.rmsIod).toFixed(2)} % (${m.jitter.stillFrames} still frames)`
          : '- (no still stretch)',
        coverageCell(m.coverage),
        m.unmasked ? unmaskedCell(m.unmasked) : 'not checked',
      ]);
    }
  }
  out.push(
    table(
      [
        'clip',
        'variant',
        'switches / face-min',
        'follow delay, median ms',
        'jitter px / % IOD',
        `coverage mean / min / p5, share ≥ ${fullAt}`,
        'unmasked frames',
      ],
      rows,
    ),
  );
  const leaks = report.clips
    .flatMap((c) => report.variants.map((v) => c.variants[v.name].unmasked?.frames ?? 0))
    .reduce((a, b) => a + b, 0);
  out.push(
    leaks === 0
      ? 'No face was found unmasked in any checked output frame.'
      : `**${leaks} output frames show a face unmasked**: they are saved as PNG under tmp/unmasked/ by the metrics run, with the face boxed.`,
  );
  const reviewed = report.clips.flatMap((c) =>
    report.variants.flatMap((v) =>
      (c.variants[v.name].unmasked?.candidates ?? [])
        .filter((x) => x.reviewed)
        .map((x) => ({ clip: path.basename(c.file), ...x })),
    ),
  );
  if (reviewed.length > 0) {
    const verdicts = new Map<string, number[]>();
    for (const r of reviewed) {
      const key = `${r.clip}: ${r.reviewed}`;
      verdicts.set(key, [...(verdicts.get(key) ?? []), r.frame]);
    }
    out.push(
      `Finds of the checker that a person reviewed and judged not to be faces (listed in docs/results/unmasked-reviewed.json): ${[...verdicts].map(([k, f]) => `${k} (${f.length} finds, frames ${Math.min(...f)}-${Math.max(...f)})`).join('; ')}.`,
    );
  }
  out.push(
    `Independent detector on every ${s.inputStride}th input frame, for scale: ${report.clips.map((c) => `${path.basename(c.file)} ${c.inputCheck.faces} faces in ${c.inputCheck.sampledFrames} frames`).join('; ')}.`,
  );
  return out.join('\n\n');
}

function coverageCell(c: VariantMetrics['coverage']): string {
  if (!c) return 'not measured';
  if (c.mean === null || c.min === null || c.p5 === null || c.atLeast99 === null) {
    return '- (no face)';
  }
  return `${c.mean.toFixed(3)} / ${c.min.toFixed(3)} / ${c.p5.toFixed(3)}, **${pct(c.atLeast99)}** (${c.faceFrames} face-frames)`;
}

function unmaskedCell(u: NonNullable<VariantMetrics['unmasked']>): string {
  const numbers =
    u.frameNumbers.slice(0, 12).join(', ') + (u.frameNumbers.length > 12 ? ', ...' : '');
  const parts = [
    `**${u.frames}** of ${u.checkedFrames}${u.frames > 0 ? ` (frames ${numbers})` : ''}`,
  ];
  if (u.reviewedFrames > 0) parts.push(`${u.reviewedFrames} reviewed, not faces`);
  parts.push(`${u.detectionsOnMasks} on masks`);
  return parts.join('; ');
}

/** One evaluation folder of the training side, relative to docs/results/ ('' for the folder itself). */
interface TrainingEvaluation {
  folder: string;
  metrics: TrainingMetrics;
  figures: string[];
}

/** Every folder in docs/results/ (itself and one level down) holding the training side's metrics.json. */
async function findTrainingEvaluations(): Promise<TrainingEvaluation[]> {
  const found: TrainingEvaluation[] = [];
  const entries = await readdir(RESULTS_DIR, { withFileTypes: true });
  const folders = [
    '',
    ...entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort(),
  ];
  for (const folder of folders) {
    const dir = path.join(RESULTS_DIR, folder);
    const metrics = await readJsonIfPresent<TrainingMetrics>(path.join(dir, 'metrics.json'));
    if (!metrics || (!metrics.PrivateTest && !metrics.PublicTest)) continue;
    const files = new Set(await readdir(dir));
    found.push({
      folder,
      metrics,
      figures: TRAINING_FIGURES.map(([f]) => f).filter((f) => files.has(f)),
    });
  }
  return found;
}

function trainingSection(evaluations: readonly TrainingEvaluation[]): string {
  const out: string[] = ['## Expression classifier (training side)'];
  if (evaluations.length === 0) {
    out.push(
      'No training evaluation in docs/results/ yet: `.venv/bin/python -m training evaluate --onnx models/expression.onnx --out docs/results/expression` writes metrics.json and the figures.',
    );
    return out.join('\n\n');
  }
  out.push(
    'From the `metrics.json` that `python -m training evaluate --out docs/results/<folder>` wrote (not re-measured here).',
  );
  const rows: string[][] = [];
  for (const { folder, metrics } of evaluations) {
    for (const split of ['PublicTest', 'PrivateTest']) {
      const modes = metrics[split] as
        Record<string, { accuracy?: number; count?: number }> | undefined;
      if (!modes) continue;
      rows.push([
        folder || '.',
        `${metrics.source?.path ?? 'unknown'}${metrics.source?.precision ? ` (${metrics.source.precision})` : ''}`,
        split,
        modes.center?.accuracy !== undefined ? pct(modes.center.accuracy) : '-',
        modes.ten_crop?.accuracy !== undefined ? pct(modes.ten_crop.accuracy) : '-',
        String(modes.center?.count ?? '-'),
      ]);
    }
  }
  out.push(table(['folder', 'model', 'split', 'center crop', 'ten crops', 'images'], rows));
  for (const { folder, figures } of evaluations) {
    for (const file of figures) {
      const title = TRAINING_FIGURES.find(([f]) => f === file)?.[1] ?? file;
      const link = ['results', folder, file].filter(Boolean).join('/');
      out.push(`![${title}${folder ? ` (${folder})` : ''}](${link})`);
    }
  }
  return out.join('\n\n');
}

/** Where {@link writeResults} writes by default. */
export const RESULTS_MARKDOWN = path.join(REPO_ROOT, 'docs', 'RESULTS.md');

/**
 * Writes `out` (default docs/RESULTS.md) and its figures from the JSON files in docs/results/;
 * returns the paths written.
 *
 * @throws Error when there is nothing to report or a file is not what its name says.
 */
export async function writeResults(out: string = RESULTS_MARKDOWN): Promise<string[]> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const files = await readdir(RESULTS_DIR);
  const benches: BenchReport[] = [];
  for (const file of files.filter((f) => /^bench-.*\.json$/.test(f)).sort()) {
    const bench = await readJsonIfPresent<BenchReport>(path.join(RESULTS_DIR, file));
    if (bench?.kind !== 'bench')
      throw new Error(
        `${path.join(RESULTS_DIR, file)}: not a bench result (kind ${JSON.stringify(bench?.kind)})`,
      );
    benches.push(bench);
  }
  // Node first, then the others in name order.
  benches.sort((a, b) =>
    a.environment === 'node'
      ? -1
      : b.environment === 'node'
        ? 1
        : a.environment.localeCompare(b.environment),
  );
  const metrics = await readJsonIfPresent<MetricsReport>(
    path.join(RESULTS_DIR, 'video-metrics.json'),
  );
  const training = await findTrainingEvaluations();
  if (benches.length === 0 && !metrics) {
    throw new Error(
      `${RESULTS_DIR}: no bench-*.json or video-metrics.json; run npm run bench and npm run metrics first`,
    );
  }

  const figures: string[] = [];
  const sections: string[] = [
    '# Results',
    'Generated by `npm run results` from the JSON files in [docs/results/](results/); do not edit by hand. Every number below was measured by the command named with it, on the machine described with it.',
  ];
  const node = benches.find((b) => b.environment === 'node');
  if (node) sections.push(headline(node));
  for (const bench of benches) sections.push(await benchSection(bench, figures));
  if (!benches.some((b) => b.environment === 'chromium')) {
    sections.push(
      '## Speed: headless Chromium\n\nNot measured yet: the browser half of the bench writes `docs/results/bench-browser.json` in the same shape (src/node/tools/bench-schema.ts).',
    );
  }
  if (metrics) sections.push(metricsSection(metrics));
  sections.push(trainingSection(training));
  sections.push(
    [
      '## Reproduce',
      '```sh',
      'npm ci                       # peers and their WASM come from the npm registry; nothing is downloaded at run time',
      'npm run bench                # full bench (under 10 min on 2 cores): docs/results/bench-node.json, then this file',
      'npm run bench:quick          # a check in under 2 min (fewer runs, one frame per size, 1/10 of FER2013): prints, writes tmp/bench-quick/, leaves docs/ alone',
      'npm run metrics              # video quality, docs/results/video-metrics.json: every frame of each clip, about 0.6 s of CPU per frame',
      'npm run metrics -- --seconds 3 --check all   # shorter clips; the checker on all three variants',
      '.venv/bin/python -m training evaluate --onnx models/expression.onnx --out docs/results   # confusion matrices, curve',
      'npm run results              # this file, from the JSON above',
      '```',
      'FER2013 images are read from `~/.cache/fer2013` when unpacked there, else from `../shared/data/fer2013/fer2013-images.tar.gz`.',
    ].join('\n'),
  );

  await writeFileAtomic(out, sections.join('\n\n') + '\n');
  return [out, ...figures.map((f) => path.join(RESULTS_DIR, f))];
}

async function main(): Promise<void> {
  const program = new Command('results')
    .description('Write docs/RESULTS.md from the JSON files in docs/results/')
    .option('--out <file>', 'Markdown file', RESULTS_MARKDOWN)
    .parse();
  const written = await writeResults(program.opts<{ out: string }>().out);
  process.stdout.write(`wrote ${written.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
}

/** The few numbers the README quotes, from the Node bench. */
function headline(bench: BenchReport): string {
  const lines: string[] = ['## Headline'];
  const r720 =
    bench.runs.find((r) => r.resolution === '720p' && r.threads === 2 && r.frame === 'photo') ??
    bench.runs.find((r) => r.resolution === '720p' && r.threads === 2);
  if (r720) {
    lines.push(
      `- 720p, 2 threads, Node: **${r720.endToEnd.medianMs.toFixed(1)} ms per frame** (${r720.fps.toFixed(1)} fps) against the published ${bench.published.msPer720pFrame} ms on ${bench.published.cores} cores: **${speedUp(bench.published.msPer720pFrame, r720.endToEnd.medianMs)}**.`,
    );
  }
  const r1 = bench.runs.find(
    (r) => r.resolution === '720p' && r.threads === 1 && r.frame === (r720?.frame ?? 'photo'),
  );
  if (r1) {
    for (const p of bench.peers) {
      const run = p.runs.find((x) => x.resolution === '720p' && x.frame === r1.frame);
      if (run)
        lines.push(
          `- 720p, 1 thread: ours ${r1.endToEnd.medianMs.toFixed(1)} ms, ${p.name} ${run.endToEnd.medianMs.toFixed(1)} ms: **${speedUp(run.endToEnd.medianMs, r1.endToEnd.medianMs)}**.`,
        );
    }
  }
  if (bench.accuracy) {
    lines.push(
      `- FER2013 ${bench.accuracy.split} accuracy: ${bench.accuracy.models.map((m) => `${m.name} ${pct(m.accuracy)}`).join(', ')} (${bench.accuracy.models[0]?.images} images).`,
    );
  }
  lines.push(
    `- Measured ${bench.machine.date.slice(0, 10)} in ${bench.mode} mode${bench.machine.loadAverage[0] > bench.machine.cores ? ', on a shared machine (see the warning below)' : ''}.`,
  );
  return lines.join('\n');
}

if (isMainModule(import.meta.url)) runTool('results', main);
