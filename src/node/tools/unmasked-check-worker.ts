/**
 * Runs an {@link UnmaskedFaceCheck} on a worker thread, so the independent detector (the slow
 * part of `npm run metrics`, single-threaded WASM) works on one frame while the masker works on
 * the next. The same file is the worker's entry point and the main thread's client.
 */

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

import type { Box, RgbaImage } from '../../core/types.js';
import {
  UnmaskedFaceCheck,
  type CheckedFace,
  type UnmaskedCheckOptions,
} from './unmasked-check.js';

interface Request {
  id: number;
  width: number;
  height: number;
  input: Uint8Array;
  /** Absent: only detect faces in `input`. */
  output?: Uint8Array;
}

type Reply =
  | { id: number; ok: true; checked: CheckedFace[] }
  | { id: number; ok: false; error: string }
  | { ready: true; options: Required<UnmaskedCheckOptions> }
  | { ready: false; error: string };

/** The main thread's handle on a checker running in a worker. */
export class UnmaskedCheckWorker {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve(v: CheckedFace[]): void; reject(e: Error): void }
  >();

  private constructor(
    private readonly worker: Worker,
    readonly options: Required<UnmaskedCheckOptions>,
  ) {
    worker.on('message', (reply: Reply) => {
      if (!('id' in reply)) return;
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) waiting?.resolve(reply.checked);
      else waiting?.reject(new Error(reply.error));
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) =>
      this.failAll(new Error(`unmasked-check worker exited with code ${code}`)),
    );
  }

  static async start(options: UnmaskedCheckOptions = {}): Promise<UnmaskedCheckWorker> {
    const worker = new Worker(new URL(import.meta.url), { workerData: options });
    const options_ = await new Promise<Required<UnmaskedCheckOptions>>((resolve, reject) => {
      worker.once('message', (reply: Reply) => {
        if ('ready' in reply && reply.ready) resolve(reply.options);
        else
          reject(
            new Error(
              `unmasked-check worker: ${'error' in reply ? reply.error : 'no ready message'}`,
            ),
          );
      });
      worker.once('error', reject);
    });
    return new UnmaskedCheckWorker(worker, options_);
  }

  /** Faces in `output` judged against `input` (both copied; the caller may reuse them). */
  check(input: RgbaImage, output: RgbaImage): Promise<CheckedFace[]> {
    return this.send(input, output);
  }

  /** Faces the detector finds in `input`, all reported as unmasked (nothing to compare with). */
  async detect(input: RgbaImage): Promise<{ box: Box; score: number }[]> {
    return (await this.send(input, undefined)).map(({ box, score }) => ({ box, score }));
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private send(input: RgbaImage, output: RgbaImage | undefined): Promise<CheckedFace[]> {
    const id = this.nextId++;
    const request: Request = {
      id,
      width: input.width,
      height: input.height,
      input: new Uint8Array(input.data),
      ...(output ? { output: new Uint8Array(output.data) } : {}),
    };
    const transfer = [
      request.input.buffer,
      ...(request.output ? [request.output.buffer] : []),
    ] as ArrayBuffer[];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(request, transfer);
    });
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

async function serve(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  let check: UnmaskedFaceCheck;
  try {
    check = await UnmaskedFaceCheck.create(workerData as UnmaskedCheckOptions);
  } catch (error) {
    port.postMessage({ ready: false, error: (error as Error).message } satisfies Reply);
    return;
  }
  port.postMessage({ ready: true, options: check.options } satisfies Reply);
  // One request at a time, in order: the detector is single-threaded anyway.
  let queue = Promise.resolve();
  port.on('message', (request: Request) => {
    queue = queue.then(async () => {
      const image = (data: Uint8Array): RgbaImage => ({
        width: request.width,
        height: request.height,
        data,
      });
      try {
        const checked = request.output
          ? await check.check(image(request.input), image(request.output))
          : (await check.detect(image(request.input))).map((d) => ({
              ...d,
              changed: 0,
              unmasked: true,
            }));
        port.postMessage({ id: request.id, ok: true, checked } satisfies Reply);
      } catch (error) {
        port.postMessage({
          id: request.id,
          ok: false,
          error: (error as Error).message,
        } satisfies Reply);
      }
    });
  });
}

if (!isMainThread) void serve();
