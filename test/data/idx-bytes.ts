/**
 * An idx file's bytes, as MNIST's files lay them out (big-endian magic, then each dimension,
 * then the values as bytes), for the tests that write idx files of their own.
 */
export function idx(magic: number, dims: number[], values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + values.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(values), 4 + 4 * dims.length);
  return out;
}
