import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MAX_IMAGE_PIXELS, readImageFile, writeImageFile } from './image-io.js';

const MEDIA = fileURLToPath(new URL('../../../shared/media/', import.meta.url));
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'emoji-mask-image-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Decodes with sharp directly (no rotation) to 8-bit RGBA, the reference for comparisons. */
async function referenceRgba(file: string): Promise<Buffer> {
  return sharp(file).toColourspace('srgb').ensureAlpha().raw().toBuffer();
}

/** obama-240p with an alpha ramp from 0 (left) to 254 (right). */
async function writeTranslucentPng(name: string): Promise<string> {
  const source = sharp(path.join(MEDIA, 'obama-240p.jpg'));
  const { width = 0, height = 0 } = await source.metadata();
  const alpha = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) alpha[y * width + x] = Math.round((254 * x) / (width - 1));
  }
  const file = path.join(dir, name);
  await source
    .joinChannel(alpha, { raw: { width, height, channels: 1 } })
    .png()
    .toFile(file);
  return file;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('readImageFile', () => {
  it('decodes an RGBA PNG', async () => {
    const file = path.join(MEDIA, '32bit.png');
    const { image, hasAlpha, format } = await readImageFile(file);
    expect(format).toBe('png');
    expect(hasAlpha).toBe(true);
    expect([image.width, image.height]).toEqual([626, 1200]);
    expect(maxAbsDiff(image.data, await sharp(file).raw().toBuffer())).toBe(0);
  });

  it('keeps partial transparency', async () => {
    const file = await writeTranslucentPng('translucent.png');
    const { image, hasAlpha } = await readImageFile(file);
    expect(hasAlpha).toBe(true);
    expect(image.data[3]).toBe(0);
    expect(image.data[image.data.length - 1]).toBe(254);
    expect(maxAbsDiff(image.data, await sharp(file).raw().toBuffer())).toBe(0);
  });

  it('decodes a JPEG to opaque RGBA at its own size', async () => {
    const file = path.join(MEDIA, 'obama-720p.jpg');
    const { image, hasAlpha } = await readImageFile(file);
    expect([image.width, image.height]).toEqual([1280, 720]);
    expect(hasAlpha).toBe(false);
    for (let i = 3; i < image.data.length; i += 4) {
      if (image.data[i] !== 255) throw new Error(`alpha ${image.data[i]} at byte ${i}`);
    }
    expect(maxAbsDiff(image.data, await referenceRgba(file))).toBe(0);
  });

  it('turns a one-channel grey PNG into RGBA with equal channels', async () => {
    const file = path.join(dir, 'grey.png');
    await sharp(path.join(MEDIA, 'obama-240p.jpg')).toColourspace('b-w').png().toFile(file);
    expect((await sharp(file).metadata()).channels).toBe(1);
    const { image } = await readImageFile(file);
    const grey = await sharp(file).extractChannel(0).raw().toBuffer();
    expect(grey.length * 4).toBe(image.data.length);
    for (let p = 0; p < grey.length; p++) {
      const [r, g, b, a] = image.data.subarray(p * 4, p * 4 + 4);
      if (r !== grey[p] || g !== grey[p] || b !== grey[p] || a !== 255) {
        throw new Error(`pixel ${p}: ${[r, g, b, a]} from grey ${grey[p]}`);
      }
    }
  });

  it('scales a 16-bit PNG down to 8 bits', async () => {
    const file = path.join(dir, 'rgb16.png');
    const source = path.join(MEDIA, 'obama-240p.jpg');
    await sharp(source).toColourspace('rgb16').png().toFile(file);
    expect((await sharp(file).metadata()).depth).toBe('ushort');
    const { image } = await readImageFile(file);
    expect(maxAbsDiff(image.data, await referenceRgba(source))).toBeLessThanOrEqual(1);
  });

  it('applies the EXIF orientation', async () => {
    const file = path.join(dir, 'exif-rotated.jpg');
    const source = path.join(MEDIA, 'obama-240p.jpg');
    // Orientation 6: the stored pixels must be turned 90° clockwise to display.
    await sharp(source).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toFile(file);
    const { image } = await readImageFile(file);
    expect([image.width, image.height]).toEqual([240, 427]);
    const upright = await sharp(source).rotate(90).ensureAlpha().raw().toBuffer();
    let sum = 0;
    for (let i = 0; i < upright.length; i++) sum += Math.abs(upright[i] - image.data[i]);
    expect(sum / upright.length).toBeLessThan(2);
  });

  it('names the file and the problem for bad inputs', async () => {
    const jpeg = await readFile(path.join(MEDIA, 'obama-240p.jpg'));
    const truncated = path.join(dir, 'truncated.jpg');
    await writeFile(truncated, jpeg.subarray(0, jpeg.length >> 1));
    const text = path.join(dir, 'notes.jpg');
    await writeFile(text, 'these are notes, not a photo\n');
    const empty = path.join(dir, 'empty.png');
    await writeFile(empty, '');
    const missing = path.join(dir, 'missing.jpg');

    await expect(readImageFile(truncated)).rejects.toThrow(`${truncated}: corrupt or truncated`);
    await expect(readImageFile(text)).rejects.toThrow(`${text}: not an image`);
    await expect(readImageFile(empty)).rejects.toThrow(`${empty}: file is empty`);
    await expect(readImageFile(missing)).rejects.toThrow(`${missing}: file not found`);
    await expect(readImageFile(dir)).rejects.toThrow(`${dir}: is a folder`);
  });

  it('refuses an image over the pixel limit before decoding it', async () => {
    // A real PNG whose header claims 20000×20000 pixels (a decompression bomb's shape).
    const png = await sharp({
      create: { width: 8, height: 8, channels: 3, background: '#808080' },
    })
      .png()
      .toBuffer();
    const ihdr = png.subarray(12, 29); // "IHDR" + 13 data bytes
    ihdr.writeUInt32BE(20_000, 4);
    ihdr.writeUInt32BE(20_000, 8);
    png.writeUInt32BE(crc32(ihdr), 29);
    const file = path.join(dir, 'huge.png');
    await writeFile(file, png);
    expect(20_000 * 20_000).toBeGreaterThan(MAX_IMAGE_PIXELS);
    await expect(readImageFile(file)).rejects.toThrow(
      `${file}: image is 20000×20000 (400.0 MP), larger than the limit of 100 MP`,
    );
  });
});

describe('writeImageFile', () => {
  it('writes PNG losslessly, keeping alpha', async () => {
    const { image } = await readImageFile(await writeTranslucentPng('for-png.png'));
    const out = path.join(dir, 'copy.png');
    await writeImageFile(out, image);
    const meta = await sharp(out).metadata();
    expect(meta.format).toBe('png');
    expect(meta.hasAlpha).toBe(true);
    expect(maxAbsDiff((await readImageFile(out)).image.data, image.data)).toBe(0);
  });

  it('drops alpha on request and picks the format from the extension', async () => {
    const { image } = await readImageFile(path.join(MEDIA, 'obama-240p.jpg'));
    for (const [name, format] of [
      ['a.webp', 'webp'],
      ['b.JPG', 'jpeg'],
      ['c.png', 'png'],
    ] as const) {
      const out = path.join(dir, name);
      await writeImageFile(out, image, { alpha: false });
      const meta = await sharp(out).metadata();
      expect(meta.format).toBe(format);
      expect(meta.hasAlpha).toBe(false);
      expect([meta.width, meta.height]).toEqual([427, 240]);
    }
  });

  it('keeps alpha in WebP', async () => {
    const { image } = await readImageFile(await writeTranslucentPng('for-webp.png'));
    const out = path.join(dir, 'alpha.webp');
    await writeImageFile(out, image);
    expect((await sharp(out).metadata()).hasAlpha).toBe(true);
    const back = (await readImageFile(out)).image.data;
    expect(back[3]).toBeLessThan(8);
    expect(back[back.length - 1]).toBeGreaterThan(246);
  });

  it('refuses an unknown extension and leaves nothing behind', async () => {
    const sub = await mkdtemp(path.join(dir, 'bad-ext-'));
    const { image } = await readImageFile(path.join(MEDIA, 'obama-240p.jpg'));
    const out = path.join(sub, 'out.bmp');
    await expect(writeImageFile(out, image)).rejects.toThrow(
      `${out}: unsupported image output extension ".bmp"`,
    );
    expect(await readdir(sub)).toEqual([]);
  });
});
