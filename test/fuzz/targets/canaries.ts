/**
 * Readers that misbehave on purpose, one way each, on truncated files only (so that their seeds
 * still read): harness.test.ts checks that the fuzz harness catches every kind of failure.
 */
import { DataError } from '../../../src/data/errors';
import { idxTarget } from './idx';
import type { Target } from './target';

const misbehaviours = {
  throws: () => {
    throw new TypeError('canary');
  },
  hangs: () => {
    for (;;);
  },
  slow: () => {
    const until = performance.now() + 1200;
    while (performance.now() < until);
  },
  allocates: () => new Float64Array(2 ** 23), // 64 MiB for a file of under 100 bytes
  invalid: () => ({ count: 1, rows: 1, cols: 1, pixels: new Float64Array(2) }),
  unnamed: () => {
    throw new DataError('somewhere else', 'a problem');
  },
};

export const canaryTargets: Record<string, Target> = Object.fromEntries(
  Object.entries(misbehaviours).map(([name, misbehave]) => [
    `canary-${name}`,
    {
      ...idxTarget,
      name: `canary-${name}`,
      seeds: () =>
        idxTarget.seeds().map((seed) => ({
          ...seed,
          read: (bytes: Uint8Array, source: string) => (bytes.length < seed.bytes.length ? misbehave() : seed.read(bytes, source)),
        })),
    } satisfies Target,
  ]),
);
