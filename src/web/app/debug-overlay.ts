/**
 * The debug layer, drawn over the output on its own canvas (so it is never recorded): each
 * face's box, its 468 mesh points, the six masking keypoints, and its tracking state; and a
 * bar chart of the first face's seven expression probabilities.
 */

import { EXPRESSIONS, MASK_KEYPOINT_NAMES } from '../../core/types.js';
import type { FaceResult } from '../../core/types.js';

const KEYPOINT_COLOURS: Record<(typeof MASK_KEYPOINT_NAMES)[number], string> = {
  leftEyeOuter: '#ff3b30',
  rightEyeOuter: '#34c759',
  mouthLeft: '#ff9500',
  mouthRight: '#007aff',
  philtrum: '#af52de',
  chin: '#ffffff',
};

const STATE_COLOURS: Record<FaceResult['tracking'], string> = {
  live: '#00e676',
  held: '#ffd600',
  covered: '#ff1744',
};

export function drawDebugOverlay(
  canvas: HTMLCanvasElement,
  faces: readonly FaceResult[],
  frame: { width: number; height: number },
  mirrored: boolean,
): void {
  if (canvas.width !== frame.width || canvas.height !== frame.height) {
    canvas.width = frame.width;
    canvas.height = frame.height;
  }
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const unit = Math.max(1, Math.min(frame.width, frame.height) / 360);

  for (const face of faces) {
    const { x, y, width, height } = face.box;
    ctx.strokeStyle = STATE_COLOURS[face.tracking];
    ctx.lineWidth = 2 * unit;
    ctx.strokeRect(x, y, width, height);

    ctx.fillStyle = 'rgba(0, 229, 255, 0.8)';
    for (const p of face.landmarks) ctx.fillRect(p.x - unit / 2, p.y - unit / 2, unit, unit);

    for (const name of MASK_KEYPOINT_NAMES) {
      const p = face.keypoints[name];
      ctx.fillStyle = KEYPOINT_COLOURS[name];
      ctx.beginPath();
      ctx.arc(p.x, p.y, 3 * unit, 0, 2 * Math.PI);
      ctx.fill();
    }

    // The label reads the right way round on a mirrored display too.
    const label = `#${face.id} ${face.tracking} ${face.expression} ${(face.score * 100).toFixed(0)}%`;
    ctx.save();
    ctx.font = `${Math.round(12 * unit)}px system-ui, sans-serif`;
    const textWidth = ctx.measureText(label).width;
    if (mirrored) {
      ctx.translate(x + width, 0);
      ctx.scale(-1, 1);
    } else {
      ctx.translate(x, 0);
    }
    ctx.fillStyle = 'rgba(0, 0, 0, 0.6)';
    ctx.fillRect(0, y - 16 * unit, textWidth + 8 * unit, 16 * unit);
    ctx.fillStyle = '#ffffff';
    ctx.fillText(label, 4 * unit, y - 4 * unit);
    ctx.restore();
  }
}

export function clearDebugOverlay(canvas: HTMLCanvasElement): void {
  canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
}

/** A labelled <meter> per expression inside `container`, made once and updated per frame. */
export class ProbabilityChart {
  private readonly meters = new Map<string, { meter: HTMLMeterElement; value: HTMLElement }>();

  constructor(container: HTMLElement) {
    for (const expression of EXPRESSIONS) {
      const row = document.createElement('div');
      row.className = 'prob-row';
      const id = `prob-${expression}`;
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = expression;
      const meter = document.createElement('meter');
      meter.id = id;
      meter.min = 0;
      meter.max = 1;
      meter.value = 0;
      const value = document.createElement('span');
      value.className = 'prob-value';
      value.textContent = '–';
      row.append(label, meter, value);
      container.append(row);
      this.meters.set(expression, { meter, value });
    }
  }

  update(face: FaceResult | undefined): void {
    for (const expression of EXPRESSIONS) {
      const entry = this.meters.get(expression);
      if (!entry) continue;
      const p = face?.probabilities[expression];
      entry.meter.value = p ?? 0;
      entry.value.textContent = p === undefined ? '–' : `${Math.round(p * 100)}%`;
      entry.meter.classList.toggle('shown', face?.expression === expression);
    }
  }
}
