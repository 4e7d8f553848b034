/**
 * What the readers of activation matrices (.npy, .safetensors) share: copying float32 or
 * float64 values out of a file's bytes, and turning a rows × cols matrix into a Dataset once
 * every value is known to be finite. Activations may take any finite value (no [0, 1] check
 * here: that belongs to the model that will reproduce them).
 */
import type { Dataset } from '../reference/autoencoder';
import { DataError } from './errors';

export type FloatDtype = 'float32' | 'float64';

export const BYTES_PER_VALUE: Readonly<Record<FloatDtype, number>> = { float32: 4, float64: 8 };

/** Whether typed arrays on this machine are little-endian (every browser and Node platform in practice). */
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * `count` little-endian values of `dtype` starting at `offset` of `bytes`, copied into a typed
 * array of their own: the file's bytes need not be aligned for a view, and the caller's buffer
 * should not be kept alive by the data set.
 */
export function copyLittleEndianFloats(bytes: Uint8Array, offset: number, count: number, dtype: FloatDtype): Float32Array | Float64Array {
  const out = dtype === 'float32' ? new Float32Array(count) : new Float64Array(count);
  const length = count * out.BYTES_PER_ELEMENT;
  if (littleEndianHost) {
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + length));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
  if (out instanceof Float32Array) for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  else for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}

/** The rows × cols matrix stored column by column (Fortran order), rewritten row by row. */
export function columnMajorToRowMajor<T extends Float32Array | Float64Array>(data: T, rows: number, cols: number): T {
  const out = (data instanceof Float32Array ? new Float32Array(data.length) : new Float64Array(data.length)) as T;
  for (let j = 0; j < cols; j++) {
    const column = j * rows;
    for (let i = 0; i < rows; i++) out[i * cols + j] = data[column + i];
  }
  return out;
}

/**
 * The matrix as a Dataset, one example per row, after checking that every value is finite: a
 * NaN or infinity would poison every gradient without saying where it came from, so the
 * message names the row and column (0-based, as x[i, j] in NumPy or PyTorch).
 */
export function finiteDataset(data: Float32Array | Float64Array, rows: number, cols: number, source: string): Dataset {
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) {
      const row = Math.floor(k / cols);
      throw new DataError(source, `the value at row ${row}, column ${k - row * cols} (0-based) is ${data[k]}: activations must be finite numbers`);
    }
  }
  return { data, examples: rows, visibleSize: cols };
}
