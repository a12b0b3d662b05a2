/**
 * Face detection with MediaPipe's short-range BlazeFace model: letterbox the frame to the
 * model's square input, decode the 896 anchor predictions, blend overlapping ones, and map the
 * faces back to source pixels.
 */

import type { Tensor } from 'onnxruntime-common';

import { type Affine, applyAffine } from '../image-ops/affine.js';
import { imageInputLayout, type ImageInputLayout } from '../image-ops/image-input.js';
import { FramePyramid } from '../image-ops/warp-to-tensor.js';
import { ModelSession, type OrtRuntime } from '../runtime.js';
import type { RgbaImage } from '../types.js';
import { type Anchor, generateAnchors } from './anchors.js';
import { decodeDetections, VALUES_PER_ANCHOR } from './decode.js';
import {
  type FaceDetectorOptions,
  type ResolvedFaceDetectorOptions,
  resolveFaceDetectorOptions,
} from './face-detector-options.js';
import type { FaceDetection } from './face-detector-result.js';
import { searchRegions } from './tiles.js';
import { weightedNms } from './weighted-nms.js';

/** The model reads RGB scaled to -1..1 (MediaPipe's float range for this detector). */
const INPUT_RANGE = [-1, 1] as const;

export const FACE_DETECTOR_MODEL_NAME = 'face-detector.onnx';

export class FaceDetector {
  private constructor(
    private readonly runtime: OrtRuntime,
    private readonly session: ModelSession,
    private readonly input: ImageInputLayout,
    private readonly anchors: readonly Anchor[],
    private readonly outputs: { regressors: string; scores: string },
    readonly options: ResolvedFaceDetectorOptions,
  ) {}

  /**
   * Loads the detector from the bytes of `face-detector.onnx`.
   *
   * @throws Error naming the model when it cannot be loaded or its inputs and outputs are not
   *   those of the short-range face detector.
   */
  static async create(
    runtime: OrtRuntime,
    model: Uint8Array,
    options: FaceDetectorOptions = {},
  ): Promise<FaceDetector> {
    const resolved = resolveFaceDetectorOptions(options);
    const session = await ModelSession.create(
      runtime,
      model,
      FACE_DETECTOR_MODEL_NAME,
      resolved.session,
    );
    try {
      const input = imageInputLayout(session.name, session.inputs[0], 3);
      if (input.width !== input.height) {
        throw new Error(
          `${session.name}: expected a square input, got ${input.width}x${input.height}`,
        );
      }
      const anchors = generateAnchors(input.width);
      return new FaceDetector(
        runtime,
        session,
        input,
        anchors,
        findOutputs(session, anchors.length),
        resolved,
      );
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /** Side of the model's square input in pixels (128). */
  get inputSize(): number {
    return this.input.width;
  }

  /**
   * Every face in the frame, most confident first, in source pixels.
   *
   * The whole frame is letterboxed (aspect kept, padded with black) so a face anywhere in a
   * wide frame is seen; with `tiling: 'auto'` overlapping tiles are searched too. Pass a
   * {@link FramePyramid} of the frame to share its half-size copies with other warps.
   */
  async detect(frame: RgbaImage | FramePyramid): Promise<FaceDetection[]> {
    const pyramid = frame instanceof FramePyramid ? frame : new FramePyramid(frame);
    const found: FaceDetection[] = [];
    for (const region of searchRegions(
      pyramid.frame.width,
      pyramid.frame.height,
      this.inputSize,
      this.options.tiling,
    )) {
      found.push(...(await this.detectInRegion(pyramid, region)));
    }
    return weightedNms(found, this.options.nmsIou).slice(0, this.options.maxFaces);
  }

  /**
   * Raw (un-suppressed) detections in the square region `cropToSource` maps the model input onto,
   * in source pixels. Pass a {@link FramePyramid} of the frame to share its half-size copies
   * between regions.
   */
  async detectInRegion(frame: RgbaImage | FramePyramid, cropToSource: Affine): Promise<FaceDetection[]> {
    const size = this.inputSize;
    const { layout } = this.input;
    const pyramid = frame instanceof FramePyramid ? frame : new FramePyramid(frame);
    const pixels = pyramid.warp(cropToSource, {
      width: size,
      height: size,
      colour: 'rgb',
      layout,
      range: INPUT_RANGE,
      border: 'zero',
    });
    const dims = layout === 'nhwc' ? [1, size, size, 3] : [1, 3, size, size];
    const feeds = {
      [this.session.inputs[0].name]: new this.runtime.Tensor('float32', pixels, dims),
    };
    const result = await this.session.run(feeds);
    const regressors = floatData(this.session.name, result, this.outputs.regressors);
    const logits = floatData(this.session.name, result, this.outputs.scores);

    const normalised = decodeDetections(
      regressors,
      logits,
      this.anchors,
      size,
      this.options.minScore,
    );
    return normalised.map((d) => toSource(d, cropToSource, size));
  }

  /** Releases the ONNX session; idempotent. */
  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** Maps a detection from coordinates normalised to the model input to source pixels. */
function toSource(d: FaceDetection, cropToSource: Affine, size: number): FaceDetection {
  const map = (x: number, y: number) => applyAffine(cropToSource, { x: x * size, y: y * size });
  const p0 = map(d.box.x, d.box.y);
  const p1 = map(d.box.x + d.box.width, d.box.y + d.box.height);
  return {
    box: {
      x: Math.min(p0.x, p1.x),
      y: Math.min(p0.y, p1.y),
      width: Math.abs(p1.x - p0.x),
      height: Math.abs(p1.y - p0.y),
    },
    score: d.score,
    keypoints: d.keypoints.map((p) => map(p.x, p.y)),
  };
}

/** Tells the regressor output ([1, anchors, 16]) from the score output ([1, anchors, 1]). */
function findOutputs(
  session: ModelSession,
  anchorCount: number,
): { regressors: string; scores: string } {
  const lastDim = (shape: readonly (number | string)[]) => shape[shape.length - 1];
  const regressors = session.outputs.find((o) => lastDim(o.shape) === VALUES_PER_ANCHOR);
  const scores = session.outputs.find((o) => lastDim(o.shape) === 1);
  if (!regressors || !scores || session.outputs.length !== 2) {
    const seen = session.outputs.map((o) => `${o.name} [${o.shape.join(', ')}]`).join(', ');
    throw new Error(
      `${session.name}: expected two outputs shaped [1, ${anchorCount}, ${VALUES_PER_ANCHOR}] and [1, ${anchorCount}, 1], got ${seen}`,
    );
  }
  return { regressors: regressors.name, scores: scores.name };
}

export function floatData(
  modelName: string,
  result: Record<string, Tensor>,
  name: string,
): Float32Array {
  const tensor = result[name];
  if (!tensor || !(tensor.data instanceof Float32Array)) {
    throw new Error(
      `${modelName}: expected float32 output "${name}", got ${tensor ? tensor.type : 'nothing'}`,
    );
  }
  return tensor.data;
}
