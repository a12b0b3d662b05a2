/** The camera: opening a device, listing the others, and saying plainly what went wrong. */

/** What the page shows about the camera. */
export type CameraState =
  | { kind: 'waiting' }
  | { kind: 'live'; label: string }
  | { kind: 'denied'; detail: string }
  | { kind: 'none'; detail: string }
  | { kind: 'error'; detail: string };

/** The resolution asked for; the camera may give another, which is then used as it is. */
const IDEAL_SIZE = { width: 1280, height: 720 };

/**
 * Opens the camera `deviceId` (any camera when null), video only.
 *
 * @throws CameraError with the state to show: denied, none or error.
 */
export async function openCamera(deviceId: string | null): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new CameraError({
      kind: 'error',
      detail:
        'this page cannot use a camera here: open it over https or from localhost (the browser allows cameras only in secure contexts)',
    });
  }
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: {
        ...(deviceId !== null ? { deviceId: { exact: deviceId } } : { facingMode: 'user' }),
        width: { ideal: IDEAL_SIZE.width },
        height: { ideal: IDEAL_SIZE.height },
      },
    });
  } catch (err) {
    throw new CameraError(describeCameraError(err));
  }
}

/** The video inputs; their labels are empty until the user has allowed a camera once. */
export async function listCameras(): Promise<MediaDeviceInfo[]> {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices.filter((d) => d.kind === 'videoinput');
}

export class CameraError extends Error {
  constructor(readonly state: Exclude<CameraState, { kind: 'waiting' | 'live' }>) {
    super(state.detail);
    this.name = 'CameraError';
  }
}

/** Maps getUserMedia's DOMException names to what the user can do about them. */
export function describeCameraError(
  err: unknown,
): Exclude<CameraState, { kind: 'waiting' | 'live' }> {
  const name = err instanceof DOMException || err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return {
        kind: 'denied',
        detail:
          'camera permission was denied; allow the camera for this site in the browser (the icon in the address bar) and reload',
      };
    case 'NotFoundError':
    case 'OverconstrainedError':
      return { kind: 'none', detail: 'no camera was found; connect one and reload' };
    case 'NotReadableError':
    case 'AbortError':
      return {
        kind: 'error',
        detail: `the camera could not be started; another program may be using it (${message})`,
      };
    default:
      return {
        kind: 'error',
        detail: `the camera could not be opened (${name || 'error'}: ${message})`,
      };
  }
}
