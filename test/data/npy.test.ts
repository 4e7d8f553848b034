import { describe, expect, it } from 'vitest';
import { isNpy, readNpy, writeNpy } from '../../src/data/npy';
import { expectDataError } from './expect-data-error';

/** Files written by NumPy 2.4 (np.save, np.lib.format.write_array), base64. */
const numpy = {
  // np.arange(6, dtype='<f4').reshape(2, 3) * 0.5 - 1
  c32: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIC/AAAAvwAAAAAAAAA/AACAPwAAwD8=',
  // np.asfortranarray(np.arange(6, dtype='<f8').reshape(2, 3) + 0.25)
  f64Fortran: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAADQPwAAAAAAAApAAAAAAAAA9D8AAAAAAAARQAAAAAAAAAJAAAAAAAAAFUA=',
  // the c32 array as format versions 2.0 and 3.0
  v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIC/AAAAvwAAAAAAAAA/AACAPwAAwD8=',
  v3: 'k05VTVBZAwB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIC/AAAAvwAAAAAAAAA/AACAPwAAwD8=',
};
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** A version 1.0 file with the header text given as is, and `values` float64 after it. */
function npyWithHeader(dict: string, values: ArrayLike<number> = [], bytesPerValue: 4 | 8 = 8): Uint8Array {
  const header = dict + '\n';
  const out = new Uint8Array(10 + header.length + values.length * bytesPerValue);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  for (let i = 0; i < values.length; i++) {
    if (bytesPerValue === 8) view.setFloat64(10 + header.length + 8 * i, values[i], true);
    else view.setFloat32(10 + header.length + 4 * i, values[i], true);
  }
  return out;
}

describe('readNpy', () => {
  it("reads NumPy's float32 file as a Float32Array, rows as examples", () => {
    const dataset = readNpy(fromBase64(numpy.c32), 'acts.npy');
    expect(dataset.examples).toBe(2);
    expect(dataset.visibleSize).toBe(3);
    expect(dataset.data).toBeInstanceOf(Float32Array);
    expect(Array.from(dataset.data)).toEqual([-1, -0.5, 0, 0.5, 1, 1.5]);
  });

  it('reads format versions 2.0 and 3.0 alike', () => {
    for (const file of [numpy.v2, numpy.v3]) expect(Array.from(readNpy(fromBase64(file)).data)).toEqual([-1, -0.5, 0, 0.5, 1, 1.5]);
  });

  it('reorders a Fortran-order file into rows, as np.load does', () => {
    const dataset = readNpy(fromBase64(numpy.f64Fortran), 'f.npy');
    expect(dataset.data).toBeInstanceOf(Float64Array);
    expect([dataset.examples, dataset.visibleSize]).toEqual([2, 3]);
    expect(Array.from(dataset.data)).toEqual([0.25, 1.25, 2.25, 3.25, 4.25, 5.25]);
  });

  it('writes what NumPy writes, byte for byte, and reads its own files back', () => {
    const x = Float32Array.from([-1, -0.5, 0, 0.5, 1, 1.5]);
    expect(writeNpy(x, 2, 3)).toEqual(fromBase64(numpy.c32));
    const y = Float64Array.from({ length: 35 }, (_, i) => Math.sin(i) * 1e5);
    const file = writeNpy(y, 7, 5);
    expect(isNpy(file)).toBe(true);
    expect(file.length % 64).toBe((7 * 5 * 8) % 64); // the values start on a 64-byte boundary
    const back = readNpy(file);
    expect(back.data).toEqual(y);
    expect([back.examples, back.visibleSize]).toEqual([7, 5]);
  });

  it('takes any finite values but names the row and column of a NaN or infinity', () => {
    expect(Array.from(readNpy(writeNpy(Float64Array.from([-1e30, 7, 1e30, -3]), 2, 2)).data)).toEqual([-1e30, 7, 1e30, -3]);
    expectDataError(() => readNpy(writeNpy(Float64Array.from([0, 1, 2, 3, 4, NaN]), 3, 2), 'bad.npy'), /^bad\.npy: the value at row 2, column 1 \(0-based\) is NaN/);
    expectDataError(() => readNpy(writeNpy(Float32Array.from([0, 1, -Infinity, 3]), 1, 4), 'inf.npy'), /^inf\.npy: the value at row 0, column 2 \(0-based\) is -Infinity/);
  });

  it('accepts header variations NumPy has written: key order, Python 2 longs, double quotes', () => {
    const values = [1, 2, 3, 4, 5, 6];
    expect(Array.from(readNpy(npyWithHeader("{'shape': (3L, 2L), 'fortran_order': False, 'descr': '<f8'}", values)).data)).toEqual(values);
    expect(readNpy(npyWithHeader('{"descr": "<f8", "fortran_order": False, "shape": (2,3,),}', values)).visibleSize).toBe(3);
  });

  it('refuses other dtypes, ranks and empty arrays, saying how to fix them', () => {
    const values = [1, 2, 3, 4];
    const header = (descr: string, shape: string) => npyWithHeader(`{'descr': ${descr}, 'fortran_order': False, 'shape': ${shape}, }`, values);
    expectDataError(() => readNpy(header("'<i8'", '(2, 2)'), 'i.npy'), /^i\.npy: holds dtype '<i8', not little-endian float32 \('<f4'\) or float64 \('<f8'\)/);
    expectDataError(() => readNpy(header("'>f8'", '(2, 2)'), 'b.npy'), /big-endian float64: save it as x\.astype\('<f8'\)/);
    expectDataError(() => readNpy(header("'<f2'", '(2, 2)'), 'h.npy'), /dtype '<f2'/);
    expectDataError(() => readNpy(header("[('a', '<f8')]", '(4,)'), 's.npy'), /^s\.npy: holds a structured array/);
    expectDataError(() => readNpy(header("'<f8'", '(4,)'), 'v.npy'), /^v\.npy: holds a 1-D array of shape \(4,\); expected 2-D, one example per row; x\.reshape\(-1, 1\)/);
    expectDataError(() => readNpy(header("'<f8'", '(1, 2, 2)'), 't.npy'), /holds a 3-D array of shape \(1, 2, 2\).*x\.reshape\(-1, x\.shape\[-1\]\)/);
    expectDataError(() => readNpy(header("'<f8'", '()'), 'z.npy'), /0-D array/);
    expectDataError(() => readNpy(npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }"), 'e.npy'), /^e\.npy: holds an empty array of shape \(0, 3\)/);
  });

  it('refuses a header that is not the three-key dict, or not a dict at all', () => {
    const bad = [
      ["{'descr': '<f8', 'shape': (2, 2), }", /its keys are 'descr', 'shape'/],
      ["{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), 'extra': 1}", /keys are .*'extra'/],
      ["{'descr': '<f8', 'fortran_order': 0, 'shape': (2, 2)}", /fortran_order is 0, not True or False/],
      ["{'descr': '<f8', 'fortran_order': False, 'shape': (2, 'a')}", /shape is \(2, 'a'\), not a tuple of integers/],
      ["{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 2)}", /too large/],
      ["{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2)", /expected, but the header ends/],
      ["{'descr': '<f8', 'descr': '<f8', 'shape': (2, 2)}", /'descr' appears twice/],
      ['(2, 2)', /not a dict/],
      ["{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2)} x", /unexpected 'x'/],
    ] as const;
    for (const [dict, pattern] of bad) {
      const error = expectDataError(() => readNpy(npyWithHeader(dict, [1, 2, 3, 4]), 'h.npy'), pattern);
      expect(error.message).toMatch(/^h\.npy: /);
    }
  });

  it('refuses every truncation, a wrong magic string or version, and extra bytes', () => {
    const file = writeNpy(Float64Array.from([1, 2, 3, 4, 5, 6]), 3, 2);
    for (let n = 0; n < file.length; n++) expectDataError(() => readNpy(file.subarray(0, n), 't.npy'), /^t\.npy: truncated/);
    const withExtra = new Uint8Array(file.length + 8);
    withExtra.set(file);
    expectDataError(() => readNpy(withExtra, 'x.npy'), /^x\.npy: corrupt: the header says 3 × 2 float64 values \(48 bytes\) but 56 bytes follow/);
    expectDataError(() => readNpy(Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0]), 'zip.npy'), /^zip\.npy: not a \.npy file/);
    const v4 = file.slice();
    v4[6] = 4;
    expectDataError(() => readNpy(v4, 'v.npy'), /^v\.npy: format version 4\.0 is not one this reader knows/);
  });

  it('refuses a header claiming 10¹² values from the sizes alone, before allocating', () => {
    const lie = npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", [1, 2, 3, 4], 4);
    expectDataError(() => readNpy(lie, 'huge.npy'), /^huge\.npy: truncated: the header says 1000000 × 1000000 float32 values \(4000000000000 bytes\) but only 16 bytes follow/);
    const longHeader = writeNpy(Float64Array.from([1, 2]), 1, 2);
    new DataView(longHeader.buffer).setUint16(8, 60000, true);
    expectDataError(() => readNpy(longHeader, 'long.npy'), /a header of 60000 bytes \(NumPy itself refuses more than 10000\)/);
  });
});
