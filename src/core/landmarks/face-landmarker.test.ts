import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readImageFile } from '../../node/image-io.js';
import { FaceDetector } from '../detector/face-detector.js';
import type { Point, RgbaImage } from '../types.js';
import { FaceLandmarker, MESH_POINT_COUNT } from './face-landmarker.js';
import type { FaceMesh } from './face-landmarker-result.js';
import { maskKeypointsFromMesh } from './mesh-to-ibug.js';
import {
  MESH_LEFT_EYE_OUTER,
  MESH_RIGHT_EYE_OUTER,
  roiFromDetection,
  roiFromLandmarks,
} from './roi.js';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const MEDIA = fileURLToPath(new URL('../../../../shared/media/', import.meta.url));

async function image(name: string): Promise<RgbaImage> {
  return (await readImageFile(MEDIA + name)).image;
}

const distance = (p: Point, q: Point) => Math.hypot(p.x - q.x, p.y - q.y);

/** Distance between the mesh's outer eye corners: the scale errors are measured in. */
function eyeSpan(mesh: FaceMesh): number {
  return distance(mesh.landmarks[MESH_RIGHT_EYE_OUTER], mesh.landmarks[MESH_LEFT_EYE_OUTER]);
}

/** Mean and largest distance between matching points of two meshes, over their eye span. */
function meshDifference(a: FaceMesh, b: FaceMesh, scale = 1): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < MESH_POINT_COUNT; i++) {
    const p = a.landmarks[i];
    const d = distance(p, { x: b.landmarks[i].x * scale, y: b.landmarks[i].y * scale });
    sum += d;
    max = Math.max(max, d);
  }
  const span = eyeSpan(a);
  return { mean: sum / MESH_POINT_COUNT / span, max: max / span };
}

/**
 * Marked by hand on a 3x zoom of obama-720p.jpg, in source pixels (about ±3 px): the outer eye
 * corners (subject's right, then left), the mouth corners (right, then left), the lowest point
 * of the chin, and the face's extent from hairline to chin and ear to ear.
 */
const OBAMA_720P = {
  rightEyeOuter: { x: 615, y: 143 },
  leftEyeOuter: { x: 722, y: 142 },
  mouthRight: { x: 628, y: 213 },
  mouthLeft: { x: 705, y: 212 },
  chin: { x: 665, y: 282 },
  face: { x0: 560, x1: 770, y0: 45, y1: 290 },
};

describe('FaceLandmarker on real photos', () => {
  let detector: FaceDetector;
  let landmarker: FaceLandmarker;
  let obama: FaceMesh;
  let obamaSecondPass: FaceMesh;

  beforeAll(async () => {
    detector = await FaceDetector.create(ort, await readFile(MODELS + 'face-detector.onnx'));
    landmarker = await FaceLandmarker.create(ort, await readFile(MODELS + 'face-landmarks.onnx'));
    const frame = await image('obama-720p.jpg');
    const [face] = await detector.detect(frame);
    obama = await landmarker.run(frame, roiFromDetection(face));
    obamaSecondPass = await landmarker.run(frame, roiFromLandmarks(obama.landmarks));
  });

  afterAll(async () => {
    await landmarker?.dispose();
    await detector?.dispose();
  });

  it('sees a face in the crop seeded from the detection and keeps every point on it', () => {
    expect(obama.presence).toBeGreaterThan(0.5);
    expect(obama.landmarks).toHaveLength(MESH_POINT_COUNT);
    const { x0, x1, y0, y1 } = OBAMA_720P.face;
    const outside = obama.landmarks.filter((p) => !(p.x > x0 && p.x < x1 && p.y > y0 && p.y < y1));
    expect(outside).toEqual([]);
  });

  it('puts the masking keypoints where they were marked by hand', () => {
    const keypoints = maskKeypointsFromMesh(obama.landmarks);
    const span = distance(OBAMA_720P.rightEyeOuter, OBAMA_720P.leftEyeOuter);
    for (const name of [
      'rightEyeOuter',
      'leftEyeOuter',
      'mouthRight',
      'mouthLeft',
      'chin',
    ] as const) {
      // Measured 1.8-6.7 % (the chin the most). 10 % of the eye span is about 11 px: the hand
      // marks' own ±3 px plus room for where the mesh puts each point.
      expect(distance(keypoints[name], OBAMA_720P[name]) / span, name).toBeLessThan(0.1);
    }
  });

  it('places the nose tip nearer the camera than the cheeks and ears (z grows away)', () => {
    const [noseTip, rightCheek, leftCheek] = [1, 234, 454].map((i) => obama.landmarks[i].z);
    expect(noseTip).toBeLessThan(rightCheek);
    expect(noseTip).toBeLessThan(leftCheek);
  });

  it('agrees closely with a second pass seeded from its own landmarks', () => {
    expect(obamaSecondPass.presence).toBeGreaterThan(0.5);
    // Measured: mean 0.013, largest 0.038 of the eye span (about 1.3 and 3.7 px).
    const { mean, max } = meshDifference(obama, obamaSecondPass);
    expect(mean).toBeLessThan(0.03);
    expect(max).toBeLessThan(0.08);
  });

  it('finds the same mesh in the 240p and 1080p copies of the photo, scaled', async () => {
    for (const [name, scale] of [
      ['obama-240p.jpg', 1280 / 427],
      ['obama-1080p.jpg', 1280 / 1920],
    ] as const) {
      const frame = await image(name);
      const [face] = await detector.detect(frame);
      const first = await landmarker.run(frame, roiFromDetection(face));
      const mesh = await landmarker.run(frame, roiFromLandmarks(first.landmarks));
      // Measured: mean 0.004 (240p) and 0.0006 (1080p) of the eye span.
      expect(meshDifference(obamaSecondPass, mesh, scale).mean, name).toBeLessThan(0.015);
    }
  });

  it('maps points back exactly: the same crop of the frame turned 180 degrees gives the same mesh', async () => {
    // The crop of the turned frame holds the same pixels, so any half-pixel or rotation-sign slip
    // in the crop sampling or in mapping points back would show as an offset here.
    const frame = await image('obama-240p.jpg');
    const { width, height, data } = frame;
    const turned = new Uint8Array(data.length);
    for (let i = 0; i < width * height; i++) {
      turned.set(data.subarray(4 * i, 4 * i + 4), 4 * (width * height - 1 - i));
    }
    const [face] = await detector.detect(frame);
    const roi = roiFromDetection(face);
    const upright = await landmarker.run(frame, roi);
    const upsideDown = await landmarker.run(
      { width, height, data: turned },
      {
        ...roi,
        centerX: width - roi.centerX,
        centerY: height - roi.centerY,
        rotation: roi.rotation + Math.PI,
      },
    );
    const back = upsideDown.landmarks.map((p) => ({ x: width - p.x, y: height - p.y, z: p.z }));
    const { max } = meshDifference(upright, { ...upsideDown, landmarks: back });
    // Measured 0 to print precision; float rounding of the sample positions allows a little.
    expect(max).toBeLessThan(1e-3);
  });

  it('leaves no face in dogs.jpg once the mesh has checked what the detector found', async () => {
    // The detector lets one dog through (score about 0.59, see face-detector.test.ts); the mesh
    // gives it a presence of about 0.04, against 1.00 for every human face measured.
    const frame = await image('dlib-faces/dogs.jpg');
    const presences = [];
    for (const face of await detector.detect(frame)) {
      presences.push((await landmarker.run(frame, roiFromDetection(face))).presence);
    }
    expect(presences.filter((p) => p >= 0.5)).toEqual([]);
  });
});

describe('FaceLandmarker.create', () => {
  it('rejects the face-detector model, listing the outputs it found', async () => {
    const detectorModel = await readFile(MODELS + 'face-detector.onnx');
    await expect(FaceLandmarker.create(ort, detectorModel)).rejects.toThrow(
      /face-landmarks\.onnx: expected a landmark output of 1404 values and a one-value face-presence output, got regressors \[1, 896, 16\]/,
    );
  });
});
