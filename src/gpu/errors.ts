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

/** A model or data set larger than this device can hold: what was asked, what it allows, what to try. */
export class ResourceLimitError extends Error {
  override name = 'ResourceLimitError';
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
