/**
 * Progress of a video on stderr: a live bar with an ETA on a terminal (cli-progress), a plain line
 * now and then when stderr is a file or a pipe, or nothing at all.
 */
import cliProgress from 'cli-progress';

/** Receives one call per finished frame, then `stop()` once (also after a failure). */
export interface ProgressReporter {
  /** `done` frames of `total` are finished; `faces` is how many faces the last one had. */
  update(done: number, faces: number): void;
  stop(): void;
}

/** Options of {@link createProgressReporter}. */
export interface ProgressOptions {
  /** Where the progress goes (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** Nothing is written at all (the CLI's `--quiet`). */
  quiet?: boolean;
  /** Seconds between two plain lines when `stream` is not a terminal (default 10). */
  plainIntervalS?: number;
  /** The name shown in front of plain lines (the input file). */
  label: string;
}

const SILENT: ProgressReporter = { update: () => undefined, stop: () => undefined };

/** A reporter for `total` frames that suits `options.stream`. */
export function createProgressReporter(total: number, options: ProgressOptions): ProgressReporter {
  if (options.quiet) return SILENT;
  const stream = options.stream ?? process.stderr;
  return stream.isTTY
    ? barReporter(total, stream)
    : plainReporter(total, stream, options.label, options.plainIntervalS ?? 10);
}

function barReporter(total: number, stream: NodeJS.WriteStream): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'frame {value}/{total} {bar} {percentage}% | ETA {eta_formatted} | {faces} face(s)',
      etaBuffer: 50,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { faces: 0 });
  return {
    update: (done, faces) => bar.update(done, { faces }),
    stop: () => bar.stop(),
  };
}

function plainReporter(
  total: number,
  stream: NodeJS.WriteStream,
  label: string,
  intervalS: number,
): ProgressReporter {
  const started = Date.now();
  let lastLine = started;
  return {
    update(done) {
      const now = Date.now();
      if (now - lastLine < intervalS * 1000 || done >= total) return;
      lastLine = now;
      const left = ((now - started) / done) * (total - done);
      const percent = Math.floor((100 * done) / total);
      stream.write(
        `emoji-mask: ${label}: frame ${done} of ${total} (${percent}%), about ${formatSeconds(left / 1000)} left\n`,
      );
    },
    stop: () => undefined,
  };
}

/** `42 s`, `12 min 5 s`, `1 h 4 min`. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
