/** Writing into the output folder without ever leaving a half-written file there. */
import { mkdir, rename, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes to a temporary name in the same folder, then renames: readers see old or new, whole. */
export async function writeAtomically(dir: string, name: string, contents: Uint8Array | string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  const temporary = join(dir, `.${name}.${process.pid}.partial`);
  try {
    await writeFile(temporary, contents);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return path;
}
