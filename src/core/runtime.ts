/**
 * What the isomorphic core needs from its host: an ONNX Runtime module and, optionally, a logger.
 *
 * The core never imports onnxruntime-node or onnxruntime-web; the host passes one of them in as
 * an {@link OrtRuntime}. Both packages re-export `onnxruntime-common`, so
 * `import * as ort from 'onnxruntime-node'` and `import * as ort from 'onnxruntime-web'` both
 * satisfy the type.
 */

import type { InferenceSession, Tensor } from 'onnxruntime-common';

import { readOnnxMetadata } from './onnx-metadata.js';

/** The two parts of an ONNX Runtime module the core uses. */
export type OrtRuntime = Pick<typeof import('onnxruntime-common'), 'InferenceSession' | 'Tensor'>;

/**
 * Session settings the host may tune. In Node `intraOpNumThreads` sets the CPU threads (default:
 * ORT's choice, one per core); onnxruntime-web ignores it and reads `ort.env.wasm.numThreads`.
 * `executionProviders` default: the runtime's own (`cpu` in Node, `wasm` in the browser).
 * `extra` holds ORT session config entries, e.g. `{ session: { intra_op: { allow_spinning: '0' } } }`.
 */
export type ModelSessionOptions = Pick<
  InferenceSession.SessionOptions,
  | 'executionProviders'
  | 'intraOpNumThreads'
  | 'interOpNumThreads'
  | 'graphOptimizationLevel'
  | 'logSeverityLevel'
  | 'extra'
>;

/** A levelled sink for the few things the library has to say; the host decides where they go. */
export interface Logger {
  warn(message: string): void;
  debug?(message: string): void;
}

/** Says nothing: the library's default. */
export const SILENT_LOGGER: Logger = { warn: () => undefined };

/** Shape and element type of one model input or output as the model declares them. */
export interface ModelValueInfo {
  name: string;
  /** Declared dimensions; a symbolic (batch) dimension is a string, an unknown one -1. */
  shape: readonly (number | string)[];
  type: Tensor.Type | 'non-tensor';
}

/**
 * One loaded ONNX model: an ORT session plus what the model says about itself, with every ORT
 * failure re-thrown as an `Error` that starts with the model's name.
 */
export class ModelSession {
  private released = false;

  private constructor(
    /** File name used in messages, e.g. `face-detector.onnx`. */
    readonly name: string,
    private readonly session: InferenceSession,
    /** The ONNX `metadata_props` (labels, input size, ...); empty when the model has none. */
    readonly metadata: Readonly<Record<string, string>>,
    readonly inputs: readonly ModelValueInfo[],
    readonly outputs: readonly ModelValueInfo[],
  ) {}

  /**
   * Loads a model from its bytes.
   *
   * @throws Error `"<name>: cannot load model: <reason>"` for empty or corrupt bytes or an ORT
   *   failure (ORT's own message is kept).
   */
  static async create(
    runtime: OrtRuntime,
    bytes: Uint8Array,
    name: string,
    options: ModelSessionOptions = {},
  ): Promise<ModelSession> {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`${name}: cannot load model: expected the model's bytes as a Uint8Array`);
    }
    if (bytes.length === 0) throw new Error(`${name}: cannot load model: the file is empty`);

    let metadata: Record<string, string>;
    try {
      metadata = readOnnxMetadata(bytes, name);
    } catch (err) {
      throw new Error(`${name}: cannot load model: ${messageOf(err)}`, { cause: err });
    }

    let session: InferenceSession;
    try {
      session = await runtime.InferenceSession.create(bytes, { ...options });
    } catch (err) {
      throw new Error(`${name}: cannot load model: ${messageOf(err)}`, { cause: err });
    }
    return new ModelSession(
      name,
      session,
      metadata,
      describe(session.inputNames, session.inputMetadata),
      describe(session.outputNames, session.outputMetadata),
    );
  }

  /**
   * Runs the model once.
   *
   * @throws Error `"<name>: inference failed: <ORT message>"`, or a "released" error after
   *   {@link release}.
   */
  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    if (this.released) throw new Error(`${this.name}: the session has been released`);
    let result: InferenceSession.ReturnType;
    try {
      result = await this.session.run(feeds);
    } catch (err) {
      throw new Error(`${this.name}: inference failed: ${messageOf(err)}`, { cause: err });
    }
    const out: Record<string, Tensor> = {};
    for (const [key, value] of Object.entries(result)) {
      if (!isTensor(value)) {
        throw new Error(`${this.name}: inference failed: output "${key}" is not a tensor`);
      }
      out[key] = value;
    }
    return out;
  }

  /** Frees the native session; idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }

  get isReleased(): boolean {
    return this.released;
  }
}

function describe(
  names: readonly string[],
  metadata: readonly InferenceSession.ValueMetadata[] | undefined,
): ModelValueInfo[] {
  return names.map((name, i) => {
    const meta = metadata?.[i];
    if (meta === undefined) return { name, shape: [], type: 'non-tensor' };
    if (!meta.isTensor) return { name, shape: [], type: 'non-tensor' };
    return { name, shape: meta.shape, type: meta.type };
  });
}

function isTensor(value: unknown): value is Tensor {
  return (
    typeof value === 'object' &&
    value !== null &&
    'dims' in value &&
    'type' in value &&
    'data' in value
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
