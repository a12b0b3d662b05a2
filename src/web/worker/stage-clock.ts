/**
 * Per-stage timing of `Masker.analyze` without touching the core: an ONNX Runtime module that
 * passes everything through to the real one, but notes when each model's `session.run` ends.
 * The masker is created on {@link StageClock.runtime}; the models are told apart by their bytes.
 */

import type { InferenceSession } from 'onnxruntime-common';

import type { OrtRuntime } from '../../core/runtime.js';
import type { Stage } from '../shared/protocol.js';

const STAGES: readonly Stage[] = ['detect', 'landmarks', 'classify'];

/** The stage times of one analysed frame, in ms (see WorkerTimings in protocol.ts). */
export interface StageTimes {
  detectMs: number;
  landmarksMs: number;
  classifyMs: number;
  trackMs: number;
  ortRunMs: Record<Stage, number>;
  ortRuns: Record<Stage, number>;
}

export class StageClock {
  /** Hand this to `Masker.create` instead of the real module. */
  readonly runtime: OrtRuntime;
  private lastEnd = emptyRecord(Number.NaN);
  private runMs = emptyRecord(0);
  private runs = emptyRecord(0);

  /**
   * @param ort the real ONNX Runtime module.
   * @param stageOf the model bytes later passed to `Masker.create`, by the stage that runs them.
   */
  constructor(ort: OrtRuntime, stageOf: ReadonlyMap<Uint8Array, Stage>) {
    const create = async (
      model: Uint8Array,
      options?: InferenceSession.SessionOptions,
    ): Promise<InferenceSession> => {
      const session = await ort.InferenceSession.create(model, options);
      const stage = stageOf.get(model);
      if (stage !== undefined) this.watch(session, stage);
      return session;
    };
    // The real factory has one overload per input kind (URL, buffer, bytes); the masker only
    // ever passes bytes, which is the overload implemented here.
    const InferenceSession = { create } as OrtRuntime['InferenceSession'];
    this.runtime = { InferenceSession, Tensor: ort.Tensor };
  }

  /** Call just before `analyze`: forgets the previous frame's runs. */
  startFrame(): void {
    this.lastEnd = emptyRecord(Number.NaN);
    this.runMs = emptyRecord(0);
    this.runs = emptyRecord(0);
  }

  /** The stage times of the frame whose `analyze` ran from `startMs` to `endMs`. */
  finishFrame(startMs: number, endMs: number): StageTimes {
    // Each stage ends with its model's last run; a stage that did not run ends where the
    // previous one did.
    let previous = startMs;
    const span = {} as Record<Stage, number>;
    for (const stage of STAGES) {
      const end = Number.isNaN(this.lastEnd[stage])
        ? previous
        : Math.max(previous, this.lastEnd[stage]);
      span[stage] = end - previous;
      previous = end;
    }
    return {
      detectMs: span.detect,
      landmarksMs: span.landmarks,
      classifyMs: span.classify,
      trackMs: Math.max(0, endMs - previous),
      ortRunMs: { ...this.runMs },
      ortRuns: { ...this.runs },
    };
  }

  private watch(session: InferenceSession, stage: Stage): void {
    const run = session.run.bind(session);
    const timed = async (...args: Parameters<typeof run>): Promise<InferenceSession.ReturnType> => {
      const start = performance.now();
      try {
        return await run(...args);
      } finally {
        const end = performance.now();
        this.runMs[stage] += end - start;
        this.runs[stage] += 1;
        this.lastEnd[stage] = end;
      }
    };
    session.run = timed as InferenceSession['run'];
  }
}

function emptyRecord(value: number): Record<Stage, number> {
  return { detect: value, landmarks: value, classify: value };
}
