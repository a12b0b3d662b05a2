import { describe, expect, it } from 'vitest';

import type { CoverDisc, EmojiArt } from '../src/core/emoji/emoji-pack.js';
import { invertMatrix3 } from '../src/core/geometry/matrix3.js';
import {
  planMasks,
  type CoverDraw,
  type EmojiDraw,
  type MaskPlan,
  type PlanningPack,
} from '../src/core/masker/mask-plan.js';
import {
  EXPRESSIONS,
  type Expression,
  type FaceResult,
  type MaskKeypoints,
  type Matrix3,
  type Point,
} from '../src/core/types.js';
import {
  combineJitter,
  COVERAGE_SAMPLES,
  countSwitches,
  followDelays,
  gridInside,
  keypointJitter,
  maskCoverage,
  median,
  quantile,
  stillFrames,
  stretches,
  summariseCoverage,
  type Timed,
} from '../src/node/tools/quality-metrics.js';
import { changedFraction } from '../src/node/tools/unmasked-check.js';

const FRAME_MS = 1000 / 30;
const SHOW = { emoji: true, strict: false };

/** A label sequence at 30 fps from a string, one character a frame, '.' for no face. */
function labels(text: string): Timed<string>[] {
  return [...text].map((c, i) => ({ timeMs: i * FRAME_MS, value: c === '.' ? null : c }));
}

describe('countSwitches', () => {
  it('counts a change between two shown frames and nothing across a gap', () => {
    // A->B is a switch; B . B is not (the gap breaks it); B->A is.
    const result = countSwitches([labels('AABB.BA')], FRAME_MS);
    expect(result.switches).toBe(2);
    // Six shown frames of 1/30 s each.
    expect(result.faceMinutes).toBeCloseTo(6 / 30 / 60, 10);
    expect(result.perFaceMinute).toBeCloseTo(2 / (6 / 30 / 60), 6);
  });

  it('gives a steady label no switches and adds the time of several faces', () => {
    const result = countSwitches([labels('HHHHHHHHHH'), labels('SSSSS')], FRAME_MS);
    expect(result.switches).toBe(0);
    expect(result.faceMinutes).toBeCloseTo(15 / 30 / 60, 10);
    expect(result.perFaceMinute).toBe(0);
  });

  it('counts every flicker of a label that alternates each frame', () => {
    expect(countSwitches([labels('ABABABAB')], FRAME_MS).switches).toBe(7);
  });

  it('reports a rate of 0 when no face was shown', () => {
    expect(countSwitches([labels('....')], FRAME_MS)).toEqual({
      switches: 0,
      faceMinutes: 0,
      perFaceMinute: 0,
    });
  });
});

describe('followDelays', () => {
  it('measures the time from the raw change to the first shown frame that matches it', () => {
    const raw = labels('AAAAA' + 'B'.repeat(25));
    const shown = labels('AAAAAAAAAA' + 'B'.repeat(20));
    const result = followDelays(raw, shown, 500);
    expect(result.changes).toBe(1);
    expect(result.missed).toBe(0);
    expect(result.delaysMs).toHaveLength(1);
    expect(result.delaysMs[0]).toBeCloseTo(5 * FRAME_MS, 6);
  });

  it('ignores raw changes that do not last persistMs', () => {
    // Two frames of C inside A: not sustained; the return to A after C is not sustained either
    // at 500 ms because only 10 frames (333 ms) of A follow.
    const raw = labels('AAAAACCAAAAAAAAAA');
    const result = followDelays(raw, labels('AAAAAAAAAAAAAAAAA'), 500);
    expect(result.changes).toBe(0);
    expect(result.delaysMs).toEqual([]);
  });

  it('counts a change the shown label never reaches as missed', () => {
    const raw = labels('AAAA' + 'B'.repeat(20) + 'A'.repeat(20));
    const shown = labels('A'.repeat(44));
    const result = followDelays(raw, shown, 500);
    // B is never shown (missed); the return to A is followed at once.
    expect(result.changes).toBe(2);
    expect(result.missed).toBe(1);
    expect(result.delaysMs).toEqual([0]);
  });

  it('does not count a face appearing after a gap as a change', () => {
    const raw = labels('....' + 'B'.repeat(30));
    expect(followDelays(raw, raw, 500).changes).toBe(0);
  });

  it('rejects sequences of different lengths', () => {
    expect(() => followDelays(labels('AB'), labels('A'), 500)).toThrow(RangeError);
  });
});

describe('still stretches', () => {
  const box = (x: number) => ({ centre: { x, y: 50 }, size: 80 });

  it('marks a motionless face still except near the ends, where the window does not fit', () => {
    const boxes = Array.from({ length: 20 }, () => box(100));
    const iod = boxes.map(() => 40);
    const still = stillFrames(boxes, iod, 3, 0.05);
    expect(still.slice(0, 3)).toEqual([false, false, false]);
    expect(still.slice(3, 17).every(Boolean)).toBe(true);
    expect(still.slice(17)).toEqual([false, false, false]);
    expect(stretches(still, 10)).toEqual([[3, 17]]);
  });

  it('finds no still frame on a face moving 2% of its inter-ocular distance a frame', () => {
    // Over ±3 frames that is 12% of the IOD, above the 5% limit.
    const boxes = Array.from({ length: 20 }, (_, i) => box(100 + i * 0.8));
    const still = stillFrames(
      boxes,
      boxes.map(() => 40),
      3,
      0.05,
    );
    expect(still.some(Boolean)).toBe(false);
  });

  it('breaks a stretch where the face is missing', () => {
    const boxes = Array.from({ length: 30 }, (_, i) => (i === 15 ? null : box(100)));
    const iod = boxes.map((b) => (b ? 40 : null));
    const ranges = stretches(stillFrames(boxes, iod, 3, 0.05), 5);
    expect(ranges).toEqual([
      [3, 12],
      [19, 27],
    ]);
  });

  it('keeps only runs of at least minLength', () => {
    expect(stretches([true, true, false, true, true, true, false], 3)).toEqual([[3, 6]]);
    expect(stretches([true, true, true], 3)).toEqual([[0, 3]]);
  });
});

describe('keypointJitter', () => {
  it('scores a face moving at constant speed 0', () => {
    const points = Array.from({ length: 12 }, (_, t) => [
      { x: 10 + 2 * t, y: 5 - t },
      { x: 50 + 2 * t, y: 5 - t },
    ]);
    const jitter = keypointJitter(
      points,
      points.map(() => 40),
      [[0, 12]],
    );
    expect(jitter.samples).toBe(2 * 10);
    expect(jitter.rmsPx).toBeCloseTo(0, 10);
    expect(jitter.rmsIod).toBeCloseTo(0, 10);
  });

  it('gives 4 d for a point alternating by ±d each frame', () => {
    const d = 0.5;
    const points = Array.from({ length: 10 }, (_, t) => [
      { x: 100 + (t % 2 === 0 ? d : -d), y: 20 },
    ]);
    const jitter = keypointJitter(
      points,
      points.map(() => 50),
      [[0, 10]],
    );
    expect(jitter.samples).toBe(8);
    expect(jitter.rmsPx).toBeCloseTo(4 * d, 10);
    expect(jitter.rmsIod).toBeCloseTo((4 * d) / 50, 10);
  });

  it('measures only inside the given stretches', () => {
    // Frames 0-9 shake, 10-19 are still; only the still range is measured.
    const points = Array.from({ length: 20 }, (_, t) => [{ x: t < 10 ? (t % 2) * 5 : 7, y: 0 }]);
    const jitter = keypointJitter(
      points,
      points.map(() => 30),
      [[10, 20]],
    );
    expect(jitter.samples).toBe(8);
    expect(jitter.rmsPx).toBe(0);
  });

  it('skips frames where the face or a neighbour is missing', () => {
    const points = [[{ x: 0, y: 0 }], [{ x: 1, y: 0 }], null, [{ x: 3, y: 0 }], [{ x: 4, y: 0 }]];
    const jitter = keypointJitter(points, [10, 10, null, 10, 10], [[0, 5]]);
    expect(jitter.samples).toBe(0);
  });

  it('combines parts by their sample counts', () => {
    const combined = combineJitter([
      { samples: 3, rmsPx: 1, rmsIod: 0.01 },
      { samples: 1, rmsPx: 3, rmsIod: 0.03 },
    ]);
    expect(combined.samples).toBe(4);
    expect(combined.rmsPx).toBeCloseTo(Math.sqrt((3 * 1 + 1 * 9) / 4), 10);
    expect(combined.rmsIod).toBeCloseTo(Math.sqrt((3 * 1e-4 + 1 * 9e-4) / 4), 10);
  });
});

describe('median and quantile', () => {
  it('take the middle of odd and even counts and interpolate quantiles', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
    expect(quantile([0, 10, 20, 30, 40], 0.9)).toBeCloseTo(36, 10);
    expect(quantile([7], 0.5)).toBe(7);
  });
});

/** The same opaque disc for every expression: centre (256, 256), radius 200 emoji pixels. */
const DISC: CoverDisc = { centerX: 256, centerY: 256, radius: 200 };
const DISCS = Object.fromEntries(EXPRESSIONS.map((e) => [e, DISC])) as Record<
  Expression,
  CoverDisc
>;

/** A regular `n`-gon inscribed in the circle of `radius` about `centre`. */
function circle(centre: Point, radius: number, n = 64): Point[] {
  return Array.from({ length: n }, (_, i) => ({
    x: centre.x + radius * Math.cos((2 * Math.PI * i) / n),
    y: centre.y + radius * Math.sin((2 * Math.PI * i) / n),
  }));
}

function square(x0: number, y0: number, x1: number, y1: number): Point[] {
  return [
    { x: x0, y: y0 },
    { x: x1, y: y0 },
    { x: x1, y: y1 },
    { x: x0, y: y1 },
  ];
}

function emojiDraw(inverse: Matrix3, faceId = 1): EmojiDraw {
  return {
    kind: 'emoji',
    faceId,
    expression: 'happy',
    matrix: invertMatrix3(inverse) ?? inverse,
    inverse,
    quad: null,
    widening: 1,
  };
}

function coverDraw(polygon: Point[], faceId = 1): CoverDraw {
  return { kind: 'cover', faceId, polygon, reason: 'covered' };
}

function plan(draws: MaskPlan['draws'], fullCover = false): MaskPlan {
  return { width: 640, height: 480, fullCover, draws };
}

/** Frame to emoji: frame circle of radius 50 about (100, 80) onto the disc (scale 4). */
const ONTO_DISC: Matrix3 = [4, 0, 256 - 400, 0, 4, 256 - 320, 0, 0, 1];

describe('gridInside', () => {
  it('puts about COVERAGE_SAMPLES points in a face whatever its size in pixels', () => {
    for (const radius of [20, 50, 500]) {
      const n = gridInside(circle({ x: 0, y: 0 }, radius)).length;
      expect(n).toBeGreaterThan(0.95 * COVERAGE_SAMPLES);
      expect(n).toBeLessThan(1.05 * COVERAGE_SAMPLES);
    }
  });

  it('keeps only points inside the polygon, and none for a polygon with no area', () => {
    const points = gridInside(square(10, 20, 30, 60), 200);
    expect(points.length).toBeGreaterThan(180);
    expect(points.length).toBeLessThanOrEqual(200);
    expect(points.every((p) => p.x > 10 && p.x < 30 && p.y > 20 && p.y < 60)).toBe(true);
    const line = [
      { x: 0, y: 0 },
      { x: 10, y: 10 },
      { x: 20, y: 20 },
    ];
    expect(gridInside(line)).toEqual([]);
  });
});

describe('maskCoverage', () => {
  const face = circle({ x: 100, y: 80 }, 50);

  it('is 1 when the whole frame is covered, and 0 when nothing is drawn', () => {
    expect(maskCoverage(face, plan([], true), DISCS)).toBe(1);
    expect(maskCoverage(face, plan([]), DISCS)).toBe(0);
  });

  it('is 1 for an outline inscribed in the emoji disc, and the area ratio for a larger one', () => {
    expect(maskCoverage(face, plan([emojiDraw(ONTO_DISC)]), DISCS)).toBe(1);
    // An outline of radius 60 about the same centre: the disc covers (50 / 60)^2 of it.
    const larger = circle({ x: 100, y: 80 }, 60, 128);
    const coverage = maskCoverage(larger, plan([emojiDraw(ONTO_DISC)]), DISCS) as number;
    expect(Math.abs(coverage - (50 / 60) ** 2)).toBeLessThan(0.01);
  });

  it("uses each emoji's own disc", () => {
    const small = { ...DISCS, happy: { centerX: 256, centerY: 256, radius: 100 } };
    const coverage = maskCoverage(face, plan([emojiDraw(ONTO_DISC)]), small) as number;
    expect(Math.abs(coverage - 0.25)).toBeLessThan(0.01);
  });

  it('gives about 0.5 for a cover over the left half of the face', () => {
    const left = square(0, 0, 100, 200);
    const coverage = maskCoverage(face, plan([coverDraw(left)]), DISCS) as number;
    expect(Math.abs(coverage - 0.5)).toBeLessThan(0.02);
  });

  it('counts the union of every draw, whichever face it belongs to', () => {
    const left = coverDraw(square(0, 0, 100, 200), 2);
    // The emoji's disc, of radius 200 / 2.8 = 71.4 px about (150, 80), holds the right half of
    // the face (at most 50 * sqrt(2) = 70.7 px from that centre) and a sliver of the left.
    const right: Matrix3 = [2.8, 0, 256 - 2.8 * 150, 0, 2.8, 256 - 2.8 * 80, 0, 0, 1];
    expect(maskCoverage(face, plan([emojiDraw(right)]), DISCS)).toBeLessThan(0.75);
    expect(maskCoverage(face, plan([left, emojiDraw(right)]), DISCS)).toBe(1);
  });

  it('does not count points the emoji map sends behind the horizon (w <= 0)', () => {
    const negated = ONTO_DISC.map((v) => -v) as Matrix3;
    expect(maskCoverage(face, plan([emojiDraw(negated)]), DISCS)).toBe(0);
    // w = x / 20 over a square about the origin: u / w = 20 and v / w = 20 y / x put both
    // halves inside a disc about (20, 0) of radius 2e4, but only the half with x > 0 is drawn.
    const horizon: Matrix3 = [0, 0, 1, 0, 1, 0, 1 / 20, 0, 0];
    const wide = { ...DISCS, happy: { centerX: 20, centerY: 0, radius: 2e4 } };
    const coverage = maskCoverage(square(-10, -10, 10, 10), plan([emojiDraw(horizon)]), wide);
    expect(Math.abs((coverage as number) - 0.5)).toBeLessThan(0.02);
  });

  it('is null for an outline with no area', () => {
    const flat = square(0, 5, 10, 5);
    expect(maskCoverage(flat, plan([], true), DISCS)).toBeNull();
  });

  it('gives 1 for an emoji that planMasks widened to cover the outline', () => {
    const keypoints: MaskKeypoints = {
      leftEyeOuter: { x: 356, y: 200 },
      rightEyeOuter: { x: 156, y: 200 },
      mouthLeft: { x: 316, y: 340 },
      mouthRight: { x: 196, y: 340 },
      philtrum: { x: 256, y: 310 },
      chin: { x: 256, y: 420 },
    };
    const art: EmojiArt = {
      image: { width: 512, height: 512, data: new Uint8Array(512 * 512 * 4) },
      keypoints,
      cover: DISC,
    };
    const pack = Object.fromEntries(
      EXPRESSIONS.map((e) => [e, { art, anchors: [] }]),
    ) as PlanningPack;
    // The face is the emoji at a quarter scale about (100, 80), with a taller, wider outline
    // (radius 70 against the disc's 50), so the emoji must be widened to cover it.
    const toFace = (p: Point) => ({ x: 100 + (p.x - 256) / 4, y: 80 + (p.y - 256) / 4 });
    const faceKeypoints = Object.fromEntries(
      Object.entries(keypoints).map(([k, p]) => [k, toFace(p)]),
    ) as unknown as MaskKeypoints;
    const outline = circle({ x: 100, y: 80 }, 70);
    const faceResult: FaceResult = {
      id: 1,
      box: { x: 30, y: 10, width: 140, height: 140 },
      score: 0.9,
      tracking: 'live',
      expression: 'happy',
      probabilities: Object.fromEntries(
        EXPRESSIONS.map((e) => [e, 1 / 7]),
      ) as FaceResult['probabilities'],
      keypoints: faceKeypoints,
      outline,
      anchors: [],
      landmarks: [],
    };
    const drawn = planMasks([faceResult], pack, { width: 640, height: 480 }, SHOW);
    expect(drawn.draws[0]).toMatchObject({ kind: 'emoji' });
    expect((drawn.draws[0] as EmojiDraw).widening).toBeGreaterThan(1.3);
    expect(maskCoverage(outline, drawn, DISCS)).toBe(1);
    // The same emoji drawn for the face's keypoints alone (no widening) leaves its rim showing.
    expect(maskCoverage(outline, plan([emojiDraw(ONTO_DISC)]), DISCS)).toBeLessThan(0.6);
  });
});

describe('summariseCoverage', () => {
  it('gives the mean, minimum, 5th percentile and share of face-frames at 0.99 or more', () => {
    const values = [...new Array<number>(18).fill(1), 0.99, 0.5];
    const s = summariseCoverage(values);
    expect(s.faceFrames).toBe(20);
    expect(s.mean).toBeCloseTo((18 + 0.99 + 0.5) / 20, 12);
    expect(s.min).toBe(0.5);
    // Sorted: 0.5, 0.99, 1, ...; the 0.05 quantile sits at 0.95 of the way from 0.5 to 0.99.
    expect(s.p5).toBeCloseTo(0.5 + 0.95 * 0.49, 12);
    expect(s.atLeast99).toBe(19 / 20);
  });

  it('reports nulls when no face was measured', () => {
    expect(summariseCoverage([])).toEqual({
      faceFrames: 0,
      mean: null,
      min: null,
      p5: null,
      atLeast99: null,
    });
  });
});

describe('changedFraction', () => {
  const frame = (fill: number) => ({
    width: 10,
    height: 10,
    data: new Uint8Array(10 * 10 * 4).fill(fill),
  });

  it('is the share of the box whose pixels moved by more than the threshold', () => {
    const input = frame(100);
    const output = frame(100);
    // Paint the left half of rows 0-9, columns 0-4, in red only.
    for (let y = 0; y < 10; y++) for (let x = 0; x < 5; x++) output.data[(y * 10 + x) * 4] = 200;
    expect(changedFraction(input, output, { x: 0, y: 0, width: 10, height: 10 }, 12)).toBe(0.5);
    expect(changedFraction(input, output, { x: 0, y: 0, width: 5, height: 10 }, 12)).toBe(1);
    expect(changedFraction(input, output, { x: 5, y: 2, width: 5, height: 5 }, 12)).toBe(0);
  });

  it('ignores changes up to the threshold and clips the box to the frame', () => {
    const output = frame(110);
    expect(changedFraction(frame(100), output, { x: -5, y: -5, width: 30, height: 30 }, 12)).toBe(
      0,
    );
    expect(changedFraction(frame(100), output, { x: -5, y: -5, width: 30, height: 30 }, 9)).toBe(1);
  });

  it('treats a box wholly outside the frame as showing nothing', () => {
    expect(changedFraction(frame(0), frame(0), { x: 20, y: 20, width: 5, height: 5 }, 12)).toBe(1);
  });

  it('rejects frames of different sizes', () => {
    const small = { width: 5, height: 5, data: new Uint8Array(100) };
    expect(() => changedFraction(frame(0), small, { x: 0, y: 0, width: 5, height: 5 }, 12)).toThrow(
      RangeError,
    );
  });
});
