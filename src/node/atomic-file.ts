/**
 * Output files appear whole or not at all: everything is written to a temporary file in the
 * output's own folder and renamed over the output only once complete, so a crash, a bad input or
 * Ctrl-C never leaves a half-written or damaged file under the name the user asked for.
 */
import { randomBytes } from 'node:crypto';
import { realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { FileError, describeFsError, errnoCode } from './errors.js';

/** A hidden name beside `target` for its temporary file; keeps the extension last. */
export function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  return path.join(dir, `.${base}.${tag}.partial`);
}

/** Removes `file` if it exists; never throws. */
export async function removeQuietly(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch {
    // Already gone or never created: nothing to clean up.
  }
}

/**
 * Runs `write(tempPath)` and renames the temporary file to `target` when it resolves; when it
 * throws, the temporary file is removed and the error passes through unchanged.
 */
export async function withAtomicOutput<T>(
  target: string,
  write: (tempPath: string) => Promise<T>,
): Promise<T> {
  const temp = tempPathFor(target);
  try {
    const result = await write(temp);
    await rename(temp, target).catch((error: unknown) => {
      throw new FileError(target, `cannot write: ${describeFsError(error)}`, { cause: error });
    });
    return result;
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
}

/**
 * {@link withAtomicOutput} for several files that belong together (a masked video and its JSON):
 * `write` gets one temporary path per target, and the targets are renamed into place only when it
 * resolves. When `write` or a rename fails, every temporary file is removed, and so is any target
 * already renamed, so the outputs appear all together or not at all.
 */
export async function withAtomicOutputs<T>(
  targets: readonly string[],
  write: (tempPaths: string[]) => Promise<T>,
): Promise<T> {
  const temps = targets.map(tempPathFor);
  const renamed: string[] = [];
  try {
    const result = await write(temps);
    for (const [i, target] of targets.entries()) {
      await rename(temps[i], target).catch((error: unknown) => {
        throw new FileError(target, `cannot write: ${describeFsError(error)}`, { cause: error });
      });
      renamed.push(target);
    }
    return result;
  } catch (error) {
    await Promise.all([...temps, ...renamed].map(removeQuietly));
    throw error;
  }
}

/** Writes `data` to `target` through a temporary file and a rename. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await withAtomicOutput(target, async (temp) => {
    try {
      await writeFile(temp, data);
    } catch (error) {
      throw new FileError(target, `cannot write: ${describeFsError(error)}`, { cause: error });
    }
  });
}

/**
 * Checks before any work starts that `output` can be written: its folder exists (it is not
 * created) and it is not one of the `inputs` (same path, or another name for the same file).
 */
export async function checkOutputPath(output: string, inputs: readonly string[]): Promise<void> {
  const dir = path.dirname(path.resolve(output));
  let dirStat;
  try {
    dirStat = await stat(dir);
  } catch (error) {
    const problem =
      errnoCode(error) === 'ENOENT'
        ? `output folder ${dir} does not exist`
        : `output folder ${dir}: ${describeFsError(error)}`;
    throw new FileError(output, problem, { cause: error });
  }
  if (!dirStat.isDirectory()) {
    throw new FileError(output, `${dir} is not a folder`);
  }
  const outStat = await stat(output).catch(() => undefined);
  if (outStat?.isDirectory()) {
    throw new FileError(output, 'is a folder; give a file name for the output');
  }
  for (const input of inputs) {
    if (await sameFile(input, output, outStat)) {
      throw new FileError(output, `is the input file; refusing to overwrite it`);
    }
  }
}

async function sameFile(
  input: string,
  output: string,
  outStat: Awaited<ReturnType<typeof stat>> | undefined,
): Promise<boolean> {
  const inReal = await realpath(input).catch(() => path.resolve(input));
  const outReal = await realpath(output).catch(() => path.resolve(output));
  if (inReal === outReal) return true;
  if (!outStat) return false;
  const inStat = await stat(input).catch(() => undefined);
  return inStat !== undefined && inStat.dev === outStat.dev && inStat.ino === outStat.ino;
}
