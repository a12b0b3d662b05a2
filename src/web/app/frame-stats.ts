/** Frames per second and latency of the displayed picture, over the last few seconds. */

/** The rates shown are averaged over this much time. */
const WINDOW_MS = 2000;

export class FrameStats {
  private readonly frames: { at: number; latencyMs: number }[] = [];
  /** Frames drawn since the page opened. */
  count = 0;

  /** A frame was drawn at `at` (ms), `latencyMs` after its capture. */
  add(at: number, latencyMs: number): void {
    this.count += 1;
    this.frames.push({ at, latencyMs });
    while (this.frames.length > 2 && at - this.frames[0].at > WINDOW_MS) this.frames.shift();
  }

  /** Displayed frames per second over the window; 0 before two frames. */
  get fps(): number {
    const n = this.frames.length;
    if (n < 2) return 0;
    return ((n - 1) * 1000) / (this.frames[n - 1].at - this.frames[0].at);
  }

  /** Mean capture-to-display time over the window, in ms. */
  get latencyMs(): number {
    if (this.frames.length === 0) return 0;
    return this.frames.reduce((sum, f) => sum + f.latencyMs, 0) / this.frames.length;
  }
}
