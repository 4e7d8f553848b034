/** Errors the GPU layer throws, each saying what went wrong in words a user can act on. */

/** No WebGPU adapter: the message names the fix for the environment. */
export class NoAdapterError extends Error {
  override name = 'NoAdapterError';
}

export interface CompilationMessage {
  type: GPUCompilationMessageType;
  line: number;
  column: number;
  message: string;
}

/** A WGSL shader that did not compile, with file:line:col and the offending source line. */
export class WgslCompileError extends Error {
  override name = 'WgslCompileError';
  constructor(
    readonly file: string,
    readonly messages: CompilationMessage[],
    source: string,
  ) {
    const lines = source.split('\n');
    const text = messages
      .map((m) => {
        const where = `${file}:${m.line}:${m.column}: ${m.type}: ${m.message}`;
        const code = lines[m.line - 1];
        if (code === undefined) return where;
        const caret = ' '.repeat(Math.max(0, m.column - 1)) + '^';
        return `${where}\n    ${code}\n    ${caret}`;
      })
      .join('\n');
    super(`WGSL compilation failed in ${file}:\n${text}`);
  }
}

/** A WebGPU validation or out-of-memory error caught by an error scope. */
export class GpuValidationError extends Error {
  override name = 'GpuValidationError';
  constructor(
    readonly operation: string,
    readonly gpuMessage: string,
  ) {
    super(`${operation}: ${gpuMessage}`);
  }
}

/**
 * What makes a model or data set smaller, named rather than worded: each front end says them in
 * its own flags (a command without --optimizer must not advise one).
 */
export type Remedy = 'hidden' | 'optimizer' | 'examples' | 'inputs' | 'cpu';

/** The remedies in words without any command's flags (the pages, tests), but for --device cpu. */
export const REMEDY_WORDS: Readonly<Record<Remedy, string>> = {
  hidden: 'fewer hidden units',
  optimizer: 'a first-order --optimizer',
  examples: 'fewer examples',
  inputs: 'fewer input values',
  cpu: '--device cpu',
};

/** "use A, B, or C" for the remedies that have words; '' when none has. */
export function adviceOf(remedies: readonly Remedy[], words: Partial<Record<Remedy, string>> = REMEDY_WORDS): string {
  const said = [...new Set(remedies)].map((r) => words[r]).filter((w): w is string => !!w);
  if (said.length === 0) return '';
  if (said.length === 1) return `use ${said[0]}`;
  return `use ${said.slice(0, -1).join(', ')}${said.length > 2 ? ',' : ''} or ${said[said.length - 1]}`;
}

/** A model or data set larger than this device can hold: what was asked, what it allows, what to try. */
export class ResourceLimitError extends Error {
  override name = 'ResourceLimitError';
  /** What was asked and what the device allows, without advice. */
  readonly problem: string;

  constructor(
    problem: string,
    readonly remedies: readonly Remedy[] = [],
  ) {
    const advice = adviceOf(remedies);
    super(advice ? `${problem}: ${advice}` : problem);
    this.problem = problem;
  }
}

/** float32's largest finite value: a larger magnitude becomes ±Infinity in a GPU buffer. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** The first value whose magnitude float32 cannot hold, or undefined. */
export function beyondFloat32(values: ArrayLike<number>): number | undefined {
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i]) > FLOAT32_MAX) return values[i];
  return undefined;
}

/** A byte count for people: 153.6 MB, 4 GiB. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toPrecision(4).replace(/\.?0+$/, '')} ${units[unit]}`;
}

/** The device was lost (driver reset, destroy(), out of memory); every later call fails. */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
}

/**
 * Runs `fn` inside validation and out-of-memory error scopes and throws the first error caught,
 * labelled with `operation`.
 */
export async function withErrorScopes<T>(device: GPUDevice, operation: string, fn: () => T | Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await fn();
  } finally {
    const validation = await device.popErrorScope();
    const memory = await device.popErrorScope();
    const error = validation ?? memory;
    if (error) throw new GpuValidationError(operation, error.message);
  }
  return result;
}
