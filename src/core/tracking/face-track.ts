/**
 * One face followed through a video: its identity, smoothed keypoints and expression, and the
 * fail-closed rule that decides what is drawn when the face is not found in a frame.
 *
 * A face that has been masked stays covered. When a frame does not find it, the emoji is held
 * where the face was, drifting with the face's last motion, for `holdMs`; after that the last
 * region is painted opaque until the face is found again (it keeps its id) or `coverMs` has
 * passed without it, or it was last seen leaving the frame.
 */

import { centroid } from '../geometry/point-sets.js';
import { boundsOf } from '../landmarks/roi.js';
import type { Box, Expression, MaskKeypoints, Point } from '../types.js';
import { MASK_KEYPOINT_NAMES } from '../types.js';
import { ExpressionSmoother, type ExpressionSmootherOptions } from './expression-smoother.js';
import { OneEuroFilter, type OneEuroOptions } from './one-euro.js';

/** What the masker draws for a face: `live` found in this frame, `held` its emoji kept, `covered` painted over. */
export type TrackState = 'live' | 'held' | 'covered';

export interface FailClosedOptions {
  /** How long the emoji stays on a face that is no longer found. Default 500 ms. */
  holdMs?: number;
  /** How long after that the last region stays painted over. Default 2000 ms. */
  coverMs?: number;
}

export const DEFAULT_FAIL_CLOSED: Required<FailClosedOptions> = { holdMs: 500, coverMs: 2000 };

/** How long the held emoji may drift with the face's last motion ... */
const MAX_DRIFT_MS = 300;
/**
 * ... and how far, as a fraction of the face's size: a velocity taken from two noisy boxes (a
 * face known only by a detector's box jumps by a third of its size between frames) must not
 * carry the mask off the place where the face was last seen.
 */
const MAX_DRIFT_FRACTION = 0.25;

/** A face's geometry in one frame, in source pixels. */
export interface TrackGeometry {
  keypoints: MaskKeypoints;
  /** The face silhouette the emoji must cover. */
  outline: Point[];
  /** Extra face points the emoji is fitted to (see `MESH_SHAPE_ANCHORS`); empty when unknown. */
  anchors: Point[];
}

export interface TrackOptions {
  keypointSmoothing?: OneEuroOptions | false;
  expressionSmoothing?: ExpressionSmootherOptions | false;
  failClosed?: FailClosedOptions;
}

export class FaceTrack {
  private readonly keypointFilter: OneEuroFilter | null;
  private readonly smoother: ExpressionSmoother | null;
  private readonly failClosed: Required<FailClosedOptions>;
  private lastSeenMs: number;
  /** Source pixels per millisecond, of the outline's centre, from the last two sightings. */
  private velocity: Point = { x: 0, y: 0 };
  private seenGeometry: TrackGeometry;
  /** What is drawn now (the filtered geometry when live, drifted when held). */
  geometry: TrackGeometry;
  expression: Expression;
  probabilities: Record<Expression, number>;
  state: TrackState = 'live';
  score: number;

  constructor(
    readonly id: number,
    geometry: TrackGeometry,
    probabilities: Record<Expression, number>,
    score: number,
    timeMs: number,
    options: TrackOptions = {},
  ) {
    this.keypointFilter =
      options.keypointSmoothing === false ? null : new OneEuroFilter(options.keypointSmoothing);
    this.smoother =
      options.expressionSmoothing === false
        ? null
        : new ExpressionSmoother(options.expressionSmoothing);
    this.failClosed = { ...DEFAULT_FAIL_CLOSED, ...definedOnly(options.failClosed ?? {}) };
    this.lastSeenMs = timeMs;
    this.seenGeometry = geometry;
    this.geometry = geometry;
    this.score = score;
    this.probabilities = probabilities;
    this.expression = argmax(probabilities);
    this.see(geometry, probabilities, score, timeMs);
  }

  /** The face was found at `timeMs`: smooth its new geometry and expression in. */
  see(
    geometry: TrackGeometry,
    probabilities: Record<Expression, number>,
    score: number,
    timeMs: number,
  ): void {
    const previousCentre = centroid(this.seenGeometry.outline);
    const centre = centroid(geometry.outline);
    const dt = timeMs - this.lastSeenMs;
    this.velocity =
      dt > 0
        ? { x: (centre.x - previousCentre.x) / dt, y: (centre.y - previousCentre.y) / dt }
        : { x: 0, y: 0 };
    this.lastSeenMs = timeMs;
    this.seenGeometry = geometry;
    this.geometry = this.keypointFilter
      ? smoothGeometry(this.keypointFilter, geometry, timeMs)
      : geometry;
    if (this.smoother) {
      const s = this.smoother.update(probabilities, timeMs);
      this.expression = s.expression;
      this.probabilities = s.probabilities;
    } else {
      this.expression = argmax(probabilities);
      this.probabilities = probabilities;
    }
    this.score = score;
    this.state = 'live';
  }

  /**
   * The face was not found at `timeMs`. Returns false once the track should be forgotten:
   * cover time over, or the face had left the `frame`.
   */
  miss(timeMs: number, frame: { width: number; height: number }): boolean {
    const since = Math.max(0, timeMs - this.lastSeenMs);
    if (since > this.failClosed.holdMs + this.failClosed.coverMs) return false;
    if (outsideFrame(this.seenGeometry.outline, frame)) return false;
    if (since <= this.failClosed.holdMs) {
      const drift = Math.min(since, MAX_DRIFT_MS);
      const seen = boundsOf(this.seenGeometry.outline);
      const limit = MAX_DRIFT_FRACTION * Math.max(seen.width, seen.height);
      const distance = Math.hypot(this.velocity.x, this.velocity.y) * drift;
      const k = distance > limit ? limit / distance : 1;
      this.geometry = shift(
        this.seenGeometry,
        this.velocity.x * drift * k,
        this.velocity.y * drift * k,
      );
      this.state = 'held';
    } else {
      this.state = 'covered';
    }
    return true;
  }

  /** The box of what is drawn now. */
  get box(): Box {
    return boundsOf(this.geometry.outline);
  }
}

/** Filters keypoints, outline and anchors as one vector, the inter-ocular distance as the unit. */
function smoothGeometry(filter: OneEuroFilter, g: TrackGeometry, timeMs: number): TrackGeometry {
  const points = [...MASK_KEYPOINT_NAMES.map((k) => g.keypoints[k]), ...g.outline, ...g.anchors];
  const flat = new Float64Array(points.length * 2);
  points.forEach((p, i) => {
    flat[2 * i] = p.x;
    flat[2 * i + 1] = p.y;
  });
  const unit = Math.hypot(
    g.keypoints.leftEyeOuter.x - g.keypoints.rightEyeOuter.x,
    g.keypoints.leftEyeOuter.y - g.keypoints.rightEyeOuter.y,
  );
  const out = filter.filter(flat, timeMs, unit);
  const at = (i: number): Point => ({ x: out[2 * i], y: out[2 * i + 1] });
  const keypoints = {} as MaskKeypoints;
  MASK_KEYPOINT_NAMES.forEach((k, i) => (keypoints[k] = at(i)));
  const outlineStart = MASK_KEYPOINT_NAMES.length;
  const anchorStart = outlineStart + g.outline.length;
  return {
    keypoints,
    outline: g.outline.map((_, i) => at(outlineStart + i)),
    anchors: g.anchors.map((_, i) => at(anchorStart + i)),
  };
}

function shift(g: TrackGeometry, dx: number, dy: number): TrackGeometry {
  const move = (p: Point): Point => ({ x: p.x + dx, y: p.y + dy });
  const keypoints = {} as MaskKeypoints;
  for (const k of MASK_KEYPOINT_NAMES) keypoints[k] = move(g.keypoints[k]);
  return { keypoints, outline: g.outline.map(move), anchors: g.anchors.map(move) };
}

/** True when less than a tenth of the outline's box is inside the frame: the face has left. */
function outsideFrame(
  outline: readonly Point[],
  frame: { width: number; height: number },
): boolean {
  const b = boundsOf(outline);
  const w = Math.max(0, Math.min(b.x + b.width, frame.width) - Math.max(b.x, 0));
  const h = Math.max(0, Math.min(b.y + b.height, frame.height) - Math.max(b.y, 0));
  return w * h < 0.1 * b.width * b.height;
}

function argmax(p: Record<Expression, number>): Expression {
  let best: Expression | null = null;
  for (const [k, v] of Object.entries(p) as [Expression, number][])
    if (best === null || v > p[best]) best = k;
  return best as Expression;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
