/**
 * What a video file holds, read with ffprobe: the picture size as displayed, the time base and
 * frame rate, every frame's presentation timestamp, and the audio streams.
 */
import { ffmpegPath } from './ffmpeg-binaries.js';
import { describeExit, lastErrorLine, runToText } from './child-process.js';
import { FileError } from './errors.js';
import { readInputStat } from './input-file.js';

/** A rational number `num/den`, as ffprobe reports time bases and rates. */
export interface Rational {
  num: number;
  den: number;
}

/** An audio stream of the source, carried over to the output. */
export interface AudioStreamInfo {
  /** The stream's index in the file. */
  index: number;
  /** ffmpeg's codec name (`aac`, `opus`, `mp3`, ...). */
  codec: string;
  /** Time base of the stream's timestamps (often 1/sample rate). */
  timeBase: Rational;
}

/** A probed video. */
export interface VideoInfo {
  file: string;
  /** The container as ffprobe names it (`mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, ...). */
  container: string;
  /** Index of the video stream used (the first that is not cover art). */
  streamIndex: number;
  /** ffmpeg's codec name of the video stream. */
  codec: string;
  /** Size of decoded frames, after the stream's rotation is applied. */
  width: number;
  height: number;
  /** Clockwise rotation in degrees (0, 90, 180, 270) applied to the stored pictures for display. */
  rotation: number;
  /** Time base of the video stream's timestamps. */
  timeBase: Rational;
  /** The stream's nominal frame rate (ffprobe's r_frame_rate, or avg_frame_rate if that is unset). */
  frameRate: Rational;
  /** Presentation timestamp of every decoded frame in display order, in `timeBase` units. */
  framePts: number[];
  /** Number of decoded frames (`framePts.length`). */
  frameCount: number;
  audio: AudioStreamInfo[];
}

interface ProbeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  time_base?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

interface ProbeOutput {
  streams?: ProbeStream[];
  format?: { format_name?: string };
}

/**
 * Probes `file`. Throws a FileError naming it when it is missing, empty, not a media file ffprobe
 * can read, has no video stream, or has no decodable frame.
 */
export async function probeVideo(file: string): Promise<VideoInfo> {
  await readInputStat(file);
  const ffprobe = ffmpegPath('ffprobe');
  const head = await runToText(ffprobe, [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    file,
  ]);
  if (head.code !== 0 || head.spawnError) {
    throw new FileError(file, `not a video ffprobe can read (${describeProbeFailure(head)})`);
  }
  const parsed = JSON.parse(head.stdout) as ProbeOutput;
  const streams = parsed.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video || !video.width || !video.height) {
    throw new FileError(file, 'has no video stream');
  }
  const rotation = readRotation(video);
  const swap = rotation === 90 || rotation === 270;
  const timeBase = parseRational(video.time_base) ?? { num: 1, den: 90000 };
  const frameRate = parseRational(video.r_frame_rate) ??
    parseRational(video.avg_frame_rate) ?? { num: 25, den: 1 };

  const framePts = await probeFramePts(ffprobe, file, video.index);
  if (framePts.length === 0) {
    throw new FileError(file, 'has no decodable video frame (truncated or corrupt?)');
  }
  return {
    file,
    container: parsed.format?.format_name ?? 'unknown',
    streamIndex: video.index,
    codec: video.codec_name ?? 'unknown',
    width: swap ? video.height : video.width,
    height: swap ? video.width : video.height,
    rotation,
    timeBase,
    frameRate,
    framePts,
    frameCount: framePts.length,
    audio: streams
      .filter((s) => s.codec_type === 'audio')
      .map((s) => ({
        index: s.index,
        codec: s.codec_name ?? 'unknown',
        timeBase: parseRational(s.time_base) ?? { num: 1, den: 48000 },
      })),
  };
}

/** Each decoded frame's best-effort timestamp, as ffmpeg itself assigns frames when decoding. */
async function probeFramePts(ffprobe: string, file: string, stream: number): Promise<number[]> {
  const result = await runToText(ffprobe, [
    '-v',
    'error',
    '-select_streams',
    String(stream),
    '-show_entries',
    'frame=best_effort_timestamp',
    '-of',
    'csv=p=0',
    file,
  ]);
  if (result.code !== 0 || result.spawnError) {
    throw new FileError(file, `cannot decode the video (${describeProbeFailure(result)})`);
  }
  // A file cut short after its index (MP4 with the index first, Matroska) still probes and
  // decodes without an error exit; ffmpeg only reports the missing data on stderr.
  if (/: partial file\b/.test(result.stderr)) {
    throw new FileError(file, 'truncated: the file ends before the data its index lists');
  }
  const pts: number[] = [];
  let previous = -Infinity;
  for (const line of result.stdout.split('\n')) {
    const text = line.trim().replace(/,$/, '');
    if (!/^-?\d+$/.test(text)) continue; // blank lines and frames without a timestamp
    // Keep timestamps strictly increasing, as a muxer requires.
    const value = Math.max(Number(text), previous + 1);
    pts.push(value);
    previous = value;
  }
  return pts;
}

function readRotation(stream: ProbeStream): number {
  const matrix = stream.side_data_list?.find((d) => typeof d.rotation === 'number');
  // A display matrix's rotation is counter-clockwise; the old `rotate` tag is clockwise.
  const degrees = matrix ? -(matrix.rotation ?? 0) : Number(stream.tags?.rotate ?? 0);
  const normalised = (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
  return Number.isFinite(normalised) ? normalised : 0;
}

/** Parses `"30000/1001"`; undefined for missing, zero or malformed values. */
export function parseRational(text: string | undefined): Rational | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(text ?? '');
  if (!match) return undefined;
  const num = Number(match[1]);
  const den = Number(match[2]);
  return num > 0 && den > 0 ? { num, den } : undefined;
}

function describeProbeFailure(exit: Awaited<ReturnType<typeof runToText>>): string {
  if (exit.spawnError || exit.signal) return `ffprobe ${describeExit(exit)}`;
  const line = lastErrorLine(exit.stderr);
  // ffprobe prefixes errors with the file name; the caller names the file already.
  const colon = line.lastIndexOf(': ');
  return colon >= 0 ? line.slice(colon + 2) : line;
}
