/**
 * A spawned helper program (ffmpeg, ffprobe) with its exit awaited as a promise and the end of its
 * stderr kept for error messages.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** How a child process ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last few kilobytes of what it wrote to stderr. */
  stderr: string;
  /** Set when the program could not be started at all (e.g. ENOENT). */
  spawnError?: Error;
}

/** A running child process. */
export interface RunningChild {
  process: ChildProcess;
  /** Resolves once the process has exited and its stdio closed; never rejects. */
  exited: Promise<ChildExit>;
  /** Kills the process (SIGKILL) if it is still running, and waits for it. */
  kill(): Promise<ChildExit>;
}

const STDERR_KEEP = 8192;

/** Starts `command` with `args`; stderr is always captured. */
export function startChild(
  command: string,
  args: readonly string[],
  stdio: SpawnOptions['stdio'] = ['ignore', 'pipe', 'pipe'],
): RunningChild {
  const child = spawn(command, args, { stdio, windowsHide: true });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-STDERR_KEEP);
  });
  let spawnError: Error | undefined;
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('error', (error) => {
      spawnError = error;
      // 'close' does not always follow a failed spawn.
      if (child.pid === undefined) resolve({ code: null, signal: null, stderr, spawnError });
    });
    child.once('close', (code, signal) => resolve({ code, signal, stderr, spawnError }));
  });
  return {
    process: child,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** Runs a command to completion and returns its stdout as text with its exit. */
export async function runToText(
  command: string,
  args: readonly string[],
): Promise<ChildExit & { stdout: string }> {
  const child = startChild(command, args);
  const chunks: string[] = [];
  child.process.stdout?.setEncoding('utf8');
  child.process.stdout?.on('data', (text: string) => chunks.push(text));
  const exit = await child.exited;
  return { ...exit, stdout: chunks.join('') };
}

/** The most telling line of a program's stderr, for one-line error messages. */
export function lastErrorLine(stderr: string): string {
  return errorLines(stderr).at(-1) ?? 'no error message';
}

/** The non-blank lines of a child's stderr, trimmed. */
export function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Words for how a child process ended badly. */
export function describeExit(exit: ChildExit): string {
  if (exit.spawnError) return `could not start (${exit.spawnError.message})`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}: ${lastErrorLine(exit.stderr)}`;
}
