import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EXPRESSIONS } from '../types.js';
import { ExpressionClassifier, softmaxRows } from './expression-classifier.js';

const MODEL = fileURLToPath(new URL('../../../models/expression.onnx', import.meta.url));
const FER_TARBALL = fileURLToPath(
  new URL('../../../../shared/data/fer2013/fer2013-images.tar.gz', import.meta.url),
);

/** FER2013 PrivateTest per-class counts in EXPRESSIONS order (the dataset's README). */
const PRIVATE_TEST_COUNTS = [491, 55, 528, 879, 594, 416, 626];
const IMAGE = 48;
const CROP = 44;
const CLASSES = EXPRESSIONS.length;
const BATCH = 256;
/** The accuracy in the metadata was measured by PIL's JPEG decoder; ours is sharp's. */
const ACCURACY_TOLERANCE = 0.001;
/** 3589 full-size classifications take about a minute on a busy 2-core machine. */
const PARITY_TIMEOUT_MS = 300_000;

interface TarFile {
  name: string;
  data: Uint8Array;
}

/** The regular files of a ustar archive whose path passes `keep` (POSIX ustar headers only). */
function readTar(tar: Uint8Array, keep: (name: string) => boolean): TarFile[] {
  const text = (from: number, length: number) => {
    const bytes = tar.subarray(from, from + length);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
  };
  const files: TarFile[] = [];
  let offset = 0;
  while (offset + 512 <= tar.length && tar[offset] !== 0) {
    const size = parseInt(text(offset + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(tar[offset + 156]);
    const prefix = text(offset + 257, 6).startsWith('ustar') ? text(offset + 345, 155) : '';
    const name = (prefix ? `${prefix}/` : '') + text(offset, 100);
    if (!Number.isFinite(size)) throw new Error(`${FER_TARBALL}: bad tar header at byte ${offset}`);
    const body = offset + 512;
    if ((type === '0' || type === '\0') && keep(name)) {
      files.push({ name, data: tar.subarray(body, body + size) });
    }
    offset = body + Math.ceil(size / 512) * 512;
  }
  return files;
}

interface Faces {
  crops: Float32Array;
  labels: number[];
}

let privateTest: Promise<Faces> | undefined;

/** Every PrivateTest JPEG of the tarball, decoded to grey and center-cropped to 44x44 (once). */
function privateTestFaces(): Promise<Faces> {
  privateTest ??= decodePrivateTest();
  return privateTest;
}

async function decodePrivateTest(): Promise<Faces> {
  const pattern = /^test\/([a-z]+)\/PrivateTest_\d+\.jpg$/;
  const files = readTar(gunzipSync(await readFile(FER_TARBALL)), (name) => pattern.test(name));
  const crops = new Float32Array(files.length * CROP * CROP);
  const labels: number[] = [];
  const margin = (IMAGE - CROP) / 2;
  await Promise.all(
    files.map(async (file, i) => {
      const { data, info } = await sharp(file.data)
        .greyscale()
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.width !== IMAGE || info.height !== IMAGE || info.channels !== 1) {
        throw new Error(`${file.name}: decoded to ${info.width}x${info.height}x${info.channels}`);
      }
      for (let y = 0; y < CROP; y++) {
        for (let x = 0; x < CROP; x++) {
          crops[(i * CROP + y) * CROP + x] = data[(y + margin) * IMAGE + x + margin];
        }
      }
    }),
  );
  for (const file of files) {
    const folder = pattern.exec(file.name)?.[1];
    const label = EXPRESSIONS.findIndex((name) => name === folder);
    if (label < 0) throw new Error(`${FER_TARBALL}: ${file.name} is not in a class folder`);
    labels.push(label);
  }
  return { crops, labels };
}

const argmax = (row: Float32Array) => row.reduce((best, p, k) => (p > row[best] ? k : best), 0);

/** `bytes` with one more `metadata_props` entry; a repeated key takes the last value. */
function withMetadata(bytes: Uint8Array, key: string, value: string): Uint8Array {
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
    return [...out, n];
  };
  const field = (number: number, body: number[]) => [
    number * 8 + 2,
    ...varint(body.length),
    ...body,
  ];
  const utf8 = (s: string) => [...new TextEncoder().encode(s)];
  const entry = field(14, [...field(1, utf8(key)), ...field(2, utf8(value))]);
  const out = new Uint8Array(bytes.length + entry.length);
  out.set(bytes);
  out.set(entry, bytes.length);
  return out;
}

describe('ExpressionClassifier on models/expression.onnx', () => {
  let model: Uint8Array;
  let classifier: ExpressionClassifier;
  let metadata: Record<string, string>;

  beforeAll(async () => {
    model = new Uint8Array(await readFile(MODEL));
    classifier = await ExpressionClassifier.create(ort, model, {
      session: { intraOpNumThreads: 1 },
    });
    const { readOnnxMetadata } = await import('../onnx-metadata.js');
    metadata = readOnnxMetadata(model, 'expression.onnx');
  });

  afterAll(async () => {
    await classifier?.dispose();
  });

  it('reads labels, input size and framing from the model', () => {
    expect(classifier.labels).toEqual(EXPRESSIONS);
    expect(classifier.inputSize).toBe(CROP);
    expect(classifier.imageSize).toBe(IMAGE);
  });

  it(
    'matches the PrivateTest center-crop accuracy recorded at export, on all 3589 faces',
    async () => {
      const { crops, labels } = await privateTestFaces();
      const counts = EXPRESSIONS.map((_, k) => labels.filter((label) => label === k).length);
      expect(counts).toEqual(PRIVATE_TEST_COUNTS);

      let correct = 0;
      for (let start = 0; start < labels.length; start += BATCH) {
        const count = Math.min(BATCH, labels.length - start);
        const pixels = crops.subarray(start * CROP * CROP, (start + count) * CROP * CROP);
        const probs = await classifier.classifyCrops(pixels, count);
        expect(probs.length).toBe(count * EXPRESSIONS.length);
        for (let i = 0; i < count; i++) {
          const row = probs.subarray(i * CLASSES, (i + 1) * CLASSES);
          expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
          expect(Math.min(...row)).toBeGreaterThanOrEqual(0);
          if (argmax(row) === labels[start + i]) correct++;
        }
      }
      const accuracy = correct / labels.length;
      const recorded = Number(metadata.accuracy_private_center);
      expect(Number.isFinite(recorded)).toBe(true);
      const measured = `measured ${accuracy}, recorded ${recorded}`;
      expect(Math.abs(accuracy - recorded), measured).toBeLessThanOrEqual(ACCURACY_TOLERANCE);
      // Far above always answering the largest class (happy, 24.5%).
      expect(accuracy).toBeGreaterThan(0.35);
    },
    PARITY_TIMEOUT_MS,
  );

  it('gives each crop the same probabilities alone, in a batch and on a second call', async () => {
    const crops = (await privateTestFaces()).crops.slice(0, 5 * CROP * CROP);
    const batch = await classifier.classifyCrops(crops, 5);
    const again = await classifier.classifyCrops(crops, 5);
    expect(again).toEqual(batch);
    for (let i = 0; i < 5; i++) {
      const alone = await classifier.classifyCrops(
        crops.slice(i * CROP * CROP, (i + 1) * CROP * CROP),
        1,
      );
      for (let k = 0; k < CLASSES; k++) expect(alone[k]).toBeCloseTo(batch[i * CLASSES + k], 5);
    }
  });

  it('returns an empty result for no crops and refuses input of the wrong size', async () => {
    expect(await classifier.classifyCrops(new Float32Array(0), 0)).toEqual(new Float32Array(0));
    await expect(classifier.classifyCrops(new Float32Array(CROP * CROP), 2)).rejects.toThrow(
      /expression\.onnx: classifyCrops: expected 2 x 44 x 44 = 3872 values, got 1936/,
    );
    await expect(classifier.classifyCrops(new Float32Array(0), 1.5)).rejects.toThrow(RangeError);
  });

  it.each([
    [
      'labels in another order',
      'labels',
      JSON.stringify([...EXPRESSIONS].reverse()),
      /metadata "labels" is \["neutral".*expected \["angry"/,
    ],
    [
      'six labels',
      'labels',
      JSON.stringify(EXPRESSIONS.slice(0, 6)),
      /metadata "labels" is .*expected/,
    ],
    ['labels that are not JSON', 'labels', 'angry,disgust', /metadata "labels" is not JSON/],
    ['another input range', 'input_range', '-1..1', /metadata "input_range" is "-1\.\.1"/],
    ['no usable image size', 'image_size', 'big', /metadata "image_size" is "big"/],
  ])('refuses a model with %s, naming the model', async (_, key, value, message) => {
    const error = await ExpressionClassifier.create(ort, withMetadata(model, key, value)).catch(
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^expression\.onnx: /);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses empty model bytes and fails loudly once disposed', async () => {
    await expect(ExpressionClassifier.create(ort, new Uint8Array(0))).rejects.toThrow(
      'expression.onnx: cannot load model: the file is empty',
    );
    const own = await ExpressionClassifier.create(ort, model);
    await own.dispose();
    await own.dispose();
    await expect(own.classifyCrops(new Float32Array(CROP * CROP), 1)).rejects.toThrow(
      'expression.onnx: the classifier has been disposed',
    );
  });
});

describe('softmaxRows', () => {
  it('normalises each row and survives large logits', () => {
    const probs = softmaxRows(new Float32Array([0, 0, Math.log(2), 1000, 1000, 999]), 3);
    expect(Array.from(probs.subarray(0, 3))).toEqual(
      [0.25, 0.25, 0.5].map((p) => expect.closeTo(p, 6)),
    );
    const e = Math.exp(-1);
    expect(probs[5]).toBeCloseTo(e / (2 + e), 6);
  });
});
