/**
 * The FER2013 expression classifier: softmax probabilities of the seven expressions from grey
 * 44x44 face crops, with the label order and crop framing read from the model's own metadata
 * (written by `python -m training export`; see training/export.py for every key).
 */

import { floatData } from '../detector/face-detector.js';
import { imageInputLayout, type ImageInputLayout } from '../image-ops/image-input.js';
import { ModelSession, type OrtRuntime } from '../runtime.js';
import { EXPRESSIONS, type Expression } from '../types.js';
import {
  type ExpressionClassifierOptions,
  type ResolvedExpressionClassifierOptions,
  resolveExpressionClassifierOptions,
} from './expression-classifier-options.js';

export const EXPRESSION_MODEL_NAME = 'expression.onnx';

/** The `metadata_props` keys the classifier reads; values are plain strings. */
export const EXPRESSION_METADATA_KEYS = {
  /** JSON list of class names in output order; must equal {@link EXPRESSIONS}. */
  labels: 'labels',
  /** Side of the face crop, in pixels, that the model's center crop is taken from (`"48"`). */
  imageSize: 'image_size',
  /** The grey-value range the model reads (`"0..255"`); checked when present. */
  inputRange: 'input_range',
} as const;

/** The only input range this classifier feeds: raw 8-bit grey values as float32. */
export const EXPRESSION_INPUT_RANGE = '0..255';

export class ExpressionClassifier {
  private disposed = false;

  private constructor(
    private readonly runtime: OrtRuntime,
    private readonly session: ModelSession,
    private readonly input: ImageInputLayout,
    private readonly outputName: string,
    /** Class names in the order of each row of {@link classifyCrops}' result (= {@link EXPRESSIONS}). */
    readonly labels: readonly Expression[],
    /**
     * Side, in pixels, of the face crop "framed like FER2013" (48): the model reads its center
     * {@link inputSize} x {@link inputSize} pixels.
     */
    readonly imageSize: number,
    readonly options: ResolvedExpressionClassifierOptions,
  ) {}

  /**
   * Loads the classifier from the bytes of `expression.onnx`.
   *
   * @throws Error naming the model when it cannot be loaded, its input is not one grey square
   *   image, or its metadata labels differ from {@link EXPRESSIONS} or from its output length.
   */
  static async create(
    runtime: OrtRuntime,
    model: Uint8Array,
    options: ExpressionClassifierOptions = {},
  ): Promise<ExpressionClassifier> {
    const resolved = resolveExpressionClassifierOptions(options);
    const session = await ModelSession.create(
      runtime,
      model,
      EXPRESSION_MODEL_NAME,
      resolved.session,
    );
    try {
      const input = imageInputLayout(session.name, session.inputs[0], 1);
      if (input.width !== input.height) {
        throw new Error(
          `${session.name}: expected a square input, got ${input.width}x${input.height}`,
        );
      }
      checkInputRange(session);
      const labels = readLabels(session);
      const outputName = findOutput(session, labels.length);
      const imageSize = readImageSize(session, input.width);
      return new ExpressionClassifier(
        runtime,
        session,
        input,
        outputName,
        labels,
        imageSize,
        resolved,
      );
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /** Side of the model's square input in pixels (44), from its input shape. */
  get inputSize(): number {
    return this.input.width;
  }

  /**
   * Classifies `count` face crops in one model run.
   *
   * @param pixels raw grey values 0..255 (not scaled), `count` crops of
   *   {@link inputSize} x {@link inputSize}, row-major, one after another (`[count, 1, 44, 44]`).
   * @returns a new array of `count` x 7 softmax probabilities, row `i` for crop `i` in
   *   {@link labels} order; each row sums to 1. Empty when `count` is 0.
   * @throws RangeError when `count` is not a whole number or `pixels` has the wrong length;
   *   Error after {@link dispose} or when inference fails.
   */
  async classifyCrops(pixels: Float32Array, count: number): Promise<Float32Array> {
    const name = this.session.name;
    if (this.disposed) throw new Error(`${name}: the classifier has been disposed`);
    if (!(pixels instanceof Float32Array)) {
      throw new TypeError(`${name}: classifyCrops: expected pixels as a Float32Array`);
    }
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(
        `${name}: classifyCrops: expected count to be a whole number >= 0, got ${count}`,
      );
    }
    const size = this.inputSize;
    if (pixels.length !== count * size * size) {
      throw new RangeError(
        `${name}: classifyCrops: expected ${count} x ${size} x ${size} = ${count * size * size} values, got ${pixels.length}`,
      );
    }
    const classes = this.labels.length;
    if (count === 0) return new Float32Array(0);

    // A single grey channel is laid out the same in NCHW and NHWC; only the dims differ.
    const dims = this.input.layout === 'nhwc' ? [count, size, size, 1] : [count, 1, size, size];
    const feeds = {
      [this.session.inputs[0].name]: new this.runtime.Tensor('float32', pixels, dims),
    };
    const logits = floatData(name, await this.session.run(feeds), this.outputName);
    if (logits.length !== count * classes) {
      throw new Error(
        `${name}: expected ${count} x ${classes} logits, got ${logits.length} values`,
      );
    }
    return softmaxRows(logits, classes);
  }

  /** Releases the ONNX session; idempotent. Every later call throws. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.session.release();
  }
}

/** Row-wise softmax of a `[rows, classes]` array into a new array (max subtracted first). */
export function softmaxRows(logits: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let row = 0; row < logits.length; row += classes) {
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, logits[row + k]);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(logits[row + k] - max);
    for (let k = 0; k < classes; k++) out[row + k] = Math.exp(logits[row + k] - max) / sum;
  }
  return out;
}

function readLabels(session: ModelSession): Expression[] {
  const key = EXPRESSION_METADATA_KEYS.labels;
  const text = session.metadata[key];
  const expected = JSON.stringify(EXPRESSIONS);
  if (text === undefined) {
    throw new Error(`${session.name}: metadata has no "${key}" entry; expected ${expected}`);
  }
  let labels: unknown;
  try {
    labels = JSON.parse(text);
  } catch {
    throw new Error(`${session.name}: metadata "${key}" is not JSON: ${JSON.stringify(text)}`);
  }
  const same =
    Array.isArray(labels) &&
    labels.length === EXPRESSIONS.length &&
    labels.every((label, i) => label === EXPRESSIONS[i]);
  if (!same) {
    throw new Error(
      `${session.name}: metadata "${key}" is ${text}; expected ${expected} (EXPRESSIONS in src/core/types.ts, in that order)`,
    );
  }
  return [...EXPRESSIONS];
}

function findOutput(session: ModelSession, classes: number): string {
  const output = session.outputs[0];
  const last = output?.shape[output.shape.length - 1];
  if (
    session.outputs.length !== 1 ||
    output.type !== 'float32' ||
    output.shape.length !== 2 ||
    last !== classes
  ) {
    const seen = session.outputs
      .map((o) => `${o.name} ${o.type} [${o.shape.join(', ')}]`)
      .join(', ');
    throw new Error(
      `${session.name}: expected one float32 output shaped [N, ${classes}] (one logit per label), got ${seen}`,
    );
  }
  return output.name;
}

function readImageSize(session: ModelSession, inputSize: number): number {
  const key = EXPRESSION_METADATA_KEYS.imageSize;
  const text = session.metadata[key];
  const size = Number(text);
  if (text === undefined || !Number.isInteger(size) || size < inputSize) {
    throw new Error(
      `${session.name}: metadata "${key}" is ${JSON.stringify(text ?? null)}; expected a whole number of pixels >= the input size ${inputSize}`,
    );
  }
  return size;
}

function checkInputRange(session: ModelSession): void {
  const key = EXPRESSION_METADATA_KEYS.inputRange;
  const range = session.metadata[key];
  if (range !== undefined && range !== EXPRESSION_INPUT_RANGE) {
    throw new Error(
      `${session.name}: metadata "${key}" is ${JSON.stringify(range)}; this classifier feeds raw grey values ${EXPRESSION_INPUT_RANGE}`,
    );
  }
}
