/**
 * Hugging Face's .safetensors format, read and written from bytes so that it works in Node and
 * in the browser alike: activations saved with `safetensors.torch.save_file({'acts': x}, …)`.
 *
 * A file is an 8-byte little-endian header length N, N bytes of JSON, then the data buffer.
 * The JSON maps each tensor's name to { dtype, shape, data_offsets: [begin, end] }, offsets
 * into the buffer; an optional "__metadata__" entry maps strings to strings.
 *
 * Read: one 2-D F32 or F64 tensor, rows as examples — the file's only tensor, or the one named
 * when it holds several. Anything else is a DataError naming the file and listing the tensors
 * found, and every size is checked against the file's length before anything is allocated.
 *
 * No npm package was taken: `safetensors` on npm is a single 0.0.1 release, and reading one
 * tensor strictly takes fewer lines than checking what a dependency trusts.
 */
import type { Dataset } from '../reference/autoencoder';
import { DataError } from './errors';
import { BYTES_PER_VALUE, copyLittleEndianFloats, finiteDataset, type FloatDtype } from './float-matrix';

/** The Rust reference implementation refuses longer headers; so do we, before decoding one. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
const DTYPES: Record<string, FloatDtype> = { F32: 'float32', F64: 'float64' };

export interface ReadSafetensorsOptions {
  /** The tensor to read; needed when the file holds more than one. */
  tensor?: string;
}

/** A tensor's entry in the header, as far as it could be made out (for messages). */
interface Entry {
  name: string;
  dtype: unknown;
  shape: unknown;
  offsets: unknown;
}

/** A 2-D F32/F64 tensor of a .safetensors file as a Dataset: F32 stays Float32Array, F64 Float64Array. */
export function readSafetensors(bytes: Uint8Array, source = 'safetensors', options: ReadSafetensorsOptions = {}): Dataset {
  const fail = (problem: string): never => {
    throw new DataError(source, problem);
  };
  if (bytes.length < 8) fail(`truncated: a .safetensors file starts with an 8-byte header length but there are only ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) fail(`not a .safetensors file, or corrupt: a header length of ${headerLength} bytes (at most ${SAFETENSORS_MAX_HEADER_BYTES})`);
  const dataStart = 8 + Number(headerLength);
  if (bytes.length < dataStart) fail(`truncated: the header needs ${dataStart} bytes but the file has ${bytes.length}`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    return fail(`not a .safetensors file, or corrupt: its header is not JSON (${(error as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('corrupt: the header is not a JSON object');
  const entries: Entry[] = Object.entries(header as Record<string, unknown>)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, value]) => {
      const fields = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
      return { name, dtype: own(fields, 'dtype'), shape: own(fields, 'shape'), offsets: own(fields, 'data_offsets') };
    });
  const found = () => (entries.length === 0 ? 'no tensors' : `${entries.length === 1 ? 'one tensor' : `${entries.length} tensors`}: ${listTensors(entries)}`);

  let entry: Entry | undefined;
  if (options.tensor !== undefined) {
    entry = entries.find((e) => e.name === options.tensor);
    if (!entry) fail(`has no tensor '${options.tensor}' (it holds ${found()})`);
  } else if (entries.length === 1) {
    entry = entries[0];
  } else {
    fail(entries.length === 0 ? 'holds no tensors' : `holds ${found()}; name the one to read`);
  }
  const { name, dtype, shape, offsets } = entry!;
  const what = `tensor '${name}'`;

  const floatDtype = typeof dtype === 'string' ? DTYPES[dtype] : undefined;
  if (!floatDtype) {
    const hint = dtype === 'BF16' || dtype === 'F16' ? ': save it as .float() (F32)' : '';
    fail(`${what} has dtype ${show(dtype)}, not F32 or F64${hint}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return fail(`corrupt: ${what} has shape ${show(shape)}, not a list of sizes`);
  if (shape.length !== 2) {
    const hint = shape.length > 2 ? `; x.reshape(-1, x.shape[-1]) makes one row per vector` : '';
    fail(`${what} has shape [${shape.join(', ')}]; expected 2-D, one example per row${hint}`);
  }
  const [rows, cols] = shape as number[];
  if (rows === 0 || cols === 0) fail(`${what} is empty (shape [${rows}, ${cols}])`);
  if (!(Array.isArray(offsets) && offsets.length === 2 && offsets.every((o) => Number.isSafeInteger(o) && o >= 0) && offsets[0] <= offsets[1])) {
    return fail(`corrupt: ${what} has data_offsets ${show(offsets)}, not [begin, end]`);
  }
  const [begin, end] = offsets as number[];
  const bufferLength = bytes.length - dataStart;
  if (end > bufferLength) fail(`truncated: ${what} lies at bytes [${begin}, ${end}) of the data but only ${bufferLength} bytes follow the header`);
  const expected = rows * cols * BYTES_PER_VALUE[floatDtype!];
  if (end - begin !== expected) fail(`corrupt: ${what} is ${rows} × ${cols} ${dtype} (${expected} bytes) but its data_offsets span ${end - begin} bytes`);
  return finiteDataset(copyLittleEndianFloats(bytes, dataStart + begin, rows * cols, floatDtype!), rows, cols, source);
}

/** A field of the header only if it is the object's own (not Object.prototype's "constructor"…). */
function own(fields: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(fields, key) ? fields[key] : undefined;
}

function show(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? text.slice(0, 60) + '…' : text;
}

/** "acts (F32 [1000, 512]), ids (I64 [1000])", the first 10 and a count of the rest. */
function listTensors(entries: readonly Entry[]): string {
  const shown = entries.slice(0, 10).map(({ name, dtype, shape }) => {
    const dims = Array.isArray(shape) ? `[${shape.map((d) => show(d)).join(', ')}]` : show(shape);
    return `${name.length > 60 ? name.slice(0, 60) + '…' : name} (${typeof dtype === 'string' ? dtype.slice(0, 16) : show(dtype)} ${dims})`;
  });
  return shown.join(', ') + (entries.length > 10 ? ` and ${entries.length - 10} more` : '');
}

/** A tensor to write: row-major values, F32 for a Float32Array, F64 for a Float64Array. */
export interface SafetensorsInput {
  name: string;
  data: Float32Array | Float64Array;
  shape: readonly number[];
}

/**
 * Tensors as a .safetensors file, in the order given, the header padded with spaces to a
 * multiple of 8 bytes as the Rust library writes it (so that the data stay aligned).
 */
export function writeSafetensors(tensors: readonly SafetensorsInput[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const { name, data, shape } of tensors) {
    if (shape.reduce((a, b) => a * b, 1) !== data.length) throw new RangeError(`writeSafetensors: ${data.length} values for shape [${shape.join(', ')}] of '${name}'`);
    if (name === METADATA_KEY || Object.prototype.hasOwnProperty.call(header, name)) throw new RangeError(`writeSafetensors: the name '${name}' is taken`);
    header[name] = { dtype: data instanceof Float32Array ? 'F32' : 'F64', shape: [...shape], data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const spaced = new Uint8Array(padded).fill(0x20);
    spaced.set(json);
    json = spaced;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const { data } of tensors) {
    if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i], true);
    else for (let i = 0; i < data.length; i++) view.setFloat64(at + 8 * i, data[i], true);
    at += data.byteLength;
  }
  return out;
}
