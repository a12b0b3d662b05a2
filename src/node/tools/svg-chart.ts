/**
 * Two small bar charts for docs/RESULTS.md, drawn as SVG text and rasterised to PNG with sharp
 * (librsvg), so no charting package is needed.
 */

import sharp from 'sharp';

/** One bar made of coloured segments that add up (e.g. the stages of one frame). */
export interface StackedBar {
  label: string;
  segments: number[];
  /** Text after the bar (default: the sum). */
  note?: string;
}

/** A group of plain bars side by side (e.g. three libraries at one resolution). */
export interface BarGroup {
  label: string;
  values: (number | null)[];
}

const FONT = 'DejaVu Sans, Arial, sans-serif';
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Round tick spacing giving about `count` ticks up to `max`. */
function tickStep(max: number, count = 6): number {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return step ?? 10 * power;
}

function axis(
  x0: number,
  width: number,
  top: number,
  bottom: number,
  max: number,
  unit: string,
): string {
  const step = tickStep(max);
  const parts: string[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) {
    const x = x0 + (v / max) * width;
    parts.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${x}" y="${bottom + 16}" font-size="12" text-anchor="middle">${round(v)}</text>`,
    );
  }
  parts.push(
    `<text x="${x0 + width / 2}" y="${bottom + 34}" font-size="12" text-anchor="middle">${escapeXml(unit)}</text>`,
  );
  return parts.join('');
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 2 : 1);
}

/** Horizontal stacked bars with a legend of `segmentNames`; returns PNG bytes. */
export async function stackedBarChart(
  title: string,
  segmentNames: readonly string[],
  bars: readonly StackedBar[],
  unit: string,
): Promise<Buffer> {
  const labelWidth = 170;
  const plotWidth = 560;
  const rowHeight = 26;
  const top = 60;
  const bottom = top + bars.length * rowHeight;
  const width = labelWidth + plotWidth + 110;
  const height = bottom + 50;
  const max = Math.max(1e-6, ...bars.map((b) => b.segments.reduce((a, c) => a + c, 0))) * 1.05;

  const parts: string[] = [
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" font-size="15" font-weight="bold" text-anchor="middle">${escapeXml(title)}</text>`,
    axis(labelWidth, plotWidth, top - 6, bottom, max, unit),
  ];
  segmentNames.forEach((name, i) => {
    const x = labelWidth + i * 110;
    parts.push(
      `<rect x="${x}" y="34" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`,
    );
    parts.push(`<text x="${x + 16}" y="45" font-size="12">${escapeXml(name)}</text>`);
  });
  bars.forEach((bar, row) => {
    const y = top + row * rowHeight;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 16}" font-size="12" text-anchor="end">${escapeXml(bar.label)}</text>`,
    );
    let x = labelWidth;
    bar.segments.forEach((v, i) => {
      const w = (v / max) * plotWidth;
      parts.push(
        `<rect x="${x}" y="${y + 3}" width="${Math.max(0, w)}" height="${rowHeight - 8}" fill="${PALETTE[i % PALETTE.length]}"/>`,
      );
      x += w;
    });
    const total = bar.segments.reduce((a, c) => a + c, 0);
    parts.push(
      `<text x="${x + 6}" y="${y + 16}" font-size="12">${escapeXml(bar.note ?? round(total))}</text>`,
    );
  });
  return render(width, height, parts);
}

/** Vertical grouped bars, one colour per series; `null` values are left out. Returns PNG bytes. */
export async function groupedBarChart(
  title: string,
  seriesNames: readonly string[],
  groups: readonly BarGroup[],
  unit: string,
): Promise<Buffer> {
  const left = 70;
  const plotHeight = 300;
  const top = 60;
  const barWidth = 26;
  const groupWidth = seriesNames.length * barWidth + 40;
  const legendStep = 140;
  const width = Math.max(
    520,
    left + groups.length * groupWidth + 30,
    left + seriesNames.length * legendStep,
  );
  const height = top + plotHeight + 60;
  const values = groups.flatMap((g) => g.values.filter((v): v is number => v !== null));
  const max = Math.max(1e-6, ...values) * 1.1;
  const step = tickStep(max);

  const parts: string[] = [
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" font-size="15" font-weight="bold" text-anchor="middle">${escapeXml(title)}</text>`,
  ];
  for (let v = 0; v <= max + 1e-9; v += step) {
    const y = top + plotHeight - (v / max) * plotHeight;
    parts.push(`<line x1="${left}" y1="${y}" x2="${width - 20}" y2="${y}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${left - 6}" y="${y + 4}" font-size="12" text-anchor="end">${round(v)}</text>`,
    );
  }
  parts.push(
    `<text x="16" y="${top + plotHeight / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${top + plotHeight / 2})">${escapeXml(unit)}</text>`,
  );
  seriesNames.forEach((name, i) => {
    const x = left + i * legendStep;
    parts.push(
      `<rect x="${x}" y="34" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`,
    );
    parts.push(`<text x="${x + 16}" y="45" font-size="12">${escapeXml(name)}</text>`);
  });
  groups.forEach((group, g) => {
    const x0 = left + 20 + g * groupWidth;
    group.values.forEach((v, i) => {
      if (v === null) return;
      const h = (v / max) * plotHeight;
      const x = x0 + i * barWidth;
      parts.push(
        `<rect x="${x}" y="${top + plotHeight - h}" width="${barWidth - 4}" height="${h}" fill="${PALETTE[i % PALETTE.length]}"/>`,
      );
      parts.push(
        `<text x="${x + (barWidth - 4) / 2}" y="${top + plotHeight - h - 4}" font-size="10" text-anchor="middle">${round(v)}</text>`,
      );
    });
    parts.push(
      `<text x="${x0 + (seriesNames.length * barWidth) / 2}" y="${top + plotHeight + 18}" font-size="12" text-anchor="middle">${escapeXml(group.label)}</text>`,
    );
  });
  return render(width, height, parts);
}

async function render(width: number, height: number, parts: string[]): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${FONT}">${parts.join('')}</svg>`;
  return sharp(Buffer.from(svg)).png({ compressionLevel: 9 }).toBuffer();
}
