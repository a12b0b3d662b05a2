import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  truncate,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FaceDetector } from '../core/detector/face-detector.js';
import type { EmojiArt, EmojiPack } from '../core/emoji/emoji-pack.js';
import { applyHomography, invertMatrix3, solveHomography } from '../core/geometry/homography.js';
import { FaceLandmarker } from '../core/landmarks/face-landmarker.js';
import { maskKeypointsFromIbug, maskKeypointsFromMesh } from '../core/landmarks/mesh-to-ibug.js';
import { roiFromDetection, roiFromLandmarks } from '../core/landmarks/roi.js';
import { MESH_FACE_OVAL } from '../core/masker/mask-geometry.js';
import { EXPRESSIONS, MASK_KEYPOINT_NAMES } from '../core/types.js';
import type { MaskKeypoints, Point, RgbaImage } from '../core/types.js';
import { DEFAULT_EMOJI_DIR, loadEmojiPack } from './emoji-loader.js';
import { FileError } from './errors.js';
import { readImageFile } from './image-io.js';
import { readInputBytes } from './input-file.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MEDIA = fileURLToPath(new URL('../../../shared/media/', import.meta.url));
const DLIB_FACES = path.join(MEDIA, 'dlib-faces');
const MODELS = path.join(REPO_ROOT, 'models');

let pack: EmojiPack;
let dir = '';

beforeAll(async () => {
  pack = await loadEmojiPack();
  dir = await mkdtemp(path.join(os.tmpdir(), 'emoji-mask-emoji-loader-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Alpha at a continuous point, bilinear between pixel centres, as the compositor samples. */
function alphaAt(image: RgbaImage, x: number, y: number): number {
  const fx = x - 0.5;
  const fy = y - 0.5;
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const tx = fx - x0;
  const ty = fy - y0;
  const a = (i: number, j: number) => {
    if (i < 0 || j < 0 || i >= image.width || j >= image.height) return 0;
    return image.data[(j * image.width + i) * 4 + 3];
  };
  const top = a(x0, y0) * (1 - tx) + a(x0 + 1, y0) * tx;
  const bottom = a(x0, y0 + 1) * (1 - tx) + a(x0 + 1, y0 + 1) * tx;
  return top * (1 - ty) + bottom * ty;
}

/** Distance from the cover centre in units of the cover radius. */
function radial(art: EmojiArt, p: Point): number {
  const { centerX, centerY, radius } = art.cover;
  return Math.hypot(p.x - centerX, p.y - centerY) / radius;
}

/**
 * Maps `points` on a face back into the emoji through the inverse of the homography the masker
 * fits (emoji keypoints to face keypoints) and returns the farthest, in cover radii from the
 * cover centre.
 */
function farthestOnEmoji(art: EmojiArt, face: MaskKeypoints, points: readonly Point[]): number {
  const src = MASK_KEYPOINT_NAMES.map((name) => art.keypoints[name]);
  const dst = MASK_KEYPOINT_NAMES.map((name) => face[name]);
  const fit = solveHomography(src, dst);
  if (!fit.ok) throw new Error(`homography failed: ${fit.reason}`);
  const back = invertMatrix3(fit.matrix);
  if (!back) throw new Error('homography has no inverse');
  return Math.max(...points.map((p) => radial(art, applyHomography(back, p))));
}

/** The median of `values`. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Face proportions in units of W (outer eye-corner distance), in the frame of the eye line:
 * how far below it the philtrum, mouth corners and chin are, and the mouth's half width.
 */
function proportions(k: MaskKeypoints): {
  philtrum: number;
  mouth: number;
  mouthHalf: number;
  chin: number;
} {
  const w = Math.hypot(k.leftEyeOuter.x - k.rightEyeOuter.x, k.leftEyeOuter.y - k.rightEyeOuter.y);
  const ex = {
    x: (k.leftEyeOuter.x - k.rightEyeOuter.x) / w,
    y: (k.leftEyeOuter.y - k.rightEyeOuter.y) / w,
  };
  const mid = {
    x: (k.leftEyeOuter.x + k.rightEyeOuter.x) / 2,
    y: (k.leftEyeOuter.y + k.rightEyeOuter.y) / 2,
  };
  const down = (p: Point) => (-(p.x - mid.x) * ex.y + (p.y - mid.y) * ex.x) / w;
  const along = (p: Point) => ((p.x - mid.x) * ex.x + (p.y - mid.y) * ex.y) / w;
  return {
    philtrum: down(k.philtrum),
    mouth: (down(k.mouthLeft) + down(k.mouthRight)) / 2,
    mouthHalf: (along(k.mouthLeft) - along(k.mouthRight)) / 2,
    chin: down(k.chin),
  };
}

/** The faces of dlib's 68-point example annotations (iBUG 300-W scheme), in image pixels. */
async function dlibFaces(): Promise<Point[][]> {
  const faces: Point[][] = [];
  for (const name of ['training_with_face_landmarks.xml', 'testing_with_face_landmarks.xml']) {
    const xml = await readFile(path.join(DLIB_FACES, name), 'utf8');
    for (const box of xml.split('<box ').slice(1)) {
      const points: Point[] = [];
      for (const m of box.matchAll(/<part name='(\d+)' x='(-?\d+)' y='(-?\d+)'\/>/g)) {
        points[Number(m[1])] = { x: Number(m[2]), y: Number(m[3]) };
      }
      if (points.length === 68) faces.push(points);
    }
  }
  return faces;
}

/** A copy of the shipped pack in a fresh folder, for breaking one file. */
async function copyOfPack(name: string): Promise<string> {
  const copy = path.join(dir, name);
  await rm(copy, { recursive: true, force: true });
  await mkdir(copy);
  for (const file of ['keypoints.json', ...EXPRESSIONS.map((e) => `${e}.png`)]) {
    await copyFile(path.join(DEFAULT_EMOJI_DIR, file), path.join(copy, file));
  }
  return copy;
}

async function loadError(packDir: string): Promise<FileError> {
  try {
    await loadEmojiPack(packDir);
  } catch (error) {
    expect(error).toBeInstanceOf(FileError);
    return error as FileError;
  }
  throw new Error(`expected loadEmojiPack(${packDir}) to fail`);
}

describe('loadEmojiPack', () => {
  it('finds the pack at the package root from src/node/ (and so from dist/node/)', () => {
    expect(DEFAULT_EMOJI_DIR).toBe(path.join(REPO_ROOT, 'assets', 'emoji') + path.sep);
  });

  it('loads all seven emoji as straight RGBA of at least 512 px', () => {
    expect(Object.keys(pack).sort()).toEqual([...EXPRESSIONS].sort());
    for (const expression of EXPRESSIONS) {
      const { image } = pack[expression];
      expect(image.width).toBeGreaterThanOrEqual(512);
      expect(image.height).toBe(image.width);
      expect(image.data.length).toBe(image.width * image.height * 4);
    }
  });

  it('lays the keypoints and cover disc out identically on all seven', () => {
    for (const expression of EXPRESSIONS) {
      expect(pack[expression].keypoints).toEqual(pack.neutral.keypoints);
      expect(pack[expression].cover).toEqual(pack.neutral.cover);
    }
  });

  it('places the keypoints inside the disc, unmirrored and in face order from eyes to chin', () => {
    for (const expression of EXPRESSIONS) {
      const art = pack[expression];
      const k = art.keypoints;
      for (const name of MASK_KEYPOINT_NAMES) expect(radial(art, k[name])).toBeLessThan(0.9);
      // Subject's left is the image right.
      expect(k.leftEyeOuter.x).toBeGreaterThan(k.rightEyeOuter.x);
      expect(k.mouthLeft.x).toBeGreaterThan(k.mouthRight.x);
      // y grows downwards: eyes, then philtrum, then mouth, then chin.
      const eyeLine = Math.max(k.leftEyeOuter.y, k.rightEyeOuter.y);
      expect(k.philtrum.y).toBeGreaterThan(eyeLine);
      expect(Math.min(k.mouthLeft.y, k.mouthRight.y)).toBeGreaterThan(k.philtrum.y);
      expect(k.chin.y).toBeGreaterThan(Math.max(k.mouthLeft.y, k.mouthRight.y));
      // The chin keypoint sits inside the disc's bottom edge, with room for landmark noise.
      expect(k.chin.y).toBeLessThan(art.cover.centerY + 0.9 * art.cover.radius);
    }
  });

  it('has an opaque cover disc and transparent corners', () => {
    for (const expression of EXPRESSIONS) {
      const { image, cover } = pack[expression];
      let least = 255;
      // Every 4th pixel centre inside the disc, and 720 points just inside its rim.
      for (let y = 0.5; y < image.height; y += 4) {
        for (let x = 0.5; x < image.width; x += 4) {
          if (Math.hypot(x - cover.centerX, y - cover.centerY) < cover.radius) {
            least = Math.min(least, alphaAt(image, x, y));
          }
        }
      }
      for (let i = 0; i < 720; i++) {
        const t = (i / 720) * 2 * Math.PI;
        const x = cover.centerX + 0.999 * cover.radius * Math.cos(t);
        const y = cover.centerY + 0.999 * cover.radius * Math.sin(t);
        least = Math.min(least, alphaAt(image, x, y));
      }
      expect(least, expression).toBeGreaterThan(250);
      for (const [x, y] of [
        [1, 1],
        [image.width - 1, 1],
        [1, image.height - 1],
        [image.width - 1, image.height - 1],
      ]) {
        expect(alphaAt(image, x, y), `${expression} corner (${x}, ${y})`).toBe(0);
      }
    }
  });

  it('covers the jaw line and brows of dlib-annotated faces once warped onto them', async () => {
    // The masker maps emoji keypoints to face keypoints by a homography; a face's own outline
    // mapped back through it must land well inside the disc. iBUG points 0-16 are the jaw line
    // from ear to ear via the chin, 17-26 the brows.
    const faces = (await dlibFaces()).filter(
      (p) => Math.hypot(p[45].x - p[36].x, p[45].y - p[36].y) >= 25,
    );
    expect(faces.length).toBeGreaterThanOrEqual(10);
    const worst = Math.max(
      ...faces.map((p) => farthestOnEmoji(pack.neutral, maskKeypointsFromIbug(p), p.slice(0, 27))),
    );
    expect(worst).toBeLessThan(0.95);
    // And not absurdly small: the face should fill a good part of the emoji.
    expect(worst).toBeGreaterThan(0.7);
  });

  it('names a missing folder', async () => {
    const missing = path.join(dir, 'no-such-pack');
    const error = await loadError(missing);
    expect(error.file).toBe(missing);
    expect(error.message).toMatch(/^.*no-such-pack: emoji pack folder not found/);
  });

  it('names a missing PNG', async () => {
    const copy = await copyOfPack('missing-png');
    await rm(path.join(copy, 'fear.png'));
    const error = await loadError(copy);
    expect(error.file).toBe(path.join(copy, 'fear.png'));
    expect(error.problem).toBe('file not found');
  });

  it('names a truncated PNG', async () => {
    const copy = await copyOfPack('truncated-png');
    await truncate(path.join(copy, 'happy.png'), 5000);
    const error = await loadError(copy);
    expect(error.file).toBe(path.join(copy, 'happy.png'));
    expect(error.problem).toMatch(/corrupt or truncated image|not an image sharp can read/);
  });

  it('names a keypoints.json that is not JSON', async () => {
    const copy = await copyOfPack('bad-json');
    await writeFile(path.join(copy, 'keypoints.json'), '{ "version": 1, ');
    const error = await loadError(copy);
    expect(error.file).toBe(path.join(copy, 'keypoints.json'));
    expect(error.problem).toMatch(/^not valid JSON \(/);
  });

  it('names keypoints.json and the field when a keypoint is missing', async () => {
    const copy = await copyOfPack('no-chin');
    const file = path.join(copy, 'keypoints.json');
    const json = JSON.parse(await readFile(file, 'utf8'));
    delete json.expressions.sad.keypoints.chin;
    await writeFile(file, JSON.stringify(json));
    const error = await loadError(copy);
    expect(error.file).toBe(file);
    expect(error.message).toBe(
      `${file}: expressions.sad.keypoints.chin: expected an object, got nothing (missing)`,
    );
  });

  it('names a PNG whose size disagrees with keypoints.json', async () => {
    const copy = await copyOfPack('resized');
    const png = path.join(copy, 'angry.png');
    const smaller = await sharp(path.join(DEFAULT_EMOJI_DIR, 'angry.png')).resize(600).toBuffer();
    await writeFile(png, smaller);
    const error = await loadError(copy);
    expect(error.file).toBe(png);
    expect(error.problem).toMatch(/^is 600x600 px but .*keypoints\.json says 1024x1024; rebuild/);
  });

  it('names a PNG whose cover disc is not opaque', async () => {
    const copy = await copyOfPack('translucent');
    const png = path.join(copy, 'surprise.png');
    // Halve every alpha: the face is now see-through.
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    for (let i = 3; i < data.length; i += 4) data[i] >>= 1;
    const faded = await sharp(data, {
      raw: { width: info.width, height: info.height, channels: 4 },
    })
      .png()
      .toBuffer();
    await writeFile(png, faded);
    const error = await loadError(copy);
    expect(error.file).toBe(png);
    expect(error.problem).toMatch(/inside the cover disc has alpha 127, expected >= 250/);
  });
});

describe('the keypoint layout on face meshes of real photos', () => {
  /** Every photo of people in shared/media (dogs.jpg has no face). */
  const photos = async () => [
    'obama-720p.jpg',
    'two_people.jpg',
    ...(await readdir(DLIB_FACES))
      .filter((f) => f.endsWith('.jpg') && f !== 'dogs.jpg')
      .sort()
      .map((f) => path.join('dlib-faces', f)),
  ];
  /**
   * Every mesh found: its six keypoints, its face oval, and a yaw measure (how far the nose tip
   * is off the eyes' midpoint, in units of the eye-corner distance, along the image x axis).
   */
  const meshes: { keypoints: MaskKeypoints; oval: Point[]; yaw: number }[] = [];

  beforeAll(async () => {
    const detector = await FaceDetector.create(
      ort,
      await readInputBytes(path.join(MODELS, 'face-detector.onnx')),
    );
    const landmarker = await FaceLandmarker.create(
      ort,
      await readInputBytes(path.join(MODELS, 'face-landmarks.onnx')),
    );
    try {
      for (const photo of await photos()) {
        const { image } = await readImageFile(path.join(MEDIA, photo));
        for (const detection of await detector.detect(image)) {
          // As the masker does: a first pass on the detector's box, a second on the mesh's own.
          const first = await landmarker.run(image, roiFromDetection(detection));
          const mesh = await landmarker.run(image, roiFromLandmarks(first.landmarks));
          if (mesh.presence < 0.5) continue;
          const keypoints = maskKeypointsFromMesh(mesh.landmarks);
          const { leftEyeOuter: left, rightEyeOuter: right } = keypoints;
          const noseTip = mesh.landmarks[1];
          meshes.push({
            keypoints,
            oval: MESH_FACE_OVAL.map((i) => mesh.landmarks[i]),
            yaw: (noseTip.x - (left.x + right.x) / 2) / (left.x - right.x),
          });
        }
      }
    } finally {
      await Promise.all([detector.dispose(), landmarker.dispose()]);
    }
  });

  it('keeps every face oval inside the disc with room to spare', () => {
    expect(meshes.length).toBeGreaterThanOrEqual(15);
    for (const { keypoints, oval } of meshes) {
      expect(farthestOnEmoji(pack.neutral, keypoints, oval)).toBeLessThan(0.95);
    }
  });

  it('has the proportions of real near-frontal faces, within 0.05 W', () => {
    const frontal = meshes
      .filter(({ yaw }) => Math.abs(yaw) < 0.08)
      .map(({ keypoints }) => proportions(keypoints));
    expect(frontal.length).toBeGreaterThanOrEqual(8);
    const layout = proportions(pack.neutral.keypoints);
    for (const key of ['philtrum', 'mouth', 'mouthHalf', 'chin'] as const) {
      expect(Math.abs(layout[key] - median(frontal.map((p) => p[key]))), key).toBeLessThan(0.05);
    }
  });
});
