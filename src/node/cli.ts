/**
 * The `emoji-mask` command: masks a photo or a video file, optionally writing what it found as
 * JSON. Exit codes: 0 done, 1 a problem with an input, an output, a model or the run itself
 * (`emoji-mask: <file>: <problem>` on stderr), 2 a usage error, 130/143 interrupted by
 * SIGINT/SIGTERM. Outputs appear whole or not at all.
 */
import { readFileSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import type { Writable } from 'node:stream';

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import type { Masker } from '../core/masker/masker.js';
import type { Logger } from '../core/runtime.js';
import { checkOutputPath, withAtomicOutputs } from './atomic-file.js';
import { FileError, describeFsError } from './errors.js';
import { encodeImage, outputImageFormat, readImageFile } from './image-io.js';
import type { NodeMaskerOptions } from './node-masker.js';
import { createProgressReporter } from './progress.js';
import { frameResultToJson, imageResultToJson } from './result-json.js';
import { decodeVideoFrames, openVideoEncoder, outputVideoFormat } from './video-io.js';
import { probeVideo } from './video-probe.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The streams the CLI talks to; tests may pass their own. */
export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** Options every subcommand takes, as commander hands them over. */
interface CommonOptions {
  output: string;
  json?: string;
  models?: string;
  emoji?: string;
  threads?: number;
  strict?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

/** Thrown when SIGINT or SIGTERM asked the run to stop. */
class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}; no output written`);
  }
}

const EXAMPLES = `
Examples:
  $ emoji-mask image photo.jpg -o masked.jpg
  $ emoji-mask image photo.jpg -o masked.png --json faces.json
  $ emoji-mask video clip.mp4 -o masked.mp4 --json - > frames.jsonl`;

/** Runs the CLI on `argv` (as process.argv: node, script, arguments) and returns the exit code. */
export async function main(
  argv: readonly string[] = process.argv,
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const run = new Run(io, argv.includes('--debug'));
  const program = buildProgram(run);
  const stopSignals = run.watchSignals();
  try {
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (error) {
    return run.report(error);
  } finally {
    stopSignals();
  }
}

function buildProgram(run: Run): Command {
  const program = new Command('emoji-mask')
    .description(
      'Covers every face in a photo or a video with the emoji of its expression (angry, disgust, fear, happy, sad, surprise, neutral).',
    )
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'print this help and exit')
    .helpCommand(false)
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => run.io.stdout.write(text),
      writeErr: (text) => run.io.stderr.write(text),
    })
    .showHelpAfterError('(run emoji-mask --help for usage)');

  const image = withCommonOptions(
    program
      .command('image')
      .description(
        'mask a photo: JPEG, PNG, WebP, AVIF, TIFF or GIF (the output format follows the extension of -o)',
      )
      .argument('<input>', 'the photo to mask'),
    '.jpg, .png, .webp, .avif or .tif file to write',
    'write {width, height, faces} to FILE ("-" for stdout)',
  ).action((input: string, options: CommonOptions) => run.image(input, options));

  const video = withCommonOptions(
    program
      .command('video')
      .description('mask a video: same size, frame rate, frame count and timestamps, audio copied')
      .argument('<input>', 'the video to mask'),
    '.mp4, .mov, .mkv or .webm file to write',
    'write one {frame, timeMs, faces} line per frame (JSON Lines) to FILE ("-" for stdout)',
  ).action((input: string, options: CommonOptions) => run.video(input, options));

  for (const command of [image, video]) {
    command.exitOverride().configureOutput({
      writeOut: (text) => run.io.stdout.write(text),
      writeErr: (text) => run.io.stderr.write(text),
    });
    command.showHelpAfterError(`(run emoji-mask ${command.name()} --help for usage)`);
  }
  return program;
}

function withCommonOptions(command: Command, outputHelp: string, jsonHelp: string): Command {
  return command
    .requiredOption('-o, --output <file>', outputHelp)
    .option('--json <file>', jsonHelp)
    .option(
      '--models <dir>',
      'folder with face-detector.onnx, mtcnn-pnet.onnx, mtcnn-rnet.onnx, mtcnn-onet.onnx, face-landmarks.onnx, expression.onnx (default: the shipped models/)',
    )
    .option(
      '--emoji <dir>',
      'emoji pack folder with keypoints.json and seven PNGs (default: the shipped assets/emoji/)',
    )
    .addOption(
      new Option('--threads <n>', 'CPU threads per model (default: 1, the fastest here)').argParser(
        parsePositiveInteger,
      ),
    )
    .option(
      '--strict',
      'cover the whole frame whenever a face is lost, has no mesh or cannot be given its emoji',
    )
    .option('-q, --quiet', 'print nothing but errors')
    .option('--debug', 'print stack traces with errors');
}

function parsePositiveInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`expected a positive integer, got "${text}".`);
  }
  return value;
}

function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  const json = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
  return typeof json.version === 'string' ? json.version : 'unknown';
}

/** One invocation's state: its streams, its flags and whether a signal asked it to stop. */
class Run {
  private quiet = false;
  private interrupted: NodeJS.Signals | undefined;

  /** `debug` until the options are parsed: whether `--debug` is among the arguments. */
  constructor(
    readonly io: CliIo,
    private debug: boolean,
  ) {}

  /** Masks one photo. */
  async image(input: string, options: CommonOptions): Promise<void> {
    this.configure(options);
    const { output, json } = options;
    outputImageFormat(output);
    await this.checkOutputs(input, output, json);

    const decoded = await readImageFile(input);
    await this.withMasker(options, async (masker) => {
      const { image } = decoded;
      const faces = await masker.process(image);
      const doc = imageResultToJson(image.width, image.height, faces);
      const bytes = await encodeImage(image, outputImageFormat(output), {
        alpha: decoded.hasAlpha,
      });
      this.throwIfInterrupted();

      const targets = json !== undefined && json !== '-' ? [output, json] : [output];
      await withAtomicOutputs(targets, async ([imageTemp, jsonTemp]) => {
        await writeOutput(output, imageTemp, bytes);
        if (jsonTemp !== undefined && json !== undefined) {
          await writeOutput(json, jsonTemp, `${JSON.stringify(doc)}\n`);
        }
        this.throwIfInterrupted();
      });
      if (json === '-') await writeStream(this.io.stdout, `${JSON.stringify(doc)}\n`);
      const expressions = faces.map((f) => f.expression).join(', ');
      this.note(
        `${output}: ${plural(faces.length, 'face')} masked${faces.length > 0 ? ` (${expressions})` : ''}`,
      );
    });
  }

  /** Masks one video, frame by frame. */
  async video(input: string, options: CommonOptions): Promise<void> {
    this.configure(options);
    const { output, json } = options;
    const format = outputVideoFormat(output);
    await this.checkOutputs(input, output, json);

    const info = await probeVideo(input);
    await this.withMasker(options, async (masker) => {
      masker.reset();
      const targets = json !== undefined && json !== '-' ? [output, json] : [output];
      const progress = createProgressReporter(info.frameCount, {
        stream: this.io.stderr,
        quiet: this.quiet,
        label: input,
      });
      let withFaces = 0;
      try {
        await withAtomicOutputs(targets, async ([videoTemp, jsonTemp]) => {
          const encoder = await openVideoEncoder(videoTemp, info, { format, displayName: output });
          const lines =
            jsonTemp !== undefined ? await openLineFile(json ?? '', jsonTemp) : undefined;
          const sink = json === '-' ? this.io.stdout : lines?.stream;
          try {
            let frames = 0;
            for await (const frame of decodeVideoFrames(info)) {
              this.throwIfInterrupted();
              const faces = await masker.process(frame.image, { timeMs: frame.timeMs });
              await encoder.write(frame.image);
              if (sink) {
                const line = JSON.stringify(frameResultToJson(frame.index, frame.timeMs, faces));
                await writeStream(sink, `${line}\n`);
              }
              frames++;
              if (faces.length > 0) withFaces++;
              progress.update(frames, faces.length);
            }
            if (frames !== info.frameCount) {
              throw new FileError(
                input,
                frames < info.frameCount
                  ? `the video is damaged or truncated: decoding stopped after ${frames} of the ${info.frameCount} frames probing found`
                  : `decoded ${frames} frames, but probing found ${info.frameCount}; the file may be damaged`,
              );
            }
            this.throwIfInterrupted();
            await encoder.finish();
            await lines?.close();
          } catch (error) {
            await encoder.abort();
            await lines?.close().catch(() => undefined);
            throw error;
          }
        });
      } finally {
        progress.stop();
      }
      this.note(
        `${output}: ${plural(info.frameCount, 'frame')} written, faces masked in ${withFaces}`,
      );
    });
  }

  /** Prints what went wrong and returns the exit code for it. */
  report(error: unknown): number {
    if (error instanceof CommanderError) {
      // Help and version end in a CommanderError too, with exit code 0.
      if (error.exitCode === 0) return EXIT_OK;
      return EXIT_USAGE;
    }
    // After Ctrl-C the error may be ffmpeg's, which the terminal interrupted too.
    const signal = error instanceof Interrupted ? error.signal : this.interrupted;
    if (signal) {
      this.io.stderr.write(`emoji-mask: ${new Interrupted(signal).message}\n`);
      if (this.debug) this.io.stderr.write(`${describeStack(error)}\n`);
      return signal === 'SIGTERM' ? 143 : 130;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.io.stderr.write(`emoji-mask: ${message}\n`);
    if (this.debug) this.io.stderr.write(`${describeStack(error)}\n`);
    return EXIT_FAILURE;
  }

  /** Catches SIGINT and SIGTERM so the run can stop and clean up; returns the unhook. */
  watchSignals(): () => void {
    const handler = (signal: NodeJS.Signals): void => {
      // A second signal while cleaning up: stop at once.
      if (this.interrupted) process.exit(signal === 'SIGTERM' ? 143 : 130);
      this.interrupted = signal;
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  }

  private configure(options: CommonOptions): void {
    this.debug = options.debug === true;
    this.quiet = options.quiet === true;
  }

  private throwIfInterrupted(): void {
    if (this.interrupted) throw new Interrupted(this.interrupted);
  }

  private async checkOutputs(
    input: string,
    output: string,
    json: string | undefined,
  ): Promise<void> {
    await checkOutputPath(output, [input]);
    if (json === undefined || json === '-') return;
    if (path.resolve(json) === path.resolve(output)) {
      throw new FileError(json, 'is also the output (-o); give --json a file of its own');
    }
    await checkOutputPath(json, [input, output]);
  }

  /** Loads the pipeline (after the inputs were checked: a bad input fails fast) and disposes it. */
  private async withMasker(
    options: CommonOptions,
    use: (masker: Masker) => Promise<void>,
  ): Promise<void> {
    // Imported here so that `--help`, usage errors and bad inputs do not wait for ONNX Runtime.
    const { createNodeMasker } = await import('./node-masker.js');
    const maskerOptions: NodeMaskerOptions = {
      modelsDir: options.models,
      emojiDir: options.emoji,
      threads: options.threads,
      strict: options.strict === true,
      logger: this.logger(),
    };
    const masker = await createNodeMasker(maskerOptions);
    try {
      this.throwIfInterrupted();
      await use(masker);
    } finally {
      await masker.dispose();
    }
  }

  private logger(): Logger {
    return {
      warn: (message) => {
        if (!this.quiet) this.io.stderr.write(`emoji-mask: warning: ${message}\n`);
      },
      debug: (message) => {
        if (this.debug) this.io.stderr.write(`emoji-mask: debug: ${message}\n`);
      },
    };
  }

  private note(message: string): void {
    if (!this.quiet) this.io.stderr.write(`emoji-mask: ${message}\n`);
  }
}

/** A JSON Lines file being written at `temp`; `close()` flushes it to disk. */
async function openLineFile(
  target: string,
  temp: string,
): Promise<{ stream: Writable; close(): Promise<void> }> {
  const handle = await open(temp, 'w').catch((error: unknown) => {
    throw asWriteError(target, error);
  });
  const stream = handle.createWriteStream();
  let failure: unknown;
  stream.on('error', (error) => (failure = asWriteError(target, error)));
  return {
    stream,
    async close() {
      if (!stream.closed) {
        stream.end();
        await once(stream, 'close').catch(() => undefined);
      }
      if (failure) throw failure;
    },
  };
}

async function writeOutput(target: string, temp: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFile(temp, data);
  } catch (error) {
    throw asWriteError(target, error);
  }
}

/** Writes to a stream and waits when its buffer is full. */
async function writeStream(stream: Writable, text: string): Promise<void> {
  if (stream.destroyed) throw new Error('output stream closed');
  if (!stream.write(text)) await once(stream, 'drain');
}

function asWriteError(target: string, error: unknown): FileError {
  if (error instanceof FileError) return error;
  return new FileError(target, `cannot write: ${describeFsError(error)}`, { cause: error });
}

function describeStack(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current !== undefined && parts.length < 5) {
    parts.push(current instanceof Error ? (current.stack ?? current.message) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
