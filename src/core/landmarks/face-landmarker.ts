/**
 * MediaPipe face mesh: 468 3-D landmarks from a rotation-normalised square crop of one face.
 */

import { rectToSourceAffine, type RotatedRect } from '../image-ops/affine.js';
import { imageInputLayout, type ImageInputLayout } from '../image-ops/image-input.js';
import { FramePyramid } from '../image-ops/warp-to-tensor.js';
import { floatData } from '../detector/face-detector.js';
import { ModelSession, type OrtRuntime } from '../runtime.js';
import type { RgbaImage } from '../types.js';
import {
  type FaceLandmarkerOptions,
  type ResolvedFaceLandmarkerOptions,
  resolveFaceLandmarkerOptions,
} from './face-landmarker-options.js';
import type { FaceMesh, Landmark3 } from './face-landmarker-result.js';

export const FACE_LANDMARKS_MODEL_NAME = 'face-landmarks.onnx';

/** Points of the face mesh; an attention-mesh model's extra iris points are dropped. */
export const MESH_POINT_COUNT = 468;

/** The model reads RGB scaled to 0..1 (MediaPipe's float range for this model). */
const INPUT_RANGE = [0, 1] as const;

export class FaceLandmarker {
  private constructor(
    private readonly runtime: OrtRuntime,
    private readonly session: ModelSession,
    private readonly input: ImageInputLayout,
    private readonly outputs: { points: string; presence: string },
    readonly options: ResolvedFaceLandmarkerOptions,
  ) {}

  /**
   * Loads the mesh model from the bytes of `face-landmarks.onnx`.
   *
   * @throws Error naming the model when it cannot be loaded or is not a face-mesh model.
   */
  static async create(
    runtime: OrtRuntime,
    model: Uint8Array,
    options: FaceLandmarkerOptions = {},
  ): Promise<FaceLandmarker> {
    const resolved = resolveFaceLandmarkerOptions(options);
    const session = await ModelSession.create(
      runtime,
      model,
      FACE_LANDMARKS_MODEL_NAME,
      resolved.session,
    );
    try {
      const input = imageInputLayout(session.name, session.inputs[0], 3);
      return new FaceLandmarker(runtime, session, input, findOutputs(session), resolved);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /**
   * Runs the mesh model on the crop `roi` of `frame` and maps the points back to source pixels.
   * Pass a {@link FramePyramid} of the frame to share its half-size copies with other warps.
   */
  async run(frame: RgbaImage | FramePyramid, roi: RotatedRect): Promise<FaceMesh> {
    const { width, height, layout } = this.input;
    const cropToSource = rectToSourceAffine(roi, width, height);
    const source = frame instanceof FramePyramid ? frame : new FramePyramid(frame);
    const pixels = source.warp(cropToSource, {
      width,
      height,
      colour: 'rgb',
      layout,
      range: INPUT_RANGE,
      border: 'replicate',
    });
    const dims = layout === 'nhwc' ? [1, height, width, 3] : [1, 3, height, width];
    const feeds = {
      [this.session.inputs[0].name]: new this.runtime.Tensor('float32', pixels, dims),
    };
    const result = await this.session.run(feeds);
    const raw = floatData(this.session.name, result, this.outputs.points);
    const presenceLogit = floatData(this.session.name, result, this.outputs.presence)[0];

    // Points come in crop pixels; z shares x's scale.
    const [a, b, c, d, e, f] = cropToSource;
    const zScale = roi.width / width;
    const landmarks: Landmark3[] = new Array(MESH_POINT_COUNT);
    for (let i = 0; i < MESH_POINT_COUNT; i++) {
      const u = raw[3 * i];
      const v = raw[3 * i + 1];
      landmarks[i] = { x: a * u + b * v + c, y: d * u + e * v + f, z: raw[3 * i + 2] * zScale };
    }
    return { landmarks, presence: 1 / (1 + Math.exp(-presenceLogit)), roi };
  }

  /** Releases the ONNX session; idempotent. */
  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** Tells the landmark output (3 x 468 or more values) from the one-value face-presence logit. */
function findOutputs(session: ModelSession): { points: string; presence: string } {
  const count = (shape: readonly (number | string)[]) =>
    shape.reduce<number>((n, d) => n * (typeof d === 'number' && d > 0 ? d : 1), 1);
  const points = session.outputs.find((o) => count(o.shape) >= 3 * MESH_POINT_COUNT);
  const presence = session.outputs.find((o) => count(o.shape) === 1);
  if (!points || !presence) {
    const seen = session.outputs.map((o) => `${o.name} [${o.shape.join(', ')}]`).join(', ');
    throw new Error(
      `${session.name}: expected a landmark output of ${3 * MESH_POINT_COUNT} values and a one-value face-presence output, got ${seen}`,
    );
  }
  return { points: points.name, presence: presence.name };
}
