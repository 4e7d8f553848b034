/**
 * The error discipline every command shares (src/cli/run-control.ts) and where a run's checkpoint
 * goes (RunCheckpoint): the cases a command line cannot easily provoke — a bug, a lost GPU, a
 * resource limit said in each command's flags — checked on the functions themselves.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CheckpointError } from '../../src/io/container';
import { DataError } from '../../src/data/errors';
import { DeviceLostError, GpuValidationError, ResourceLimitError } from '../../src/gpu/errors';
import { UsageError } from '../../src/cli/args';
import { prepareOutputFolder, removeCreatedFolders, RunCheckpoint } from '../../src/cli/output-files';
import { speechOn, unexpectedFailure, usageFailure, userErrorLine, type CommandSpeech } from '../../src/cli/run-control';

const train: CommandSpeech = { command: 'train', remedies: { hidden: 'fewer hidden units (--hidden)', optimizer: 'a first-order --optimizer (gd, sgd or adam)', cpu: '--device cpu' } };
const classify: CommandSpeech = { command: 'classify', remedies: { hidden: 'fewer hidden units (--hidden)', examples: 'fewer digits (--digits)', cpu: '--device cpu' } };
const gradcheck: CommandSpeech = { command: 'gradcheck', remedies: { cpu: '--device cpu' } };

let stderr: string;
beforeEach(() => {
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

describe('one mapping from errors to what a user sees', () => {
  const ringTooLarge = new ResourceLimitError("L-BFGS's memory needs 251 MB in one GPU buffer; this adapter's largest is 134 MB", ['hidden', 'optimizer', 'cpu']);

  it('a resource limit advises only the flags the command has', () => {
    expect(userErrorLine(ringTooLarge, train)).toMatch(/: use fewer hidden units \(--hidden\), a first-order --optimizer \(gd, sgd or adam\), or --device cpu$/);
    expect(userErrorLine(ringTooLarge, classify)).toMatch(/: use fewer hidden units \(--hidden\) or --device cpu$/);
    expect(userErrorLine(ringTooLarge, gradcheck)).toMatch(/134 MB: use --device cpu$/);
    // On the CPU already, --device cpu is no advice; with no remedy left, the problem alone.
    expect(userErrorLine(ringTooLarge, speechOn(classify, 'cpu'))).toMatch(/134 MB: use fewer hidden units \(--hidden\)$/);
    expect(userErrorLine(ringTooLarge, speechOn(gradcheck, 'cpu'))).toBe(ringTooLarge.problem);
    // Without a command (the pages), the default words.
    expect(ringTooLarge.message).toMatch(/: use fewer hidden units, a first-order --optimizer, or --device cpu$/);
  });

  it('user errors are one line and exit code 2, a UsageError with the --help hint', () => {
    for (const error of [new DataError('a.mat', 'empty'), new CheckpointError('out/checkpoint.bin: truncated'), ringTooLarge]) {
      stderr = '';
      expect(usageFailure(error, classify)).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^error: /);
    }
    stderr = '';
    expect(usageFailure(new UsageError('--hidden must be a positive integer'), classify)).toBe(2);
    expect(stderr).toBe('error: --hidden must be a positive integer\n(npm run classify -- --help lists the options)\n');
  });

  it('an allocation V8 refuses is said as memory, with the command’s remedies', () => {
    expect(userErrorLine(new RangeError('Invalid typed array length: 99999999999999'), classify)).toMatch(
      /^this machine could not allocate the memory the run needs \(Invalid typed array length: 99999999999999\): use fewer hidden units \(--hidden\) or fewer digits \(--digits\)$/,
    );
    expect(userErrorLine(new RangeError('offset is out of bounds'), classify)).toBeUndefined();
  });

  it('a GPU failure is one line and exit code 1, without a stack', () => {
    for (const error of [new DeviceLostError('the GPU device was lost (destroyed)'), new GpuValidationError('evaluate', 'buffer destroyed')]) {
      stderr = '';
      expect(unexpectedFailure(error, train)).toBe(1);
      expect(stderr).toMatch(/^error: the GPU failed: /);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('a bug prints its stack and asks for a report, exit code 1; a user error that reaches the top is still one line and 2', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'theta')");
    expect(unexpectedFailure(bug, classify)).toBe(1);
    expect(stderr).toContain(bug.stack!);
    expect(stderr).toMatch(/\n\s+at /);
    expect(stderr.trim().split('\n').at(-1)).toBe('error: this is a bug in npm run classify, not a problem with your input: please report it with the command line and the lines above');
    stderr = '';
    expect(unexpectedFailure(new DataError('x.idx', 'truncated'), classify)).toBe(2);
    expect(stderr).toBe('error: x.idx: truncated\n');
  });

  it('usageFailure rethrows what is not the user’s', () => {
    const bug = new Error('internal');
    expect(() => usageFailure(bug, train)).toThrow(bug);
    expect(stderr).toBe('');
  });
});

describe('a run’s checkpoint', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sae-run-checkpoint-'));
  });

  it('in a folder without one, is written there directly (a kill -9 still leaves it) and kept', async () => {
    const checkpoint = await RunCheckpoint.open(dir);
    expect(checkpoint.path).toBe(join(dir, 'checkpoint.bin'));
    await checkpoint.write(new Uint8Array([1]));
    expect(await readFile(join(dir, 'checkpoint.bin'))).toEqual(Buffer.from([1]));
    expect(await checkpoint.keep()).toBe(join(dir, 'checkpoint.bin'));
  });

  it('in a folder with one, goes to in-progress/ and replaces the folder’s only when kept', async () => {
    await writeFile(join(dir, 'checkpoint.bin'), 'good');
    const kept = await RunCheckpoint.open(dir);
    expect(kept.path).toBe(join(dir, 'in-progress', 'checkpoint.bin'));
    await kept.write(new Uint8Array([2]));
    expect(await readFile(join(dir, 'checkpoint.bin'), 'utf8')).toBe('good');
    expect(await kept.keep()).toBe(join(dir, 'checkpoint.bin'));
    expect(await readFile(join(dir, 'checkpoint.bin'))).toEqual(Buffer.from([2]));
    expect(existsSync(join(dir, 'in-progress'))).toBe(false);
  });

  it('of a failed run is set aside beside its files; the folder keeps the good run’s', async () => {
    await writeFile(join(dir, 'checkpoint.bin'), 'good');
    const failed = await RunCheckpoint.open(dir);
    await failed.write(new Uint8Array([3]));
    expect(await failed.setAside('failed')).toBe(join(dir, 'failed', 'checkpoint.bin'));
    expect(await readFile(join(dir, 'checkpoint.bin'), 'utf8')).toBe('good');
    expect(await readFile(join(dir, 'failed', 'checkpoint.bin'))).toEqual(Buffer.from([3]));
    expect(existsSync(join(dir, 'in-progress'))).toBe(false);
    // In a fresh folder too: --resume there then has nothing to continue.
    const fresh = join(dir, 'fresh');
    await mkdir(fresh);
    const diverged = await RunCheckpoint.open(fresh);
    await diverged.write(new Uint8Array([4]));
    expect(await diverged.setAside('diverged')).toBe(join(fresh, 'diverged', 'checkpoint.bin'));
    expect(existsSync(join(fresh, 'checkpoint.bin'))).toBe(false);
  });

  it('a run that wrote none sets nothing aside', async () => {
    const none = await RunCheckpoint.open(dir);
    expect(await none.setAside('failed')).toBeUndefined();
    expect(existsSync(join(dir, 'failed'))).toBe(false);
  });
});

describe('the output folder of a refused run', () => {
  it('is removed with the parents the run made, and only those', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sae-created-'));
    const created = await prepareOutputFolder(join(dir, 'a', 'b'));
    expect(created).toEqual([join(dir, 'a'), join(dir, 'a', 'b')]);
    await removeCreatedFolders(created);
    expect(existsSync(join(dir, 'a'))).toBe(false);
    expect(existsSync(dir)).toBe(true);
    await expect(prepareOutputFolder('')).rejects.toThrow(/--out needs a folder name/);
  });
});
