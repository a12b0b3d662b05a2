/** fetchAsset against a real HTTP server on this machine, serving a real model file. */

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AssetError, fetchAsset, type FetchProgress } from './assets.js';

const MODEL = readFileSync(path.resolve(import.meta.dirname, '../../../models/face-detector.onnx'));

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/models/face-detector.onnx') {
      res.writeHead(200, { 'Content-Length': MODEL.length });
      // In pieces, as a network would deliver it.
      for (let i = 0; i < MODEL.length; i += 65536) res.write(MODEL.subarray(i, i + 65536));
      res.end();
    } else if (req.url === '/models/empty.onnx') {
      res.writeHead(200, { 'Content-Length': 0 });
      res.end();
    } else {
      res.writeHead(404, 'Not Found');
      res.end('no such file');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/app/`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('fetchAsset', () => {
  it('returns the bytes, resolving the file against the base URL, with progress', async () => {
    const progress: FetchProgress[] = [];
    const bytes = await fetchAsset(base, '../models/face-detector.onnx', (p) => progress.push(p));
    expect(Buffer.from(bytes).equals(MODEL)).toBe(true);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.every((p) => p.totalBytes === MODEL.length)).toBe(true);
    const loaded = progress.map((p) => p.loadedBytes);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(progress.at(-1)).toEqual({
      file: '../models/face-detector.onnx',
      loadedBytes: MODEL.length,
      totalBytes: MODEL.length,
      done: true,
    });
  });

  it('names the file and the HTTP status when the server refuses it', async () => {
    const error = await fetchAsset(base, 'models/missing.onnx').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AssetError);
    expect((error as AssetError).file).toBe('models/missing.onnx');
    expect((error as AssetError).message).toBe(
      `models/missing.onnx: the server answered HTTP 404 Not Found for ${base}models/missing.onnx`,
    );
  });

  it('rejects an empty file', async () => {
    await expect(fetchAsset(`${base}../`, 'models/empty.onnx')).rejects.toThrow(
      /^models\/empty\.onnx: is empty \(0 bytes from http:/,
    );
  });

  it('names the file when nothing answers', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(fetchAsset(`http://127.0.0.1:${port}/`, 'models/expression.onnx')).rejects.toThrow(
      /^models\/expression\.onnx: cannot be fetched from http:\/\/127\.0\.0\.1:\d+\/models\/expression\.onnx \(/,
    );
  });
});
