/**
 * The One Euro filter (Casiez, Roussel and Vogel, CHI 2012): a low-pass filter whose cutoff
 * rises with the signal's speed, so a still point barely jitters and a moving one barely lags.
 *
 * Time comes from the caller in milliseconds (container timestamps or a clock). A time that does
 * not move forward (a duplicate or a step backwards) or a gap longer than `maxGapMs` restarts the
 * filter at the new value: a bad timestamp can cost one frame of smoothing, never freeze it.
 */

export interface OneEuroOptions {
  /** Cutoff in Hz when the signal is still; lower = less jitter, more lag. Default 1.0. */
  minCutoffHz?: number;
  /** How fast the cutoff rises with speed (per unit of signal per second). Default 0.05. */
  beta?: number;
  /** Cutoff in Hz of the speed estimate. Default 1.0. */
  derivativeCutoffHz?: number;
  /** A longer gap between samples restarts the filter. Default 1000 ms. */
  maxGapMs?: number;
}

export const DEFAULT_ONE_EURO: Required<OneEuroOptions> = {
  minCutoffHz: 1.0,
  beta: 0.05,
  derivativeCutoffHz: 1.0,
  maxGapMs: 1000,
};

/** Smoothing factor of a first-order low-pass at `cutoffHz` for a step of `dtSeconds`. */
export function lowPassAlpha(cutoffHz: number, dtSeconds: number): number {
  const tau = 1 / (2 * Math.PI * cutoffHz);
  return 1 / (1 + tau / dtSeconds);
}

/** One Euro filter over a vector of fixed length (e.g. all x and y of a face's keypoints). */
export class OneEuroFilter {
  private readonly options: Required<OneEuroOptions>;
  private value: Float64Array | null = null;
  private speed: Float64Array | null = null;
  private lastMs = 0;

  constructor(options: OneEuroOptions = {}) {
    this.options = { ...DEFAULT_ONE_EURO, ...stripUndefined(options) };
    const { minCutoffHz, beta, derivativeCutoffHz, maxGapMs } = this.options;
    for (const [name, v] of Object.entries({ minCutoffHz, derivativeCutoffHz, maxGapMs })) {
      if (!(v > 0 && Number.isFinite(v))) throw new RangeError(`oneEuro.${name}: expected a positive number, got ${v}`);
    }
    if (!(beta >= 0 && Number.isFinite(beta))) throw new RangeError(`oneEuro.beta: expected a number >= 0, got ${beta}`);
  }

  /** Forgets the past; the next sample passes through unchanged. */
  reset(): void {
    this.value = null;
    this.speed = null;
  }

  /**
   * Filters one sample taken at `timeMs`; returns the smoothed vector (a new array).
   * A sample of another length, a non-finite value, or a time that does not move forward
   * restarts the filter.
   *
   * @param scale the signal's unit for `beta`: speeds are divided by it, so one setting works
   *   for faces of any size when it is, say, the face's inter-ocular distance in pixels.
   */
  filter(sample: ArrayLike<number>, timeMs: number, scale = 1): Float64Array {
    const n = sample.length;
    if (!allFinite(sample)) {
      this.reset();
      return Float64Array.from(sample);
    }
    const dtMs = timeMs - this.lastMs;
    const restart =
      this.value === null ||
      this.value.length !== n ||
      !(dtMs > 0) ||
      dtMs > this.options.maxGapMs ||
      !Number.isFinite(timeMs);
    this.lastMs = timeMs;
    if (restart) {
      this.value = Float64Array.from(sample);
      this.speed = new Float64Array(n);
      return Float64Array.from(this.value);
    }
    const value = this.value as Float64Array;
    const speed = this.speed as Float64Array;
    const dt = dtMs / 1000;
    const { minCutoffHz, beta, derivativeCutoffHz } = this.options;
    const aSpeed = lowPassAlpha(derivativeCutoffHz, dt);
    const unit = scale > 0 && Number.isFinite(scale) ? scale : 1;

    // One cutoff for the whole vector, from its overall speed: the points of a face move
    // together, and a shared cutoff keeps its shape from wobbling.
    let speedSquared = 0;
    for (let i = 0; i < n; i++) {
      speed[i] += aSpeed * ((sample[i] - value[i]) / dt - speed[i]);
      speedSquared += speed[i] * speed[i];
    }
    const rms = Math.sqrt(speedSquared / Math.max(1, n)) / unit;
    const a = lowPassAlpha(minCutoffHz + beta * rms, dt);
    for (let i = 0; i < n; i++) value[i] += a * (sample[i] - value[i]);
    return Float64Array.from(value);
  }
}

function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
