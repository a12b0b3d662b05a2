/**
 * The MTCNN cascade on real photographs and a real video frame, with the shipped models; the
 * BlazeFace detector (a different model) is the reference for where the frontal faces are.
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';

import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readImageFile } from '../../node/image-io.js';
import { decodeVideoFrames } from '../../node/video-io.js';
import { probeVideo } from '../../node/video-probe.js';
import { FaceDetector } from '../detector/face-detector.js';
import { iou } from '../geometry/box-overlap.js';
import type { Box, Point, RgbaImage } from '../types.js';
import { PROFILE_DETECTOR_MODEL_NAMES, ProfileDetector, type ProfileDetectorModels } from './profile-detector.js';

const MODELS = path.resolve(import.meta.dirname, '../../../models');
const MEDIA = path.resolve(import.meta.dirname, '../../../../shared/media');

let models: ProfileDetectorModels;
let detector: ProfileDetector;
let blazeFace: FaceDetector;

beforeAll(async () => {
  const read = async (file: string) => new Uint8Array(await readFile(path.join(MODELS, file)));
  models = {
    pnet: await read(PROFILE_DETECTOR_MODEL_NAMES.pnet),
    rnet: await read(PROFILE_DETECTOR_MODEL_NAMES.rnet),
    onet: await read(PROFILE_DETECTOR_MODEL_NAMES.onet),
  };
  detector = await ProfileDetector.create(ort, models);
  blazeFace = await FaceDetector.create(ort, await read('face-detector.onnx'));
});

afterAll(async () => {
  await detector?.dispose();
  await blazeFace?.dispose();
});

async function photo(name: string): Promise<RgbaImage> {
  return (await readImageFile(path.join(MEDIA, name))).image;
}

async function videoFrame(name: string, index: number): Promise<RgbaImage> {
  let i = 0;
  for await (const frame of decodeVideoFrames(await probeVideo(path.join(MEDIA, name)))) {
    if (i++ === index) return frame.image;
  }
  throw new Error(`${name} has no frame ${index}`);
}

function contains(box: Box, p: Point): boolean {
  return p.x > box.x && p.x < box.x + box.width && p.y > box.y && p.y < box.y + box.height;
}

describe('ProfileDetector', () => {
  it('finds the frontal faces BlazeFace finds, with five landmarks in face order', async () => {
    for (const [name, count] of [['obama-720p.jpg', 1], ['two_people.jpg', 2]] as const) {
      const image = await photo(name);
      const faces = await detector.detect(image);
      const reference = await blazeFace.detect(image);
      expect(faces).toHaveLength(count);
      expect(reference).toHaveLength(count);
      for (const face of faces) {
        expect(face.score).toBeGreaterThan(0.99);
        // MTCNN's box reaches lower (to the chin) than BlazeFace's; they still overlap well.
        expect(Math.max(...reference.map((r) => iou(r.box, face.box)))).toBeGreaterThan(0.5);
        const [leftEye, rightEye, nose, mouthLeft, mouthRight] = face.points;
        expect(leftEye.x).toBeLessThan(nose.x);
        expect(nose.x).toBeLessThan(rightEye.x);
        expect(mouthLeft.x).toBeLessThan(mouthRight.x);
        expect(nose.y).toBeGreaterThan(Math.max(leftEye.y, rightEye.y));
        expect(Math.min(mouthLeft.y, mouthRight.y)).toBeGreaterThan(nose.y);
        for (const p of face.points) expect(contains(face.box, p)).toBe(true);
      }
    }
  });

  it('finds the close-up profile in frame 30 of short_hamilton_clip.mp4', async () => {
    const frame = await videoFrame('short_hamilton_clip.mp4', 30);
    // Hand-marked on the frame: eye, cheek, mouth (the nose tip is past the box's left edge).
    const marks = [{ x: 335, y: 175 }, { x: 410, y: 250 }, { x: 350, y: 290 }];
    const faces = await detector.detect(frame);
    const found = faces.filter((f) => marks.every((p) => contains(f.box, p)));
    expect(found).toHaveLength(1);
    expect(found[0].score).toBeGreaterThan(0.9);
  });

  it('finds no face in dlib-faces/dogs.jpg', async () => {
    expect(await detector.detect(await photo('dlib-faces/dogs.jpg'))).toEqual([]);
  });

  it('names the model file that is empty or of the wrong kind', async () => {
    await expect(
      ProfileDetector.create(ort, { ...models, rnet: new Uint8Array(0) }),
    ).rejects.toThrow(/^mtcnn-rnet\.onnx: cannot load model: the file is empty/);
    await expect(ProfileDetector.create(ort, { ...models, onet: models.rnet })).rejects.toThrow(
      /^mtcnn-onet\.onnx: expected one input \[N, 3, 48, 48\] and outputs offsets, points, face, got inputs input \[N, 3, 24, 24\]/,
    );
    // The refinement network in the proposal network's place: same outputs, fixed-size input.
    await expect(ProfileDetector.create(ort, { ...models, pnet: models.rnet })).rejects.toThrow(
      /^mtcnn-pnet\.onnx: expected one input \[1, 3, H, W\] with any H, W/,
    );
  });

  it('rejects options out of range, naming them', async () => {
    await expect(ProfileDetector.create(ort, models, { minFaceFraction: 2 })).rejects.toThrow(
      /profileDetector\.minFaceFraction: expected a number in \(0, 1\], got 2/,
    );
    await expect(
      ProfileDetector.create(ort, models, { thresholds: [0.6, 0.7] as unknown as [number, number, number] }),
    ).rejects.toThrow(/profileDetector\.thresholds: expected three numbers/);
    await expect(
      ProfileDetector.create(ort, models, { minFacePixels: '30' as unknown as number }),
    ).rejects.toThrow('profileDetector.minFacePixels: expected a number of at least 12, got "30"');
    await expect(ProfileDetector.create(ort, models, { minFaceFraction: 0 })).rejects.toThrow(
      /minFaceFraction: expected a number in \(0, 1\], got 0/,
    );
  });
});
