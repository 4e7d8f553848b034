/**
 * NumPy's .npy format (numpy.lib.format), read and written from bytes so that it works in Node
 * and in the browser alike: a matrix of activations saved with `np.save('acts.npy', x)`.
 *
 * A file is the magic string "\x93NUMPY", a version (1.0, 2.0 or 3.0), the header's length
 * (2 bytes little-endian in version 1, 4 in versions 2 and 3), and the header: a Python dict
 * literal such as `{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 512), }`, padded
 * with spaces and a newline; then the values, nothing else.
 *
 * Read: 2-D arrays of little-endian float32 ('<f4') or float64 ('<f8'), rows as examples. An
 * array saved in Fortran order (np.save of x.T, or of np.asfortranarray(x)) keeps its logical
 * shape in the header, so it is reordered into rows, as np.load does: the same rows come back
 * whichever order the file used. Everything else (other dtypes, big-endian, 1-D or 3-D arrays,
 * object arrays, truncated files, a shape the bytes do not hold) is a DataError naming the file,
 * and a size is checked against the file's length before anything is allocated for it.
 *
 * No npm package was taken. npyjs 1.2 (the maintained one) is async only, brings a fetch
 * polyfill, reads the header with regular expressions, never checks the shape against the
 * bytes, reads a Uint8Array's whole underlying buffer rather than its view, and throws a plain
 * RangeError on unaligned data; a strict reader is a page of code.
 */
import type { Dataset } from '../reference/autoencoder';
import { DataError } from './errors';
import { BYTES_PER_VALUE, columnMajorToRowMajor, copyLittleEndianFloats, finiteDataset, type FloatDtype } from './float-matrix';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** np.load refuses longer headers (max_header_size) unless told otherwise: a real one is < 200 bytes. */
export const NPY_MAX_HEADER_BYTES = 10000;
/** np.save pads the header so that the values start on a multiple of this. */
const ALIGN = 64;

const DESCR: Record<string, FloatDtype> = { '<f4': 'float32', '<f8': 'float64' };

/** True when the bytes start with .npy's magic string. */
export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

/** A 2-D float32/float64 .npy file as a Dataset: float32 stays Float32Array, float64 Float64Array. */
export function readNpy(bytes: Uint8Array, source = 'npy'): Dataset {
  const fail = (problem: string): never => {
    throw new DataError(source, problem);
  };
  if (!isNpy(bytes)) {
    fail(bytes.length < MAGIC.length ? `truncated: a .npy file starts with 6 magic bytes but there are only ${bytes.length}` : 'not a .npy file: it does not start with "\\x93NUMPY"');
  }
  if (bytes.length < 10) fail(`truncated: the version and header length need 10 bytes but the file has ${bytes.length}`);
  const major = bytes[6];
  const minor = bytes[7];
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) fail(`format version ${major}.${minor} is not one this reader knows (1.0, 2.0, 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) fail(`truncated: the header length needs ${8 + lengthBytes} bytes but the file has ${bytes.length}`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  if (headerLength > NPY_MAX_HEADER_BYTES) fail(`corrupt: a header of ${headerLength} bytes (NumPy itself refuses more than ${NPY_MAX_HEADER_BYTES})`);
  const dataStart = headerStart + headerLength;
  if (bytes.length < dataStart) fail(`truncated: the header needs ${dataStart} bytes but the file has ${bytes.length}`);

  const headerBytes = bytes.subarray(headerStart, dataStart);
  let text: string;
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      return fail('corrupt: the header is not UTF-8');
    }
  } else {
    text = '';
    for (const b of headerBytes) text += String.fromCharCode(b);
  }
  let header: unknown;
  try {
    header = parsePythonLiteral(text);
  } catch (error) {
    return fail(`corrupt header: ${(error as Error).message}`);
  }
  const { dtype, fortranOrder, shape } = interpretHeader(header, fail);

  const [rows, cols] = shape;
  const itemBytes = BYTES_PER_VALUE[dtype];
  // Products of two safe integers are exact enough to compare: a lie of 10¹² elements differs
  // from any file's length by far more than round-off.
  const expected = rows * cols * itemBytes;
  const actual = bytes.length - dataStart;
  if (actual < expected) fail(`truncated: the header says ${rows} × ${cols} ${dtype} values (${expected} bytes) but only ${actual} bytes follow`);
  if (actual > expected) fail(`corrupt: the header says ${rows} × ${cols} ${dtype} values (${expected} bytes) but ${actual} bytes follow`);
  let data = copyLittleEndianFloats(bytes, dataStart, rows * cols, dtype);
  if (fortranOrder) data = columnMajorToRowMajor(data, rows, cols);
  return finiteDataset(data, rows, cols, source);
}

function interpretHeader(header: unknown, fail: (problem: string) => never): { dtype: FloatDtype; fortranOrder: boolean; shape: [number, number] } {
  if (!(header instanceof Map)) return fail('corrupt header: not a dict');
  const keys = [...header.keys()].sort();
  if (keys.join() !== 'descr,fortran_order,shape') fail(`corrupt header: its keys are ${keys.map((k) => `'${k}'`).join(', ') || 'none'}, not 'descr', 'fortran_order' and 'shape'`);
  const descr = header.get('descr');
  const fortranOrder = header.get('fortran_order');
  const shape = header.get('shape');
  if (typeof fortranOrder !== 'boolean') fail(`corrupt header: fortran_order is ${show(fortranOrder)}, not True or False`);
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number')) return fail(`corrupt header: shape is ${show(shape)}, not a tuple of integers`);
  if (typeof descr !== 'string') {
    return fail(`holds a structured array (descr ${show(descr)}): save one 2-D float32 or float64 array`);
  }
  const dtype = DESCR[descr];
  if (!dtype) {
    const hint = /^>f[48]$/.test(descr)
      ? `big-endian float${descr[2] === '4' ? '32' : '64'}: save it as x.astype('<f${descr[2]}')`
      : `save it as x.astype(np.float32) or np.float64`;
    fail(`holds dtype '${descr}', not little-endian float32 ('<f4') or float64 ('<f8'): ${hint}`);
  }
  const described = `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
  if (shape.length !== 2) {
    const hint = shape.length > 2 ? `; x.reshape(-1, x.shape[-1]) makes one row per vector` : shape.length === 1 ? '; x.reshape(-1, 1) makes one value per example' : '';
    fail(`holds a ${shape.length}-D array of shape ${described}; expected 2-D, one example per row${hint}`);
  }
  if (shape[0] === 0 || shape[1] === 0) fail(`holds an empty array of shape ${described}`);
  return { dtype: dtype!, fortranOrder: fortranOrder as boolean, shape: [shape[0], shape[1]] };
}

function show(value: unknown): string {
  if (value instanceof Map) return 'a dict';
  if (Array.isArray(value)) return `(${value.map(show).join(', ')})`;
  if (typeof value === 'string') return `'${value.length > 40 ? value.slice(0, 40) + '…' : value}'`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

/**
 * The subset of Python literals a .npy header uses: a dict of strings, booleans, non-negative
 * integers (Python 2's `3L` too) and tuples; trailing commas allowed. Dicts come back as Maps
 * (so that a key like '__proto__' is just a key), tuples as arrays. Throws an Error saying what
 * is wrong; readNpy makes it a DataError.
 */
function parsePythonLiteral(text: string): unknown {
  let at = 0;
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text[at])) at++;
  };
  const expect = (what: string) => {
    throw new Error(at < text.length ? `${what} expected at character ${at}, found '${text[at]}'` : `${what} expected, but the header ends`);
  };
  // Nesting is bounded by the header's length (10,000 bytes), well within the stack.
  const value = (): unknown => {
    skipSpace();
    const c = text[at];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, at + 1);
      if (end < 0) expect(`closing ${c}`);
      const s = text.slice(at + 1, end);
      if (s.includes('\\')) throw new Error(`escape sequences in strings are not supported (character ${at})`);
      at = end + 1;
      return s;
    }
    if (c === '{' || c === '(' || c === '[') {
      const close = c === '{' ? '}' : c === '(' ? ')' : ']';
      at++;
      const items: unknown[] = [];
      const entries = new Map<string, unknown>();
      for (;;) {
        skipSpace();
        if (text[at] === close) break;
        if (c === '{') {
          const key = value();
          if (typeof key !== 'string') throw new Error(`a dict key is not a string (character ${at})`);
          skipSpace();
          if (text[at] !== ':') expect("':'");
          at++;
          if (entries.has(key)) throw new Error(`key '${key}' appears twice`);
          entries.set(key, value());
        } else {
          items.push(value());
        }
        skipSpace();
        if (text[at] === ',') at++;
        else if (text[at] !== close) expect(`',' or '${close}'`);
      }
      at++;
      return c === '{' ? entries : items;
    }
    const word = /^(True|False|\d+L?)/.exec(text.slice(at, at + 32));
    if (!word) expect('a value');
    at += word![0].length;
    if (word![0] === 'True' || word![0] === 'False') return word![0] === 'True';
    const n = Number(word![0].replace('L', ''));
    if (!Number.isSafeInteger(n)) throw new Error(`the integer ${word![0]} is too large`);
    return n;
  };
  const result = value();
  skipSpace();
  if (at < text.length) throw new Error(`unexpected '${text[at]}' at character ${at} after the dict`);
  return result;
}

/**
 * A rows × cols matrix (row-major) as a .npy file, as np.save writes it: version 1.0 (2.0 if
 * the header would not fit), the header padded so that the values start on a multiple of 64
 * bytes, '<f4' for a Float32Array and '<f8' for a Float64Array.
 */
export function writeNpy(data: Float32Array | Float64Array, rows: number, cols: number): Uint8Array {
  if (!(Number.isSafeInteger(rows) && rows > 0 && Number.isSafeInteger(cols) && cols > 0)) throw new RangeError(`writeNpy needs positive integer sizes, got ${rows} × ${cols}`);
  if (data.length !== rows * cols) throw new RangeError(`writeNpy: ${data.length} values for ${rows} × ${cols}`);
  const descr = data instanceof Float32Array ? '<f4' : '<f8';
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const major = dict.length + 1 + 10 <= 0xffff ? 1 : 2;
  const prefix = major === 1 ? 10 : 12;
  const headerLength = Math.ceil((prefix + dict.length + 1) / ALIGN) * ALIGN - prefix;
  const header = dict.padEnd(headerLength - 1, ' ') + '\n';
  const out = new Uint8Array(prefix + headerLength + data.byteLength);
  out.set(MAGIC);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  const start = prefix + headerLength;
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(start + 4 * i, data[i], true);
  else for (let i = 0; i < data.length; i++) view.setFloat64(start + 8 * i, data[i], true);
  return out;
}
