/**
 * Video in and out through ffmpeg pipes. Decoding yields raw RGBA frames one at a time (ffmpeg
 * waits while the consumer is busy, so memory holds a few frames, never the video). Encoding
 * takes frames in the same order and gives each its source frame's timestamp back, so the output
 * has the source's size, frame count, frame rate and timestamps; the source's audio is copied
 * (or re-encoded where the container needs another codec). Metadata and chapters are not copied.
 *
 * Two limits come from older ffmpeg builds (4.1 as shipped by @ffmpeg-installer, 5.1 as in
 * Debian 12), not from this module; ffmpeg 9 has neither. WebM with Opus audio starts 7 ms late,
 * video and audio together, because Opus's priming cannot be stored before time 0 there. In MP4,
 * 4.1 gives the last frame no duration unless the timestamps fit a time base of 1 ms or coarser
 * (see `encoderTimeBase`), and newer demuxers (ffprobe 6.1 here) then drop that frame.
 */
import { once } from 'node:events';
import { rm, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { RgbaImage } from '../core/types.js';
import { describeExit, startChild, type RunningChild } from './child-process.js';
import { FileError } from './errors.js';
import { ffmpegFeatures, ffmpegPath } from './ffmpeg-binaries.js';
import { setptsExpression } from './frame-timing.js';
import type { Rational, VideoInfo } from './video-probe.js';

/** One decoded frame. */
export interface VideoFrame {
  /** 0-based position in the stream. */
  index: number;
  /** Presentation timestamp in the stream's time base. */
  pts: number;
  /** Presentation time in milliseconds (pts × time base). */
  timeMs: number;
  image: RgbaImage;
}

/** Output containers by file extension (lower case, with the dot). */
const VIDEO_FORMATS = {
  '.mp4': 'mp4',
  '.m4v': 'mp4',
  '.mov': 'mov',
  '.mkv': 'matroska',
  '.webm': 'webm',
} as const;

export type VideoOutputFormat = (typeof VIDEO_FORMATS)[keyof typeof VIDEO_FORMATS];

/** The video extensions `openVideoEncoder` accepts. */
export const VIDEO_OUTPUT_EXTENSIONS = Object.keys(VIDEO_FORMATS);

/** The container for `file`'s extension, or a FileError listing the supported ones. */
export function outputVideoFormat(file: string): VideoOutputFormat {
  const ext = path.extname(file).toLowerCase() as keyof typeof VIDEO_FORMATS;
  const format = VIDEO_FORMATS[ext];
  if (!format) {
    throw new FileError(
      file,
      `unsupported video output extension "${path.extname(file)}"; use one of ${VIDEO_OUTPUT_EXTENSIONS.join(' ')}`,
    );
  }
  return format;
}

/** The time of `pts` in milliseconds. */
export function ptsToMs(pts: number, timeBase: Rational): number {
  return (pts * timeBase.num * 1000) / timeBase.den;
}

function passthroughArgs(): string[] {
  return ffmpegFeatures().fpsMode ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
}

/**
 * Decodes the video stream of a probed file to RGBA frames in display order, rotation applied.
 * Stopping the iteration early (break, throw) kills ffmpeg. Throws a FileError naming the file
 * when ffmpeg fails to decode it.
 */
export async function* decodeVideoFrames(info: VideoInfo): AsyncGenerator<VideoFrame> {
  const frameBytes = info.width * info.height * 4;
  const child = startChild(ffmpegPath('ffmpeg'), [
    '-nostdin',
    '-v',
    'error',
    '-i',
    info.file,
    '-map',
    `0:${info.streamIndex}`,
    ...passthroughArgs(),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgba',
    'pipe:1',
  ]);
  const stdout = child.process.stdout;
  if (!stdout) throw new Error('ffmpeg started without a stdout pipe');
  const lastPts = info.framePts[info.framePts.length - 1];
  const lastStep = info.framePts.length > 1 ? lastPts - info.framePts[info.framePts.length - 2] : 1;
  let index = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  try {
    for await (const chunk of stdout as AsyncIterable<Buffer>) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pendingBytes >= frameBytes) {
        const joined = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
        const data = new Uint8Array(frameBytes);
        data.set(joined.subarray(0, frameBytes));
        const rest = joined.subarray(frameBytes);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
        const pts =
          index < info.framePts.length
            ? info.framePts[index]
            : lastPts + (index - info.framePts.length + 1) * lastStep;
        yield {
          index,
          pts,
          timeMs: ptsToMs(pts, info.timeBase),
          image: { width: info.width, height: info.height, data },
        };
        index++;
      }
    }
    const exit = await child.exited;
    if (exit.code !== 0) {
      throw new FileError(info.file, `cannot decode the video: ffmpeg ${describeExit(exit)}`);
    }
    if (index === 0) throw new FileError(info.file, 'no video frame could be decoded');
  } finally {
    await child.kill();
  }
}

/** Writes frames into a video file; see `openVideoEncoder`. */
export interface VideoEncoder {
  /**
   * Queues the next frame; resolves when ffmpeg can take more. The image must have the source's
   * size and must not be changed afterwards.
   */
  write(image: RgbaImage): Promise<void>;
  /** Ends the input and waits for ffmpeg to finish the file. */
  finish(): Promise<void>;
  /** Kills ffmpeg; the caller removes the partial file. */
  abort(): Promise<void>;
}

/** Options for `openVideoEncoder`. */
export interface VideoEncoderOptions {
  /** Container (default: from `displayName`'s extension). */
  format?: VideoOutputFormat;
  /** The name used in error messages (default: the target path). */
  displayName?: string;
  /** x264 constant rate factor for MP4/MOV/MKV, lower is better (default 18). */
  crf?: number;
}

/**
 * Starts ffmpeg writing `target` with the size, timestamps and audio of `source`. Frames are
 * H.264 (yuv420p, or yuv444p for odd sizes) in MP4, MOV and MKV, VP9 in WebM.
 */
export async function openVideoEncoder(
  target: string,
  source: VideoInfo,
  options: VideoEncoderOptions = {},
): Promise<VideoEncoder> {
  const displayName = options.displayName ?? target;
  const format = options.format ?? outputVideoFormat(displayName);
  const { num, den } = source.timeBase;
  const timeBase = `${num}/${den}`;
  const encoderBase = encoderTimeBase(source.timeBase, source.framePts);
  const expression = setptsExpression(source.framePts);
  const filter = `settb=${timeBase},setpts='${expression}'`;
  // Long variable-rate expressions go through a file: command lines have a length limit.
  let scriptDir: string | undefined;
  let filterArgs = ['-filter:v', filter];
  if (filter.length > 4000) {
    scriptDir = await mkdtemp(path.join(os.tmpdir(), 'emoji-mask-filter-'));
    const script = path.join(scriptDir, 'timestamps.txt');
    await writeFile(script, filter);
    filterArgs = ['-filter_script:v', script];
  }
  const args = [
    '-nostdin',
    '-v',
    'error',
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgba',
    '-s',
    `${source.width}x${source.height}`,
    '-framerate',
    `${source.frameRate.num}/${source.frameRate.den}`,
    '-i',
    'pipe:0',
    ...(source.audio.length > 0 ? ['-i', source.file] : []),
    '-map',
    '0:v:0',
    ...source.audio.flatMap((a) => ['-map', `1:${a.index}`]),
    ...filterArgs,
    ...passthroughArgs(),
    '-enc_time_base:v',
    `${encoderBase.num}/${encoderBase.den}`,
    ...videoCodecArgs(format, source, options.crf ?? 18),
    ...source.audio.flatMap((a, i) => audioCodecArgs(format, a.codec, i)),
    '-copyts',
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    ...containerArgs(format, source),
    '-f',
    format,
    target,
  ];
  const child = startChild(ffmpegPath('ffmpeg'), args, ['pipe', 'ignore', 'pipe']);
  return new FfmpegVideoEncoder(child, source, displayName, async () => {
    if (scriptDir) await rm(scriptDir, { recursive: true, force: true });
  });
}

/**
 * The coarsest time base in which every frame's timestamp is still exact: the stream's time base
 * times the greatest common divisor of all timestamps. For constant-rate video starting on a frame
 * boundary that is one frame (1/25 s for 25 fps in 1/12800 units). Encoding in it rather than in
 * the fine stream time base matters with older ffmpeg (4.x, the npm-shipped build): its muxer
 * derives each packet's duration from the encoder's time base and leaves it at 0 when that is finer
 * than 1 ms, so the last frame of an MP4 gets no duration and newer demuxers drop it.
 */
export function encoderTimeBase(timeBase: Rational, pts: readonly number[]): Rational {
  let step = 0;
  for (const value of pts) step = gcd(step, Math.abs(value));
  // Frames past the probed end continue the last spacing (see timingRuns), which the gcd divides.
  if (step === 0) return timeBase;
  const num = timeBase.num * step;
  const divisor = gcd(num, timeBase.den);
  return { num: num / divisor, den: timeBase.den / divisor };
}

function videoCodecArgs(format: VideoOutputFormat, source: VideoInfo, crf: number): string[] {
  const even = source.width % 2 === 0 && source.height % 2 === 0;
  const pixelFormat = even ? 'yuv420p' : 'yuv444p';
  if (format === 'webm') {
    return [
      '-c:v',
      'libvpx-vp9',
      '-crf',
      '32',
      '-b:v',
      '0',
      '-row-mt',
      '1',
      '-deadline',
      'good',
      '-cpu-used',
      '4',
      '-pix_fmt',
      pixelFormat,
    ];
  }
  return ['-c:v', 'libx264', '-preset', 'fast', '-crf', String(crf), '-pix_fmt', pixelFormat];
}

/** Audio codecs each container takes as they are; others are re-encoded. */
const COPYABLE_AUDIO: Record<VideoOutputFormat, readonly string[] | 'any'> = {
  mp4: ['aac', 'mp3', 'alac', 'ac3', 'eac3'],
  mov: ['aac', 'mp3', 'alac', 'ac3', 'eac3', 'pcm_s16le', 'pcm_s24le'],
  matroska: 'any',
  webm: ['opus', 'vorbis'],
};

function audioCodecArgs(format: VideoOutputFormat, codec: string, i: number): string[] {
  const copyable = COPYABLE_AUDIO[format];
  if (copyable === 'any' || copyable.includes(codec)) return [`-c:a:${i}`, 'copy'];
  return format === 'webm'
    ? [`-c:a:${i}`, 'libopus', `-b:a:${i}`, '128k']
    : [`-c:a:${i}`, 'aac', `-b:a:${i}`, '192k'];
}

function containerArgs(format: VideoOutputFormat, source: VideoInfo): string[] {
  if (format !== 'mp4' && format !== 'mov') return [];
  const videoScale = source.timeBase.den;
  return [
    '-video_track_timescale',
    String(videoScale),
    ...(ffmpegFeatures().movieTimescale
      ? ['-movie_timescale', String(movieTimescale(videoScale, source.audio))]
      : []),
    '-movflags',
    '+faststart',
  ];
}

/**
 * The MP4 movie timescale: start offsets (edit lists) are counted in it, so one that every
 * track's timescale divides keeps each track's start exact. Falls back to the video's timescale
 * when that common multiple does not fit in 31 bits.
 */
export function movieTimescale(videoScale: number, audio: VideoInfo['audio']): number {
  let scale = videoScale;
  for (const stream of audio) {
    const next = (scale / gcd(scale, stream.timeBase.den)) * stream.timeBase.den;
    if (next > 0x7fffffff) return videoScale;
    scale = next;
  }
  return scale;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

class FfmpegVideoEncoder implements VideoEncoder {
  private pipeError: Error | undefined;
  private written = 0;

  constructor(
    private readonly child: RunningChild,
    private readonly source: VideoInfo,
    private readonly displayName: string,
    private readonly cleanup: () => Promise<void>,
  ) {
    // Without a listener an EPIPE after ffmpeg dies would crash the process.
    child.process.stdin?.on('error', (error) => {
      this.pipeError = error;
    });
  }

  async write(image: RgbaImage): Promise<void> {
    const stdin = this.child.process.stdin;
    if (!stdin) throw new Error('ffmpeg started without a stdin pipe');
    if (image.width !== this.source.width || image.height !== this.source.height) {
      throw new Error(
        `frame ${this.written} is ${image.width}×${image.height}, expected ${this.source.width}×${this.source.height}`,
      );
    }
    await this.throwIfFailed();
    const bytes = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
    this.written++;
    if (!stdin.write(bytes)) {
      await Promise.race([once(stdin, 'drain'), this.child.exited]);
      await this.throwIfFailed();
    }
  }

  async finish(): Promise<void> {
    try {
      this.child.process.stdin?.end();
      const exit = await this.child.exited;
      if (exit.code !== 0) throw this.failure(exit);
    } finally {
      await this.cleanup();
    }
  }

  async abort(): Promise<void> {
    await this.child.kill();
    await this.cleanup();
  }

  private async throwIfFailed(): Promise<void> {
    const { exitCode, signalCode } = this.child.process;
    if (exitCode !== null || signalCode !== null || this.pipeError) {
      throw this.failure(await this.child.exited);
    }
  }

  private failure(exit: Awaited<RunningChild['exited']>): FileError {
    return new FileError(this.displayName, `cannot encode the video: ffmpeg ${describeExit(exit)}`);
  }
}
