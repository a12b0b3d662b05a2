import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runToText } from './child-process.js';
import { ffmpegFeatures, ffmpegPath } from './ffmpeg-binaries.js';
import { decodeVideoFrames, encoderTimeBase, openVideoEncoder } from './video-io.js';
import { probeVideo, type VideoInfo } from './video-probe.js';

const MEDIA = fileURLToPath(new URL('../../../shared/media/', import.meta.url));
const HAMILTON = path.join(MEDIA, 'short_hamilton_clip.mp4');
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'emoji-mask-video-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function ffmpeg(...args: string[]): Promise<void> {
  const result = await runToText(ffmpegPath('ffmpeg'), ['-v', 'error', '-y', ...args]);
  if (result.code !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${result.stderr}`);
}

/** ffmpeg's option for keeping every frame's timestamp (renamed in 5.1, old name gone in 7). */
function passthrough(): string[] {
  return ffmpegFeatures().fpsMode ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
}

/**
 * Copies `input` to `output` with a display rotation of `degrees` (the direction differs between
 * the two ways; the tests accept either). ffmpeg 7 ignores the old `rotate` stream tag and has the
 * input option `-display_rotation` instead.
 */
async function remuxRotated(input: string, output: string, degrees: number): Promise<void> {
  const help = await runToText(ffmpegPath('ffmpeg'), ['-hide_banner', '-h', 'full']);
  if (/^-display_rotation\b/m.test(help.stdout)) {
    await ffmpeg('-display_rotation:v:0', String(degrees), '-i', input, '-c', 'copy', output);
  } else {
    await ffmpeg('-i', input, '-c', 'copy', '-metadata:s:v:0', `rotate=${degrees}`, output);
  }
}

async function ffprobe(...args: string[]): Promise<string> {
  const result = await runToText(ffmpegPath('ffprobe'), ['-v', 'error', ...args]);
  if (result.code !== 0) throw new Error(`ffprobe ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Every packet's pts of one stream, sorted (presentation order), straight from ffprobe. */
async function packetPts(file: string, stream: string): Promise<number[]> {
  const text = await ffprobe(
    '-select_streams',
    stream,
    '-show_entries',
    'packet=pts',
    '-of',
    'csv=p=0',
    file,
  );
  return text
    .split('\n')
    .filter((l) => /^-?\d+/.test(l))
    .map((l) => parseInt(l, 10))
    .sort((a, b) => a - b);
}

async function streamFacts(file: string): Promise<string> {
  return ffprobe(
    '-show_entries',
    'stream=codec_type,codec_name,width,height,r_frame_rate,time_base',
    '-of',
    'compact=p=0',
    file,
  );
}

/** Decodes `info` and re-encodes every frame untouched into `out`. */
async function passThrough(info: VideoInfo, out: string): Promise<number> {
  const encoder = await openVideoEncoder(out, info);
  let frames = 0;
  for await (const frame of decodeVideoFrames(info)) {
    expect(frame.index).toBe(frames);
    await encoder.write(frame.image);
    frames++;
  }
  await encoder.finish();
  return frames;
}

async function rawFrame(file: string, index: number): Promise<Buffer> {
  const out = path.join(dir, `frame-${path.basename(file)}-${index}.rgba`);
  await ffmpeg(
    '-i',
    file,
    '-vf',
    `select=eq(n\\,${index})`,
    '-frames:v',
    '1',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgba',
    out,
  );
  return readFile(out);
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('probeVideo', () => {
  it('reads size, rate, timestamps and audio of a real clip', async () => {
    const info = await probeVideo(HAMILTON);
    expect(info).toMatchObject({
      width: 640,
      height: 360,
      rotation: 0,
      timeBase: { num: 1, den: 11988 },
      frameRate: { num: 2997, den: 100 },
      frameCount: 275,
      audio: [{ index: 1, codec: 'aac' }],
    });
    // The video starts 0.85 s in; frames are 400 ticks (1/29.97 s) apart.
    expect(info.framePts.slice(0, 3)).toEqual([10214, 10614, 11014]);
    expect(info.framePts).toEqual(await packetPts(HAMILTON, 'v:0'));
  });

  it('names the file and the problem for bad inputs', async () => {
    const empty = path.join(dir, 'empty.mp4');
    await writeFile(empty, '');
    const text = path.join(dir, 'notes.mp4');
    await writeFile(text, 'not a video at all\n'.repeat(20));
    const truncated = path.join(dir, 'truncated.mp4');
    // The clip keeps its index (moov) at the end, so cutting it in half loses the index.
    await writeFile(truncated, (await readFile(HAMILTON)).subarray(0, 300_000));
    // With the index first (as this module writes MP4), a cut file still probes: only the data
    // of the last frames is gone.
    const indexFirst = path.join(dir, 'index-first.mp4');
    await ffmpeg('-i', HAMILTON, '-c', 'copy', '-movflags', '+faststart', indexFirst);
    const cutAfterIndex = path.join(dir, 'cut-after-index.mp4');
    await writeFile(cutAfterIndex, (await readFile(indexFirst)).subarray(0, 300_000));
    const photo = path.join(MEDIA, 'obama-240p.jpg');
    const missing = path.join(dir, 'missing.mp4');

    await expect(probeVideo(empty)).rejects.toThrow(`${empty}: file is empty`);
    await expect(probeVideo(missing)).rejects.toThrow(`${missing}: file not found`);
    await expect(probeVideo(text)).rejects.toThrow(`${text}: not a video ffprobe can read`);
    await expect(probeVideo(truncated)).rejects.toThrow(
      `${truncated}: the video is truncated: its index (the MP4 moov atom) is missing`,
    );
    await expect(probeVideo(cutAfterIndex)).rejects.toThrow(
      new RegExp(
        `^${cutAfterIndex}: the video is truncated: decoding stopped after \\d+ of about 275 frames \\(ffprobe: .*partial file\\)$`,
      ),
    );
    expect((await probeVideo(indexFirst)).frameCount).toBe(275);
    // A still photo is a one-frame "video" to ffmpeg; it is refused as the picture it is.
    await expect(probeVideo(photo)).rejects.toThrow(
      `${photo}: is a still image (JPEG), not a video; mask it with \`emoji-mask image\``,
    );
  });
});

describe('encoderTimeBase', () => {
  it('coarsens the time base as far as every timestamp stays exact', () => {
    expect(encoderTimeBase({ num: 1, den: 12800 }, [0, 512, 1024, 1536])).toEqual({
      num: 1,
      den: 25,
    });
    expect(encoderTimeBase({ num: 1, den: 11988 }, [10214, 10614, 11014])).toEqual({
      num: 1,
      den: 5994,
    });
    expect(encoderTimeBase({ num: 1, den: 1000 }, [0, 37, 82])).toEqual({ num: 1, den: 1000 });
    expect(encoderTimeBase({ num: 1001, den: 30000 }, [0, 2, 4])).toEqual({
      num: 1001,
      den: 15000,
    });
    expect(encoderTimeBase({ num: 1, den: 90000 }, [0])).toEqual({ num: 1, den: 90000 });
  });
});

describe('decode and encode', () => {
  it('keeps size, frame count, timestamps and audio of a real clip exactly', async () => {
    const info = await probeVideo(HAMILTON);
    const out = path.join(dir, 'hamilton.mp4');
    expect(await passThrough(info, out)).toBe(275);

    expect(await streamFacts(out)).toBe(
      'codec_name=h264|codec_type=video|width=640|height=360|r_frame_rate=2997/100|time_base=1/11988\n' +
        'codec_name=aac|codec_type=audio|r_frame_rate=0/0|time_base=1/44100\n',
    );
    const back = await probeVideo(out);
    expect(back.framePts).toEqual(info.framePts);
    expect(await packetPts(out, 'a:0')).toEqual(await packetPts(HAMILTON, 'a:0'));
    // The pictures are the source's, in order (only re-encoding loss).
    for (const n of [0, 137, 274]) {
      expect(meanAbsDiff(await rawFrame(out, n), await rawFrame(HAMILTON, n))).toBeLessThan(3);
    }
  });

  it('keeps variable frame timing, and writes WebM with Opus audio', async () => {
    const vfr = path.join(dir, 'vfr.mp4');
    await ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=30'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '2'],
      ...['-vf', "settb=1/1000,setpts='N*33+mod(N*N,7)*4'", ...passthrough()],
      ...['-enc_time_base:v', '1/1000', '-video_track_timescale', '1000'],
      ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', vfr],
    );
    const info = await probeVideo(vfr);
    const frames = info.frameCount;
    expect(info.framePts).toEqual(await packetPts(vfr, 'v:0'));
    expect(frames).toBeGreaterThan(55);
    expect(
      new Set(info.framePts.slice(1).map((p, i) => p - info.framePts[i])).size,
    ).toBeGreaterThan(3);

    const mp4 = path.join(dir, 'vfr-out.mp4');
    expect(await passThrough(info, mp4)).toBe(frames);
    expect((await probeVideo(mp4)).framePts).toEqual(info.framePts);

    const webm = path.join(dir, 'vfr-out.webm');
    expect(await passThrough(info, webm)).toBe(frames);
    expect(await streamFacts(webm)).toMatch(
      /^codec_name=vp9\|codec_type=video\|width=160\|height=120.*\ncodec_name=opus\|codec_type=audio/,
    );
    const webmInfo = await probeVideo(webm);
    // Matroska counts in milliseconds, as the source does here.
    expect(webmInfo.timeBase).toEqual({ num: 1, den: 1000 });
    // Opus starts 6.5 ms before time 0 (encoder priming). ffmpeg 9 stores that as the track's codec
    // delay; 4.1 and 5.1 cannot, and shift the whole file, video and audio alike, by 7 ms.
    const shift = webmInfo.framePts[0] - info.framePts[0];
    expect([0, 7]).toContain(shift);
    expect(webmInfo.framePts).toEqual(info.framePts.map((pts) => pts + shift));
  });

  it('applies a rotation and writes upright frames', async () => {
    const stored = path.join(dir, 'stored.mp4');
    await ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x120:rate=25',
      '-t',
      '1',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      stored,
    );
    const rotated = path.join(dir, 'rotated.mp4');
    await remuxRotated(stored, rotated, 90);
    const info = await probeVideo(rotated);
    expect([info.width, info.height, info.frameCount]).toEqual([120, 160, 25]);
    expect([90, 270]).toContain(info.rotation);
    const out = path.join(dir, 'upright.mp4');
    await passThrough(info, out);
    const back = await probeVideo(out);
    expect([back.width, back.height, back.rotation, back.frameCount]).toEqual([120, 160, 0, 25]);
    expect(meanAbsDiff(await rawFrame(out, 12), await rawFrame(rotated, 12))).toBeLessThan(3);
  });

  it('refuses a frame of the wrong size', async () => {
    const info = await probeVideo(HAMILTON);
    const out = path.join(dir, 'wrong-size.mp4');
    const encoder = await openVideoEncoder(out, info);
    await expect(
      encoder.write({ width: 10, height: 10, data: new Uint8Array(400) }),
    ).rejects.toThrow('frame 0 is 10×10, expected 640×360');
    await encoder.abort();
  });
});
