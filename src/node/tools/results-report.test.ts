import { describe, expect, it } from 'vitest';

import { metricsSection } from './results-report.js';
import type { MetricsReport, VariantMetrics } from './video-metrics.js';

/** A variant's metrics with every number distinct, so a cell showing the wrong field fails. */
function variant(coverage?: VariantMetrics['coverage']): VariantMetrics {
  return {
    switches: 3,
    faceMinutes: 0.5,
    switchesPerFaceMinute: 6,
    follow: { changes: 4, followed: 3, missed: 1, medianMs: 233, meanMs: 250, p90Ms: 400 },
    jitter: { samples: 120, rmsPx: 0.42, rmsIod: 0.0061, stillFrames: 30 },
    ...(coverage ? { coverage } : {}),
    msPerFrame: 300,
  };
}

function report(maxSeconds: number | null): MetricsReport {
  const measured = {
    faceFrames: 250,
    mean: 0.9987,
    min: 0.8125,
    p5: 0.9951,
    atLeast99: 0.968,
    worst: [{ frame: 41, faceId: 1, coverage: 0.8125 }],
  };
  const empty = { faceFrames: 0, mean: null, min: null, p5: null, atLeast99: null, worst: [] };
  return {
    kind: 'video-metrics',
    command: 'npm run metrics',
    machine: {
      cpu: 'Test CPU',
      cores: 2,
      memoryGiB: 8,
      platform: 'linux x64',
      node: 'v20.0.0',
      loadAverage: [0.5, 0.5, 0.5],
      date: '2025-01-01T12:00:00.000Z',
    },
    settings: {
      maxSeconds,
      persistMs: 500,
      still: { halfWindow: 3, maxMotionIod: 0.05, minFrames: 10 },
      coverage: { samplesPerFace: 1024, fullAt: 0.99 },
      checker: { detector: 'ssd', minScore: 0.5, changeThreshold: 12, maxChangedFraction: 0.5 },
      reviewedRegions: 'docs/results/unmasked-reviewed.json',
      checkedVariants: ['ours'],
      inputStride: 10,
    },
    variants: [
      { name: 'ours', description: 'smoothed' },
      { name: 'none', description: 'raw' },
      { name: 'majority5', description: 'vote' },
    ],
    clips: [
      {
        file: '../shared/media/webcam/talking-d0.mp4',
        width: 640,
        height: 480,
        fps: 25,
        frames: 78,
        seconds: 3.12,
        faces: 1,
        inputCheck: { sampledFrames: 8, faces: 8 },
        variants: { ours: variant(measured), none: variant(empty), majority5: variant() },
      },
    ],
    wallSeconds: 60,
  };
}

/** The cells of a Markdown table line `| a | b |`. */
const cells = (line: string) => line.slice(2, -2).split(' | ');

/** The video table's header and each variant's row, as cells. */
function videoTable(markdown: string): { header: string[]; rows: Map<string, string[]> } {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| clip | variant |'));
  if (start < 0) throw new Error('no video table');
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('| ')) break;
    const row = cells(line);
    rows.set(row[1], row);
  }
  return { header: cells(lines[start]), rows };
}

describe('metricsSection', () => {
  it('says whole clips when maxSeconds is null, and the span when it is a number', () => {
    const whole = metricsSection(report(null));
    expect(whole).toContain('; every frame of each clip, the three');
    expect(whole).not.toContain('first null');
    const short = metricsSection(report(10));
    expect(short).toContain('every frame of the first 10 s of each clip');
    expect(short).not.toContain('null');
  });

  it('shows coverage mean / min / p5 and the share of face-frames >= 0.99', () => {
    const markdown = metricsSection(report(null));
    const { header, rows } = videoTable(markdown);
    const column = header.findIndex((h) => h.startsWith('coverage'));
    expect(header[column]).toBe('coverage mean / min / p5, share ≥ 0.99');
    expect(rows.get('ours')?.[column]).toBe('0.999 / 0.813 / 0.995, **96.8 %** (250 face-frames)');
    expect(rows.get('none')?.[column]).toBe('- (no face)');
    // A file written before coverage was measured.
    expect(rows.get('majority5')?.[column]).toBe('not measured');
    // The other columns keep their places.
    expect(rows.get('ours')?.[header.indexOf('jitter px / % IOD')]).toBe(
      '0.42 / 0.61 % (30 still frames)',
    );
    expect(markdown).toContain('*Coverage*: ');
  });
});
