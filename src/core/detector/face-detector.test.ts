import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readImageFile } from '../../node/image-io.js';
import type { Box, Point, RgbaImage } from '../types.js';
import { FaceDetector } from './face-detector.js';
import type { FaceDetection } from './face-detector-result.js';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const MEDIA = fileURLToPath(new URL('../../../../shared/media/', import.meta.url));

async function image(name: string): Promise<RgbaImage> {
  return (await readImageFile(MEDIA + name)).image;
}

function contains(box: Box, p: Point): boolean {
  return p.x > box.x && p.x < box.x + box.width && p.y > box.y && p.y < box.y + box.height;
}

function centre(d: FaceDetection): Point {
  return { x: d.box.x + d.box.width / 2, y: d.box.y + d.box.height / 2 };
}

const distance = (p: Point, q: Point) => Math.hypot(p.x - q.x, p.y - q.y);

/**
 * Points marked by hand on 3x zooms of the photos, in source pixels (about ±3 px): pupil
 * centres (subject's right, then left), the middle of the mouth, and the width of the face
 * from cheek to cheek at eye level.
 */
const OBAMA_720P = {
  rightPupil: { x: 628, y: 142 },
  leftPupil: { x: 703, y: 140 },
  mouth: { x: 666, y: 213 },
  cheekToCheek: 160,
};
const TWO_PEOPLE = [
  { rightPupil: { x: 290, y: 97 }, leftPupil: { x: 355, y: 103 }, mouth: { x: 315, y: 165 } },
  { rightPupil: { x: 845, y: 125 }, leftPupil: { x: 910, y: 138 }, mouth: { x: 868, y: 198 } },
];

/**
 * bald_guys.jpg is a collage of 24 portraits and has no dlib XML; these are its panels, one face
 * each, marked by hand as [x0, x1, y0, y1] on a copy scaled to 1000 px wide (the Tribeca inset
 * on the right counts as its own panel), then scaled to the 1986 px original.
 */
const BALD_GUYS_PANELS = (
  [
    [0, 150, 0, 150],
    [150, 245, 0, 95],
    [245, 415, 0, 165],
    [415, 560, 0, 160],
    [560, 890, 0, 330],
    [148, 245, 95, 190],
    [895, 1000, 190, 325],
    [0, 145, 150, 300],
    [145, 250, 190, 335],
    [250, 410, 170, 335],
    [412, 555, 160, 330],
    [15, 140, 300, 455],
    [145, 365, 335, 575],
    [365, 500, 365, 570],
    [505, 665, 330, 505],
    [670, 1000, 330, 630],
    [0, 145, 455, 600],
    [505, 665, 505, 630],
    [0, 148, 600, 778],
    [148, 345, 575, 778],
    [345, 500, 575, 778],
    [500, 680, 630, 778],
    [680, 850, 630, 778],
    [850, 1000, 630, 778],
  ] as const
).map(([x0, x1, y0, y1]) => {
  const s = 1986 / 1000;
  return { x: x0 * s, y: y0 * s, width: (x1 - x0) * s, height: (y1 - y0) * s };
});

describe('FaceDetector on real photos', () => {
  let detector: FaceDetector;
  let tiled: FaceDetector;

  beforeAll(async () => {
    const model = await readFile(MODELS + 'face-detector.onnx');
    detector = await FaceDetector.create(ort, model);
    tiled = await FaceDetector.create(ort, model, { tiling: 'auto' });
  });

  afterAll(async () => {
    await detector?.dispose();
    await tiled?.dispose();
  });

  it('finds the one face in obama-720p.jpg where it was marked by hand', async () => {
    const faces = await detector.detect(await image('obama-720p.jpg'));
    expect(faces).toHaveLength(1);
    const [face] = faces;
    expect(face.score).toBeGreaterThan(0.8);
    for (const p of [OBAMA_720P.rightPupil, OBAMA_720P.leftPupil, OBAMA_720P.mouth]) {
      expect(contains(face.box, p), `(${p.x}, ${p.y}) inside ${JSON.stringify(face.box)}`).toBe(
        true,
      );
    }
    // The detector's box is about as wide as the face, brows to mouth.
    expect(face.box.width / OBAMA_720P.cheekToCheek).toBeGreaterThan(0.8);
    expect(face.box.width / OBAMA_720P.cheekToCheek).toBeLessThan(1.3);
    // Its coarse eye keypoints land within a quarter of the pupil distance of the pupils.
    const ipd = distance(OBAMA_720P.rightPupil, OBAMA_720P.leftPupil);
    expect(distance(face.keypoints[0], OBAMA_720P.rightPupil)).toBeLessThan(0.25 * ipd);
    expect(distance(face.keypoints[1], OBAMA_720P.leftPupil)).toBeLessThan(0.25 * ipd);
  });

  it('finds both faces in two_people.jpg, each around its own eyes and mouth', async () => {
    const faces = await detector.detect(await image('two_people.jpg'));
    expect(faces).toHaveLength(2);
    const byX = [...faces].sort((p, q) => centre(p).x - centre(q).x);
    byX.forEach((face, i) => {
      const marked = TWO_PEOPLE[i];
      for (const p of [marked.rightPupil, marked.leftPupil, marked.mouth]) {
        expect(
          contains(face.box, p),
          `person ${i}: (${p.x}, ${p.y}) inside ${JSON.stringify(face.box)}`,
        ).toBe(true);
      }
    });
  });

  it('finds no confident face among the four dogs of dogs.jpg', async () => {
    const faces = await detector.detect(await image('dlib-faces/dogs.jpg'));
    // At MediaPipe's threshold of 0.5 two dogs get through, at about 0.60 (top right) and 0.54.
    // That is as high as a small or blurred human face scores (one face in the bald_guys.jpg
    // collage scores 0.51-0.58 in the whole-frame pass), so no detector threshold can drop the
    // dogs without dropping faces; the face mesh's presence score does (see
    // face-landmarker.test.ts), as it does in MediaPipe's own face-mesh graph.
    expect(faces.length).toBeLessThanOrEqual(2);
    expect(faces.filter((f) => f.score >= 0.65)).toHaveLength(0);
  });

  it('finds all 24 faces of the bald_guys.jpg collage only with tiling, one per panel', async () => {
    const frame = await image('dlib-faces/bald_guys.jpg');

    // Letterboxed whole to 128 px, most of these faces are under 15 px wide: too small.
    const whole = await detector.detect(frame);
    expect(whole.length).toBeLessThan(BALD_GUYS_PANELS.length / 2);

    const faces = await tiled.detect(frame);
    expect(faces).toHaveLength(BALD_GUYS_PANELS.length);
    const perPanel = BALD_GUYS_PANELS.map(
      (panel) => faces.filter((f) => contains(panel, centre(f))).length,
    );
    expect(perPanel).toEqual(BALD_GUYS_PANELS.map(() => 1));
  });

  it('gives the same faces when called twice on the same frame', async () => {
    const frame = await image('two_people.jpg');
    const first = await detector.detect(frame);
    const second = await detector.detect(frame);
    expect(second).toEqual(first);
  });
});

describe('FaceDetector.create', () => {
  it('rejects bytes that are not a model, naming the model', async () => {
    await expect(FaceDetector.create(ort, new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(
      /^face-detector\.onnx: cannot load model/,
    );
  });

  it('rejects the face-mesh model, listing the outputs it found', async () => {
    const mesh = await readFile(MODELS + 'face-landmarks.onnx');
    await expect(FaceDetector.create(ort, mesh)).rejects.toThrow(
      /face-detector\.onnx: expected two outputs shaped \[1, 2016, 16\] and \[1, 2016, 1\], got landmarks \[1, 1, 1, 1404\]/,
    );
  });
});
