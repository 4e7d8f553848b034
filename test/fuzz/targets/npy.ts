/** .npy files (NumPy's format): readNpy. */
import fc from 'fast-check';
import { DataError } from '../../../src/data/errors';
import { readNpy, writeNpy } from '../../../src/data/npy';
import type { Dataset } from '../../../src/reference/autoencoder';
import { site, type FuzzCase } from '../mutations';
import { allFinite, expectValid, isPositiveInteger, KiB, seededValues, type Seed, type Target } from './target';

/**
 * A valid result holds exactly the values at the end of the file, in some order: sorted, the
 * dataset's values equal the file's last examples × visibleSize values of its type.
 */
function check(result: unknown, bytes: Uint8Array): void {
  const { data, examples, visibleSize } = result as Dataset;
  expectValid(isPositiveInteger(examples) && isPositiveInteger(visibleSize), `bad size ${examples} × ${visibleSize}`);
  expectValid((data instanceof Float32Array || data instanceof Float64Array) && data.length === examples * visibleSize, `${data?.length} values for ${examples} × ${visibleSize}`);
  expectValid(allFinite(data), 'a value that is not finite');
  const width = data.BYTES_PER_ELEMENT;
  const start = bytes.length - data.length * width;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stored = Array.from({ length: data.length }, (_, i) => (width === 4 ? view.getFloat32(start + 4 * i, true) : view.getFloat64(start + 8 * i, true)));
  const sorted = (values: ArrayLike<number>) => Array.from(values).sort((a, b) => a - b);
  const expected = sorted(stored);
  expectValid(sorted(data).every((v, i) => Object.is(v, expected[i])), "values that are not the file's");
}

/** A version 1.0 file with the header text given as is (padded as np.save pads it) and `payload` after it. */
function npyFile(dict: string, payload: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const length = Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix;
  const header = dict.padEnd(length - 1, ' ') + '\n';
  const out = new Uint8Array(prefix + length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, length, true);
  else view.setUint32(8, length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i) & 0xff;
  out.set(payload, prefix + length);
  return out;
}

/** Header values that fit the seed's 12 values, and values that do not. */
const truths = {
  descr: (descr: string) => [descr],
  fortran_order: () => ['False', 'True'],
  shape: () => ['(3, 4)', '(4, 3)', '(12, 1)', '(1, 12)', '(2, 6)', '(6, 2)', '(3L, 4L)', '(2, 6,)'],
};
const lies = {
  descr: ["'<f4'", "'<f8'", "'>f4'", "'<f2'", "'|u1'", "'<i8'", "[('a', '<f4')]", "'<f4", 'None', "'<f4\u0000'"],
  fortran_order: ['0', "'False'", 'Tru', '(True,)'],
  shape: ['()', '(12,)', '(0, 4)', '(4, 0)', '(3, 4, 1)', '(1000000, 1000000)', '(4294967296, 4294967296)', '(99999999999999999999, 1)', '(3, 4', '(-3, 4)', '(3, 4.0)', "('3', 4)", '(3 4)', '((3, 4),)', '(2, 7)', '(3, 3)', '(1000, 1000)', '(100000, 100)', '(30, 4)'],
};

/**
 * Lies in the header text itself: each of its values true (3 times in 5) or false, keys in any
 * order or one missing, the dict closed well or badly, in every format version; the true ones
 * include Fortran order and other factorizations of the seed's 12 values, so that valid
 * variants reach the reordering.
 */
function headerLies(descr: string, payload: Uint8Array): fc.Arbitrary<Omit<FuzzCase, 'seed'>> {
  const entry = (key: keyof typeof truths) =>
    fc
      .oneof({ weight: 3, arbitrary: fc.constantFrom(...truths[key](descr)) }, { weight: 2, arbitrary: fc.constantFrom(...lies[key]) })
      .map((v) => `'${key}': ${v}`);
  return fc
    .tuple(
      fc.oneof({ weight: 4, arbitrary: fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }) }, { weight: 1, arbitrary: fc.shuffledSubarray([0, 1, 2], { minLength: 2, maxLength: 2 }) }),
      entry('descr'),
      entry('fortran_order'),
      entry('shape'),
      fc.constantFrom(', }', '}', ',}', ', }', ' } x', ''),
      fc.constantFrom(1, 2, 3),
    )
    .map(([order, ...rest]) => {
      const [descrEntry, fortran, shape, close, major] = rest as [string, string, string, string, number];
      const parts = [descrEntry, fortran, shape];
      const dict = '{' + order.map((i) => parts[i]).join(', ') + close;
      return { kind: 'header-lie', label: `v${major} header ${dict}`, input: npyFile(dict, payload, major) };
    });
}

function npySeed(name: string, data: Float32Array | Float64Array, rows: number, cols: number): Seed {
  const bytes = writeNpy(data, rows, cols);
  const payload = bytes.slice(bytes.length - data.byteLength);
  return {
    name,
    bytes,
    sites: [site(8, 2, true, 'header length'), site(6, 1, true, 'major version')],
    extra: headerLies(data instanceof Float32Array ? "'<f4'" : "'<f8'", payload),
    read: readNpy,
    check,
  };
}

export const npyTarget: Target = {
  name: 'npy',
  errorName: 'DataError',
  isOwnError: (error) => error instanceof DataError,
  // The values are copied once out of the file (no larger than it), then once more when the
  // file is in Fortran order; nothing is sized by the header before it is checked against the file.
  budget: (bytes) => ({ largest: bytes.length + 64 * KiB, total: 3 * bytes.length + 256 * KiB }),
  seeds: () => [
    npySeed('f4-3x4.npy', Float32Array.from(seededValues(12, 41, 8), (x) => x - 4), 3, 4),
    npySeed('f8-4x3.npy', Float64Array.from(seededValues(12, 42, 1e6), (x) => x - 5e5), 4, 3),
  ],
};
