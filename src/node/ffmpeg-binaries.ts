/**
 * Where the ffmpeg and ffprobe programs are. In order: the environment variables
 * EMOJI_MASK_FFMPEG / EMOJI_MASK_FFPROBE (a path), the system's programs on PATH, then the static
 * builds shipped by the npm packages @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type FfmpegTool = 'ffmpeg' | 'ffprobe';

const ENV_NAMES: Record<FfmpegTool, string> = {
  ffmpeg: 'EMOJI_MASK_FFMPEG',
  ffprobe: 'EMOJI_MASK_FFPROBE',
};

const NPM_PACKAGES: Record<FfmpegTool, string> = {
  ffmpeg: '@ffmpeg-installer/ffmpeg',
  ffprobe: '@ffprobe-installer/ffprobe',
};

const resolved = new Map<FfmpegTool, string>();

/** The path of `tool`, found once and remembered; throws when there is none. */
export function ffmpegPath(tool: FfmpegTool): string {
  let found = resolved.get(tool);
  if (!found) {
    found = process.env[ENV_NAMES[tool]] || findOnPath(tool) || fromNpmPackage(tool);
    if (!found) {
      throw new Error(
        `${tool} not found: install it on PATH, set ${ENV_NAMES[tool]}, or install ${NPM_PACKAGES[tool]}`,
      );
    }
    resolved.set(tool, found);
  }
  return found;
}

function findOnPath(tool: FfmpegTool): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, process.platform === 'win32' ? `${tool}.exe` : tool);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}

function fromNpmPackage(tool: FfmpegTool): string | undefined {
  try {
    const required: unknown = createRequire(import.meta.url)(NPM_PACKAGES[tool]);
    if (typeof required === 'object' && required !== null && 'path' in required) {
      return typeof required.path === 'string' ? required.path : undefined;
    }
  } catch {
    // The package throws a string when it has no build for this platform.
  }
  return undefined;
}

/** Options that differ between the ffmpeg versions met in the wild (4.x static builds to 7.x). */
export interface FfmpegFeatures {
  /** `-fps_mode` (ffmpeg 5.1+); older versions only have the equivalent `-vsync`. */
  fpsMode: boolean;
  /** The MP4 muxer's `movie_timescale` (ffmpeg 4.3+), which keeps a start offset exact. */
  movieTimescale: boolean;
}

let features: FfmpegFeatures | undefined;

/** What this ffmpeg supports, asked once from `ffmpeg -h full`. */
export function ffmpegFeatures(): FfmpegFeatures {
  if (!features) {
    const help = spawnSync(ffmpegPath('ffmpeg'), ['-hide_banner', '-h', 'full'], {
      encoding: 'utf8',
      timeout: 20_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const text = `${help.stdout}`;
    features = {
      fpsMode: /^-fps_mode\b/m.test(text),
      movieTimescale: text.includes('movie_timescale'),
    };
  }
  return features;
}
