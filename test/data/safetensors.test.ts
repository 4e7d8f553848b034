import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../src/data/safetensors';
import { expectDataError } from './expect-data-error';

/** A file laid out by hand from the format's description: length, JSON header, buffer. */
function handMade(header: unknown, buffer: Uint8Array, headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + buffer.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(buffer, 8 + json.length);
  return out;
}

const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const f64 = (values: number[]) => new Uint8Array(Float64Array.from(values).buffer);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe('readSafetensors', () => {
  it('reads the only tensor of a hand-made file, F32 as a Float32Array, rows as examples', () => {
    const file = handMade({ __metadata__: { format: 'pt' }, acts: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] } }, f32([1, 2, 3, -4, 5.5, 6]));
    const dataset = readSafetensors(file, 'acts.safetensors');
    expect(dataset.data).toBeInstanceOf(Float32Array);
    expect([dataset.examples, dataset.visibleSize]).toEqual([2, 3]);
    expect(Array.from(dataset.data)).toEqual([1, 2, 3, -4, 5.5, 6]);
  });

  it('reads a named tensor at its offset when the file holds several', () => {
    const buffer = concat(f32([9, 9]), f64([0.5, -0.25, 1e300, 4]));
    const file = handMade(
      { ids: { dtype: 'I32', shape: [2], data_offsets: [0, 8] }, acts: { dtype: 'F64', shape: [4, 1], data_offsets: [8, 40] } },
      buffer,
      // padded with spaces, as the Rust library writes headers
      JSON.stringify({ ids: { dtype: 'I32', shape: [2], data_offsets: [0, 8] }, acts: { dtype: 'F64', shape: [4, 1], data_offsets: [8, 40] } }) + '   ',
    );
    const dataset = readSafetensors(file, 'two.safetensors', { tensor: 'acts' });
    expect(dataset.data).toBeInstanceOf(Float64Array);
    expect(Array.from(dataset.data)).toEqual([0.5, -0.25, 1e300, 4]);
    expect([dataset.examples, dataset.visibleSize]).toEqual([4, 1]);
    expectDataError(() => readSafetensors(file, 'two.safetensors'), /^two\.safetensors: holds 2 tensors: ids \(I32 \[2\]\), acts \(F64 \[4, 1\]\); name the one to read$/);
    expectDataError(() => readSafetensors(file, 'two.safetensors', { tensor: 'resid' }), /^two\.safetensors: has no tensor 'resid' \(it holds 2 tensors: ids \(I32 \[2\]\), acts \(F64 \[4, 1\]\)\)/);
    expectDataError(() => readSafetensors(file, 'two.safetensors', { tensor: 'ids' }), /tensor 'ids' has dtype "I32", not F32 or F64/);
    // A name that is a property of every object is not a tensor.
    expectDataError(() => readSafetensors(file, 'two.safetensors', { tensor: 'constructor' }), /has no tensor 'constructor'/);
  });

  it('round-trips what it writes, with the header padded to 8 bytes', () => {
    const a = Float32Array.from({ length: 12 }, (_, i) => i - 5.5);
    const b = Float64Array.from({ length: 6 }, (_, i) => Math.PI * i);
    const file = writeSafetensors([{ name: 'a', data: a, shape: [3, 4] }, { name: 'b', data: b, shape: [2, 3] }], { note: 'test' });
    const headerLength = Number(new DataView(file.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    expect(readSafetensors(file, 'f', { tensor: 'a' }).data).toEqual(a);
    expect(readSafetensors(file, 'f', { tensor: 'b' }).data).toEqual(b);
  });

  it('names the row and column of a non-finite value', () => {
    const file = writeSafetensors([{ name: 'x', data: Float32Array.from([0, 1, 2, 3, 4, 5, Infinity, 7]), shape: [2, 4] }]);
    expectDataError(() => readSafetensors(file, 'inf.safetensors'), /^inf\.safetensors: the value at row 1, column 2 \(0-based\) is Infinity/);
  });

  it('refuses other dtypes and ranks, with a hint', () => {
    const one = (entry: object, bytes: number) => handMade({ x: entry }, new Uint8Array(bytes));
    expectDataError(() => readSafetensors(one({ dtype: 'BF16', shape: [2, 2], data_offsets: [0, 8] }, 8), 'bf.safetensors'), /tensor 'x' has dtype "BF16", not F32 or F64: save it as \.float\(\) \(F32\)/);
    expectDataError(() => readSafetensors(one({ dtype: 'F32', shape: [2, 2, 2], data_offsets: [0, 32] }, 32), 's.safetensors'), /tensor 'x' has shape \[2, 2, 2\]; expected 2-D, one example per row; x\.reshape/);
    expectDataError(() => readSafetensors(one({ dtype: 'F32', shape: [8], data_offsets: [0, 32] }, 32), 's.safetensors'), /has shape \[8\]; expected 2-D/);
    expectDataError(() => readSafetensors(one({ dtype: 'F32', shape: [0, 4], data_offsets: [0, 0] }, 0), 'e.safetensors'), /tensor 'x' is empty/);
    expectDataError(() => readSafetensors(handMade({ __metadata__: {} }, new Uint8Array(0)), 'n.safetensors'), /^n\.safetensors: holds no tensors/);
  });

  it('refuses corrupt headers and offsets that do not match the shape or the file', () => {
    const one = (entry: object, bytes: number) => handMade({ x: entry }, new Uint8Array(bytes));
    expectDataError(() => readSafetensors(one({ dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] }, 16), 'o.safetensors'), /is 2 × 2 F32 \(16 bytes\) but its data_offsets span 12 bytes/);
    expectDataError(() => readSafetensors(one({ dtype: 'F32', shape: [2, 2], data_offsets: [8, 24] }, 16), 'o.safetensors'), /^o\.safetensors: truncated: tensor 'x' lies at bytes \[8, 24\) of the data but only 16 bytes follow/);
    expectDataError(() => readSafetensors(one({ dtype: 'F32', shape: [2, 2], data_offsets: [16, 0] }, 16), 'o.safetensors'), /data_offsets \[16,0\], not \[begin, end\]/);
    expectDataError(() => readSafetensors(one({ dtype: 'F32', shape: [2, -2], data_offsets: [0, 16] }, 16), 'o.safetensors'), /shape \[2,-2\], not a list of sizes/);
    expectDataError(() => readSafetensors(handMade(null, new Uint8Array(0), '{"x": '), 'j.safetensors'), /^j\.safetensors: not a \.safetensors file, or corrupt: its header is not JSON/);
    expectDataError(() => readSafetensors(handMade(null, new Uint8Array(0), '[1, 2]'), 'a.safetensors'), /the header is not a JSON object/);
  });

  it('refuses every truncation, and a header length of 2⁶³ before reading anything', () => {
    const file = writeSafetensors([{ name: 'x', data: Float64Array.from([1, 2, 3, 4]), shape: [2, 2] }]);
    for (let n = 0; n < file.length; n++) expectDataError(() => readSafetensors(file.subarray(0, n), 't.safetensors'), /^t\.safetensors: (truncated|not a \.safetensors file, or corrupt: its header is not JSON)/);
    const lie = file.slice();
    new DataView(lie.buffer).setBigUint64(0, 2n ** 63n, true);
    expectDataError(() => readSafetensors(lie, 'big.safetensors'), /^big\.safetensors: not a \.safetensors file, or corrupt: a header length of 9223372036854775808 bytes/);
    // 10¹² elements claimed by the header: refused from the sizes, before allocating
    const huge = handMade({ x: { dtype: 'F32', shape: [1e6, 1e6], data_offsets: [0, 4e12] } }, new Uint8Array(16));
    expectDataError(() => readSafetensors(huge, 'huge.safetensors'), /truncated: tensor 'x' lies at bytes \[0, 4000000000000\) of the data but only 16 bytes follow/);
  });
});
