/**
 * What the measuring tools share: where the repository and the shared media are, a description
 * of the machine a run happened on, and writing a JSON result file safely.
 */

import { execFileSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { writeFileAtomic } from '../atomic-file.js';
import type { MachineInfo } from './bench-schema.js';

/** The repository root (three folders above this module, from src/ or from dist/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The read-only shared material beside the repository. */
export const SHARED_DIR = path.resolve(REPO_ROOT, '..', 'shared');
export const MEDIA_DIR = path.join(SHARED_DIR, 'media');

/** Where the JSON results and figures live. */
export const RESULTS_DIR = path.join(REPO_ROOT, 'docs', 'results');

/** Describes this machine now (lscpu when it exists, else Node's os module). */
export function machineInfo(): MachineInfo {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const text = execFileSync('lscpu', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const line = text.split('\n').find((l) => l.startsWith('Model name:'));
    if (line) cpu = line.slice('Model name:'.length).trim();
  } catch {
    // No lscpu: keep Node's name for the CPU.
  }
  const [a, b, c] = os.loadavg();
  return {
    cpu,
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    onnxruntimeNode: packageVersion('onnxruntime-node'),
    loadAverage: [round(a, 2), round(b, 2), round(c, 2)],
    date: new Date().toISOString(),
  };
}

/** The installed version of `name`, read from its package.json ('unknown' if unreadable). */
export function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    // Some packages hide package.json behind `exports`; look above the main file instead.
  }
  try {
    let dir = path.dirname(require.resolve(name));
    for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
      try {
        const json = require(path.join(dir, 'package.json')) as { name?: string; version: string };
        if (json.name === name) return json.version;
      } catch {
        // Not there: one folder up.
      }
    }
  } catch {
    // Not installed.
  }
  return 'unknown';
}

/** Writes `value` as indented JSON to `file`, creating its folder, through a temp file. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Reads a JSON file, or returns null when it does not exist. */
export async function readJsonIfPresent<T>(file: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Runs a tool's `main`, printing its error (not a stack) and exiting 1 when it fails. */
export function runTool(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${name}: ${message}\n`);
    if (process.env.DEBUG && error instanceof Error && error.stack)
      process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
}

/** True when the module at `moduleUrl` is the script Node was started with. */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(path.resolve(script)).href === moduleUrl;
}
