#!/usr/bin/env node
/**
 * Builds the emoji pack in assets/emoji/ from the Twemoji SVGs of the `@twemoji/svg` package:
 * one straight-alpha RGBA PNG per expression, and keypoints.json with, for each, the six masking
 * keypoints and the opaque disc of the emoji's round face, in the PNG's pixel coordinates
 * (continuous, origin at the top-left corner, pixel (i, j) covering [i, i+1) x [j, j+1)).
 *
 *   node scripts/build-emoji.mjs [--size 1024] [--out assets/emoji]
 *   node scripts/build-emoji.mjs --measure-faces ../shared/media/dlib-faces
 *
 * The second form writes nothing: it prints the face proportions, measured on dlib's 68-point
 * landmark annotations, that are one of the two sources of KEYPOINT_LAYOUT.
 *
 * The cover disc is measured from the rendered alpha, not assumed, and one disc that is opaque
 * in all seven emoji is kept; the keypoints are laid out from it with one set of proportions
 * (see KEYPOINT_LAYOUT), so all seven carry the same keypoints and switching expression never
 * moves the face mapping. The output is byte for byte the same for a given @twemoji/svg, sharp
 * and librsvg version (all three are recorded in keypoints.json).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import sharp from 'sharp';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The Twemoji artwork for each FER2013 class, in the classifier's label order. */
const EMOJI = {
  angry: { codepoint: '1f620', name: 'angry face' },
  disgust: { codepoint: '1f922', name: 'nauseated face' },
  fear: { codepoint: '1f628', name: 'fearful face' },
  happy: { codepoint: '1f604', name: 'grinning face with smiling eyes' },
  sad: { codepoint: '1f622', name: 'crying face' },
  surprise: { codepoint: '1f632', name: 'astonished face' },
  neutral: { codepoint: '1f610', name: 'neutral face' },
};

/** Side of the square PNGs in pixels (default). The masker needs at least MIN_SIZE. */
const DEFAULT_SIZE = 1024;
const MIN_SIZE = 512;

/** A pixel counts as opaque for the cover disc from this alpha up (of 255). */
const OPAQUE_ALPHA = 250;
/**
 * The cover radius stays this many pixels inside the nearest non-opaque pixel centre, so that a
 * bilinear sample anywhere inside the disc (which reads pixel centres up to sqrt(2) px away) only
 * sees opaque pixels.
 */
const BILINEAR_MARGIN_PX = 1.5;

/**
 * Where the six keypoints sit, in units of the cover radius r, from the disc centre, x to the
 * image right and y down. "Left"/"right" are the subject's: the subject's left eye is on the
 * image right, as in an unmirrored photo.
 *
 * The layout is an average frontal face, scaled so that its outer eye corners are 0.72 r apart
 * (EYE_HALF_SPAN = 0.36) with the eye line 0.12 r above the centre. In units of W, the outer
 * eye-corner distance, the features sit below the eye line by: philtrum 0.57 W, mouth corners
 * 0.74 W (each 0.36 W from the midline), chin 1.33 W. Each is the mean, rounded to 0.01 W, of
 * two medians over near-frontal real faces: the face mesh run on the photos of shared/media
 * (12 faces: philtrum 0.558, mouth 0.709, half-width 0.348, chin 1.316) and dlib's 68-point
 * annotations of shared/media/dlib-faces (7 faces: 0.586, 0.763, 0.370, 1.352; print them with
 * --measure-faces). See assets/emoji/README.md.
 *
 * How big a face inside the disc: a real face spans about 0.8 W above the eye line (hair line)
 * to 1.33 W below it (chin), and about 1.9 W ear to ear. With W = 0.72 r that is
 * y = -0.70 r .. +0.84 r and x = +/-0.68 r, leaving 0.16-0.3 r of disc all round for head pose
 * and landmark noise; where a face still reaches past the disc, the masker enlarges the emoji
 * until its outline is covered.
 */
const EYE_HALF_SPAN = 0.36;
const EYE_LINE = -0.12;
const W = 2 * EYE_HALF_SPAN;
const PHILTRUM_DROP = 0.57 * W;
const MOUTH_DROP = 0.74 * W;
const MOUTH_HALF_WIDTH = 0.36 * W;
const CHIN_DROP = 1.33 * W;

/** Keypoint offsets {x, y} in units of r from the disc centre (rounded to 1e-3 r). */
const KEYPOINT_LAYOUT = {
  leftEyeOuter: offset(EYE_HALF_SPAN, EYE_LINE),
  rightEyeOuter: offset(-EYE_HALF_SPAN, EYE_LINE),
  mouthLeft: offset(MOUTH_HALF_WIDTH, EYE_LINE + MOUTH_DROP),
  mouthRight: offset(-MOUTH_HALF_WIDTH, EYE_LINE + MOUTH_DROP),
  philtrum: offset(0, EYE_LINE + PHILTRUM_DROP),
  chin: offset(0, EYE_LINE + CHIN_DROP),
};

function offset(x, y) {
  return { x: Math.round(x * 1000) / 1000, y: Math.round(y * 1000) / 1000 };
}

async function main() {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: String(DEFAULT_SIZE) },
      out: { type: 'string', default: path.join(REPO_ROOT, 'assets', 'emoji') },
      'measure-faces': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      'usage: node scripts/build-emoji.mjs [--size 1024] [--out assets/emoji]\n' +
        '       node scripts/build-emoji.mjs --measure-faces ../shared/media/dlib-faces',
    );
    return;
  }
  if (values['measure-faces'] !== undefined) {
    await measureFaces(values['measure-faces']);
    return;
  }
  const size = Number(values.size);
  if (!Number.isInteger(size) || size < MIN_SIZE || size > 4096) {
    throw new RangeError(`--size: expected an integer in ${MIN_SIZE}..4096, got "${values.size}"`);
  }
  const outDir = path.resolve(values.out);

  const require = createRequire(import.meta.url);
  const twemojiPackage = require.resolve('@twemoji/svg/package.json');
  const twemojiDir = path.dirname(twemojiPackage);
  const twemojiVersion = JSON.parse(await readFile(twemojiPackage, 'utf8')).version;

  // Render and measure everything in memory first; write only once all seven succeeded.
  const rendered = [];
  for (const [expression, { codepoint, name }] of Object.entries(EMOJI)) {
    const svgFile = path.join(twemojiDir, `${codepoint}.svg`);
    const svg = await readFile(svgFile);
    const rgba = await renderSvg(svg, size, svgFile);
    const clearance = clearanceOf(rgba, size, svgFile);
    const own = largestOpaqueDisc(clearance, size, svgFile);
    rendered.push({ expression, codepoint, name, svg, rgba, clearance, own });
  }
  const cover = commonCoverDisc(rendered);
  const keypointsPx = layoutKeypoints(cover);

  const outputs = [];
  const expressions = {};
  for (const { expression, codepoint, name, svg, rgba, own } of rendered) {
    const png = await sharp(rgba, { raw: { width: size, height: size, channels: 4 } })
      .png({ compressionLevel: 9, adaptiveFiltering: true, palette: false })
      .toBuffer();
    const file = `${expression}.png`;
    outputs.push({ file, bytes: png });
    expressions[expression] = {
      file,
      width: size,
      height: size,
      codepoint,
      name,
      svgSha256: createHash('sha256').update(svg).digest('hex'),
      cover,
      keypoints: keypointsPx,
    };
    const ownText = `own disc centre (${own.x}, ${own.y}) clearance ${round2(own.d)} px`;
    console.error(`${file}: ${codepoint} ${name}, ${png.length} bytes, ${ownText}`);
  }
  const coverText = `centre (${cover.centerX}, ${cover.centerY}), radius ${cover.radius}`;
  console.error(
    `shared cover disc: ${coverText} (${(cover.radius / size).toFixed(4)} of the size)`,
  );

  const keypoints = {
    version: 1,
    generator: 'scripts/build-emoji.mjs',
    source: {
      package: '@twemoji/svg',
      version: twemojiVersion,
      artwork: 'Twemoji (https://github.com/jdecked/twemoji)',
      license: 'CC-BY-4.0',
    },
    renderer: { sharp: sharp.versions.sharp, librsvg: sharp.versions.rsvg },
    coordinates: 'PNG pixels, continuous, origin top-left, x right, y down',
    layout: {
      unit: 'cover radius r, from the cover centre',
      ...KEYPOINT_LAYOUT,
    },
    expressions,
  };
  outputs.push({ file: 'keypoints.json', bytes: `${JSON.stringify(keypoints, null, 2)}\n` });

  await mkdir(outDir, { recursive: true });
  for (const { file, bytes } of outputs) await writeAtomic(path.join(outDir, file), bytes);
  console.error(`wrote ${outputs.length} files to ${path.relative(process.cwd(), outDir) || '.'}`);
}

/** Renders an SVG to size x size straight-alpha RGBA, scaling its viewBox to fill the square. */
async function renderSvg(svg, size, svgFile) {
  const viewBox = /viewBox="\s*([-\d.]+)[\s,]+([-\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)\s*"/.exec(
    svg.toString('utf8'),
  );
  if (!viewBox) throw new Error(`${svgFile}: no viewBox attribute`);
  const [boxWidth, boxHeight] = [Number(viewBox[3]), Number(viewBox[4])];
  if (!(boxWidth > 0) || boxWidth !== boxHeight) {
    throw new Error(`${svgFile}: expected a square viewBox, got ${boxWidth} x ${boxHeight}`);
  }
  // librsvg renders at density / 72 pixels per SVG user unit.
  const { data, info } = await sharp(svg, { density: (72 * size) / boxWidth })
    .resize(size, size, { fit: 'fill' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 4) {
    throw new Error(`${svgFile}: rendered ${info.width}x${info.height}x${info.channels}`);
  }
  return data;
}

/**
 * A function giving, for a point c, the distance from c to the nearest non-opaque pixel centre
 * (pixels beyond the image edge count as transparent), or 0 when c itself is not opaque. A disc
 * centred at c with a smaller radius holds only opaque pixel centres.
 */
function clearanceOf(rgba, size, svgFile) {
  const opaque = (x, y) =>
    x >= 0 && y >= 0 && x < size && y < size && rgba[(y * size + x) * 4 + 3] >= OPAQUE_ALPHA;

  // Non-opaque pixel centres next to an opaque pixel: the only ones that can be nearest.
  const bx = [];
  const by = [];
  for (let y = -1; y <= size; y++) {
    for (let x = -1; x <= size; x++) {
      if (opaque(x, y)) continue;
      if (opaque(x - 1, y) || opaque(x + 1, y) || opaque(x, y - 1) || opaque(x, y + 1)) {
        bx.push(x + 0.5);
        by.push(y + 0.5);
      }
    }
  }
  if (bx.length === 0) throw new Error(`${svgFile}: rendered image has no opaque pixel`);
  return (cx, cy) => {
    if (!opaque(Math.floor(cx), Math.floor(cy))) return 0;
    let best = Infinity;
    for (let i = 0; i < bx.length; i++) {
      const d = (bx[i] - cx) ** 2 + (by[i] - cy) ** 2;
      if (d < best) best = d;
    }
    return Math.sqrt(best);
  };
}

/**
 * The centre c with the largest clearance, by a coarse-to-fine grid search from the image
 * centre down to 1/8 px. Throws when the result is not the round face Twemoji draws (centre more
 * than 2% of the size off the middle, or clearance under 45% of the size).
 */
function largestOpaqueDisc(clearance, size, svgFile) {
  let best = { x: size / 2, y: size / 2, d: clearance(size / 2, size / 2) };
  for (let step = size / 16, span = size / 2; step >= 0.125; span = 2 * step, step /= 4) {
    const around = best;
    for (let dy = -span; dy <= span; dy += step) {
      for (let dx = -span; dx <= span; dx += step) {
        const d = clearance(around.x + dx, around.y + dy);
        if (d > best.d) best = { x: around.x + dx, y: around.y + dy, d };
      }
    }
  }
  const offCentre = Math.hypot(best.x - size / 2, best.y - size / 2);
  if (offCentre > 0.02 * size || best.d < 0.45 * size) {
    throw new Error(
      `${svgFile}: expected a round face filling the image, found an opaque disc at (${best.x}, ${best.y}) of radius ${round2(best.d)} in ${size} px`,
    );
  }
  return best;
}

/**
 * One cover disc for all seven emoji, so that the keypoints (laid out from it) are identical
 * and the face mapping does not move when the expression changes: of the emoji's own disc
 * centres, the one whose smallest clearance over all seven is largest, with radius that
 * clearance less BILINEAR_MARGIN_PX, rounded down to 0.01 px.
 */
function commonCoverDisc(rendered) {
  let best = { x: 0, y: 0, d: -Infinity };
  for (const { own } of rendered) {
    const d = Math.min(...rendered.map(({ clearance }) => clearance(own.x, own.y)));
    if (d > best.d) best = { x: own.x, y: own.y, d };
  }
  return {
    centerX: round2(best.x),
    centerY: round2(best.y),
    radius: Math.floor((best.d - BILINEAR_MARGIN_PX) * 100) / 100,
  };
}

/** The six keypoints in pixels for a measured cover disc. */
function layoutKeypoints(cover) {
  const out = {};
  for (const [name, { x, y }] of Object.entries(KEYPOINT_LAYOUT)) {
    out[name] = {
      x: round2(cover.centerX + x * cover.radius),
      y: round2(cover.centerY + y * cover.radius),
    };
  }
  return out;
}

function round2(value) {
  return Math.round(value * 100) / 100;
}

/**
 * Prints the median face proportions, in units of W (outer eye-corner distance) from the eye
 * midpoint in an eye-aligned frame (y down), over the near-frontal faces of dlib's example
 * annotations (*_with_face_landmarks.xml, iBUG 300-W 68-point scheme) in `dir`: faces with
 * W >= 25 px whose nose tip (point 30) is within 0.08 W of the eye midline.
 */
async function measureFaces(dir) {
  const faces = [];
  for (const name of ['training_with_face_landmarks.xml', 'testing_with_face_landmarks.xml']) {
    const xml = await readFile(path.join(dir, name), 'utf8');
    for (const box of xml.split('<box ').slice(1)) {
      const p = [];
      for (const m of box.matchAll(/<part name='(\d+)' x='(-?\d+)' y='(-?\d+)'\/>/g)) {
        p[Number(m[1])] = { x: Number(m[2]), y: Number(m[3]) };
      }
      if (p.length === 68) faces.push(p);
    }
  }

  const rows = [];
  for (const p of faces) {
    // Eye-aligned frame: origin at the eye midpoint, x along right eye -> left eye, unit W.
    const [r, l] = [p[36], p[45]];
    const w = Math.hypot(l.x - r.x, l.y - r.y);
    const ex = { x: (l.x - r.x) / w, y: (l.y - r.y) / w };
    const mid = { x: (l.x + r.x) / 2, y: (l.y + r.y) / 2 };
    const q = p.map(({ x, y }) => ({
      x: ((x - mid.x) * ex.x + (y - mid.y) * ex.y) / w,
      y: (-(x - mid.x) * ex.y + (y - mid.y) * ex.x) / w,
    }));
    if (w < 25 || Math.abs(q[30].x) > 0.08) continue;
    rows.push({
      'philtrum drop (mid of 33 and 51)': (q[33].y + q[51].y) / 2,
      'mouth-corner drop (48, 54)': (q[48].y + q[54].y) / 2,
      'mouth half-width': (q[54].x - q[48].x) / 2,
      'chin drop (8)': q[8].y,
      'jaw width at the ears (0-16)': q[16].x - q[0].x,
      'brow rise (19, 24)': -Math.min(q[19].y, q[24].y),
    });
  }
  if (rows.length === 0) throw new Error(`${dir}: no near-frontal face with W >= 25 px`);
  console.log(`${rows.length} near-frontal faces of ${faces.length}; median [min, max] in W:`);
  for (const key of Object.keys(rows[0])) {
    const values = rows.map((row) => row[key]).sort((a, b) => a - b);
    const mid = values.length >> 1;
    const median = values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    const range = `[${values[0].toFixed(3)}, ${values[values.length - 1].toFixed(3)}]`;
    console.log(`  ${key.padEnd(34)} ${median.toFixed(3)} ${range}`);
  }
}

/** Writes through a temporary file beside the target and a rename. */
async function writeAtomic(target, bytes) {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.partial`);
  try {
    await writeFile(temp, bytes);
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw new Error(`${target}: cannot write (${error.message})`, { cause: error });
  }
}

main().catch((error) => {
  console.error(`build-emoji: ${error.message}`);
  process.exitCode = 1;
});
