import { describe, expect, it } from 'vitest';

import {
  combineJitter,
  countSwitches,
  followDelays,
  keypointJitter,
  median,
  quantile,
  stillFrames,
  stretches,
  type Timed,
} from '../src/node/tools/quality-metrics.js';
import { changedFraction } from '../src/node/tools/unmasked-check.js';

const FRAME_MS = 1000 / 30;

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
