/**
 * The one error type the Node side throws for a problem with a file the user named: an input that
 * is missing, empty, corrupt or too large, an output that cannot be written, a model that will
 * not load. Its message is `<file>: <problem>`, which the CLI prints after its own name.
 */
export class FileError extends Error {
  /** The path as the user gave it (or as the default resolved it). */
  readonly file: string;
  /** What is wrong, in words, without the file name. */
  readonly problem: string;

  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, options);
    this.name = 'FileError';
    this.file = file;
    this.problem = problem;
  }
}

/** The `code` of a Node system error (`ENOENT`, `EACCES`, ...), or undefined. */
export function errnoCode(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

/** Words for the common system errors met when reading or writing a file. */
export function describeFsError(error: unknown): string {
  switch (errnoCode(error)) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** The first line of an error's message, for one-line reports. */
export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '');
  return (line ?? text).trim();
}
