import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readImageFile } from '../../node/image-io.js';
import { FaceDetector } from '../detector/face-detector.js';
import type { FaceDetection } from '../detector/face-detector-result.js';
import { type Box, MASK_KEYPOINT_NAMES, type MaskKeypoints, type Point } from '../types.js';
import { FaceLandmarker } from './face-landmarker.js';
import {
  MASK_MESH_INDICES,
  MESH_INDEX_FOR_IBUG,
  maskKeypointsFromIbug,
  maskKeypointsFromMesh,
} from './mesh-to-ibug.js';
import { roiFromDetection, roiFromLandmarks } from './roi.js';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const DLIB_FACES = fileURLToPath(new URL('../../../../shared/media/dlib-faces/', import.meta.url));
const DLIB_XML = ['testing_with_face_landmarks.xml', 'training_with_face_landmarks.xml'];

/** One face of dlib's XML: its box and 68 points, in our pixel convention (see below). */
interface DlibFace {
  file: string;
  box: Box;
  points: Point[];
}

/**
 * Reads dlib's imglab XML (`<image file=...><box top left width height><part name x y/>...`).
 * dlib's coordinates are pixel indices, a pixel's centre at the integer; ours put pixel i's
 * centre at i + 0.5 (see warp-to-tensor.ts), so half a pixel is added.
 */
function parseDlibXml(text: string, name: string): DlibFace[] {
  const faces: DlibFace[] = [];
  for (const image of text.matchAll(/<image file='([^']+)'[^>]*>([\s\S]*?)<\/image>/g)) {
    const boxes =
      /<box top='(-?\d+)' left='(-?\d+)' width='(\d+)' height='(\d+)'>([\s\S]*?)<\/box>/g;
    for (const [, top, left, width, height, body] of image[2].matchAll(boxes)) {
      const points: Point[] = [];
      for (const [, index, x, y] of body.matchAll(
        /<part name='(\d+)' x='(-?\d+)' y='(-?\d+)'\/>/g,
      )) {
        points[Number(index)] = { x: Number(x) + 0.5, y: Number(y) + 0.5 };
      }
      const found = [...points].filter((p) => p !== undefined).length;
      if (points.length !== 68 || found !== 68) {
        throw new Error(`${name}: a face in ${image[1]} has ${found} of parts 00-67`);
      }
      const box = { x: Number(left), y: Number(top), width: Number(width), height: Number(height) };
      faces.push({ file: image[1], box, points });
    }
  }
  if (faces.length === 0) throw new Error(`${name}: no <box> with <part>s found`);
  return faces;
}

const distance = (p: Point, q: Point) => Math.hypot(p.x - q.x, p.y - q.y);

/** The detection whose centre lies in the dlib box, nearest the box's centre; none if none. */
function matchDetection(
  face: DlibFace,
  detections: readonly FaceDetection[],
): FaceDetection | undefined {
  const { x, y, width, height } = face.box;
  const target = { x: x + width / 2, y: y + height / 2 };
  const inside = detections.filter((d) => {
    const c = { x: d.box.x + d.box.width / 2, y: d.box.y + d.box.height / 2 };
    return c.x > x && c.x < x + width && c.y > y && c.y < y + height;
  });
  const centreDistance = (d: FaceDetection) =>
    distance({ x: d.box.x + d.box.width / 2, y: d.box.y + d.box.height / 2 }, target);
  return inside.sort((p, q) => centreDistance(p) - centreDistance(q))[0];
}

/** Each keypoint's distance over the inter-ocular distance (dlib's outer corners 36-45). */
function normalisedErrors(
  mesh: MaskKeypoints,
  dlib: DlibFace,
): Record<keyof MaskKeypoints, number> {
  const reference = maskKeypointsFromIbug(dlib.points);
  const iod = distance(dlib.points[36], dlib.points[45]);
  const out = {} as Record<keyof MaskKeypoints, number>;
  for (const name of MASK_KEYPOINT_NAMES) out[name] = distance(mesh[name], reference[name]) / iod;
  return out;
}

interface Measured {
  face: DlibFace;
  /** Mesh seeded from the detection (a face seen for the first time). */
  first: MaskKeypoints;
  /** Mesh seeded from the first pass's landmarks (what tracking in a video converges to). */
  second: MaskKeypoints;
}

const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;

describe('mask keypoints from the face mesh against dlib 68-point landmarks', () => {
  const measured: Measured[] = [];
  const missed: DlibFace[] = [];

  beforeAll(async () => {
    const detector = await FaceDetector.create(ort, await readFile(MODELS + 'face-detector.onnx'), {
      // Most of these faces are 20-50 px in a 500 px frame: too small for the whole-frame pass.
      tiling: 'auto',
    });
    const landmarker = await FaceLandmarker.create(
      ort,
      await readFile(MODELS + 'face-landmarks.onnx'),
    );
    try {
      const faces: DlibFace[] = [];
      for (const name of DLIB_XML) {
        faces.push(...parseDlibXml(await readFile(DLIB_FACES + name, 'latin1'), name));
      }
      for (const file of new Set(faces.map((f) => f.file))) {
        const { image } = await readImageFile(DLIB_FACES + file);
        const detections = await detector.detect(image);
        for (const face of faces.filter((f) => f.file === file)) {
          const detection = matchDetection(face, detections);
          if (!detection) {
            missed.push(face);
            continue;
          }
          const first = await landmarker.run(image, roiFromDetection(detection));
          const second = await landmarker.run(image, roiFromLandmarks(first.landmarks));
          measured.push({
            face,
            first: maskKeypointsFromMesh(first.landmarks),
            second: maskKeypointsFromMesh(second.landmarks),
          });
        }
      }
    } finally {
      await landmarker.dispose();
      await detector.dispose();
    }
  });

  it('finds every face dlib annotated (43 in 9 photos)', () => {
    expect(missed.map((f) => `${f.file} ${JSON.stringify(f.box)}`)).toEqual([]);
    expect(measured).toHaveLength(43);
  });

  it('keeps the subject-left keypoints on the image right, for dlib and the mesh alike', () => {
    for (const { face, first } of measured) {
      for (const k of [first, maskKeypointsFromIbug(face.points)]) {
        expect(k.leftEyeOuter.x, face.file).toBeGreaterThan(k.rightEyeOuter.x);
        expect(k.mouthLeft.x, face.file).toBeGreaterThan(k.mouthRight.x);
        expect(k.chin.y, face.file).toBeGreaterThan(k.philtrum.y);
      }
    }
  });

  /*
   * How close is close enough. Neither side is ground truth: dlib's points are the output of
   * dlib's own 68-point model (the XML says so) and the mesh is another model that draws some
   * points a little differently (its outer eye corners sit about 2.5 % of the inter-ocular
   * distance further out than dlib's, its chin tip is a fixed skin point rather than the jaw
   * silhouette's lowest point). Published inter-ocular NMEs on 300-W are a few percent for
   * humans against each other and 3-7 % for models of dlib's kind, so two models should agree
   * to about 5 %. These faces are also small: the median inter-ocular distance is 21 px
   * (smallest 15 px), so one pixel is already about 5 %.
   *
   * Measured (six keypoints, 43 faces): seeded from the detection, mean 0.051 and worst face
   * 0.103; seeded from the first pass, mean 0.048 and worst 0.084. Limits: mean < 0.07, every
   * face < 0.14. A wrong index would not pass: the inner eye corner instead of the outer one
   * moves that point by about 0.3, which alone lifts the six-point mean by 0.05.
   */
  const MAX_MEAN_NME = 0.07;
  const MAX_FACE_NME = 0.14;
  // The worst single keypoint on average (measured: chin, 0.080 first pass, 0.062 second).
  const MAX_KEYPOINT_MEAN_NME = 0.1;

  for (const pass of ['first', 'second'] as const) {
    it(`agrees with dlib within a few percent of the eye distance (${pass} pass)`, () => {
      const errors = measured.map((m) => normalisedErrors(m[pass], m.face));
      const perFace = errors.map((e) => mean(MASK_KEYPOINT_NAMES.map((n) => e[n])));
      const perKeypoint = MASK_KEYPOINT_NAMES.map(
        (n) => `${n} ${mean(errors.map((e) => e[n])).toFixed(3)}`,
      );
      console.info(
        `mesh vs dlib, ${pass} pass, ${perFace.length} faces: six-point NME mean ${mean(perFace).toFixed(4)}, worst face ${Math.max(...perFace).toFixed(4)}; per keypoint: ${perKeypoint.join(', ')}`,
      );

      expect(mean(perFace)).toBeLessThan(MAX_MEAN_NME);
      perFace.forEach((e, i) => expect(e, measured[i].face.file).toBeLessThan(MAX_FACE_NME));
      for (const name of MASK_KEYPOINT_NAMES) {
        expect(mean(errors.map((e) => e[name])), name).toBeLessThan(MAX_KEYPOINT_MEAN_NME);
      }
    });
  }
});

describe('maskKeypointsFromMesh', () => {
  // Point i sits at (i, 1000 + 2i), so each keypoint shows which index it came from.
  const mesh = Array.from({ length: 468 }, (_, i) => ({ x: i, y: 1000 + 2 * i, z: 0 }));

  it('takes the eye and mouth corners and the chin from their mesh points', () => {
    const k = maskKeypointsFromMesh(mesh);
    expect(k.rightEyeOuter).toEqual({ x: 33, y: 1066 });
    expect(k.leftEyeOuter).toEqual({ x: 263, y: 1526 });
    expect(k.mouthRight).toEqual({ x: 61, y: 1122 });
    expect(k.mouthLeft).toEqual({ x: 291, y: 1582 });
    expect(k.chin).toEqual({ x: 152, y: 1304 });
  });

  it('puts the philtrum halfway between the nose base (2) and the top of the upper lip (0)', () => {
    expect(maskKeypointsFromMesh(mesh).philtrum).toEqual({ x: 1, y: 1002 });
    expect(MASK_MESH_INDICES.philtrum).toEqual([2, 0]);
  });

  it('accepts an attention mesh with its 10 iris points after the 468', () => {
    const withIris = [...mesh, ...Array.from({ length: 10 }, () => ({ x: -1, y: -1, z: 0 }))];
    expect(maskKeypointsFromMesh(withIris)).toEqual(maskKeypointsFromMesh(mesh));
  });

  it('rejects a landmark list that is too short', () => {
    expect(() => maskKeypointsFromMesh(mesh.slice(0, 68))).toThrow(
      /expected at least 468 face-mesh landmarks, got 68/,
    );
  });
});

describe('maskKeypointsFromIbug', () => {
  it('uses the same definitions on iBUG points and rejects a list that is not 68 long', () => {
    const points = Array.from({ length: 68 }, (_, i) => ({ x: i, y: 0 }));
    const k = maskKeypointsFromIbug(points);
    expect([k.rightEyeOuter.x, k.leftEyeOuter.x, k.mouthRight.x, k.mouthLeft.x, k.chin.x]).toEqual([
      36, 45, 48, 54, 8,
    ]);
    expect(k.philtrum.x).toBe((33 + 51) / 2);
    expect(() => maskKeypointsFromIbug(points.slice(1))).toThrow(
      /expected 68 iBUG landmarks, got 67/,
    );
  });
});

describe('MESH_INDEX_FOR_IBUG', () => {
  it('maps distinct iBUG points to distinct mesh points, all in range', () => {
    const entries = Object.entries(MESH_INDEX_FOR_IBUG).map(([k, v]) => [Number(k), v]);
    expect(entries.every(([ibug, mesh]) => ibug >= 0 && ibug < 68 && mesh >= 0 && mesh < 468)).toBe(
      true,
    );
    expect(new Set(entries.map(([, mesh]) => mesh)).size).toBe(entries.length);
  });
});
