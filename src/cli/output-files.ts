/**
 * The output folder: checked before any training, written so that it never holds a half-written
 * file, and replaced only by a run whose result is good.
 *
 * A run writes its result files into a staging folder inside the output folder and moves them
 * in together at the end (`commit`); a run that fails, diverges or is stopped before its first
 * iteration leaves the previous run's files as they were.
 */
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** The output folder cannot be used; the message names the path and why. */
export class OutputFolderError extends Error {
  override name = 'OutputFolderError';
}

/** Writes to a temporary name in the same folder, then renames: readers see old or new, whole. */
export async function writeAtomically(dir: string, name: string, contents: Uint8Array | string): Promise<string> {
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

const why = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOENT':
      return 'it cannot be created there';
    case 'ENOSPC':
      return 'the disk is full';
    default:
      return (error as Error).message;
  }
};

/**
 * Makes sure `dir` is a folder this process can write, creating it (and missing parents) if
 * needed. One folder at a time: Node's recursive mkdir never returns on paths such as /proc/x.
 */
export async function prepareOutputFolder(dir: string): Promise<void> {
  const fail = (reason: string): never => {
    throw new OutputFolderError(`--out ${dir}: ${reason}`);
  };
  const missing: string[] = [];
  let path = resolve(dir);
  for (;;) {
    try {
      const info = await stat(path);
      if (!info.isDirectory()) fail(path === resolve(dir) ? 'exists and is not a folder' : `${path} is a file, not a folder`);
      break;
    } catch (error) {
      if (error instanceof OutputFolderError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') fail(why(error));
      missing.unshift(path);
      const parent = dirname(path);
      if (parent === path) fail('no such place');
      path = parent;
    }
  }
  for (const folder of missing) {
    try {
      await mkdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') fail(why(error));
    }
  }
  // Writing is the only sure test (permissions, read-only mounts, pseudo file systems).
  const probe = join(dir, `.write-test.${process.pid}`);
  try {
    await writeFile(probe, '');
  } catch (error) {
    fail(why(error));
  } finally {
    await rm(probe, { force: true });
  }
}

/** A run's result files, staged in the output folder and moved in together. */
export class StagedOutput {
  readonly staging: string;

  private constructor(readonly dir: string) {
    this.staging = join(dir, `.staging.${process.pid}`);
  }

  static async create(dir: string): Promise<StagedOutput> {
    const staged = new StagedOutput(dir);
    await rm(staged.staging, { recursive: true, force: true });
    await mkdir(staged.staging);
    return staged;
  }

  /** Writes one result file into the staging folder; returns the path it will have once committed. */
  async write(name: string, contents: Uint8Array | string): Promise<string> {
    await writeFile(join(this.staging, name), contents);
    return join(this.dir, name);
  }

  /** Moves every staged file into `into` (default: the output folder), replacing those there. */
  async commit(into = this.dir): Promise<void> {
    if (into !== this.dir) await mkdir(into, { recursive: true });
    for (const name of await readdir(this.staging)) await rename(join(this.staging, name), join(into, name));
    await this.discard();
  }

  /** Drops the staged files: the folder keeps what it had. */
  async discard(): Promise<void> {
    await rm(this.staging, { recursive: true, force: true });
  }
}
