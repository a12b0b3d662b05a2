/**
 * MediaPipe's "weighted" non-maximum suppression: instead of keeping only the best box of a
 * cluster of overlapping detections, it keeps the best one's score and averages the boxes and
 * keypoints of the whole cluster, weighted by score. The averaged box jitters less from frame to
 * frame than any single anchor's box.
 */

import { iou } from '../geometry/box-overlap.js';
import type { FaceDetection } from './face-detector-result.js';

/**
 * Clusters detections whose IoU with the current best exceeds `iouThreshold` and replaces each
 * cluster by its score-weighted mean. Returns the merged detections, best first.
 */
export function weightedNms(
  detections: readonly FaceDetection[],
  iouThreshold: number,
): FaceDetection[] {
  let remaining = [...detections].sort((p, q) => q.score - p.score);
  const kept: FaceDetection[] = [];
  while (remaining.length > 0) {
    const best = remaining[0];
    const cluster: FaceDetection[] = [];
    const rest: FaceDetection[] = [];
    for (const d of remaining)
      (iou(best.box, d.box) > iouThreshold || d === best ? cluster : rest).push(d);
    kept.push(cluster.length === 1 ? best : blend(cluster, best.score));
    remaining = rest;
  }
  return kept;
}

function blend(cluster: readonly FaceDetection[], score: number): FaceDetection {
  let total = 0;
  let x0 = 0;
  let y0 = 0;
  let x1 = 0;
  let y1 = 0;
  const keypoints = cluster[0].keypoints.map(() => ({ x: 0, y: 0 }));
  for (const d of cluster) {
    const w = d.score;
    total += w;
    x0 += w * d.box.x;
    y0 += w * d.box.y;
    x1 += w * (d.box.x + d.box.width);
    y1 += w * (d.box.y + d.box.height);
    d.keypoints.forEach((p, k) => {
      keypoints[k].x += w * p.x;
      keypoints[k].y += w * p.y;
    });
  }
  for (const p of keypoints) {
    p.x /= total;
    p.y /= total;
  }
  return {
    box: { x: x0 / total, y: y0 / total, width: (x1 - x0) / total, height: (y1 - y0) / total },
    score,
    keypoints,
  };
}
