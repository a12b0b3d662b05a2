/**
 * The mask plan on real photos with the shipped models and emoji: drawn by an independent CPU
 * loop here, it gives the very pixels `Masker.render` gives, and its matrices, covers and order
 * follow the rules.
 */

import path from 'node:path';

import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadEmojiPack } from '../../node/emoji-loader.js';
import { buildMipChain, compositeMipmapped, fillPolygon } from '../compose/index.js';
import type { EmojiPack } from '../emoji/emoji-pack.js';
import { applyHomography } from '../geometry/homography.js';
import type { FaceResult, Point, RgbaImage } from '../types.js';
import { Masker } from './masker.js';
import { readImageFile } from '../../node/image-io.js';
import { readMaskerModels } from '../../node/node-masker.js';
import {
  COVER_RGB,
  faceOutline,
  planMasks,
  preparePack,
  type MaskPlan,
  type PlanningPack,
} from './mask-plan.js';

const MEDIA = path.resolve(import.meta.dirname, '../../../../shared/media');
const SHOW = { emoji: true, strict: false };

let masker: Masker;
let emoji: EmojiPack;
let pack: PlanningPack;
let obama: RgbaImage;
let obamaFaces: FaceResult[];

beforeAll(async () => {
  const [models, loaded] = await Promise.all([readMaskerModels(), loadEmojiPack()]);
  emoji = loaded;
  pack = preparePack(emoji);
  masker = await Masker.create(ort, models, emoji);
  obama = (await readImageFile(path.join(MEDIA, 'obama-720p.jpg'))).image;
  obamaFaces = await masker.analyze(obama);
});

afterAll(async () => {
  await masker?.dispose();
});

/** Draws `plan` on a copy of `frame` with the core's CPU compositor. */
function drawOnCpu(frame: RgbaImage, plan: MaskPlan): RgbaImage {
  const out = { width: frame.width, height: frame.height, data: new Uint8Array(frame.data) };
  const colour = { r: COVER_RGB[0], g: COVER_RGB[1], b: COVER_RGB[2], a: 255 };
  if (plan.fullCover) {
    fillPolygon(
      out,
      [
        { x: -1, y: -1 },
        { x: out.width + 1, y: -1 },
        { x: out.width + 1, y: out.height + 1 },
        { x: -1, y: out.height + 1 },
      ],
      colour,
    );
  }
  for (const draw of plan.draws) {
    if (draw.kind === 'emoji')
      compositeMipmapped(out, buildMipChain(emoji[draw.expression].image), draw.matrix);
    else fillPolygon(out, draw.polygon, colour);
  }
  return out;
}

function renderedByMasker(frame: RgbaImage, faces: FaceResult[]): RgbaImage {
  const out = { width: frame.width, height: frame.height, data: new Uint8Array(frame.data) };
  masker.render(out, faces);
  return out;
}

/** How many channel values differ by more than `tolerance`. */
function differing(a: RgbaImage, b: RgbaImage, tolerance: number): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (Math.abs(a.data[i] - b.data[i]) > tolerance) n++;
  return n;
}

function insideConvex(p: Point, polygon: readonly Point[]): boolean {
  let sign = 0;
  for (let i = 0; i < polygon.length; i++) {
    const a = polygon[i];
    const b = polygon[(i + 1) % polygon.length];
    const cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
    if (cross !== 0) {
      if (sign !== 0 && Math.sign(cross) !== sign) return false;
      sign = Math.sign(cross);
    }
  }
  return true;
}

describe('planMasks', () => {
  it('places the emoji where the CPU renderer does, on one face and on two', async () => {
    const twoPeople = (await readImageFile(path.join(MEDIA, 'two_people.jpg'))).image;
    for (const [frame, count] of [
      [obama, 1],
      [twoPeople, 2],
    ] as const) {
      const faces = await masker.analyze(frame);
      expect(faces.length).toBe(count);
      const plan = planMasks(faces, pack, frame, SHOW);
      expect(plan.draws.map((d) => d.kind)).toEqual(faces.map(() => 'emoji'));
      // Same pixels exactly (the plan's matrices are rescaled for the GPU; no rounding moved).
      expect(differing(drawOnCpu(frame, plan), renderedByMasker(frame, faces), 0)).toBe(0);
    }
  });

  it('gives the inverse that takes every point of the face outline into the emoji disc', () => {
    const [face] = obamaFaces;
    const [draw] = planMasks(obamaFaces, pack, obama, SHOW).draws;
    if (draw?.kind !== 'emoji') throw new Error(`expected an emoji draw, got ${draw?.kind}`);
    const { cover } = emoji[draw.expression];
    for (const p of faceOutline(face)) {
      const q = applyHomography(draw.inverse, p);
      expect(Math.hypot(q.x - cover.centerX, q.y - cover.centerY)).toBeLessThan(cover.radius);
      // The shader discards fragments with w <= 0: the face must be on the positive side.
      expect(draw.inverse[6] * p.x + draw.inverse[7] * p.y + draw.inverse[8]).toBeGreaterThan(0);
    }
    // matrix and inverse undo each other.
    const there = applyHomography(draw.matrix, applyHomography(draw.inverse, face.keypoints.chin));
    expect(there.x).toBeCloseTo(face.keypoints.chin.x, 6);
    expect(there.y).toBeCloseTo(face.keypoints.chin.y, 6);
    expect(Math.max(...draw.inverse.map(Math.abs))).toBeCloseTo(1, 12);
    expect(draw.quad).not.toBeNull();
  });

  it('covers every face opaque when emoji are off, over its whole outline', () => {
    const plan = planMasks(obamaFaces, pack, obama, { emoji: false, strict: false });
    const [draw] = plan.draws;
    if (draw?.kind !== 'cover') throw new Error(`expected a cover, got ${draw?.kind}`);
    expect(draw.reason).toBe('emoji off');
    for (const p of faceOutline(obamaFaces[0])) expect(insideConvex(p, draw.polygon)).toBe(true);
  });

  it('covers a face the tracker marks covered over its whole box', () => {
    // As the tracker reports it: no mesh. Without an outline the cover spans the box corners,
    // in render() too, and the two must agree pixel for pixel.
    const covered = obamaFaces.map((f) => ({
      ...f,
      id: 999,
      tracking: 'covered' as const,
      landmarks: [],
      outline: [],
      anchors: [],
    }));
    const plan = planMasks(covered, pack, obama, SHOW);
    const [draw] = plan.draws;
    if (draw?.kind !== 'cover') throw new Error(`expected a cover, got ${draw?.kind}`);
    expect(draw.reason).toBe('covered');
    for (const p of faceOutline(obamaFaces[0])) expect(insideConvex(p, draw.polygon)).toBe(true);
    expect(differing(drawOnCpu(obama, plan), renderedByMasker(obama, covered), 0)).toBe(0);
  });

  it('covers a face whose emoji cannot be placed', () => {
    const p = obamaFaces[0].keypoints.chin;
    const collapsed = obamaFaces.map((f) => ({
      ...f,
      landmarks: [],
      anchors: [],
      keypoints: {
        leftEyeOuter: p,
        rightEyeOuter: p,
        mouthLeft: p,
        mouthRight: p,
        philtrum: p,
        chin: p,
      },
    }));
    const plan = planMasks(collapsed, pack, obama, SHOW);
    expect(plan.draws.map((d) => d.kind === 'cover' && d.reason)).toEqual(['not placed']);
  });

  it('covers the keypoints and the mesh as well as the outline of a face it cannot place', () => {
    // A mesh gone wrong: the outline shrunk to a small patch, the keypoints far outside it.
    const [face] = obamaFaces;
    const c = face.keypoints.philtrum;
    const patch = [-6, 6].flatMap((dx) => [-6, 6].map((dy) => ({ x: c.x + dx, y: c.y + dy })));
    const wrong = { ...face, outline: patch, anchors: [], landmarks: face.landmarks.slice(0, 50) };
    const plan = planMasks([wrong], pack, obama, SHOW);
    const draw = plan.draws[0];
    expect(draw.kind === 'cover' && draw.reason).toBe('not placed');
    if (draw.kind !== 'cover') return;
    for (const p of [...Object.values(face.keypoints), ...wrong.landmarks, ...patch]) {
      expect(insideConvex(p, draw.polygon)).toBe(true);
    }
    // A live face with a mesh: strict mode covers the frame only because the placement failed.
    expect(planMasks([face], pack, obama, { emoji: true, strict: true }).fullCover).toBe(false);
    expect(planMasks([wrong], pack, obama, { emoji: true, strict: true }).fullCover).toBe(true);
  });

  it.each([
    ['held', { tracking: 'held' as const, landmarks: [] }, true],
    ['live without a mesh', { landmarks: [] }, true],
    ['live with a mesh', {}, false],
  ])('in strict mode, covers the whole frame for a face %s: %s', (_, change, full) => {
    const faces = obamaFaces.map((f) => ({ ...f, ...change }));
    const plan = planMasks(faces, pack, obama, { emoji: true, strict: true });
    expect(plan.fullCover).toBe(full);
    expect(plan.draws.length).toBe(full ? 0 : 1);
  });

  it('paints the largest face first, so a small face is not hidden', () => {
    const [face] = obamaFaces;
    const small: FaceResult = {
      ...face,
      id: 99,
      box: { ...face.box, width: face.box.width / 3, height: face.box.height / 3 },
    };
    const plan = planMasks([small, face], pack, obama, SHOW);
    expect(plan.draws.map((d) => d.faceId)).toEqual([face.id, 99]);
  });
});
