/**
 * The whole pipeline on real photographs and a real clip, with the shipped models and emoji.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { loadEmojiPack } from '../../node/emoji-loader.js';
import { ffmpegPath } from '../../node/ffmpeg-binaries.js';
import { readImageFile } from '../../node/image-io.js';
import { readMaskerModels } from '../../node/node-masker.js';
import { decodeVideoFrames } from '../../node/video-io.js';
import { probeVideo } from '../../node/video-probe.js';
import type { FaceResult, Point, RgbaImage } from '../types.js';
import { ProfileDetector } from '../mtcnn/profile-detector.js';
import { Masker } from './masker.js';

const MEDIA = path.resolve(import.meta.dirname, '../../../../shared/media');

let masker: Masker;
let strict: Masker;

beforeAll(async () => {
  const [models, emoji] = await Promise.all([readMaskerModels(), loadEmojiPack()]);
  masker = await Masker.create(ort, models, emoji);
  strict = await Masker.create(ort, models, emoji, { strict: true });
});

afterAll(async () => {
  await masker?.dispose();
  await strict?.dispose();
});

async function photo(name: string): Promise<RgbaImage> {
  return (await readImageFile(path.join(MEDIA, name))).image;
}

function copy(image: RgbaImage): RgbaImage {
  return { width: image.width, height: image.height, data: new Uint8Array(image.data) };
}

function pixel(image: RgbaImage, p: Point): [number, number, number] {
  const i = (Math.round(p.y) * image.width + Math.round(p.x)) * 4;
  return [image.data[i], image.data[i + 1], image.data[i + 2]];
}

/** The fraction of points where `a` and `b` differ by more than a JPEG's noise. */
function changedFraction(a: RgbaImage, b: RgbaImage, points: readonly Point[]): number {
  let changed = 0;
  for (const p of points) {
    const [r0, g0, b0] = pixel(a, p);
    const [r1, g1, b1] = pixel(b, p);
    if (Math.abs(r0 - r1) + Math.abs(g0 - g1) + Math.abs(b0 - b1) > 30) changed++;
  }
  return changed / points.length;
}

/**
 * `image` with `box` (grown by half its size) painted mid-grey: the face gone from a frame that
 * is otherwise the same shot, so the masker sees a lost face rather than a cut.
 */
function withoutFace(image: RgbaImage, box: FaceResult['box']): RgbaImage {
  const out = copy(image);
  const x0 = Math.max(0, Math.floor(box.x - box.width / 4));
  const x1 = Math.min(image.width, Math.ceil(box.x + (box.width * 5) / 4));
  const y0 = Math.max(0, Math.floor(box.y - box.height / 4));
  const y1 = Math.min(image.height, Math.ceil(box.y + (box.height * 5) / 4));
  for (let y = y0; y < y1; y++) out.data.fill(128, (y * image.width + x0) * 4, (y * image.width + x1) * 4);
  return out;
}

/** A grid of points inside the face outline (the outline shrunk towards its centre). */
function insideFace(face: FaceResult, shrink = 0.9): Point[] {
  const oval = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109];
  const ring = oval.map((i) => face.landmarks[i]);
  const cx = ring.reduce((s, p) => s + p.x, 0) / ring.length;
  const cy = ring.reduce((s, p) => s + p.y, 0) / ring.length;
  const points: Point[] = [];
  for (const k of [0.25, 0.5, 0.75, 1]) {
    for (const p of ring) points.push({ x: cx + (p.x - cx) * shrink * k, y: cy + (p.y - cy) * shrink * k });
  }
  return points;
}

describe('Masker on photos', () => {
  it('masks the one face in obama-720p.jpg and leaves the rest of the picture alone', async () => {
    const input = await photo('obama-720p.jpg');
    const output = copy(input);
    const faces = await masker.process(output);
    expect(faces).toHaveLength(1);
    const [face] = faces;
    expect(face.tracking).toBe('live');
    expect(face.landmarks).toHaveLength(468);
    expect(face.score).toBeGreaterThan(0.5);
    const sum = Object.values(face.probabilities).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 4);
    expect(face.probabilities[face.expression]).toBe(Math.max(...Object.values(face.probabilities)));
    // Subject's left eye is on the image's right.
    expect(face.keypoints.leftEyeOuter.x).toBeGreaterThan(face.keypoints.rightEyeOuter.x);

    // Every sampled point of the face, out to its silhouette, now shows emoji, not skin.
    expect(changedFraction(input, output, insideFace(face, 0.97))).toBeGreaterThan(0.97);
    // The emoji's yellow face shows inside (features such as an open mouth cover the rest).
    const yellow = insideFace(face, 0.9).filter((p) => {
      const [r, g, b] = pixel(output, p);
      return r > 200 && g > 140 && b < 120;
    });
    expect(yellow.length / insideFace(face, 0.9).length).toBeGreaterThan(0.35);
    // Corners of the frame are untouched.
    const corners = [{ x: 2, y: 2 }, { x: input.width - 3, y: 2 }, { x: 2, y: input.height - 3 }, { x: input.width - 3, y: input.height - 3 }];
    expect(changedFraction(input, output, corners)).toBe(0);
  });

  it('masks both people in two_people.jpg, each face under its own emoji', async () => {
    const input = await photo('two_people.jpg');
    const output = copy(input);
    const faces = await masker.process(output);
    expect(faces).toHaveLength(2);
    expect(new Set(faces.map((f) => f.id)).size).toBe(2);
    const [a, b] = faces;
    const apart = Math.abs(a.box.x + a.box.width / 2 - (b.box.x + b.box.width / 2));
    expect(apart).toBeGreaterThan(Math.max(a.box.width, b.box.width) / 2);
    for (const face of faces) expect(changedFraction(input, output, insideFace(face, 0.95))).toBeGreaterThan(0.95);
  });

  it('plans what it renders: one emoji draw per face of two_people.jpg, the strict one alike', async () => {
    const input = await photo('two_people.jpg');
    const faces = await masker.analyze(input);
    const plan = masker.plan(faces, input);
    expect(plan.fullCover).toBe(false);
    expect(plan.draws.map((d) => d.kind)).toEqual(['emoji', 'emoji']);
    expect(new Set(plan.draws.map((d) => d.faceId))).toEqual(new Set(faces.map((f) => f.id)));
    // Only the strict masker covers the whole frame for a face without its mesh.
    const meshless = faces.map((f) => ({ ...f, landmarks: [] }));
    expect(masker.plan(meshless, input).fullCover).toBe(false);
    expect(strict.plan(meshless, input).fullCover).toBe(true);
  });

  it('starts the stream over when the frame size changes, instead of holding the old positions', async () => {
    const small = await photo('obama-720p.jpg');
    const large = await photo('obama-1080p.jpg');
    masker.reset();
    let faces: FaceResult[] = [];
    for (let i = 0; i < 3; i++) faces = await masker.analyze(small, { timeMs: i * 33 });
    expect(faces).toHaveLength(1);
    faces = await masker.analyze(large, { timeMs: 100 });
    // The face found again at the new size, nothing held where it was in 720p pixels.
    expect(faces).toHaveLength(1);
    expect(faces[0].tracking).toBe('live');
    expect(faces[0].box.x).toBeGreaterThan(800);
    masker.reset();
  });

  it('finds no face in dlib-faces/dogs.jpg and leaves every pixel as it was', async () => {
    const input = await photo('dlib-faces/dogs.jpg');
    const output = copy(input);
    expect(await masker.process(output)).toEqual([]);
    expect(Buffer.from(output.data).equals(Buffer.from(input.data))).toBe(true);
  });

  it('masks the faces in dlib-faces/bald_guys.jpg', async () => {
    const input = await photo('dlib-faces/bald_guys.jpg');
    const output = copy(input);
    const faces = await masker.process(output);
    // 24 panels, each with one face (counted by hand).
    expect(faces.length).toBe(24);
    for (const face of faces.filter((f) => f.landmarks.length > 0)) {
      expect(changedFraction(input, output, insideFace(face, 0.9))).toBeGreaterThan(0.9);
    }
  });

  it('gives the same answer twice for the same still image (no state carried over)', async () => {
    const input = await photo('obama-240p.jpg');
    const first = await masker.analyze(input);
    const second = await masker.analyze(input);
    expect(second.map((f) => f.box)).toEqual(first.map((f) => f.box));
    expect(second.map((f) => f.expression)).toEqual(first.map((f) => f.expression));
  });

  it('in strict mode covers the whole frame when a face is lost, not just the face', async () => {
    const input = await photo('obama-720p.jpg');
    strict.reset();
    const [seen] = await strict.process(copy(input), { timeMs: 0 });
    const lost = withoutFace(input, seen.box);
    const faces = await strict.process(lost, { timeMs: 40 });
    expect(faces.map((f) => f.tracking)).toEqual(['held']);
    const cover = pixel(lost, { x: 5, y: 5 });
    expect(cover).toEqual(pixel(lost, { x: input.width - 5, y: input.height - 5 }));
    expect(cover).toEqual([255, 204, 77]);
  });

  it('throws once disposed', async () => {
    const [models, emoji] = await Promise.all([readMaskerModels(), loadEmojiPack()]);
    const m = await Masker.create(ort, models, emoji);
    await m.dispose();
    await m.dispose();
    await expect(m.analyze(await photo('obama-240p.jpg'))).rejects.toThrow(/disposed/);
  });
});

describe('Masker on video', () => {
  it('follows the face of a talking-head clip with one identity and masks every frame', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'masker-'));
    try {
      const clip = path.join(dir, 'clip.mp4');
      execFileSync(ffmpegPath('ffmpeg'), ['-v', 'error', '-i', path.join(MEDIA, 'webcam/talking-d3.mp4'), '-t', '2', '-an', clip]);
      masker.reset();
      const ids = new Set<number>();
      let frames = 0;
      for await (const frame of decodeVideoFrames(await probeVideo(clip))) {
        const input = copy(frame.image);
        const faces = await masker.process(frame.image, { timeMs: frame.timeMs });
        expect(faces.filter((f) => f.tracking === 'live')).toHaveLength(1);
        for (const f of faces) ids.add(f.id);
        const live = faces.find((f) => f.tracking === 'live')!;
        if (live.landmarks.length > 0) expect(changedFraction(input, frame.image, insideFace(live, 0.9))).toBeGreaterThan(0.95);
        frames++;
      }
      expect(frames).toBeGreaterThan(40);
      expect(ids.size).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('masks the close-up profile of short_hamilton_clip.mp4 and drops the old shot at the cut', async () => {
    // Frame 30: a man in profile facing left, hand-marked: eye, nose tip, mouth, cheek, ear.
    const profile: Point[] = [
      { x: 335, y: 175 },
      { x: 300, y: 232 },
      { x: 350, y: 290 },
      { x: 410, y: 250 },
      { x: 495, y: 205 },
    ];
    masker.reset();
    const idsAt = new Map<number, number[]>();
    let changed = -1;
    let frames = 0;
    for await (const frame of decodeVideoFrames(await probeVideo(path.join(MEDIA, 'short_hamilton_clip.mp4')))) {
      const input = copy(frame.image);
      const faces = await masker.process(frame.image, { timeMs: frame.timeMs });
      idsAt.set(frames, faces.map((f) => f.id));
      if (frames === 30) changed = changedFraction(input, frame.image, profile);
      if (++frames > 30) break;
    }
    expect(changed).toBe(1);
    // The shot changes at frame 20 (see scene-cut.test.ts): no face of frame 19 is drawn after it.
    const before = idsAt.get(19)!;
    expect(before.length).toBeGreaterThan(0);
    expect(idsAt.get(20)!.filter((id) => before.includes(id))).toEqual([]);
  });

  it('sees the one person of talking-d13.mp4 as one face, not also half of it as another', async () => {
    // From frame 117 the mesh used to accept a crop of the left half of the face as a second face.
    masker.reset();
    let frames = 0;
    const counts = new Set<number>();
    for await (const frame of decodeVideoFrames(await probeVideo(path.join(MEDIA, 'webcam/talking-d13.mp4')))) {
      const faces = await masker.analyze(frame.image, { timeMs: frame.timeMs });
      if (frames >= 110) counts.add(faces.length);
      if (++frames > 140) break;
    }
    expect([...counts]).toEqual([1]);
  });

  it('runs the second detector on its schedule, on the first frame after a reset, and always when strict', async () => {
    const input = await photo('obama-720p.jpg');
    const [models, emoji] = await Promise.all([readMaskerModels(), loadEmojiPack()]);
    const sparse = await Masker.create(ort, models, emoji, { profileDetector: { interval: 3 } });
    const strictEvery = await Masker.create(ort, models, emoji, { strict: true, profileDetector: { interval: 3 } });
    const detect = vi.spyOn(ProfileDetector.prototype, 'detect');
    try {
      const runs = async (m: Masker, frames: number) => {
        detect.mockClear();
        for (let i = 0; i < frames; i++) await m.analyze(input, { timeMs: i * 33 });
        return detect.mock.calls.length;
      };
      // The face is followed by its mesh, so only the schedule runs it: frames 0 and 3 of 5.
      expect(await runs(sparse, 5)).toBe(2);
      // A new video starts the schedule over: frame 0 runs (a count carried over would skip it).
      sparse.reset();
      expect(await runs(sparse, 1)).toBe(1);
      expect(await runs(strictEvery, 5)).toBe(5);
      // A still always runs it.
      detect.mockClear();
      await sparse.analyze(input);
      expect(detect).toHaveBeenCalledTimes(1);
    } finally {
      detect.mockRestore();
      await sparse.dispose();
      await strictEvery.dispose();
    }
  });

  it('rejects a bad profileDetector.interval, naming it', async () => {
    const [models, emoji] = await Promise.all([readMaskerModels(), loadEmojiPack()]);
    for (const interval of [0, 1.5, '3' as unknown as number]) {
      await expect(Masker.create(ort, models, emoji, { profileDetector: { interval } })).rejects.toThrow(
        `profileDetector.interval: expected a positive integer, got ${JSON.stringify(interval)}`,
      );
    }
  });

  it('keeps each of two moving people under their own id', async () => {
    const photoFrame = await photo('two_people.jpg');
    const width = photoFrame.width - 60;
    const window = (offset: number): RgbaImage => {
      const data = new Uint8Array(width * photoFrame.height * 4);
      for (let y = 0; y < photoFrame.height; y++) {
        const from = (y * photoFrame.width + offset) * 4;
        data.set(photoFrame.data.subarray(from, from + width * 4), y * width * 4);
      }
      return { width, height: photoFrame.height, data };
    };
    masker.reset();
    let leftId = -1;
    let rightId = -1;
    for (let i = 0; i < 8; i++) {
      // The camera pans 6 px a frame: both faces slide left.
      const faces = await masker.analyze(window(i * 6), { timeMs: i * 40 });
      expect(faces.filter((f) => f.tracking === 'live')).toHaveLength(2);
      const [left, right] = [...faces].sort((a, b) => a.box.x - b.box.x);
      if (i === 0) [leftId, rightId] = [left.id, right.id];
      expect([left.id, right.id]).toEqual([leftId, rightId]);
    }
  });

  it('fails closed: a lost face keeps its emoji, then an opaque cover, then is let go', async () => {
    const input = await photo('obama-720p.jpg');
    masker.reset();
    const [seen] = await masker.process(copy(input), { timeMs: 1000 });
    const grey = () => withoutFace(input, seen.box);

    const heldFrame = grey();
    const held = await masker.process(heldFrame, { timeMs: 1040 });
    expect(held.map((f) => [f.id, f.tracking])).toEqual([[seen.id, 'held']]);
    const centre = { x: seen.box.x + seen.box.width / 2, y: seen.box.y + seen.box.height / 2 };
    expect(pixel(heldFrame, centre)).not.toEqual([128, 128, 128]);

    const coveredFrame = grey();
    const covered = await masker.process(coveredFrame, { timeMs: 1800 });
    expect(covered.map((f) => f.tracking)).toEqual(['covered']);
    expect(pixel(coveredFrame, centre)).toEqual([255, 204, 77]);

    // A duplicate timestamp does not drop the cover.
    expect((await masker.analyze(grey(), { timeMs: 1800 })).map((f) => f.tracking)).toEqual(['covered']);
    // Found again: same id, live.
    const back = await masker.process(copy(input), { timeMs: 1900 });
    expect(back.map((f) => [f.id, f.tracking])).toEqual([[seen.id, 'live']]);
    // Gone for longer than hold + cover: forgotten.
    await masker.analyze(grey(), { timeMs: 2000 });
    expect(await masker.analyze(grey(), { timeMs: 5000 })).toEqual([]);
  });
});
