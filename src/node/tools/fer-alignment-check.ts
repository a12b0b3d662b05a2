/**
 * Does the FER-aligned crop help? Each FER2013 test face is placed in a larger synthetic frame at
 * a random size, roll and position (as a webcam would show it), found again with our detector
 * and mesh, cropped in several ways and classified. The crop that best restores the accuracy of
 * the original, untouched FER crop is the one that matches FER2013's framing.
 *
 *   npm run build:node && node dist/node/tools/fer-alignment-check.js ~/.cache/fer2013 [count] [models]
 *
 * Prints accuracy per crop method on PublicTest (where the method is chosen) and PrivateTest.
 */

import { readdir } from 'node:fs/promises';
import path from 'node:path';

import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

import { ExpressionClassifier } from '../../core/classifier/expression-classifier.js';
import { ferCropToSource, type FerFraming } from '../../core/classifier/face-align.js';
import { FER_FRAMING, FER_MEAN_MESH } from '../../core/classifier/fer-framing.js';
import { FaceDetector } from '../../core/detector/face-detector.js';
import type { Affine } from '../../core/image-ops/affine.js';
import { warpToTensor } from '../../core/image-ops/warp-to-tensor.js';
import { FaceLandmarker } from '../../core/landmarks/face-landmarker.js';
import { boundsOf, roiFromDetection, roiFromLandmarks } from '../../core/landmarks/roi.js';
import { MESH_FACE_OVAL } from '../../core/masker/mask-geometry.js';
import { EXPRESSIONS, type RgbaImage } from '../../core/types.js';
import { readInputBytes } from '../input-file.js';

const SCENE = 256;
const CROP = 44;
const FER = 48;

/** A small seeded generator (mulberry32), so every run places the faces the same way. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws the 48x48 face into a SCENE x SCENE frame through `ferToScene` (a similarity). */
function placeInScene(face: RgbaImage, sceneToFer: Affine): RgbaImage {
  const rgb = warpToTensor(face, sceneToFer, {
    width: SCENE,
    height: SCENE,
    colour: 'rgb',
    layout: 'nhwc',
    range: [0, 255],
    border: 'replicate',
  });
  const data = new Uint8Array(SCENE * SCENE * 4);
  for (let i = 0; i < SCENE * SCENE; i++) {
    data[4 * i] = rgb[3 * i];
    data[4 * i + 1] = rgb[3 * i + 1];
    data[4 * i + 2] = rgb[3 * i + 2];
    data[4 * i + 3] = 255;
  }
  return { width: SCENE, height: SCENE, data };
}

async function listSplit(root: string, split: string): Promise<{ file: string; label: number }[]> {
  const out: { file: string; label: number }[] = [];
  for (const [label, name] of EXPRESSIONS.entries()) {
    const dir = path.join(root, 'test', name);
    for (const f of (await readdir(dir)).sort()) if (f.startsWith(`${split}_`)) out.push({ file: path.join(dir, f), label });
  }
  return out;
}

async function main(): Promise<void> {
  const [root, countText = '100000', models = 'models'] = process.argv.slice(2);
  if (!root) throw new Error('usage: fer-alignment-check.js FER2013_FOLDER [count per split] [models folder]');
  const load = (name: string) => readInputBytes(path.join(models, name));
  const detector = await FaceDetector.create(ort, await load('face-detector.onnx'));
  const landmarker = await FaceLandmarker.create(ort, await load('face-landmarks.onnx'));
  const classifier = await ExpressionClassifier.create(ort, await load('expression.onnx'));
  const allPoints: FerFraming = { imageSize: FER, indices: FER_MEAN_MESH.map((_, i) => i), points: FER_MEAN_MESH };

  for (const split of ['PublicTest', 'PrivateTest']) {
    // An even sample across the split (the listing is grouped by class).
    const all = await listSplit(root, split);
    const step = Math.max(1, Math.floor(all.length / Number(countText)));
    const items = all.filter((_, i) => i % step === 0);
    const next = random(split === 'PublicTest' ? 1 : 2);
    const correct: Record<string, number> = {};
    let found = 0;
    const score = (method: string, probs: Float32Array, label: number) => {
      let best = 0;
      for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
      correct[method] = (correct[method] ?? 0) + (best === label ? 1 : 0);
    };
    const classify = async (frame: RgbaImage, crop: Affine) => {
      const pixels = warpToTensor(frame, crop, {
        width: CROP,
        height: CROP,
        colour: 'grey',
        layout: 'nchw',
        range: [0, 255],
        border: 'replicate',
      });
      return classifier.classifyCrops(pixels, 1);
    };

    for (const { file, label } of items) {
      const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      const face: RgbaImage = { width: info.width, height: info.height, data: new Uint8Array(data) };
      score('original centre crop', await classify(face, [1, 0, 2, 0, 1, 2]), label);

      // Scene pixel -> FER pixel: face 2.5-3.5x larger, rolled up to 15 degrees, off centre.
      const s = 1 / (2.5 + next());
      const t = ((next() * 2 - 1) * 15 * Math.PI) / 180;
      const [ca, sa] = [s * Math.cos(t), s * Math.sin(t)];
      const cx = SCENE / 2 + (next() * 2 - 1) * 25;
      const cy = SCENE / 2 + (next() * 2 - 1) * 25;
      const sceneToFer: Affine = [ca, -sa, FER / 2 - ca * cx + sa * cy, sa, ca, FER / 2 - sa * cx - ca * cy];
      const scene = placeInScene(face, sceneToFer);

      const detections = await detector.detect(scene);
      if (detections.length === 0) continue;
      found++;
      const d = detections[0];
      let mesh = await landmarker.run(scene, roiFromDetection(d));
      mesh = await landmarker.run(scene, roiFromLandmarks(mesh.landmarks));
      for (const k of [1.0, 1.2, 1.4]) {
        const side = k * Math.max(d.box.width, d.box.height);
        const f = side / FER;
        const x0 = d.box.x + d.box.width / 2 - side / 2;
        const y0 = d.box.y + d.box.height / 2 - side / 2;
        score(`detector box x${k.toFixed(1)}, upright`, await classify(scene, [f, 0, x0 + 2 * f, 0, f, y0 + 2 * f]), label);
      }
      const oval = boundsOf(MESH_FACE_OVAL.map((i) => mesh.landmarks[i]));
      for (const k of [0.9, 1.0, 1.1]) {
        const side = k * Math.max(oval.width, oval.height);
        const f = side / FER;
        const x0 = oval.x + oval.width / 2 - side / 2;
        const y0 = oval.y + oval.height / 2 - side / 2;
        score(`mesh oval box x${k.toFixed(1)}, upright`, await classify(scene, [f, 0, x0 + 2 * f, 0, f, y0 + 2 * f]), label);
      }
      const rigid = ferCropToSource(mesh.landmarks, FER_FRAMING, CROP);
      const all = ferCropToSource(mesh.landmarks, allPoints, CROP);
      if (rigid) score('mesh-aligned, rigid points (shipped)', await classify(scene, rigid), label);
      if (all) score('mesh-aligned, all 468 points', await classify(scene, all), label);
    }
    console.log(`${split}: ${items.length} faces, found in the synthetic frame: ${found}`);
    for (const [method, n] of Object.entries(correct)) {
      console.log(`  ${method.padEnd(40)} ${((100 * n) / items.length).toFixed(2)} %`);
    }
  }
  await Promise.all([detector.dispose(), landmarker.dispose(), classifier.dispose()]);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
