/** Checks and reads of input files, with errors that name the file and the problem. */
import { readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';

import { FileError, describeFsError } from './errors.js';

/** Stats `file`, throwing a FileError when it is missing, unreadable, a folder or empty. */
export async function readInputStat(file: string): Promise<Stats> {
  let info: Stats;
  try {
    info = await stat(file);
  } catch (error) {
    throw new FileError(file, describeFsError(error), { cause: error });
  }
  if (info.isDirectory()) throw new FileError(file, 'is a folder, not a file');
  if (info.size === 0) throw new FileError(file, 'file is empty (0 bytes)');
  return info;
}

/** Reads a whole input file, with the checks of `readInputStat`. */
export async function readInputBytes(file: string): Promise<Buffer> {
  await readInputStat(file);
  try {
    return await readFile(file);
  } catch (error) {
    throw new FileError(file, describeFsError(error), { cause: error });
  }
}
