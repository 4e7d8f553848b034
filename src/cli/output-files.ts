/**
 * The output folder: checked before any training, written so that it never holds a half-written
 * file, and replaced only by a run whose result is good.
 *
 * A run writes its result files into a staging folder inside the output folder and moves them
 * in together at the end (`commit`); a run that fails, diverges or is stopped before its first
 * iteration leaves the previous run's files as they were.
 */
import { access, mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
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
 * Returns the folders it created, for removeCreatedFolders when the run is refused after all.
 */
export async function prepareOutputFolder(dir: string): Promise<string[]> {
  if (dir.trim() === '') throw new OutputFolderError('--out needs a folder name');
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
  const created: string[] = [];
  for (const folder of missing) {
    try {
      await mkdir(folder);
      created.push(folder);
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
  return created;
}

/** A run refused after its output folder was made leaves nothing behind: the folders it made go, if still empty. */
export async function removeCreatedFolders(created: readonly string[]): Promise<void> {
  for (const folder of [...created].reverse()) await rmdir(folder).catch(() => {});
}

/**
 * Where a run's checkpoints go, so that a run that fails never replaces a good run's: straight
 * to DIR/checkpoint.bin when the folder holds none (a kill -9 then still leaves one to resume);
 * otherwise to DIR/in-progress/ until the run ends. A run that finishes or is stopped keeps its
 * checkpoint in DIR (--resume continues it); one that diverges or fails sets it aside beside
 * its other files (DIR/diverged/, DIR/failed/), and DIR keeps the previous run's.
 */
export class RunCheckpoint {
  static readonly NAME = 'checkpoint.bin';
  static readonly IN_PROGRESS = 'in-progress';
  private written = false;

  private constructor(
    readonly dir: string,
    /** The folder the run writes its checkpoints into while it runs. */
    readonly folder: string,
  ) {}

  static async open(dir: string): Promise<RunCheckpoint> {
    const exists = await access(join(dir, RunCheckpoint.NAME)).then(
      () => true,
      () => false,
    );
    return new RunCheckpoint(dir, exists ? join(dir, RunCheckpoint.IN_PROGRESS) : dir);
  }

  /** Where the checkpoints are written while the run goes on. */
  get path(): string {
    return join(this.folder, RunCheckpoint.NAME);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.folder !== this.dir) await mkdir(this.folder, { recursive: true });
    await writeAtomically(this.folder, RunCheckpoint.NAME, bytes);
    this.written = true;
  }

  /** The run's checkpoint becomes the folder's (finished or stopped); its path, or undefined if none was written. */
  keep(): Promise<string | undefined> {
    return this.moveTo(this.dir);
  }

  /** The run's checkpoint goes into DIR/`beside` (a failed run's); its path, or undefined if none was written. */
  setAside(beside: string): Promise<string | undefined> {
    return this.moveTo(join(this.dir, beside));
  }

  /** Drops the run's checkpoint (a run stopped before it had anything to keep). */
  async discard(): Promise<void> {
    if (!this.written) return;
    await rm(this.path, { force: true });
    if (this.folder !== this.dir) await rmdir(this.folder).catch(() => {});
    this.written = false;
  }

  private async moveTo(into: string): Promise<string | undefined> {
    if (!this.written) return undefined;
    const target = join(into, RunCheckpoint.NAME);
    if (into !== this.folder) {
      await mkdir(into, { recursive: true });
      await rename(this.path, target);
      if (this.folder !== this.dir) await rmdir(this.folder).catch(() => {});
      this.written = false;
    }
    return target;
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
