import { link, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  checkOutputPath,
  withAtomicOutput,
  withAtomicOutputs,
  writeFileAtomic,
} from './atomic-file.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'emoji-mask-atomic-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('withAtomicOutput', () => {
  it('leaves the old file untouched and no temporary file when writing fails', async () => {
    const sub = await mkdtemp(path.join(dir, 'fail-'));
    const target = path.join(sub, 'result.txt');
    await writeFile(target, 'old');
    await expect(
      withAtomicOutput(target, async (temp) => {
        await writeFile(temp, 'half of the n');
        throw new Error('encoder died');
      }),
    ).rejects.toThrow('encoder died');
    expect(await readdir(sub)).toEqual(['result.txt']);
    expect(await readFile(target, 'utf8')).toBe('old');
  });

  it('replaces the target only when complete', async () => {
    const sub = await mkdtemp(path.join(dir, 'ok-'));
    const target = path.join(sub, 'result.json');
    await writeFileAtomic(target, '{"a":1}');
    expect(await readdir(sub)).toEqual(['result.json']);
    expect(await readFile(target, 'utf8')).toBe('{"a":1}');
  });
});

describe('withAtomicOutputs', () => {
  it('renames every target into place once all are written', async () => {
    const sub = await mkdtemp(path.join(dir, 'pair-'));
    const video = path.join(sub, 'out.mp4');
    const json = path.join(sub, 'out.jsonl');
    const result = await withAtomicOutputs([video, json], async ([videoTemp, jsonTemp]) => {
      await writeFile(videoTemp, 'video');
      await writeFile(jsonTemp, 'lines');
      expect((await readdir(sub)).filter((f) => f.endsWith('.partial'))).toHaveLength(2);
      return 7;
    });
    expect(result).toBe(7);
    expect((await readdir(sub)).sort()).toEqual(['out.jsonl', 'out.mp4']);
    expect(await readFile(json, 'utf8')).toBe('lines');
  });

  it('leaves none of the targets when writing fails halfway', async () => {
    const sub = await mkdtemp(path.join(dir, 'pair-fail-'));
    const targets = [path.join(sub, 'out.mp4'), path.join(sub, 'out.jsonl')];
    await expect(
      withAtomicOutputs(targets, async ([videoTemp, jsonTemp]) => {
        await writeFile(videoTemp, 'half a vid');
        await writeFile(jsonTemp, '{"frame":0}');
        throw new Error('frame 12 failed');
      }),
    ).rejects.toThrow('frame 12 failed');
    expect(await readdir(sub)).toEqual([]);
  });

  it('takes back the first target when the second cannot be renamed', async () => {
    const sub = await mkdtemp(path.join(dir, 'pair-rename-'));
    const video = path.join(sub, 'out.mp4');
    // A folder in the second target's place makes its rename fail.
    const json = path.join(sub, 'taken');
    await mkdir(path.join(json, 'child'), { recursive: true });
    await expect(
      withAtomicOutputs([video, json], async ([videoTemp, jsonTemp]) => {
        await writeFile(videoTemp, 'video');
        await writeFile(jsonTemp, 'lines');
      }),
    ).rejects.toThrow(`${json}: cannot write:`);
    expect(await readdir(sub)).toEqual(['taken']);
  });
});

describe('checkOutputPath', () => {
  it('refuses a missing output folder without creating it', async () => {
    const out = path.join(dir, 'no-such-folder', 'out.png');
    await expect(checkOutputPath(out, [])).rejects.toThrow(
      `${out}: output folder ${path.join(dir, 'no-such-folder')} does not exist`,
    );
  });

  it('refuses to overwrite the input, under any of its names', async () => {
    const input = path.join(dir, 'in.jpg');
    await writeFile(input, 'x');
    const hardLink = path.join(dir, 'same.jpg');
    await link(input, hardLink);
    const relative = path.relative(process.cwd(), input);
    for (const out of [input, relative, hardLink, path.join(dir, '.', 'in.jpg')]) {
      await expect(checkOutputPath(out, [input])).rejects.toThrow('is the input file');
    }
    await expect(checkOutputPath(path.join(dir, 'out.jpg'), [input])).resolves.toBeUndefined();
  });

  it('refuses a folder as the output', async () => {
    await expect(checkOutputPath(dir, [])).rejects.toThrow(`${dir}: is a folder`);
  });
});
