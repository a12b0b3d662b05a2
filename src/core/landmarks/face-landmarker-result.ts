import type { RotatedRect } from '../image-ops/affine.js';

export interface Landmark3 {
  x: number;
  y: number;
  /** Depth in the same pixel scale as x and y, relative to the face's centre; larger is farther. */
  z: number;
}

/** The face mesh of one face, in source-frame pixels. */
export interface FaceMesh {
  /** The 468 mesh points (MediaPipe's canonical face-mesh numbering). */
  landmarks: Landmark3[];
  /** Probability (0..1) that the crop shows a face at all; MediaPipe drops a face below 0.5. */
  presence: number;
  /** The crop the model saw. */
  roi: RotatedRect;
}
