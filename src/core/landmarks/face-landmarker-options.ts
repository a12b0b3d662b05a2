import type { ModelSessionOptions } from '../runtime.js';
import { checkUnit } from '../detector/face-detector-options.js';
import { DEFAULT_ROI_SCALE } from './roi.js';

/** Settings of {@link FaceLandmarker}; every field is optional. */
export interface FaceLandmarkerOptions {
  /**
   * Side of the mesh crop as a multiple of the face box's longer side. Default
   * {@link DEFAULT_ROI_SCALE} (1.5, MediaPipe's).
   */
  roiScale?: number;
  /** ONNX Runtime session settings. Default: the runtime's. */
  session?: ModelSessionOptions;
}

export interface ResolvedFaceLandmarkerOptions {
  roiScale: number;
  session: ModelSessionOptions;
}

export function resolveFaceLandmarkerOptions(
  options: FaceLandmarkerOptions = {},
  prefix = 'landmarks',
): ResolvedFaceLandmarkerOptions {
  const roiScale = options.roiScale ?? DEFAULT_ROI_SCALE;
  if (!(roiScale >= 1 && roiScale <= 4)) {
    throw new RangeError(`${prefix}.roiScale: expected a number in 1..4, got ${roiScale}`);
  }
  return { roiScale, session: options.session ?? {} };
}

export { checkUnit };
