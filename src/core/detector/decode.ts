/**
 * Turns the face detector's raw outputs into scored boxes: anchor-relative regression decoded to
 * normalised input coordinates, logits clipped and squashed to probabilities.
 */

import type { Anchor } from './anchors.js';
import type { FaceDetection } from './face-detector-result.js';

/** Values regressed per anchor: box cx, cy, w, h, then six (x, y) keypoints. */
export const VALUES_PER_ANCHOR = 16;
export const KEYPOINTS_PER_FACE = 6;

/** MediaPipe clips detector logits to ±100 before the sigmoid. */
const SCORE_CLIP = 100;

/**
 * Detections whose score reaches `minScore`, in coordinates normalised to the model input
 * (0..1 across its width and height; the box as x, y of the top-left corner plus size).
 *
 * @param regressors `anchors.length * 16` values, pixel offsets in the `inputSize` input.
 * @param logits one score logit per anchor.
 */
export function decodeDetections(
  regressors: Float32Array,
  logits: Float32Array,
  anchors: readonly Anchor[],
  inputSize: number,
  minScore: number,
): FaceDetection[] {
  if (
    regressors.length !== anchors.length * VALUES_PER_ANCHOR ||
    logits.length !== anchors.length
  ) {
    throw new RangeError(
      `face detector: expected ${anchors.length} anchors x ${VALUES_PER_ANCHOR} regressors and ${anchors.length} scores, got ${regressors.length} and ${logits.length} values`,
    );
  }
  const found: FaceDetection[] = [];
  for (let i = 0; i < anchors.length; i++) {
    const logit = Math.max(-SCORE_CLIP, Math.min(SCORE_CLIP, logits[i]));
    const score = 1 / (1 + Math.exp(-logit));
    if (!(score >= minScore)) continue;

    const r = i * VALUES_PER_ANCHOR;
    const anchor = anchors[i];
    const cx = regressors[r] / inputSize + anchor.x;
    const cy = regressors[r + 1] / inputSize + anchor.y;
    const w = regressors[r + 2] / inputSize;
    const h = regressors[r + 3] / inputSize;
    const keypoints = [];
    for (let k = 0; k < KEYPOINTS_PER_FACE; k++) {
      keypoints.push({
        x: regressors[r + 4 + 2 * k] / inputSize + anchor.x,
        y: regressors[r + 5 + 2 * k] / inputSize + anchor.y,
      });
    }
    found.push({ box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h }, score, keypoints });
  }
  return found;
}
