/**
 * The second face detector: MTCNN (Zhang et al. 2016), a cascade of three small networks
 * trained on WIDER FACE, which finds faces in profile and faces cut by the frame's edge that
 * the short-range BlazeFace detector does not. A proposal network scans an image pyramid; a
 * refinement network and an output network re-score and re-fit each surviving box on its own
 * crop; the output network also places five landmarks.
 */

import { floatData } from '../detector/face-detector.js';
import type { Affine } from '../image-ops/affine.js';
import { FramePyramid, type WarpToTensorOptions } from '../image-ops/warp-to-tensor.js';
import { ModelSession, type ModelSessionOptions, type OrtRuntime } from '../runtime.js';
import type { Box, Point, RgbaImage } from '../types.js';
import {
  applyOffsets,
  type Candidate,
  proposals,
  pyramidScales,
  squareBox,
  suppress,
} from './cascade-boxes.js';

/** The bytes of the three cascade models. */
export interface ProfileDetectorModels {
  /** `mtcnn-pnet.onnx`: the proposal network (any input size). */
  pnet: Uint8Array;
  /** `mtcnn-rnet.onnx`: the refinement network (24 x 24 crops). */
  rnet: Uint8Array;
  /** `mtcnn-onet.onnx`: the output network (48 x 48 crops, five landmarks). */
  onet: Uint8Array;
}

export const PROFILE_DETECTOR_MODEL_NAMES = {
  pnet: 'mtcnn-pnet.onnx',
  rnet: 'mtcnn-rnet.onnx',
  onet: 'mtcnn-onet.onnx',
} as const;

/** Settings of {@link ProfileDetector}; every field is optional. */
export interface ProfileDetectorOptions {
  /**
   * Smallest face searched, as a fraction of the frame's shorter side. Default 0.2: the faces
   * this detector is for (a head turned side-on near the camera, a face cut by the edge) are
   * large; the BlazeFace tiles find small frontal faces; the pyramid's cost grows as the square
   * of 1 / this; and its false faces (hair, hands: 0.73-0.86 on the crowd clip) are small.
   */
  minFaceFraction?: number;
  /** Smallest face searched in pixels, whatever the fraction gives. Default 20. */
  minFacePixels?: number;
  /** Face-probability thresholds of the three stages. Default [0.6, 0.7, 0.7] (MTCNN's own). */
  thresholds?: readonly [number, number, number];
  /** Ratio between neighbouring pyramid scales. Default 0.709 (MTCNN's own, about 1 / sqrt 2). */
  scaleFactor?: number;
  /** At most this many proposals go on to the refinement network, best first. Default 400. */
  maxProposals?: number;
  /**
   * The proposal network also scans this far past each edge of the frame (black there), as a
   * fraction of the shorter side, so a face cut by the edge still fills a window. Default 0.15.
   */
  edgeMargin?: number;
  session?: ModelSessionOptions;
}

/** A face the cascade found, in source pixels. */
export interface ProfileFace {
  /** The output network's box: roughly brow to chin, cheek to cheek (or ear, in profile). */
  box: Box;
  /** The output network's face probability (0..1). */
  score: number;
  /** Image-left eye, image-right eye, nose tip, image-left and image-right mouth corners. */
  points: Point[];
}

const DEFAULTS = {
  minFaceFraction: 0.2,
  minFacePixels: 20,
  thresholds: [0.6, 0.7, 0.7] as const,
  scaleFactor: 0.709,
  maxProposals: 400,
  edgeMargin: 0.15,
};

/** The networks read RGB as (v - 127.5) / 128. */
const INPUT_RANGE = [-127.5 / 128, 127.5 / 128] as const;
const REFINE_SIZE = 24;
const OUTPUT_SIZE = 48;
/** Each network's square input side; the proposal network takes any size. */
const INPUT_SIDES = { pnet: null, rnet: REFINE_SIZE, onet: OUTPUT_SIZE } as const;
/** MTCNN's suppression thresholds: within one pyramid scale, across scales, after each stage. */
const NMS_WITHIN_SCALE = 0.5;
const NMS_ACROSS = 0.7;

export class ProfileDetector {
  private constructor(
    private readonly runtime: OrtRuntime,
    private readonly pnet: ModelSession,
    private readonly rnet: ModelSession,
    private readonly onet: ModelSession,
    private readonly options: Required<Omit<ProfileDetectorOptions, 'session'>>,
  ) {}

  /**
   * Loads the three networks.
   *
   * @throws Error naming the model file when one cannot be loaded or does not have the
   *   cascade's inputs and outputs.
   */
  static async create(
    runtime: OrtRuntime,
    models: ProfileDetectorModels,
    options: ProfileDetectorOptions = {},
  ): Promise<ProfileDetector> {
    const resolved = resolveOptions(options);
    const sessions: ModelSession[] = [];
    try {
      for (const key of ['pnet', 'rnet', 'onet'] as const) {
        const session = await ModelSession.create(
          runtime,
          models[key],
          PROFILE_DETECTOR_MODEL_NAMES[key],
          options.session,
        );
        sessions.push(session);
        checkModel(
          session,
          INPUT_SIDES[key],
          key === 'onet' ? ['offsets', 'points', 'face'] : ['offsets', 'face'],
        );
      }
      const [pnet, rnet, onet] = sessions;
      return new ProfileDetector(runtime, pnet, rnet, onet, resolved);
    } catch (err) {
      await Promise.all(sessions.map((s) => s.release()));
      throw err;
    }
  }

  /** Every face found in the frame, most confident first. */
  async detect(frame: RgbaImage | FramePyramid): Promise<ProfileFace[]> {
    const pyramid = frame instanceof FramePyramid ? frame : new FramePyramid(frame);
    const { width, height } = pyramid.frame;
    const [propose, refine, output] = this.options.thresholds;

    const minFace = Math.max(
      this.options.minFacePixels,
      this.options.minFaceFraction * Math.min(width, height),
    );
    const margin = this.options.edgeMargin * Math.min(width, height);
    let candidates: Candidate[] = [];
    for (const scale of pyramidScales(width, height, minFace, this.options.scaleFactor)) {
      const found = await this.propose(pyramid, scale, margin, propose);
      candidates.push(...suppress(found, NMS_WITHIN_SCALE));
    }
    candidates = suppress(candidates, NMS_ACROSS).slice(0, this.options.maxProposals);
    let boxes = candidates.map((c) => squareBox(applyOffsets(c.box, c.offsets)));
    if (boxes.length === 0) return [];

    const refined = await this.score(this.rnet, pyramid, boxes, REFINE_SIZE);
    const kept = suppress(
      boxes.map((box, i) => ({ box, score: refined.face[i], i })).filter((c) => c.score >= refine),
      NMS_ACROSS,
    );
    boxes = kept.map((c) => squareBox(applyOffsets(c.box, offsetsAt(refined.offsets, c.i))));
    if (boxes.length === 0) return [];

    const out = await this.score(this.onet, pyramid, boxes, OUTPUT_SIZE);
    const faces: (ProfileFace & { i: number })[] = [];
    boxes.forEach((box, i) => {
      if (out.face[i] < output) return;
      const points: Point[] = [];
      for (let k = 0; k < 5; k++) {
        points.push({
          x: box.x + out.points![10 * i + k] * box.width,
          y: box.y + out.points![10 * i + 5 + k] * box.height,
        });
      }
      faces.push({
        box: applyOffsets(box, offsetsAt(out.offsets, i)),
        score: out.face[i],
        points,
        i,
      });
    });
    return suppress(faces, NMS_ACROSS, 'min').map(({ box, score, points }) => ({
      box,
      score,
      points,
    }));
  }

  /** Releases the three sessions; idempotent. */
  async dispose(): Promise<void> {
    await Promise.all([this.pnet.release(), this.rnet.release(), this.onet.release()]);
  }

  /** The proposal network on the frame grown by `margin` source pixels a side, scaled by `scale`. */
  private async propose(
    pyramid: FramePyramid,
    scale: number,
    margin: number,
    threshold: number,
  ): Promise<Candidate[]> {
    const { width, height } = pyramid.frame;
    const w = Math.ceil((width + 2 * margin) * scale);
    const h = Math.ceil((height + 2 * margin) * scale);
    const toSource: Affine = [1 / scale, 0, -margin, 0, 1 / scale, -margin];
    const pixels = pyramid.warp(toSource, tensorOptions(w, h, 'zero'));
    const result = await this.pnet.run({
      [this.pnet.inputs[0].name]: new this.runtime.Tensor('float32', pixels, [1, 3, h, w]),
    });
    const face = result.face;
    const dims = face.dims;
    const found = proposals(
      floatData(this.pnet.name, result, 'face'),
      floatData(this.pnet.name, result, 'offsets'),
      dims[dims.length - 1],
      dims[dims.length - 2],
      scale,
      threshold,
    );
    for (const c of found) c.box = { ...c.box, x: c.box.x - margin, y: c.box.y - margin };
    return found;
  }

  /** One of the two crop networks on every box, in one batch (outside the frame reads black). */
  private async score(
    session: ModelSession,
    pyramid: FramePyramid,
    boxes: readonly Box[],
    size: number,
  ): Promise<{ face: Float32Array; offsets: Float32Array; points?: Float32Array }> {
    const plane = 3 * size * size;
    const batch = new Float32Array(boxes.length * plane);
    const options = tensorOptions(size, size, 'zero');
    boxes.forEach((b, i) => {
      const toSource: Affine = [b.width / size, 0, b.x, 0, b.height / size, b.y];
      pyramid.warp(toSource, options, batch, i * plane);
    });
    const result = await session.run({
      [session.inputs[0].name]: new this.runtime.Tensor('float32', batch, [
        boxes.length,
        3,
        size,
        size,
      ]),
    });
    return {
      face: floatData(session.name, result, 'face'),
      offsets: floatData(session.name, result, 'offsets'),
      points: result.points ? floatData(session.name, result, 'points') : undefined,
    };
  }
}

function tensorOptions(
  width: number,
  height: number,
  border: WarpToTensorOptions['border'],
): WarpToTensorOptions {
  return { width, height, colour: 'rgb', layout: 'nchw', range: INPUT_RANGE, border };
}

function offsetsAt(offsets: Float32Array, i: number): [number, number, number, number] {
  return [offsets[4 * i], offsets[4 * i + 1], offsets[4 * i + 2], offsets[4 * i + 3]];
}

/**
 * Checks a cascade model's one input, `[N, 3, size, size]` (`size` null: any height and width),
 * and its outputs by name.
 */
function checkModel(session: ModelSession, size: number | null, names: readonly string[]): void {
  const have = session.outputs.map((o) => o.name);
  const shape = session.inputs[0]?.shape ?? [];
  const side = (d: number | string | undefined) =>
    size === null ? typeof d === 'string' || d === -1 : d === size;
  const inputOk =
    session.inputs.length === 1 &&
    shape.length === 4 &&
    shape[1] === 3 &&
    side(shape[2]) &&
    side(shape[3]);
  if (!inputOk || names.some((n) => !have.includes(n))) {
    const expected = size === null ? '[1, 3, H, W] with any H, W' : `[N, 3, ${size}, ${size}]`;
    const inputs = session.inputs.map((i) => `${i.name} [${i.shape.join(', ')}]`).join(', ');
    throw new Error(
      `${session.name}: expected one input ${expected} and outputs ${names.join(', ')}, got inputs ${inputs} and outputs ${have.join(', ')}`,
    );
  }
}

function resolveOptions(
  options: ProfileDetectorOptions,
): Required<Omit<ProfileDetectorOptions, 'session'>> {
  const resolved = {
    minFaceFraction: options.minFaceFraction ?? DEFAULTS.minFaceFraction,
    minFacePixels: options.minFacePixels ?? DEFAULTS.minFacePixels,
    thresholds: options.thresholds ?? DEFAULTS.thresholds,
    scaleFactor: options.scaleFactor ?? DEFAULTS.scaleFactor,
    maxProposals: options.maxProposals ?? DEFAULTS.maxProposals,
    edgeMargin: options.edgeMargin ?? DEFAULTS.edgeMargin,
  };
  const inRange = (v: unknown, lo: number, hi: number, open = false): boolean =>
    typeof v === 'number' && (open ? v > lo && v < hi : v >= lo && v <= hi);
  const check = (ok: boolean, name: string, expected: string, got: unknown) => {
    if (!ok) {
      throw new RangeError(
        `profileDetector.${name}: expected ${expected}, got ${JSON.stringify(got) ?? String(got)}`,
      );
    }
  };
  check(
    inRange(resolved.minFaceFraction, 0, 1) && resolved.minFaceFraction > 0,
    'minFaceFraction',
    'a number in (0, 1]',
    resolved.minFaceFraction,
  );
  check(
    inRange(resolved.minFacePixels, 12, Infinity),
    'minFacePixels',
    'a number of at least 12',
    resolved.minFacePixels,
  );
  check(
    Array.isArray(resolved.thresholds) &&
      resolved.thresholds.length === 3 &&
      resolved.thresholds.every((t) => inRange(t, 0, 1)),
    'thresholds',
    'three numbers in 0..1',
    resolved.thresholds,
  );
  check(
    inRange(resolved.scaleFactor, 0.1, 1, true),
    'scaleFactor',
    'a number in (0.1, 1)',
    resolved.scaleFactor,
  );
  check(inRange(resolved.edgeMargin, 0, 1), 'edgeMargin', 'a number in 0..1', resolved.edgeMargin);
  check(
    Number.isInteger(resolved.maxProposals) && resolved.maxProposals > 0,
    'maxProposals',
    'a positive integer',
    resolved.maxProposals,
  );
  return resolved;
}
