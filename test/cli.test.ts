/**
 * The `emoji-mask` command as a user runs it: `node bin/emoji-mask.js` on the build in dist/
 * (compiled once here), the real models, real photos and videos from ../shared/media, and bad
 * files made in a temporary folder.
 */
import { spawn } from 'node:child_process';
import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runToText } from '../src/node/child-process.js';
import { ffmpegPath } from '../src/node/ffmpeg-binaries.js';
import { readImageFile } from '../src/node/image-io.js';
import { MODEL_FILES } from '../src/node/node-masker.js';
import {
  checkFrameResultJson,
  checkImageResultJson,
  roundTo,
  TIME_DECIMALS,
} from '../src/node/result-json.js';
import type { FaceJson } from '../src/node/result-json.js';
import { ptsToMs } from '../src/node/video-io.js';
import { probeVideo } from '../src/node/video-probe.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'emoji-mask.js');
const MODELS = path.join(ROOT, 'models');
const MEDIA = path.join(ROOT, '..', 'shared', 'media');
const OBAMA = path.join(MEDIA, 'obama-720p.jpg');
const TWO_PEOPLE = path.join(MEDIA, 'two_people.jpg');
const DOGS = path.join(MEDIA, 'dlib-faces', 'dogs.jpg');
/** The shortest webcam clip with audio (7.2 s, 480x480, 30 fps, AAC); cut to 2 s below. */
const TALKING = path.join(MEDIA, 'webcam', 'talking-d18.mp4');

/**
 * Only against hangs: a CLI run (model loading plus a 2 s clip) takes seconds, but minutes on a
 * 2-core machine that other jobs keep busy.
 */
const CLI_TIMEOUT_MS = 240_000;
/** A test that runs the CLI up to twice, plus probing and frame extraction. */
const CLI_TEST_TIMEOUT_MS = 2 * CLI_TIMEOUT_MS + 60_000;

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'emoji-mask-cli-'));
  // The bin script runs the compiled CLI; build it from the current sources.
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = await runToText(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.json')]);
  if (build.code !== 0) throw new Error(`tsc failed:\n${build.stdout}${build.stderr}`);
}, CLI_TIMEOUT_MS);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `emoji-mask args...`; `onStart` may act on the running process (e.g. interrupt it). */
function runCli(
  args: readonly string[],
  onStart?: (child: ReturnType<typeof spawn>) => void,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    onStart?.(child);
  });
}

/** A new empty folder for one test's outputs. */
async function outDir(name: string): Promise<string> {
  const sub = path.join(dir, name);
  await mkdir(sub, { recursive: true });
  return sub;
}

async function ffmpeg(...args: string[]): Promise<void> {
  const result = await runToText(ffmpegPath('ffmpeg'), ['-v', 'error', '-y', ...args]);
  if (result.code !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${result.stderr}`);
}

/** Expects a one-line `emoji-mask: <file>: <problem>` on stderr and no stack trace. */
function expectFileError(result: CliResult, file: string, problem: string | RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0].startsWith(`emoji-mask: ${file}: `), lines[0]).toBe(true);
  const rest = lines[0].slice(`emoji-mask: ${file}: `.length);
  if (typeof problem === 'string') expect(rest).toContain(problem);
  else expect(rest).toMatch(problem);
}

/** Decoded RGBA of an image file, as the CLI reads it. */
async function rgba(file: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  const { image } = await readImageFile(file);
  return { width: image.width, height: image.height, data: new Uint8Array(image.data) };
}

/** Mean absolute channel difference of two same-size images inside `box` (clipped). */
function meanDiffIn(
  a: { width: number; height: number; data: Uint8Array },
  b: { data: Uint8Array },
  box: { x: number; y: number; width: number; height: number },
): number {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(a.width, Math.ceil(box.x + box.width));
  const y1 = Math.min(a.height, Math.ceil(box.y + box.height));
  let sum = 0;
  let count = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * a.width + x) * 4 + c;
        sum += Math.abs(a.data[i] - b.data[i]);
        count++;
      }
    }
  }
  return sum / count;
}

/** How many pixels differ at all outside `box` grown by `margin` times its size on every side. */
function changedPixelsOutside(
  a: { width: number; height: number; data: Uint8Array },
  b: { data: Uint8Array },
  box: { x: number; y: number; width: number; height: number },
  margin: number,
): number {
  const x0 = box.x - margin * box.width;
  const x1 = box.x + (1 + margin) * box.width;
  const y0 = box.y - margin * box.height;
  const y1 = box.y + (1 + margin) * box.height;
  let changed = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (x >= x0 && x < x1 && y >= y0 && y < y1) continue;
      const i = (y * a.width + x) * 4;
      if (
        a.data[i] !== b.data[i] ||
        a.data[i + 1] !== b.data[i + 1] ||
        a.data[i + 2] !== b.data[i + 2]
      ) {
        changed++;
      }
    }
  }
  return changed;
}

function expectInside(face: FaceJson, width: number, height: number): void {
  const { x, y, width: w, height: h } = face.box;
  expect(w).toBeGreaterThan(20);
  expect(h).toBeGreaterThan(20);
  expect(x + w / 2).toBeGreaterThan(0);
  expect(x + w / 2).toBeLessThan(width);
  expect(y + h / 2).toBeGreaterThan(0);
  expect(y + h / 2).toBeLessThan(height);
  // The subject's left eye is on the image's right.
  expect(face.keypoints.leftEyeOuter.x).toBeGreaterThan(face.keypoints.rightEyeOuter.x);
  expect(face.keypoints.chin.y).toBeGreaterThan(face.keypoints.philtrum.y);
}

describe('usage', () => {
  it('prints help with examples and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: emoji-mask \[options\] \[command\]/);
    expect(result.stdout).toContain('emoji-mask image photo.jpg -o masked.jpg');
    const image = await runCli(['image', '--help']);
    expect(image.code).toBe(0);
    for (const option of [
      '--output',
      '--json',
      '--models',
      '--emoji',
      '--threads',
      '--quiet',
      '--debug',
    ]) {
      expect(image.stdout).toContain(option);
    }
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const result = await runCli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it.each([
    ['no command', [], /Usage: emoji-mask/],
    ['an unknown command', ['blur', 'x.jpg'], /unknown command 'blur'/],
    ['no output', ['image', OBAMA], /required option '-o, --output <file>' not specified/],
    ['no input', ['video', '-o', 'out.mp4'], /missing required argument 'input'/],
    ['an unknown option', ['image', OBAMA, '-o', 'x.jpg', '--blur'], /unknown option '--blur'/],
    [
      'zero threads',
      ['image', OBAMA, '-o', 'x.jpg', '--threads', '0'],
      /expected a positive integer, got "0"/,
    ],
    ['threads not a number', ['image', OBAMA, '-o', 'x.jpg', '--threads', 'many'], /got "many"/],
  ])('exits 2 for %s', async (_what, args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('bad input', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  // [what, file name, contents (undefined: no file), expected problem]
  const imageCases: [string, string, () => Promise<Uint8Array | string | undefined>, string][] = [
    ['a missing file', 'missing.jpg', async () => undefined, 'file not found'],
    ['an empty file', 'empty.jpg', async () => '', 'file is empty (0 bytes)'],
    [
      'a text file named .jpg',
      'notes.jpg',
      async () => 'not a photo\n'.repeat(50),
      'not an image sharp can read',
    ],
    [
      'a truncated JPEG',
      'truncated.jpg',
      async () => (await readFile(OBAMA)).subarray(0, 30_000),
      'corrupt or truncated image',
    ],
  ];

  it.each(imageCases)(
    'image: names the file for %s and writes nothing',
    async (what, name, contents, problem) => {
      const out = await outDir(`bad-image-${name}`);
      const input = path.join(dir, name);
      const data = await contents();
      if (data !== undefined) await writeFile(input, data);
      const result = await runCli([
        'image',
        input,
        '-o',
        path.join(out, 'out.jpg'),
        '--json',
        path.join(out, 'faces.json'),
      ]);
      expectFileError(result, input, problem);
      expect(await readdir(out), what).toEqual([]);
    },
  );

  const videoCases: [string, string, () => Promise<Uint8Array | string | undefined>, string][] = [
    ['a missing file', 'missing.mp4', async () => undefined, 'file not found'],
    ['an empty file', 'empty.mp4', async () => '', 'file is empty (0 bytes)'],
    [
      'a text file named .mp4',
      'notes.mp4',
      async () => 'not a video\n'.repeat(50),
      'not a video ffprobe can read',
    ],
    [
      'a truncated MP4 (index at the end, so lost)',
      'truncated.mp4',
      async () => (await readFile(TALKING)).subarray(0, 100_000),
      'the video is truncated: its index (the MP4 moov atom) is missing',
    ],
    [
      'a truncated MP4 (index first, data cut)',
      'cut-after-index.mp4',
      async () => {
        const indexFirst = path.join(dir, 'index-first.mp4');
        await ffmpeg('-i', TALKING, '-c', 'copy', '-movflags', '+faststart', indexFirst);
        return (await readFile(indexFirst)).subarray(0, 100_000);
      },
      'the video is truncated: decoding stopped after ',
    ],
  ];

  it.each(videoCases)(
    'video: names the file for %s and writes nothing',
    async (what, name, contents, problem) => {
      const out = await outDir(`bad-video-${name}`);
      const input = path.join(dir, name);
      const data = await contents();
      if (data !== undefined) await writeFile(input, data);
      const result = await runCli([
        'video',
        input,
        '-o',
        path.join(out, 'out.mp4'),
        '--json',
        path.join(out, 'frames.jsonl'),
      ]);
      expectFileError(result, input, problem);
      expect(await readdir(out), what).toEqual([]);
    },
  );

  /** Runs `video input` with an MP4 and a JSON output in a fresh folder; returns the folder too. */
  async function runVideoInto(name: string, input: string): Promise<[CliResult, string]> {
    const out = await outDir(name);
    const args = ['video', input, '-o', path.join(out, 'out.mp4')];
    return [await runCli([...args, '--json', path.join(out, 'frames.jsonl')]), out];
  }

  it.each([
    ['a JPEG photo', 'JPEG', async () => OBAMA],
    ['a PNG with alpha', 'PNG', async () => path.join(MEDIA, '32bit.png')],
    [
      'a JPEG named .mp4',
      'JPEG',
      async () => {
        const file = path.join(dir, 'photo-named.mp4');
        await writeFile(file, await readFile(OBAMA));
        return file;
      },
    ],
    [
      'a one-frame GIF',
      'GIF',
      async () => {
        const file = path.join(dir, 'one-frame.gif');
        await ffmpeg('-i', OBAMA, '-vf', 'scale=320:-1', '-frames:v', '1', file);
        return file;
      },
    ],
  ])('video: refuses %s as a still image and writes nothing', async (what, kind, make) => {
    const input = await make();
    const [result, out] = await runVideoInto(`still-${what.replaceAll(' ', '-')}`, input);
    expectFileError(
      result,
      input,
      `is a still image (${kind}), not a video; mask it with \`emoji-mask image\``,
    );
    expect(await readdir(out), what).toEqual([]);
  });

  it('video: names a Matroska file cut at 60 %, the frames it had and why, and writes nothing', async () => {
    const whole = path.join(dir, 'whole.mkv');
    await ffmpeg('-i', TALKING, '-map', '0', '-c', 'copy', whole);
    const bytes = await readFile(whole);
    const input = path.join(dir, 'cut.mkv');
    await writeFile(input, bytes.subarray(0, Math.round(bytes.length * 0.6)));

    const [result, out] = await runVideoInto('truncated-mkv', input);
    const pattern =
      /^the video is truncated: decoding stopped after (\d+) of about (\d+) frames \(ffprobe: .+\)$/;
    expectFileError(result, input, pattern);
    const match = pattern.exec(result.stderr.trim().slice(`emoji-mask: ${input}: `.length));
    const [decoded, expected] = [Number(match?.[1]), Number(match?.[2])];
    // The header's length and rate promise the whole clip; the cut file holds about 60 % of it.
    const frames = (await probeVideo(TALKING)).frameCount;
    expect(Math.abs(expected - frames)).toBeLessThanOrEqual(2);
    expect(decoded).toBeGreaterThan(frames * 0.4);
    expect(decoded).toBeLessThan(frames * 0.7);
    expect(await readdir(out)).toEqual([]);
  });

  it('video: names a Matroska file damaged in the middle and writes nothing', async () => {
    const whole = path.join(dir, 'whole-for-damage.mkv');
    await ffmpeg('-i', TALKING, '-map', '0', '-c', 'copy', whole);
    const bytes = await readFile(whole);
    // 20 kB of fixed pseudo-random bytes (xorshift32) over the middle of the file.
    let state = 0x9e3779b9;
    for (let i = bytes.length >> 1, end = i + 20_000; i < end; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      bytes[i] = state & 0xff;
    }
    const input = path.join(dir, 'damaged.mkv');
    await writeFile(input, bytes);

    const [result, out] = await runVideoInto('damaged-mkv', input);
    expectFileError(result, input, /^the video is damaged: .+ \(ffprobe: .+\)$/);
    expect(await readdir(out)).toEqual([]);
  });

  it('refuses to write over the input', async () => {
    const out = await outDir('same-file');
    const input = path.join(out, 'photo.jpg');
    await copyFile(OBAMA, input);
    const result = await runCli(['image', input, '-o', input]);
    expectFileError(result, input, 'is the input file; refusing to overwrite it');
    expect(await readFile(input)).toEqual(await readFile(OBAMA));
    expect(await readdir(out)).toEqual(['photo.jpg']);
  });

  it('refuses an output format it cannot write, JSON over the output and a missing folder', async () => {
    const out = await outDir('bad-output');
    const gif = path.join(out, 'out.gif');
    expectFileError(
      await runCli(['image', OBAMA, '-o', gif]),
      gif,
      'unsupported image output extension ".gif"',
    );
    const avi = path.join(out, 'out.avi');
    expectFileError(
      await runCli(['video', TALKING, '-o', avi]),
      avi,
      'unsupported video output extension ".avi"',
    );
    const same = path.join(out, 'out.jpg');
    expectFileError(
      await runCli(['image', OBAMA, '-o', same, '--json', same]),
      same,
      'is also the output (-o)',
    );
    const nested = path.join(out, 'no-such-folder', 'out.jpg');
    expectFileError(await runCli(['image', OBAMA, '-o', nested]), nested, 'does not exist');
    expect(await readdir(out)).toEqual([]);
  });

  /** A models folder with links to the real models except `broken`, which gets `contents`. */
  async function modelsWith(
    name: string,
    broken: string,
    contents: string | Uint8Array | undefined,
  ): Promise<string> {
    const models = await outDir(name);
    for (const file of Object.values(MODEL_FILES)) {
      if (file !== broken) await symlink(path.join(MODELS, file), path.join(models, file));
    }
    if (contents !== undefined) await writeFile(path.join(models, broken), contents);
    return models;
  }

  it.each([
    ['expression.onnx', 'missing', undefined, 'file not found'],
    ['expression.onnx', 'empty', '', 'file is empty (0 bytes)'],
    ['expression.onnx', 'corrupt', 'this is no ONNX model\n'.repeat(40), /^cannot load model: /],
    ['face-detector.onnx', 'corrupt', new Uint8Array(4096).fill(7), /^cannot load model: /],
    ['mtcnn-onet.onnx', 'missing', undefined, 'file not found'],
  ] as const)(
    'names %s when it is %s and writes nothing',
    async (file, what, contents, problem) => {
      const models = await modelsWith(`models-${what}-${file}`, file, contents);
      const out = await outDir(`out-models-${what}-${file}`);
      const result = await runCli([
        'image',
        OBAMA,
        '-o',
        path.join(out, 'out.jpg'),
        '--json',
        path.join(out, 'faces.json'),
        '--models',
        models,
      ]);
      expectFileError(result, path.join(models, file), problem);
      expect(await readdir(out)).toEqual([]);
    },
  );

  it('prints a stack trace only with --debug', async () => {
    const input = path.join(dir, 'debug-missing.jpg');
    const plain = await runCli(['image', input, '-o', path.join(dir, 'debug-out.jpg')]);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const debug = await runCli(['image', input, '-o', path.join(dir, 'debug-out.jpg'), '--debug']);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(new RegExp(`^emoji-mask: ${input}: file not found\\n`));
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});

describe('image', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('masks the one face of obama-720p.jpg and leaves the rest of the picture as it was', async () => {
    const out = await outDir('obama');
    const output = path.join(out, 'masked.png');
    const json = path.join(out, 'faces.json');
    const result = await runCli(['image', OBAMA, '-o', output, '--json', json]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');

    const doc = checkImageResultJson(JSON.parse(await readFile(json, 'utf8')));
    const before = await rgba(OBAMA);
    const after = await rgba(output);
    expect([doc.width, doc.height]).toEqual([before.width, before.height]);
    expect([after.width, after.height]).toEqual([before.width, before.height]);
    expect(doc.faces).toHaveLength(1);
    const [face] = doc.faces;
    expectInside(face, doc.width, doc.height);
    // The emoji is drawn over the face, and nothing changes far from it (PNG is lossless).
    expect(meanDiffIn(before, after, face.box)).toBeGreaterThan(25);
    expect(changedPixelsOutside(before, after, face.box, 1)).toBe(0);
    expect(await readdir(out)).toEqual(['faces.json', 'masked.png'].sort());
  });

  it('writes the format of the output extension and the JSON to stdout with "-"', async () => {
    const out = await outDir('formats');
    for (const [ext, format] of [
      ['jpg', 'jpeg'],
      ['webp', 'webp'],
    ]) {
      const output = path.join(out, `masked.${ext}`);
      const result = await runCli(['image', OBAMA, '-o', output, '--json', '-', '--quiet']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      const doc = checkImageResultJson(JSON.parse(result.stdout));
      expect(doc.faces).toHaveLength(1);
      const meta = await sharp(output).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([format, doc.width, doc.height]);
    }
  });

  it('honours EXIF orientation and reads 16-bit grey input', async () => {
    const out = await outDir('orientation');
    // Stored on its side with orientation 6 ("rotate 90° clockwise to display").
    const sideways = path.join(out, 'sideways.jpg');
    await sharp(OBAMA).rotate(270).withMetadata({ orientation: 6 }).jpeg().toFile(sideways);
    const grey16 = path.join(out, 'grey16.png');
    await sharp(OBAMA).greyscale().toColourspace('grey16').png().toFile(grey16);
    expect((await sharp(grey16).metadata()).depth).toBe('ushort');

    for (const input of [sideways, grey16]) {
      const result = await runCli([
        'image',
        input,
        '-o',
        path.join(out, 'masked.png'),
        '--json',
        '-',
        '-q',
      ]);
      expect(result.code, result.stderr).toBe(0);
      const doc = checkImageResultJson(JSON.parse(result.stdout));
      expect([doc.width, doc.height]).toEqual([1280, 720]);
      expect(doc.faces).toHaveLength(1);
      expectInside(doc.faces[0], doc.width, doc.height);
    }
  });

  it('finds both faces of two_people.jpg', async () => {
    const out = await outDir('two');
    const result = await runCli([
      'image',
      TWO_PEOPLE,
      '-o',
      path.join(out, 'masked.jpg'),
      '--json',
      '-',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const doc = checkImageResultJson(JSON.parse(result.stdout));
    expect(doc.faces).toHaveLength(2);
    for (const face of doc.faces) expectInside(face, doc.width, doc.height);
    const [a, b] = doc.faces.map((f) => f.box);
    const apart = Math.abs(a.x + a.width / 2 - (b.x + b.width / 2)) > (a.width + b.width) / 4;
    expect(apart).toBe(true);
    expect(result.stderr).toMatch(/masked\.jpg: 2 faces masked/);
  });

  it('leaves a photo without faces exactly as it was (dlib-faces/dogs.jpg)', async () => {
    const out = await outDir('dogs');
    const output = path.join(out, 'masked.png');
    const result = await runCli(['image', DOGS, '-o', output, '--json', '-']);
    expect(result.code, result.stderr).toBe(0);
    const doc = checkImageResultJson(JSON.parse(result.stdout));
    expect(doc.faces).toEqual([]);
    const before = await rgba(DOGS);
    const after = await rgba(output);
    expect([after.width, after.height]).toEqual([before.width, before.height]);
    expect(Buffer.from(after.data).equals(Buffer.from(before.data))).toBe(true);
  });
});

describe('video', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  let clip = '';
  beforeAll(async () => {
    // 2 s of the webcam clip, stream-copied: real camera H.264 and AAC, about 60 frames.
    clip = path.join(dir, 'talking-2s.mp4');
    await ffmpeg('-i', TALKING, '-t', '2', '-map', '0', '-c', 'copy', clip);
  });

  it('masks an animated GIF as a video, every frame', async () => {
    const gif = path.join(dir, 'talking.gif');
    await ffmpeg('-i', TALKING, '-t', '1', '-vf', 'fps=8,scale=240:-1', gif);
    const source = await probeVideo(gif);
    expect(source.frameCount).toBeGreaterThan(4);
    const output = path.join(await outDir('gif'), 'masked.mp4');
    const result = await runCli(['video', gif, '-o', output, '-q']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect((await probeVideo(output)).frameCount).toBe(source.frameCount);
  });

  it(
    'masks every frame and keeps size, rate, frame count, timestamps and audio',
    async () => {
      const out = await outDir('video');
      const output = path.join(out, 'masked.mp4');
      const json = path.join(out, 'frames.jsonl');
      const result = await runCli(['video', clip, '-o', output, '--json', json]);
      expect(result.code, result.stderr).toBe(0);

      const source = await probeVideo(clip);
      expect(source.frameCount).toBeGreaterThan(50);
      expect(source.audio.length).toBeGreaterThan(0);
      const masked = await probeVideo(output);
      expect(masked).toMatchObject({
        width: source.width,
        height: source.height,
        frameRate: source.frameRate,
        frameCount: source.frameCount,
        framePts: source.framePts,
      });
      expect(masked.audio.map((a) => a.codec)).toEqual(source.audio.map((a) => a.codec));

      const lines = (await readFile(json, 'utf8')).trimEnd().split('\n');
      expect(lines).toHaveLength(source.frameCount);
      const frames = lines.map((line) => checkFrameResultJson(JSON.parse(line)));
      frames.forEach((frame, i) => {
        expect(frame.frame).toBe(i);
        expect(frame.timeMs).toBe(
          roundTo(ptsToMs(source.framePts[i], source.timeBase), TIME_DECIMALS),
        );
        expect(frame.faces).toHaveLength(1);
        expectInside(frame.faces[0], source.width, source.height);
      });
      // One person throughout: the face keeps its id from frame to frame.
      expect(new Set(frames.map((f) => f.faces[0].id)).size).toBe(1);

      // The first frame of the output shows the emoji where the face is.
      const first = async (file: string): Promise<Uint8Array> => {
        const frame = path.join(out, `${path.basename(file)}.png`);
        await ffmpeg('-i', file, '-frames:v', '1', frame);
        return (await rgba(frame)).data;
      };
      const size = { width: source.width, height: source.height };
      const diff = meanDiffIn(
        { ...size, data: await first(clip) },
        { data: await first(output) },
        frames[0].faces[0].box,
      );
      expect(diff).toBeGreaterThan(25);
      expect((await readdir(out)).sort()).toEqual([
        'frames.jsonl',
        'masked.mp4',
        'masked.mp4.png',
        'talking-2s.mp4.png',
      ]);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'leaves neither video nor JSON behind when interrupted halfway',
    async () => {
      const out = await outDir('interrupted');
      const result = await runCli(
        [
          'video',
          clip,
          '-o',
          path.join(out, 'masked.mp4'),
          '--json',
          path.join(out, 'frames.jsonl'),
        ],
        (child) => {
          // Interrupt once the JSON Lines temporary file has its first frames.
          const started = async (): Promise<boolean> => {
            const partial = (await readdir(out)).find((f) => f.startsWith('.frames.jsonl.'));
            if (!partial) return false;
            const text = await readFile(path.join(out, partial), 'utf8').catch(() => '');
            return text.includes('"frame":3,');
          };
          const poll = setInterval(() => {
            void started().then((yes) => {
              if (yes && child.exitCode === null && !child.killed) {
                clearInterval(poll);
                child.kill('SIGINT');
              }
            });
          }, 50);
          child.once('close', () => clearInterval(poll));
        },
      );
      expect(result.code, result.stderr).toBe(130);
      expect(result.stderr).toContain('emoji-mask: interrupted by SIGINT; no output written');
      expect(await readdir(out)).toEqual([]);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
