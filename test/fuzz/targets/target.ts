/** What the fuzz worker needs to know about one reader. */
import type { ByteSeed } from '../mutations';

export interface Seed extends ByteSeed {
  /** Reads the bytes as the project does, `source` naming the file. */
  read(bytes: Uint8Array, source: string): unknown;
  /** Throws when what `read` returned is not valid data (shapes inconsistent with lengths…). */
  check(result: unknown, bytes: Uint8Array): void;
}

export interface Target {
  name: string;
  /** The project's own error for bad input, by name, for messages. */
  errorName: string;
  isOwnError(error: unknown): boolean;
  /**
   * The most typed-array memory reading `bytes` may take, in bytes: the largest single
   * allocation and everything together. Derived from what a file of that size could hold
   * (deflate expands at most 1032:1, a pixel needs at least one bit…), with room to spare.
   */
  budget(bytes: Uint8Array): { largest: number; total: number };
  seeds(): Seed[];
}

/** Throws an invalid-data failure unless `condition`. */
export function expectValid(condition: unknown, what: string): asserts condition {
  if (!condition) throw new InvalidResult(what);
}

export class InvalidResult extends Error {
  override name = 'InvalidResult';
}

/** Deflate's largest expansion: 258 bytes per 2 bits of a length/distance pair. */
export const DEFLATE_RATIO = 1032;
export const KiB = 1024;
export const MiB = 1024 * 1024;

/** Small deterministic numbers for seed files. */
export function seededValues(n: number, seed: number, scale = 1): number[] {
  let x = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return (x / 2 ** 32) * scale;
  });
}

export function isPositiveInteger(x: unknown): x is number {
  return Number.isInteger(x) && (x as number) > 0;
}

export function allIn(values: ArrayLike<number>, lo: number, hi: number): boolean {
  for (let i = 0; i < values.length; i++) if (!(values[i] >= lo && values[i] <= hi)) return false;
  return true;
}

export function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}
