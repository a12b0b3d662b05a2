import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { decodeVideoFrames } from '../../node/video-io.js';
import { probeVideo } from '../../node/video-probe.js';
import type { RgbaImage } from '../types.js';
import { correlation, SceneCutDetector, summarise } from './scene-cut.js';

const MEDIA = path.resolve(import.meta.dirname, '../../../../shared/media');

/** A 64 x 48 frame whose grey level at (x, y) is `f(x, y)`. */
function image(f: (x: number, y: number) => number): RgbaImage {
  const width = 64;
  const height = 48;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.max(0, Math.min(255, Math.round(f(x, y))));
      data.set([v, v, v, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

const gradient = (x: number, y: number) => 40 + 2 * x + y;
const otherShot = (x: number, y: number) => (x < 32 ? 200 - 3 * y : 30 + y);

async function cutsIn(file: string): Promise<{ cuts: number[]; frames: number }> {
  const detector = new SceneCutDetector();
  const cuts: number[] = [];
  let frames = 0;
  for await (const frame of decodeVideoFrames(await probeVideo(path.join(MEDIA, file)))) {
    if (detector.next(frame.image)) cuts.push(frames);
    frames++;
  }
  return { cuts, frames };
}

describe('SceneCutDetector', () => {
  it('sees a cut between two different pictures, none on the first frame or a repeat', () => {
    const detector = new SceneCutDetector();
    expect(detector.next(image(gradient))).toBe(false);
    expect(detector.next(image(gradient))).toBe(false);
    expect(detector.next(image(otherShot))).toBe(true);
    expect(detector.next(image(otherShot))).toBe(false);
    detector.reset();
    expect(detector.next(image(gradient))).toBe(false);
  });

  it('is not fooled by a change of exposure or contrast', () => {
    const detector = new SceneCutDetector();
    detector.next(image(gradient));
    expect(detector.next(image((x, y) => 0.5 * gradient(x, y) + 20))).toBe(false);
    expect(detector.next(image((x, y) => 1.6 * gradient(x, y)))).toBe(false);
  });

  it('treats a flat frame after a picture as a cut, and two equal flat frames as one shot', () => {
    const flat = summarise(image(() => 128));
    expect(correlation(summarise(image(gradient)), flat)).toBe(0);
    expect(correlation(flat, summarise(image(() => 130)))).toBe(1);
    expect(correlation(flat, summarise(image(() => 200)))).toBe(0);
  });

  it('finds the three cuts of short_hamilton_clip.mp4 (ffmpeg scene score > 0.2) and no others', async () => {
    // ffmpeg -vf "select='gt(scene,0.2)',showinfo" puts them at 1.511, 3.580 and 7.884 s: frames
    // 20, 82 and 211 of the 275 (the first frame is at 0.852 s, 29.97 fps).
    expect(await cutsIn('short_hamilton_clip.mp4')).toEqual({ cuts: [20, 82, 211], frames: 275 });
  });

  it('finds no cut in a talking-head webcam clip', async () => {
    const { cuts, frames } = await cutsIn('webcam/talking-d9.mp4');
    expect(frames).toBeGreaterThan(500);
    expect(cuts).toEqual([]);
  });
});
