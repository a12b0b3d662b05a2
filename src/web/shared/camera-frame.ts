/**
 * A camera frame as it travels between the page and the worker: a WebCodecs `VideoFrame` where
 * the browser has them (its pixels can be copied out as YUV, which is fast), else an
 * `ImageBitmap`. Both are transferable and both upload straight into a WebGL texture.
 */

export type CameraFrame = ImageBitmap | VideoFrame;

/** Whether `frame` is a WebCodecs `VideoFrame` (false where the browser has none). */
export function isVideoFrame(frame: CameraFrame): frame is VideoFrame {
  return typeof VideoFrame === 'function' && frame instanceof VideoFrame;
}

/** The size the frame is shown at, in pixels. */
export function frameSize(frame: CameraFrame): { width: number; height: number } {
  return isVideoFrame(frame)
    ? { width: frame.displayWidth, height: frame.displayHeight }
    : { width: frame.width, height: frame.height };
}
