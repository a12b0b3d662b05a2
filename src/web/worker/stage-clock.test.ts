/**
 * The stage clock on onnxruntime-node with the shipped models: it times each stage of a real
 * analysis and changes nothing about the result.
 */

import path from 'node:path';

import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Masker } from '../../core/masker/masker.js';
import type { RgbaImage } from '../../core/types.js';
import { loadEmojiPack } from '../../node/emoji-loader.js';
import { readImageFile } from '../../node/image-io.js';
import { readMaskerModels } from '../../node/node-masker.js';
import type { Stage } from '../shared/protocol.js';
import { StageClock } from './stage-clock.js';

const MEDIA = path.resolve(import.meta.dirname, '../../../../shared/media');

let clock: StageClock;
let timed: Masker;
let plain: Masker;

beforeAll(async () => {
  const [models, emoji] = await Promise.all([readMaskerModels(), loadEmojiPack()]);
  const stageOf = new Map<Uint8Array, Stage>([
    [models.detector, 'detect'],
    [models.landmarks, 'landmarks'],
    [models.expression, 'classify'],
  ]);
  clock = new StageClock(ort, stageOf);
  timed = await Masker.create(clock.runtime, models, emoji);
  plain = await Masker.create(ort, models, emoji);
});

afterAll(async () => {
  await Promise.all([timed?.dispose(), plain?.dispose()]);
});

async function analyzeTimed(image: RgbaImage) {
  clock.startFrame();
  const start = performance.now();
  const faces = await timed.analyze(image);
  const end = performance.now();
  return { faces, times: clock.finishFrame(start, end), total: end - start };
}

describe('StageClock', () => {
  it('splits a real analysis into its stages, which add up to the whole', async () => {
    const { image } = await readImageFile(path.join(MEDIA, 'two_people.jpg'));
    const { faces, times, total } = await analyzeTimed(image);
    expect(faces.length).toBe(2);

    // Tiled detection runs the detector more than once; each new face passes the mesh twice
    // (overlapping tiles can find a face twice); the classifier runs once on all crops.
    expect(times.ortRuns.detect).toBeGreaterThan(1);
    expect(times.ortRuns.landmarks).toBeGreaterThanOrEqual(2 * faces.length);
    expect(times.ortRuns.classify).toBe(1);
    for (const stage of ['detect', 'landmarks', 'classify'] as const) {
      expect(times.ortRunMs[stage]).toBeGreaterThan(0);
    }
    expect(times.detectMs).toBeGreaterThanOrEqual(times.ortRunMs.detect);
    expect(times.landmarksMs).toBeGreaterThanOrEqual(times.ortRunMs.landmarks);
    expect(times.classifyMs).toBeGreaterThanOrEqual(times.ortRunMs.classify);
    expect(times.trackMs).toBeGreaterThanOrEqual(0);
    expect(times.detectMs + times.landmarksMs + times.classifyMs + times.trackMs).toBeCloseTo(
      total,
      6,
    );
  });

  it('gives the stages that did not run no time, on a photo without a face', async () => {
    const { image } = await readImageFile(path.join(MEDIA, 'dlib-faces/dogs.jpg'));
    const { faces, times } = await analyzeTimed(image);
    expect(faces).toEqual([]);
    expect(times.ortRuns.detect).toBeGreaterThanOrEqual(1);
    expect(times.ortRuns.classify).toBe(0);
    expect(times.classifyMs).toBe(0);
    expect(times.ortRunMs.classify).toBe(0);
  });

  it('forgets the previous frame at the start of the next', async () => {
    const { image } = await readImageFile(path.join(MEDIA, 'obama-240p.jpg'));
    const first = await analyzeTimed(image);
    const second = await analyzeTimed(image);
    expect(second.times.ortRuns).toEqual(first.times.ortRuns);
  });

  it('leaves the results as they are without it', async () => {
    const { image } = await readImageFile(path.join(MEDIA, 'obama-720p.jpg'));
    const { faces } = await analyzeTimed(image);
    const reference = await plain.analyze(image);
    expect(faces.length).toBe(1);
    // Face ids count per masker; everything else must be identical.
    expect(faces.map((f) => ({ ...f, id: 0 }))).toEqual(reference.map((f) => ({ ...f, id: 0 })));
  });
});
