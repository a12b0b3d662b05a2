/**
 * The video-quality measures of `npm run metrics`, as plain functions over per-frame sequences of
 * one face. Each is defined here once, operationally, so the numbers in docs/RESULTS.md can be
 * recomputed by hand from the JSON the tool writes.
 *
 * A face's sequence has one entry per frame of the clip, `null` where the face is not in that
 * frame (for a label: where no emoji is drawn for it). Times are presentation times in ms.
 * Coverage ({@link maskCoverage}) is measured per frame, on one face's silhouette and the mask
 * plan drawn on that frame, in frame pixels.
 */

import type { CoverDisc } from '../../core/emoji/emoji-pack.js';
import { homogeneousW } from '../../core/geometry/matrix3.js';
import type { MaskPlan } from '../../core/masker/mask-plan.js';
import type { Expression, Point } from '../../core/types.js';

/** One frame of a sequence: its time, and the value of the face there (`null`: not there). */
export interface Timed<T> {
  timeMs: number;
  value: T | null;
}

/** Emoji switches of one or more faces, and the time those faces were shown. */
export interface SwitchCount {
  /** Frames whose shown label differs from the face's label in the frame just before. */
  switches: number;
  /** Time with an emoji shown, summed over faces, in minutes. */
  faceMinutes: number;
  /** `switches / faceMinutes`; 0 when no face was shown. */
  perFaceMinute: number;
}

/**
 * Counts label switches: a switch is a frame whose label differs from the label of the frame just
 * before it, both shown (a gap, `null`, breaks the chain: the emoji that comes back after a gap
 * is not a switch). Each shown frame counts for the time to the next frame, the last one of a
 * sequence for `frameMs`.
 *
 * @param faces one sequence per face, frames in time order
 * @param frameMs the nominal frame duration (the clip's 1 / fps), in ms
 */
export function countSwitches(faces: readonly Timed<string>[][], frameMs: number): SwitchCount {
  let switches = 0;
  let shownMs = 0;
  for (const seq of faces) {
    for (let i = 0; i < seq.length; i++) {
      const { value, timeMs } = seq[i];
      if (value === null) continue;
      const next = seq[i + 1];
      shownMs += next ? Math.max(0, next.timeMs - timeMs) : frameMs;
      const before = seq[i - 1]?.value ?? null;
      if (before !== null && before !== value) switches++;
    }
  }
  const faceMinutes = shownMs / 60_000;
  return { switches, faceMinutes, perFaceMinute: faceMinutes > 0 ? switches / faceMinutes : 0 };
}

/** How the shown label followed the sustained changes of the raw per-frame class. */
export interface FollowDelays {
  /** Sustained changes of the raw class (see {@link followDelays}). */
  changes: number;
  /** Delay of each change the shown label caught up with, in ms, in time order. */
  delaysMs: number[];
  /** Changes the shown label never reached while the raw class stayed the same. */
  missed: number;
}

/**
 * Delay to follow a sustained expression change.
 *
 * A sustained change happens at frame `i` when the raw class there differs from the raw class of
 * frame `i - 1` (both present) and stays the same, without a gap, on every frame up to
 * `timeMs[i] + persistMs` (the sequence must reach that time). Its delay is the time from frame `i`
 * to the first frame `k >= i`, before the raw class changes again, whose shown label equals the
 * new class; when there is none the change is missed.
 *
 * @param raw the per-frame class of one face, unsmoothed
 * @param shown the label drawn for the same face in the same frames (`raw.length` entries)
 * @param persistMs how long a change must last to count as sustained, in ms
 */
export function followDelays(
  raw: readonly Timed<string>[],
  shown: readonly Timed<string>[],
  persistMs: number,
): FollowDelays {
  if (shown.length !== raw.length) {
    throw new RangeError(
      `followDelays: expected shown to have one entry per raw frame (${raw.length}), got ${shown.length}`,
    );
  }
  const result: FollowDelays = { changes: 0, delaysMs: [], missed: 0 };
  for (let i = 1; i < raw.length; i++) {
    const label = raw[i].value;
    const before = raw[i - 1].value;
    if (label === null || before === null || label === before) continue;

    // The run of this class: frames i .. end - 1.
    let end = i + 1;
    while (end < raw.length && raw[end].value === label) end++;
    const lastOfRun = raw[end - 1].timeMs;
    const sustained = lastOfRun >= raw[i].timeMs + persistMs;
    if (!sustained) continue;

    result.changes++;
    let caught = -1;
    for (let k = i; k < end; k++) {
      if (shown[k].value === label) {
        caught = k;
        break;
      }
    }
    if (caught < 0) result.missed++;
    else result.delaysMs.push(shown[caught].timeMs - raw[i].timeMs);
  }
  return result;
}

/**
 * Which frames of one face are still: the centre of the face's box moves less than
 * `maxMotion` inter-ocular distances between frame `i - halfWindow` and frame `i + halfWindow`,
 * and the box size changes by less than that fraction. Frames too close to either end, or with a
 * gap (`null`) in the window, are not still.
 *
 * @param boxes the face's box in each frame, from the unsmoothed pipeline
 * @param iod the face's inter-ocular distance (outer eye corners) in each frame, in px
 */
export function stillFrames(
  boxes: readonly ({ centre: Point; size: number } | null)[],
  iod: readonly (number | null)[],
  halfWindow: number,
  maxMotion: number,
): boolean[] {
  const still = new Array<boolean>(boxes.length).fill(false);
  for (let i = halfWindow; i + halfWindow < boxes.length; i++) {
    let present = true;
    for (let k = i - halfWindow; k <= i + halfWindow; k++) {
      if (boxes[k] === null || iod[k] === null) present = false;
    }
    if (!present) continue;
    const a = boxes[i - halfWindow] as { centre: Point; size: number };
    const b = boxes[i + halfWindow] as { centre: Point; size: number };
    const unit = iod[i] as number;
    const motion = Math.hypot(b.centre.x - a.centre.x, b.centre.y - a.centre.y) / unit;
    const growth = Math.abs(b.size - a.size) / Math.max(a.size, b.size);
    still[i] = motion < maxMotion && growth < maxMotion;
  }
  return still;
}

/** Half-open frame ranges `[start, end)` of at least `minLength` consecutive `true` entries. */
export function stretches(mask: readonly boolean[], minLength: number): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= mask.length; i++) {
    if (i < mask.length && mask[i]) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      if (i - start >= minLength) out.push([start, i]);
      start = -1;
    }
  }
  return out;
}

/** Keypoint jitter, accumulated over one or more stretches. */
export interface Jitter {
  /** Second differences that went into the numbers (one per keypoint per interior frame). */
  samples: number;
  /** RMS length of the second difference, in px. */
  rmsPx: number;
  /** RMS length of the second difference divided by that frame's inter-ocular distance. */
  rmsIod: number;
}

/**
 * Keypoint jitter on still stretches: the RMS length of the second difference
 * `p[t+1] - 2 p[t] + p[t-1]` of every keypoint, over every frame `t` inside a stretch with both
 * neighbours inside it too. A face moving at constant speed scores 0; independent per-frame noise
 * of standard deviation s per axis scores s * sqrt(12) (sqrt(6) per axis, two axes).
 *
 * @param points the keypoints in each frame (the same number in every frame), `null` if absent
 * @param iod inter-ocular distance in each frame, in px (the unit of {@link Jitter.rmsIod})
 * @param ranges half-open frame ranges to measure on (see {@link stretches})
 */
export function keypointJitter(
  points: readonly (readonly Point[] | null)[],
  iod: readonly (number | null)[],
  ranges: readonly [number, number][],
): Jitter {
  let samples = 0;
  let sumPx = 0;
  let sumIod = 0;
  for (const [start, end] of ranges) {
    for (let t = start + 1; t + 1 < end; t++) {
      const [a, b, c] = [points[t - 1], points[t], points[t + 1]];
      const unit = iod[t];
      if (!a || !b || !c || unit === null || !(unit > 0)) continue;
      if (a.length !== b.length || b.length !== c.length) {
        throw new RangeError(
          `keypointJitter: frame ${t} has ${b.length} keypoints, a neighbour another count`,
        );
      }
      for (let k = 0; k < b.length; k++) {
        const dx = c[k].x - 2 * b[k].x + a[k].x;
        const dy = c[k].y - 2 * b[k].y + a[k].y;
        const squared = dx * dx + dy * dy;
        sumPx += squared;
        sumIod += squared / (unit * unit);
        samples++;
      }
    }
  }
  return {
    samples,
    rmsPx: samples > 0 ? Math.sqrt(sumPx / samples) : 0,
    rmsIod: samples > 0 ? Math.sqrt(sumIod / samples) : 0,
  };
}

/** Sums jitter measured on several faces or clips, weighting each by its samples. */
export function combineJitter(parts: readonly Jitter[]): Jitter {
  let samples = 0;
  let sumPx = 0;
  let sumIod = 0;
  for (const p of parts) {
    samples += p.samples;
    sumPx += p.rmsPx * p.rmsPx * p.samples;
    sumIod += p.rmsIod * p.rmsIod * p.samples;
  }
  return {
    samples,
    rmsPx: samples > 0 ? Math.sqrt(sumPx / samples) : 0,
    rmsIod: samples > 0 ? Math.sqrt(sumIod / samples) : 0,
  };
}

/**
 * Sample points per face for {@link maskCoverage}: the grid step is chosen so that about this
 * many grid points fall inside the silhouette whatever the face's size in pixels (1024 points:
 * each stands for about 0.1 % of the face, so one uncovered point already reads below 0.999).
 */
export const COVERAGE_SAMPLES = 1024;

/**
 * The points of a regular square grid that lie inside `polygon` (even-odd rule, so a slightly
 * non-convex outline is fine). The step is `sqrt(area / samples)`, so about `samples` points
 * fall inside; the grid starts half a step inside the polygon's bounding box (cell centres).
 * Empty when the polygon has no area.
 *
 * @param polygon closed polygon (last vertex joins the first), frame pixels
 */
export function gridInside(polygon: readonly Point[], samples = COVERAGE_SAMPLES): Point[] {
  const area = Math.abs(signedArea(polygon));
  if (!(area > 0) || !(samples >= 1)) return [];
  const step = Math.sqrt(area / samples);
  const xs = polygon.map((p) => p.x);
  const ys = polygon.map((p) => p.y);
  const maxX = Math.max(...xs);
  const maxY = Math.max(...ys);
  const inside: Point[] = [];
  for (let y = Math.min(...ys) + step / 2; y < maxY; y += step) {
    for (let x = Math.min(...xs) + step / 2; x < maxX; x += step) {
      if (insidePolygon(polygon, x, y)) inside.push({ x, y });
    }
  }
  return inside;
}

/**
 * The share of a face's silhouette that a frame's mask plan paints opaque, from 0 to 1: the
 * fraction of the {@link gridInside} sample points of `silhouette` that are covered by what the
 * plan draws (every draw of the plan, whichever face it belongs to: a neighbour's emoji hides a
 * face as well as its own). A point is covered when the plan covers the whole frame, when it lies
 * inside a cover polygon, or when an emoji draw's `inverse` maps it, with w > 0 (in front of the
 * horizon, where the renderer draws), inside that emoji's opaque disc. The emoji's
 * semi-transparent rim outside the disc does not count.
 *
 * @param silhouette the face outline to cover, frame pixels (the raw mesh face oval)
 * @param plan what is drawn on the frame (`Masker.plan`)
 * @param discs the opaque disc of each expression's emoji, in that emoji's pixels
 * @returns the covered fraction, or null when the silhouette has no area (no sample point)
 */
export function maskCoverage(
  silhouette: readonly Point[],
  plan: MaskPlan,
  discs: Readonly<Record<Expression, CoverDisc>>,
  samples = COVERAGE_SAMPLES,
): number | null {
  const points = gridInside(silhouette, samples);
  if (points.length === 0) return null;
  if (plan.fullCover) return 1;
  let covered = 0;
  for (const p of points) {
    const hit = plan.draws.some((draw) => {
      if (draw.kind === 'cover') return insidePolygon(draw.polygon, p.x, p.y);
      const m = draw.inverse;
      const w = homogeneousW(m, p);
      if (!(w > 0)) return false;
      const disc = discs[draw.expression];
      const u = (m[0] * p.x + m[1] * p.y + m[2]) / w - disc.centerX;
      const v = (m[3] * p.x + m[4] * p.y + m[5]) / w - disc.centerY;
      return u * u + v * v <= disc.radius * disc.radius;
    });
    if (hit) covered++;
  }
  return covered / points.length;
}

/** A face-frame counts as fully covered at this coverage or more (see {@link summariseCoverage}). */
export const FULL_COVERAGE = 0.99;

/** Coverage of the face-frames of one clip and variant (see {@link maskCoverage}). */
export interface CoverageSummary {
  /** Face-frames measured (one face in one frame). */
  faceFrames: number;
  /** Mean, least and 5th percentile coverage over those face-frames; null when there are none. */
  mean: number | null;
  min: number | null;
  p5: number | null;
  /** Share of face-frames with coverage >= {@link FULL_COVERAGE}; null when there are none. */
  atLeast99: number | null;
}

/** Mean, minimum, 5th percentile and share >= {@link FULL_COVERAGE} of per-face-frame coverages. */
export function summariseCoverage(values: readonly number[]): CoverageSummary {
  if (values.length === 0) {
    return { faceFrames: 0, mean: null, min: null, p5: null, atLeast99: null };
  }
  return {
    faceFrames: values.length,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    min: Math.min(...values),
    p5: quantile(values, 0.05),
    atLeast99: values.filter((v) => v >= FULL_COVERAGE).length / values.length,
  };
}

/** Signed area of a polygon (shoelace formula), in square pixels. */
function signedArea(polygon: readonly Point[]): number {
  let sum = 0;
  for (let i = 0; i < polygon.length; i++) {
    const a = polygon[i];
    const b = polygon[(i + 1) % polygon.length];
    sum += a.x * b.y - b.x * a.y;
  }
  return sum / 2;
}

/** Whether (x, y) is inside `polygon` by the even-odd rule (a ray cast towards +x). */
function insidePolygon(polygon: readonly Point[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[i];
    const b = polygon[j];
    if (a.y > y !== b.y > y && x < a.x + ((y - a.y) * (b.x - a.x)) / (b.y - a.y)) inside = !inside;
  }
  return inside;
}

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The `q`-quantile (0..1) of `values` by linear interpolation; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}
