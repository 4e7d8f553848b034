/**
 * What the command lines share about stopping and failing:
 *
 * - Ctrl-C or SIGTERM stops at the next safe point, with a complete checkpoint. npm and tsx pass
 *   the terminal's Ctrl-C on to the process, which the terminal has sent it as well, so one key
 *   press arrives twice within milliseconds: only a signal well after the first quits at once,
 *   and then the folder keeps its previous complete files (the staging folder is removed).
 * - A user's error (flags, data, checkpoint, output folder, a resource limit) is one line on
 *   stderr and exit code 2, its advice in the command's own flags; a GPU that fails under a run
 *   is one line and exit code 1; a diverged run exits with 3. Only a bug prints a stack trace,
 *   and then asks for a report.
 */
import { rmSync } from 'node:fs';
import { DataError } from '../data/errors';
import { adviceOf, DeviceLostError, GpuValidationError, ResourceLimitError, WgslCompileError, type Remedy } from '../gpu/errors';
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

/** How a command speaks to its user about failures: its name, and each remedy in its own flags. */
export interface CommandSpeech {
  command: 'train' | 'classify' | 'gradcheck' | 'pca';
  /** A remedy missing here is not advised (the command has no flag for it). */
  remedies: Partial<Record<Remedy, string>>;
}

/** The speech of a command run on `device`: advising --device cpu to a CPU run says nothing. */
export function speechOn(speech: CommandSpeech, device: 'gpu' | 'cpu'): CommandSpeech {
  if (device === 'gpu') return speech;
  const { cpu: _cpu, ...remedies } = speech.remedies;
  return { ...speech, remedies };
}

/** V8's words when a typed array cannot be allocated: the machine's memory, not a bug. */
const ALLOCATION_FAILED = /^(Array buffer allocation failed|Invalid typed array length|Array buffer too large)/;

/**
 * The line a user's error is said in, or undefined when `error` is not the user's: flags,
 * configuration, data, checkpoints, the output folder, and a model or data set too large for
 * the device (with the remedies this command has).
 */
export function userErrorLine(error: unknown, speech: CommandSpeech): string | undefined {
  if (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof DataError ||
    error instanceof CheckpointError ||
    error instanceof OutputFolderError
  ) {
    return error.message;
  }
  if (error instanceof ResourceLimitError) {
    const advice = adviceOf(error.remedies, speech.remedies);
    return advice ? `${error.problem}: ${advice}` : error.problem;
  }
  if (error instanceof RangeError && ALLOCATION_FAILED.test(error.message)) {
    const advice = adviceOf(['hidden', 'examples'], speech.remedies);
    return `this machine could not allocate the memory the run needs (${error.message})${advice ? `: ${advice}` : ''}`;
  }
  return undefined;
}

/** A user's error: one line on stderr and exit code 2. Anything else is rethrown. */
export function usageFailure(error: unknown, speech: CommandSpeech): number {
  const line = userErrorLine(error, speech);
  if (line === undefined) throw error;
  process.stderr.write(`error: ${line}\n`);
  if (error instanceof UsageError) process.stderr.write(`(npm run ${speech.command} -- --help lists the options)\n`);
  return 2;
}

/** The GPU stopped working under a run (a lost device, an error its scopes caught): not the user's input. */
export function isGpuFailure(error: unknown): error is Error {
  return error instanceof DeviceLostError || error instanceof GpuValidationError || error instanceof WgslCompileError;
}

/**
 * The last word on anything a command did not handle: a user's error is still one line and 2;
 * a GPU failure one line and 1; anything else is a bug: its stack, and a line asking for a report.
 */
export function unexpectedFailure(error: unknown, speech: CommandSpeech): number {
  const line = userErrorLine(error, speech);
  if (line !== undefined) {
    process.stderr.write(`error: ${line}\n`);
    return 2;
  }
  if (isGpuFailure(error)) {
    process.stderr.write(`error: the GPU failed: ${error.message}\n`);
    return 1;
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.stderr.write(`error: this is a bug in npm run ${speech.command}, not a problem with your input: please report it with the command line and the lines above\n`);
  return 1;
}

/** Runs a command's main and exits with its code; anything it throws goes through unexpectedFailure. */
export function runCommand(speech: CommandSpeech, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error) => process.exit(unexpectedFailure(error, speech)),
  );
}

/** The cost or gradient became non-finite. */
export const EXIT_DIVERGED = 3;
