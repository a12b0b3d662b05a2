/**
 * What to draw over one analysed frame: for each face its emoji (with the homography to apply
 * per pixel) or an opaque cover. Covered faces and faces whose emoji cannot be placed are
 * painted over, and in strict mode any doubt covers the whole frame. Both renderers follow it:
 * `Masker.render` on the CPU and the web app's WebGL2 renderer.
 */

import { centroid } from '../geometry/point-sets.js';
import { FER_MEAN_MESH } from '../classifier/fer-framing.js';
import { projectImageCorners } from '../compose/warp-footprint.js';
import type { EmojiArt, EmojiPack } from '../emoji/emoji-pack.js';
import { homogeneousW, invertMatrix3 } from '../geometry/matrix3.js';
import type { Expression, FaceResult, Matrix3, Point } from '../types.js';
import { EXPRESSIONS } from '../types.js';
import {
  coverPolygon,
  emojiShapeAnchors,
  MESH_SHAPE_ANCHORS,
  placeEmoji,
} from './mask-geometry.js';

/** How a frame's masks are drawn. */
export interface DrawSettings {
  /** Draw the emoji; when false every face gets an opaque cover instead. */
  emoji: boolean;
  /**
   * Cover the whole frame whenever a face is held, covered, has no mesh or cannot be given its
   * emoji (MaskerOptions.strict).
   */
  strict: boolean;
}

/** The opaque cover colour: an emoji yellow, rgb(255, 204, 77). */
export const COVER_RGB = [255, 204, 77] as const;

export interface EmojiDraw {
  kind: 'emoji';
  faceId: number;
  expression: Expression;
  /** Emoji pixels to frame pixels, scaled so w > 0 over the emoji. */
  matrix: Matrix3;
  /** Frame pixels to emoji pixels (the inverse of `matrix`, scaled so w > 0 over the face). */
  inverse: Matrix3;
  /**
   * The emoji image's corners in the frame (the quad to rasterise), or null when the emoji
   * reaches past the horizon and the whole frame must be rasterised instead.
   */
  quad: [Point, Point, Point, Point] | null;
  /** How much the emoji was enlarged beyond its keypoint fit to cover the face outline (>= 1). */
  widening: number;
}

export interface CoverDraw {
  kind: 'cover';
  faceId: number;
  /** Convex polygon in frame pixels, painted in {@link COVER_RGB}. */
  polygon: Point[];
  /** Why this face is covered rather than given its emoji. */
  reason: 'covered' | 'emoji off' | 'not placed';
}

/**
 * An emoji pack ready for {@link planMasks}: each emoji with where the mesh's shape anchors fall
 * on it (computed once; the masker does the same in `Masker.create`).
 */
export type PlanningPack = Readonly<Record<Expression, { art: EmojiArt; anchors: Point[] }>>;

export function preparePack(pack: EmojiPack): PlanningPack {
  const out = {} as Record<Expression, { art: EmojiArt; anchors: Point[] }>;
  for (const e of EXPRESSIONS)
    out[e] = { art: pack[e], anchors: emojiShapeAnchors(pack[e], FER_MEAN_MESH) };
  return out;
}

/** The draws for one frame, in painting order (largest face first). */
export interface MaskPlan {
  width: number;
  height: number;
  /** Paint the whole frame in {@link COVER_RGB} (strict mode with a doubtful face); no draws. */
  fullCover: boolean;
  draws: (EmojiDraw | CoverDraw)[];
}

/**
 * The draws for `faces` found in a `width` x `height` frame.
 *
 * The emoji is fitted to the face's keypoints and, when it has them, its shape anchors, and
 * widened by `placeEmoji` until its opaque disc covers the face's outline (the corners of its
 * box when it has no outline). In a video all three are the tracker's smoothed ones.
 */
export function planMasks(
  faces: readonly FaceResult[],
  pack: PlanningPack,
  frame: { width: number; height: number },
  settings: DrawSettings,
): MaskPlan {
  const plan: MaskPlan = { width: frame.width, height: frame.height, fullCover: false, draws: [] };
  if (settings.strict && faces.some((f) => f.tracking !== 'live' || f.landmarks.length === 0)) {
    plan.fullCover = true;
    return plan;
  }

  // Largest first, so that a small face's emoji is not hidden under a big neighbour's.
  const bySize = [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  for (const face of bySize) {
    const outline = faceOutline(face);
    if (face.tracking === 'covered' || !settings.emoji) {
      const reason = face.tracking === 'covered' ? 'covered' : 'emoji off';
      plan.draws.push({ kind: 'cover', faceId: face.id, polygon: coverPolygon(outline), reason });
      continue;
    }
    const draw = emojiDraw(face, pack[face.expression], outline);
    plan.draws.push(
      draw ?? {
        kind: 'cover',
        faceId: face.id,
        // The fit failed, so the outline may be as wrong as the keypoints: cover all of them.
        polygon: coverPolygon([...outline, ...Object.values(face.keypoints), ...face.landmarks]),
        reason: 'not placed',
      },
    );
  }
  // Strict: a face whose emoji could not be placed is a face the pipeline is unsure of.
  if (settings.strict && plan.draws.some((d) => d.kind === 'cover' && d.reason === 'not placed')) {
    return { ...plan, fullCover: true, draws: [] };
  }
  return plan;
}

/** The outline the emoji must cover: the face's own, or the corners of its box without one. */
export function faceOutline(face: FaceResult): Point[] {
  if (face.outline.length >= 3) return face.outline;
  const { x, y, width, height } = face.box;
  return [
    { x, y },
    { x: x + width, y },
    { x: x + width, y: y + height },
    { x, y: y + height },
  ];
}

function emojiDraw(
  face: FaceResult,
  { art, anchors }: PlanningPack[Expression],
  outline: Point[],
): EmojiDraw | null {
  const faceAnchors =
    face.anchors.length === MESH_SHAPE_ANCHORS.length && anchors.length === face.anchors.length
      ? { emoji: anchors, face: face.anchors }
      : undefined;
  const fit = placeEmoji(art, face.keypoints, outline, faceAnchors);
  if (!fit.ok) return null;
  const disc = { x: art.cover.centerX, y: art.cover.centerY };
  const matrix = positiveAt(fit.matrix, disc);
  const raw = invertMatrix3(matrix);
  if (raw === null) return null;
  const inverse = positiveAt(raw, centroid(outline));
  return {
    kind: 'emoji',
    faceId: face.id,
    expression: face.expression,
    matrix,
    inverse,
    quad: projectImageCorners(matrix, art.image.width, art.image.height),
    widening: fit.widening,
  };
}

/**
 * `m` scaled so that its largest entry is 1 in size and w > 0 at `p`: the same projective map,
 * in numbers that single-precision GPU arithmetic keeps, with the sign the shader expects.
 */
function positiveAt(m: Matrix3, p: Point): Matrix3 {
  const largest = Math.max(...m.map(Math.abs));
  const scale = (homogeneousW(m, p) < 0 ? -1 : 1) / largest;
  return m.map((v) => v * scale) as Matrix3;
}
