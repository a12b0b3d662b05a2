import type { Box, Point } from '../types.js';

/** Order of the six keypoints the short-range face detector regresses (subject's own left/right). */
export const DETECTION_KEYPOINT_NAMES = [
  'rightEye',
  'leftEye',
  'noseTip',
  'mouth',
  'rightEarTragion',
  'leftEarTragion',
] as const;

export type DetectionKeypointName = (typeof DETECTION_KEYPOINT_NAMES)[number];

/** One face found by the detector, in source-frame pixels. */
export interface FaceDetection {
  /** Axis-aligned box as the detector draws it (roughly brows to chin, not the whole head). */
  box: Box;
  /** Confidence in 0..1 (sigmoid of the model's logit). */
  score: number;
  /** The six keypoints, indexed as {@link DETECTION_KEYPOINT_NAMES}. */
  keypoints: Point[];
}
