import { describe, expect, it } from 'vitest';

import {
  chromiumFlags,
  drawnFps,
  endToEndMs,
  summarizeReports,
  timingStats,
  type PageFrameReport,
} from '../src/node/tools/bench-browser.js';

/** A frame report as the page sends it, with the stage times given and the rest derived. */
function report(
  frameId: number,
  capturedAt: number,
  stages: { detect: number; landmarks: number; classify: number; track: number },
  extra: { readPixels: number; homography: number; composite: number; transfer: number },
): PageFrameReport {
  const analyzeMs = stages.detect + stages.landmarks + stages.classify + stages.track;
  const workerMs = extra.readPixels + analyzeMs + extra.homography;
  return {
    frameId,
    capturedAt,
    drawn: true,
    faces: 1,
    latencyMs: workerMs + extra.composite + extra.transfer,
    compositeMs: extra.composite,
    worker: {
      readPixelsMs: extra.readPixels,
      detectMs: stages.detect,
      landmarksMs: stages.landmarks,
      classifyMs: stages.classify,
      trackMs: stages.track,
      analyzeMs,
      homographyMs: extra.homography,
      workerMs,
      // A tracked face with small faces on: the detector on the frame and 9 tiles, one mesh run.
      ortRuns: { detect: 10, landmarks: 1, classify: 1 },
    },
  };
}

describe('timingStats', () => {
  it('gives the median and the 10th and 90th percentiles, interpolated', () => {
    expect(timingStats([5, 1, 3, 2, 4])).toEqual({
      runs: 5,
      medianMs: 3,
      p10Ms: 1.4,
      p90Ms: 4.6,
    });
  });
});

describe('endToEndMs', () => {
  it('adds analysis, planning and composite, leaving out getting the frame in and out', () => {
    const r = report(
      1,
      0,
      { detect: 100, landmarks: 20, classify: 10, track: 2 },
      { readPixels: 7, homography: 0.5, composite: 30, transfer: 40 },
    );
    expect(endToEndMs(r)).toBeCloseTo(132 + 0.5 + 30, 9);
    expect(r.latencyMs - endToEndMs(r)).toBeCloseTo(7 + 40, 9);
  });
});

describe('drawnFps', () => {
  it('counts frames over the time between the first and the last drawn', () => {
    const stages = { detect: 50, landmarks: 10, classify: 5, track: 1 };
    const extra = { readPixels: 2, homography: 1, composite: 10, transfer: 21 };
    // Latency 100 ms each, captured every 250 ms: drawn every 250 ms, so 4 fps.
    const frames = [0, 250, 500, 750].map((t, i) => report(i + 1, t, stages, extra));
    expect(frames[0].latencyMs).toBe(100);
    expect(drawnFps(frames)).toBeCloseTo(4, 9);
  });

  it('is 0 with fewer than two frames', () => {
    const one = report(
      1,
      0,
      { detect: 1, landmarks: 1, classify: 1, track: 1 },
      { readPixels: 1, homography: 1, composite: 1, transfer: 1 },
    );
    expect(drawnFps([one])).toBe(0);
    expect(drawnFps([])).toBe(0);
  });
});

describe('summarizeReports', () => {
  it('puts each of the page timings in its stage, and derives the transfer time', () => {
    const frames = [
      [200, 30, 12, 3, 8, 0.2, 40, 50],
      [220, 34, 14, 5, 9, 0.4, 44, 60],
      [180, 32, 10, 4, 7, 0.3, 42, 55],
    ].map(([detect, landmarks, classify, track, readPixels, homography, composite, transfer], i) =>
      report(
        i + 1,
        i * 1000,
        { detect, landmarks, classify, track },
        { readPixels, homography, composite, transfer },
      ),
    );
    const s = summarizeReports(frames);
    expect(s.stages.detect.medianMs).toBe(200);
    expect(s.stages.landmarks.medianMs).toBe(32);
    expect(s.stages.classify.medianMs).toBe(12);
    expect(s.stages.homography.medianMs).toBe(0.3);
    expect(s.stages.composite.medianMs).toBe(42);
    expect(s.track.medianMs).toBe(4);
    expect(s.frameIn.medianMs).toBe(8);
    expect(s.transfer.medianMs).toBe(55);
    // Per frame: 285.2, 317.4 and 268.3 ms end to end; 343.2, 386.4 and 330.3 ms latency.
    expect(s.endToEnd.medianMs).toBe(285.2);
    expect(s.latency.medianMs).toBe(343.2);
    expect(s.faces).toBe(1);
    expect(s.ortRuns).toEqual({ detect: 10, landmarks: 1, classify: 1 });
    expect(s.endToEnd.runs).toBe(3);
  });

  it('refuses an empty list', () => {
    expect(() => summarizeReports([])).toThrow('expected frame reports, got none');
  });
});

describe('chromiumFlags', () => {
  it('plays the given file as the camera, allowed without asking, with software WebGL', () => {
    const flags = chromiumFlags('/tmp/x.y4m');
    expect(flags).toContain('--use-file-for-fake-video-capture=/tmp/x.y4m');
    expect(flags).toContain('--use-fake-device-for-media-stream');
    expect(flags).toContain('--use-fake-ui-for-media-stream');
    expect(flags).toContain('--use-angle=swiftshader');
  });
});
