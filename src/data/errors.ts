/**
 * The one error type of the data layer. Every problem with input data — a truncated file, a
 * wrong magic number, an image too small for a patch — is reported as a DataError that names
 * where the data came from (a file path, "natural images", "MNIST digits") and what is wrong,
 * so that a user can fix the input without reading a stack trace.
 */
export class DataError extends Error {
  override name = 'DataError';
  /** Where the data came from: a file path, or a name such as "natural images". */
  readonly source: string;
  /** What is wrong, without the source. */
  readonly problem: string;

  constructor(source: string, problem: string, options?: { cause?: unknown }) {
    super(`${source}: ${problem}`, options);
    this.source = source;
    this.problem = problem;
  }
}

/** The message of anything thrown, for wrapping third-party errors into a DataError. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
