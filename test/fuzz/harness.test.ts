/** The fuzz harness catches each way a reader can fail: readers that fail on purpose. */
import { describe, expect, it } from 'vitest';
import { fuzz } from './harness';

const expected: Record<string, [string, RegExp]> = {
  throws: ['throws a TypeError', /threw TypeError: canary .*not a DataError/],
  hangs: ['never returns', /case \d+ hangs \(no result after 3 s\): .*truncated/],
  slow: ['takes over a second', /took \d+ ms \(limit 1000 ms\)/],
  allocates: ['allocates 64 MiB for a small file', /allocated Float64Array\(8388608\), 67108864 bytes, for a \d+-byte file/],
  invalid: ['returns data that do not fit their size', /returned invalid data: .*2 pixels for 1×1×1/],
  unnamed: ['names another file in its DataError', /the DataError does not start with the file's name: somewhere else: a problem/],
};

describe('the fuzz harness', () => {
  for (const [name, [what, pattern]] of Object.entries(expected)) {
    it(`fails a reader that ${what}`, { timeout: 60_000 }, async () => {
      const summary = await fuzz(`canary-${name}`, 50, 1);
      expect(summary.failure).toMatch(pattern);
    });
  }
});
