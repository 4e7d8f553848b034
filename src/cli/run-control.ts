/**
 * What the command lines share about stopping and failing:
 *
 * - Ctrl-C or SIGTERM stops at the next safe point, with a complete checkpoint. npm and tsx pass
 *   the terminal's Ctrl-C on to the process, which the terminal has sent it as well, so one key
 *   press arrives twice within milliseconds: only a signal well after the first quits at once,
 *   and then the folder keeps its previous complete files (the staging folder is removed).
 * - A user's error (flags, data, checkpoint, output folder, a resource limit) is one line on
 *   stderr and exit code 2.
 */
import { rmSync } from 'node:fs';
import { DataError } from '../data/errors';
import { ResourceLimitError } from '../gpu/errors';
import { CheckpointError } from '../train/checkpoint';
import { ConfigError } from '../train/config';
import { UsageError } from './args';
import { OutputFolderError, type StagedOutput } from './output-files';

/** A second signal within this many ms is the first one passed on by npm or tsx. */
export const REPEATED_SIGNAL_MS = 500;

/** The shell's convention: 128 + the signal's number. */
export function exitCodeOf(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

export interface StopControl {
  /** Aborted by the first signal. */
  readonly abort: AbortSignal;
  /** The first signal, once one came. */
  readonly received: NodeJS.Signals | undefined;
  /** The exit code of the signal received (130 when none came but the run stopped anyway). */
  exitCode(): number;
  /** From now on the results are being written: a first signal lets them finish. */
  writing(): void;
  /** The staging folder a second signal removes before quitting. */
  staging(staged: StagedOutput): void;
}

/** Installs the SIGINT/SIGTERM handlers for a run; `log` prints a line to the user. */
export function handleStopSignals(log: (line: string) => void): StopControl {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  let receivedAt = 0;
  let writing = false;
  let staged: StagedOutput | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      if (Date.now() - receivedAt < REPEATED_SIGNAL_MS) return;
      if (staged) rmSync(staged.staging, { recursive: true, force: true });
      process.exit(exitCodeOf(signal));
    }
    received = signal;
    receivedAt = Date.now();
    if (writing) {
      log(`\n${signal}: finishing writing the results (again to quit at once)`);
    } else {
      log(`\n${signal === 'SIGINT' ? 'interrupted' : signal}: finishing the current iteration and saving a checkpoint (Ctrl-C again to quit at once)`);
      controller.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    abort: controller.signal,
    get received() {
      return received;
    },
    exitCode: () => exitCodeOf(received ?? 'SIGINT'),
    writing: () => void (writing = true),
    staging: (s) => void (staged = s),
  };
}

/** A user's error: one line on stderr and exit code 2. Anything else is rethrown. */
export function usageFailure(error: unknown, command: string): number {
  if (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof DataError ||
    error instanceof CheckpointError ||
    error instanceof OutputFolderError ||
    error instanceof ResourceLimitError
  ) {
    process.stderr.write(`error: ${error.message}\n`);
    if (error instanceof UsageError) process.stderr.write(`(npm run ${command} -- --help lists the options)\n`);
    return 2;
  }
  throw error;
}

/** The cost or gradient became non-finite. */
export const EXIT_DIVERGED = 3;
