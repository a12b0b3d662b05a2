/**
 * What a video file holds, read with ffprobe: the picture size as displayed, the time base and
 * frame rate, every frame's presentation timestamp, and the audio streams.
 */
import { open } from 'node:fs/promises';

import { ffmpegPath } from './ffmpeg-binaries.js';
import { describeExit, errorLines, lastErrorLine, runToText } from './child-process.js';
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
  /** Seconds, as text. */
  duration?: string;
  disposition?: { attached_pic?: number };
  /** `DURATION` is Matroska's per-stream length, `HH:MM:SS.fraction`. */
  tags?: { rotate?: string; DURATION?: string };
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

interface ProbeOutput {
  streams?: ProbeStream[];
  format?: { format_name?: string; duration?: string; tags?: { major_brand?: string } };
}

/** What a still picture is called in messages, by ffmpeg's codec name. */
const IMAGE_KINDS: Record<string, string> = {
  mjpeg: 'JPEG',
  png: 'PNG',
  webp: 'WebP',
  gif: 'GIF',
  tiff: 'TIFF',
  bmp: 'BMP',
  av1: 'AVIF',
  hevc: 'HEIF',
};

/** ISO brands of single-picture HEIF files (AVIF, HEIC); `avis` and `msf1` are sequences. */
const STILL_BRANDS = new Set(['avif', 'mif1', 'heic', 'heix']);

/**
 * Demuxer messages that mean the file stops before its end (as ffmpeg 5.1 words them): MP4 with
 * its data cut after the index, Matroska and WebM cut anywhere.
 */
const TRUNCATION_MESSAGES = /: partial file\b|File ended prematurely/;

/**
 * Probes `file`. Throws a FileError naming it when it is missing, empty, not a media file ffprobe
 * can read, a still image (animated GIFs are videos), has no video stream, or is truncated or
 * damaged: ffprobe decodes every frame here, and errors it reports while doing so reject the
 * file when they cost frames (see `framesLost`; it runs at `-v error`, so warnings are not
 * counted).
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
    // ffprobe picks the MP4 demuxer by extension too; only a file that opens as MP4 lost its index.
    if (/moov atom not found/.test(head.stderr) && (await startsWithFtypBox(file))) {
      throw new FileError(
        file,
        'the video is truncated: its index (the MP4 moov atom) is missing, as in a file cut short or still being written (ffprobe: moov atom not found)',
      );
    }
    throw new FileError(file, `not a video ffprobe can read (${describeProbeFailure(head)})`);
  }
  const parsed = JSON.parse(head.stdout) as ProbeOutput;
  const streams = parsed.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video || !video.width || !video.height) {
    throw new FileError(file, 'has no video stream');
  }
  const still = stillImageKind(parsed, video);
  if (still) throw new FileError(file, stillImageProblem(still));
  const rotation = readRotation(video);
  const swap = rotation === 90 || rotation === 270;
  const timeBase = parseRational(video.time_base) ?? { num: 1, den: 90000 };
  const frameRate = parseRational(video.r_frame_rate) ??
    parseRational(video.avg_frame_rate) ?? { num: 25, den: 1 };

  const { pts: framePts, errors } = await probeFramePts(ffprobe, file, video.index);
  const expected = expectedFrameCount(parsed, video);
  if (errors.length > 0 && framesLost(framePts.length, expected, errors)) {
    throw new FileError(file, damageProblem(file, framePts.length, expected, errors));
  }
  if (framePts.length === 0) {
    throw new FileError(file, 'has no decodable video frame (truncated or corrupt?)');
  }
  // A one-frame GIF is a picture; an animated one is masked as a video.
  if (framePts.length === 1 && video.codec_name === 'gif') {
    throw new FileError(file, stillImageProblem('GIF'));
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

/**
 * Each decoded frame's best-effort timestamp, as ffmpeg itself assigns frames when decoding, and
 * the error lines the demuxer and decoder wrote on the way.
 */
async function probeFramePts(
  ffprobe: string,
  file: string,
  stream: number,
): Promise<{ pts: number[]; errors: string[] }> {
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
  // A file cut short after its index (MP4 with the index first, Matroska) or damaged inside still
  // probes and decodes without an error exit; ffmpeg only reports the lost data on stderr.
  const errors = errorLines(result.stderr);
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
  return { pts, errors };
}

/** Whether `file` opens with an ISO media `ftyp` box, as every MP4 and MOV written today does. */
async function startsWithFtypBox(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(8), 0, 8, 0);
      return bytesRead === 8 && buffer.toString('latin1', 4, 8) === 'ftyp';
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}

/** The kind of picture (`JPEG`, `PNG`, ...) when `video` is a single still image, else undefined. */
function stillImageKind(probe: ProbeOutput, video: ProbeStream): string | undefined {
  const format = probe.format?.format_name ?? '';
  const codec = video.codec_name ?? '';
  const kind = IMAGE_KINDS[codec] ?? codec.toUpperCase();
  // ffmpeg reads one picture with `image2` (chosen by extension) or `<codec>_pipe` (by content).
  if (format === 'image2' || format.endsWith('_pipe')) return kind;
  const brand = probe.format?.tags?.major_brand?.trim();
  if (format.startsWith('mov,') && brand && STILL_BRANDS.has(brand)) return kind;
  return undefined;
}

function stillImageProblem(kind: string): string {
  return `is a still image (${kind}), not a video; mask it with \`emoji-mask image\``;
}

/**
 * How many frames the header's duration and frame rate promise, rounded; undefined when either
 * is unknown. Only an estimate (variable frame rates, edit lists), for messages.
 */
function expectedFrameCount(probe: ProbeOutput, video: ProbeStream): number | undefined {
  const seconds =
    parseSeconds(video.duration) ??
    parseClock(video.tags?.DURATION) ??
    parseSeconds(probe.format?.duration);
  const rate = parseRational(video.avg_frame_rate) ?? parseRational(video.r_frame_rate);
  if (seconds === undefined || !rate) return undefined;
  return Math.round((seconds * rate.num) / rate.den);
}

function parseSeconds(text: string | undefined): number | undefined {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Parses `HH:MM:SS.fraction` to seconds. */
function parseClock(text: string | undefined): number | undefined {
  const match = /^(\d+):(\d\d):(\d\d(?:\.\d+)?)$/.exec(text?.trim() ?? '');
  if (!match) return undefined;
  return parseSeconds(String(Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3])));
}

/**
 * Whether decoding errors cost frames: the data ends early, nothing decoded, or more than a few
 * frames short of what the header's duration promises. Errors that lose nothing (a broken
 * reference frame that a player conceals, common in broadcast recordings) do not refuse a file.
 */
function framesLost(
  frames: number,
  expected: number | undefined,
  errors: readonly string[],
): boolean {
  if (frames === 0 || errors.some((line) => TRUNCATION_MESSAGES.test(line))) return true;
  return expected !== undefined && frames < expected - Math.max(2, 0.02 * expected);
}

/**
 * The problem for a file whose decoding reported `errors`: truncated when the demuxer says the
 * data ends early, damaged otherwise, with the frames decoded and ffprobe's most telling line.
 */
function damageProblem(
  file: string,
  frames: number,
  expected: number | undefined,
  errors: readonly string[],
): string {
  const truncation = errors.find((line) => TRUNCATION_MESSAGES.test(line));
  const shown = stripLogPrefix(file, truncation ?? errors[errors.length - 1]);
  const of = expected !== undefined && expected > frames ? ` of about ${expected}` : '';
  const found =
    frames === 0
      ? 'no frame could be decoded'
      : truncation
        ? `decoding stopped after ${frames}${of} frames`
        : `only ${frames}${of} frames could be decoded`;
  return `the video is ${truncation ? 'truncated' : 'damaged'}: ${found} (ffprobe: ${shown})`;
}

/** A log line without ffmpeg's `[component @ 0x...]` tag or the file name in front. */
function stripLogPrefix(file: string, line: string): string {
  const text = line.replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/i, '');
  return text.startsWith(`${file}: `) ? text.slice(file.length + 2) : text;
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
