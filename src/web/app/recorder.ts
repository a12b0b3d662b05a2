/** Recording the masked canvas to a WebM file, offered as a download when it stops. */

/** WebM codecs in order of preference; the first the browser can record is used. */
const WEBM_TYPES = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'];

/** Frames per second asked of `captureStream`; the canvas only changes on each analysed frame. */
export const CAPTURE_FPS = 30;

export class CanvasRecorder {
  private recorder: MediaRecorder | null = null;
  private chunks: Blob[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {}

  get recording(): boolean {
    return this.recorder?.state === 'recording';
  }

  /**
   * Starts recording the canvas (video only: the page never records sound).
   *
   * @throws Error when this browser cannot record WebM.
   */
  start(): void {
    if (this.recording) return;
    if (typeof MediaRecorder === 'undefined') {
      throw new Error('this browser cannot record video (no MediaRecorder)');
    }
    const mimeType = WEBM_TYPES.find((t) => MediaRecorder.isTypeSupported(t));
    if (mimeType === undefined) throw new Error('this browser cannot record WebM video');
    this.chunks = [];
    this.recorder = new MediaRecorder(this.canvas.captureStream(CAPTURE_FPS), { mimeType });
    this.recorder.ondataavailable = (event) => {
      if (event.data.size > 0) this.chunks.push(event.data);
    };
    this.recorder.start(1000);
  }

  /** Stops and returns the recording as one WebM blob. */
  stop(): Promise<Blob> {
    const recorder = this.recorder;
    if (recorder === null || recorder.state === 'inactive') {
      return Promise.reject(new Error('not recording'));
    }
    return new Promise((resolve) => {
      recorder.onstop = () => {
        recorder.stream.getTracks().forEach((t) => t.stop());
        resolve(new Blob(this.chunks, { type: 'video/webm' }));
        this.chunks = [];
      };
      recorder.stop();
    });
  }
}
