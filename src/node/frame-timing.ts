/**
 * Gives re-encoded frames back their source timestamps. Frames travel to ffmpeg as raw pictures,
 * which carry no time; ffmpeg numbers them N = 0, 1, 2, ... and a `setpts` expression maps each N
 * to the source frame's timestamp. Constant-rate video needs one linear term; variable-rate video
 * is cut into runs of equal spacing, picked by a balanced tree of `if(lt(N,k),...)` so the
 * expression stays short to evaluate however many runs there are.
 */

/** A run of frames `start..` whose timestamps are `pts + (N - start) * step`. */
export interface TimingRun {
  start: number;
  pts: number;
  step: number;
}

/**
 * Splits strictly increasing integer timestamps into maximal runs of equal spacing. Frames past
 * the end continue the last run's spacing.
 */
export function timingRuns(pts: readonly number[]): TimingRun[] {
  if (pts.length === 0) throw new Error('timingRuns: no timestamps');
  const runs: TimingRun[] = [];
  let start = 0;
  while (start < pts.length) {
    const step = start + 1 < pts.length ? pts[start + 1] - pts[start] : (runs.at(-1)?.step ?? 1);
    let end = start + 1;
    while (end < pts.length && pts[end] === pts[start] + (end - start) * step) end++;
    runs.push({ start, pts: pts[start], step });
    start = end;
  }
  return runs;
}

/** The `setpts` expression (in the stream's time base) that reproduces `pts` frame by frame. */
export function setptsExpression(pts: readonly number[]): string {
  const runs = timingRuns(pts);
  const build = (lo: number, hi: number): string => {
    if (lo === hi) return linear(runs[lo]);
    const mid = (lo + hi + 1) >> 1;
    return `if(lt(N,${runs[mid].start}),${build(lo, mid - 1)},${build(mid, hi)})`;
  };
  return build(0, runs.length - 1);
}

function linear(run: TimingRun): string {
  const offset = run.pts - run.start * run.step;
  return `${offset}+N*${run.step}`;
}
