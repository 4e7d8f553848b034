/**
 * MATLAB Level 5 MAT-files (the format of `save -v7`, and of UFLDL's IMAGES.mat), read and
 * written from bytes so that it works in Node and in the browser alike.
 *
 * A file is a 128-byte header followed by data elements. Each element is an 8-byte tag
 * (data type, number of bytes) and its data padded to a multiple of 8 bytes; an element of at
 * most 4 bytes may use the "small element" format, tag and data packed into 8 bytes. A variable
 * is an miMATRIX element whose sub-elements are the array flags, the dimensions, the name and
 * the real part (then the imaginary part, for complex arrays); `save -v7` wraps each variable
 * in an miCOMPRESSED element, a zlib stream of the miMATRIX element.
 *
 * Only real numeric arrays are read (any class, any storage type: MATLAB stores a double array
 * of small integers as miUINT8, for example); everything comes back as float64, column-major
 * as MATLAB keeps it. Cell arrays, structs, objects, sparse, char and complex arrays are
 * rejected with a DataError, as are truncated or corrupt files.
 *
 * What the variables mean to this project (IMAGES, patches, θ) and the conversion between
 * MATLAB's column-major pixel order and ours is ./mat-layout.ts.
 */
import { zlibSync } from 'fflate';
import { inflateZlib } from './compression';
import { DataError } from './errors';

/** One variable of a MAT-file: its name, its dimensions and its values, column-major. */
export interface MatVariable {
  name: string;
  dims: number[];
  data: Float64Array;
}

/** A variable to write: any array of numbers, column-major, stored as double. */
export interface MatVariableInput {
  name: string;
  dims: readonly number[];
  data: ArrayLike<number>;
}

export interface ReadMatOptions {
  /** Skip variables of unsupported kinds (cell, struct, char, complex…) instead of failing. */
  skipUnsupported?: boolean;
}

// Data types (MAT-File Format, Table 1-1).
const miINT8 = 1;
const miUINT8 = 2;
const miINT16 = 3;
const miUINT16 = 4;
const miINT32 = 5;
const miUINT32 = 6;
const miSINGLE = 7;
const miDOUBLE = 9;
const miINT64 = 12;
const miUINT64 = 13;
const miMATRIX = 14;
const miCOMPRESSED = 15;
const miUTF8 = 16;

// Array classes (Table 1-3). 6…15 are the numeric ones.
const mxDOUBLE_CLASS = 6;
const className: Record<number, string> = {
  1: 'a cell array',
  2: 'a struct',
  3: 'an object',
  4: 'a char array',
  5: 'a sparse array',
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
  16: 'a function handle',
  17: 'an opaque object',
};
const isNumericClass = (mxClass: number) => mxClass >= 6 && mxClass <= 15;

// Flag bits in the first word of the array flags.
const COMPLEX_FLAG = 0x0800;

interface NumericType {
  name: string;
  bytes: number;
  read(view: DataView, offset: number, littleEndian: boolean): number;
}

const numericTypes: Record<number, NumericType> = {
  [miINT8]: { name: 'miINT8', bytes: 1, read: (v, o) => v.getInt8(o) },
  [miUINT8]: { name: 'miUINT8', bytes: 1, read: (v, o) => v.getUint8(o) },
  [miINT16]: { name: 'miINT16', bytes: 2, read: (v, o, le) => v.getInt16(o, le) },
  [miUINT16]: { name: 'miUINT16', bytes: 2, read: (v, o, le) => v.getUint16(o, le) },
  [miINT32]: { name: 'miINT32', bytes: 4, read: (v, o, le) => v.getInt32(o, le) },
  [miUINT32]: { name: 'miUINT32', bytes: 4, read: (v, o, le) => v.getUint32(o, le) },
  [miSINGLE]: { name: 'miSINGLE', bytes: 4, read: (v, o, le) => v.getFloat32(o, le) },
  [miDOUBLE]: { name: 'miDOUBLE', bytes: 8, read: (v, o, le) => v.getFloat64(o, le) },
  // Values beyond 2⁵³ lose precision as float64, as they would in MATLAB's double().
  [miINT64]: { name: 'miINT64', bytes: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  [miUINT64]: { name: 'miUINT64', bytes: 8, read: (v, o, le) => Number(v.getBigUint64(o, le)) },
};

function typeName(type: number): string {
  if (numericTypes[type]) return numericTypes[type].name;
  if (type === miMATRIX) return 'miMATRIX';
  if (type === miCOMPRESSED) return 'miCOMPRESSED';
  return `type ${type}`;
}

const HEADER_BYTES = 128;
/** MATLAB names have at most 63 characters; anything much longer is corruption. */
const MAX_NAME_BYTES = 4096;
const roundUp8 = (n: number) => Math.ceil(n / 8) * 8;

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return text;
}

/** A data element's tag, and where its data lies. */
interface Element {
  type: number;
  size: number;
  dataStart: number;
  /** Where the next element starts. */
  next: number;
}

/** Reads elements from one buffer: the file itself, or the output of an miCOMPRESSED element. */
class ElementReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly littleEndian: boolean;
  readonly source: string;
  /** Describes this buffer in messages: '' for the file, 'in the compressed element at byte N'. */
  readonly where: string;

  constructor(bytes: Uint8Array, littleEndian: boolean, source: string, where: string) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.littleEndian = littleEndian;
    this.source = source;
    this.where = where;
  }

  fail(problem: string): never {
    throw new DataError(this.source, this.where ? `${problem} (${this.where})` : problem);
  }

  u32(offset: number): number {
    return this.view.getUint32(offset, this.littleEndian);
  }

  /** The element whose tag starts at `offset`, which must end by `end`. */
  element(offset: number, end: number, what: string): Element {
    if (offset + 8 > end) {
      this.fail(`truncated: ${what} needs an 8-byte tag at byte ${offset} but only ${Math.max(0, end - offset)} bytes are left`);
    }
    const first = this.u32(offset);
    if (first >>> 16 !== 0) {
      // Small element format: the upper half of the first word is the byte count, the data
      // follows in the same 8 bytes.
      const size = first >>> 16;
      if (size > 4) this.fail(`corrupt: ${what} at byte ${offset} is a small element of ${size} bytes (at most 4)`);
      return { type: first & 0xffff, size, dataStart: offset + 4, next: offset + 8 };
    }
    const size = this.u32(offset + 4);
    const dataStart = offset + 8;
    if (size > end - dataStart) {
      this.fail(
        `truncated: ${what} at byte ${offset} (${typeName(first)}) says ${size} bytes but only ${end - dataStart} follow`,
      );
    }
    // Compressed elements are not padded; the padding of the last element of a file or of a
    // matrix may be missing, which is harmless.
    const next = first === miCOMPRESSED ? dataStart + size : Math.min(dataStart + roundUp8(size), end);
    return { type: first, size, dataStart, next };
  }

  /** Parses an miMATRIX element's contents; undefined when unsupported and skipped. */
  matrix(start: number, end: number, index: number, skipUnsupported: boolean): MatVariable | undefined {
    const label = `variable ${index + 1}`;
    const flags = this.element(start, end, `${label}'s array flags`);
    if (flags.type !== miUINT32 || flags.size !== 8) {
      this.fail(`corrupt: ${label}'s array flags should be 8 bytes of miUINT32, found ${flags.size} bytes of ${typeName(flags.type)}`);
    }
    const flagsWord = this.u32(flags.dataStart);
    const mxClass = flagsWord & 0xff;
    if (!className[mxClass]) this.fail(`corrupt: ${label} has unknown array class ${mxClass}`);
    if (mxClass >= 16) {
      // Function handles and opaque objects do not follow the dims-then-name layout.
      if (skipUnsupported) return undefined;
      this.fail(`unsupported: ${label} is ${className[mxClass]} (only real numeric arrays can be read)`);
    }

    const dimsElement = this.element(flags.next, end, `${label}'s dimensions`);
    if (dimsElement.type !== miINT32 || dimsElement.size % 4 !== 0 || dimsElement.size < 8) {
      this.fail(
        `corrupt: ${label}'s dimensions should be at least 2 miINT32 values, found ${dimsElement.size} bytes of ${typeName(dimsElement.type)}`,
      );
    }
    const dims: number[] = [];
    for (let i = 0; i < dimsElement.size / 4; i++) {
      const d = this.view.getInt32(dimsElement.dataStart + 4 * i, this.littleEndian);
      if (d < 0) this.fail(`corrupt: ${label} has a negative dimension ${d}`);
      dims.push(d);
    }

    const nameElement = this.element(dimsElement.next, end, `${label}'s name`);
    if (nameElement.type !== miINT8 && nameElement.type !== miUINT8 && nameElement.type !== miUTF8) {
      this.fail(`corrupt: ${label}'s name should be miINT8 text, found ${typeName(nameElement.type)}`);
    }
    if (nameElement.size > MAX_NAME_BYTES) this.fail(`corrupt: ${label}'s name is ${nameElement.size} bytes long`);
    const name = latin1(this.bytes.subarray(nameElement.dataStart, nameElement.dataStart + nameElement.size));
    const called = name ? `variable '${name}'` : label;

    const unsupported = !isNumericClass(mxClass)
      ? `${called} is ${className[mxClass]}`
      : flagsWord & COMPLEX_FLAG
        ? `${called} is complex`
        : undefined;
    if (unsupported) {
      if (skipUnsupported) return undefined;
      this.fail(`unsupported: ${unsupported} (only real numeric arrays can be read)`);
    }

    const real = this.element(nameElement.next, end, `${called}'s data`);
    const storage = numericTypes[real.type];
    if (!storage) this.fail(`corrupt: ${called}'s data has type ${typeName(real.type)}, not a numeric type`);
    if (real.size % storage.bytes !== 0) {
      this.fail(`corrupt: ${called}'s data is ${real.size} bytes, not a whole number of ${storage.name} values`);
    }
    const count = real.size / storage.bytes;
    const expected = dims.reduce((a, b) => a * b, 1);
    if (count !== expected) {
      this.fail(`corrupt: ${called} is ${dims.join('×')} (${expected} values) but its data holds ${count}`);
    }
    const data = new Float64Array(count);
    const view = this.view;
    const le = this.littleEndian;
    for (let i = 0, o = real.dataStart; i < count; i++, o += storage.bytes) data[i] = storage.read(view, o, le);
    return { name, dims, data };
  }
}

/** Reads every variable of a Level 5 MAT-file. `source` names the file in error messages. */
export function readMat(bytes: Uint8Array, source = 'MAT-file', options: ReadMatOptions = {}): MatVariable[] {
  const skipUnsupported = options.skipUnsupported ?? false;
  const text = latin1(bytes.subarray(0, 116));
  if (text.startsWith('MATLAB 7.3')) {
    throw new DataError(source, 'unsupported: MATLAB 7.3 MAT-files are HDF5; save with -v7 (or -v6) instead');
  }
  const magic = 'MATLAB 5.0';
  // A file shorter than the magic text only needs to match as far as it goes (it is truncated).
  if (!magic.startsWith(text.slice(0, magic.length))) {
    throw new DataError(source, "not a Level 5 MAT-file: the header does not start with 'MATLAB 5.0' (Level 4 files are not supported)");
  }
  if (bytes.length < HEADER_BYTES) {
    throw new DataError(source, `truncated: a MAT-file starts with a 128-byte header but the file has ${bytes.length} bytes`);
  }
  const endian = String.fromCharCode(bytes[126], bytes[127]);
  if (endian !== 'IM' && endian !== 'MI') {
    throw new DataError(source, `corrupt header: endian indicator is '${endian}', expected 'IM' or 'MI'`);
  }
  const littleEndian = endian === 'IM';
  const file = new ElementReader(bytes, littleEndian, source, '');
  const version = file.view.getUint16(124, littleEndian);
  if (version !== 0x0100) {
    throw new DataError(source, `unsupported MAT-file version 0x${version.toString(16).padStart(4, '0')} (expected 0x0100)`);
  }
  // Objects (strings, tables…) keep "subsystem data" in an unnamed uint8 variable whose offset
  // the header records; it is not a user variable.
  const subsystemOffset = file.view.getBigUint64(116, littleEndian);
  const hasSubsystem = subsystemOffset !== 0n && subsystemOffset !== 0x2020202020202020n;

  const variables: MatVariable[] = [];
  let index = 0;
  for (let offset = HEADER_BYTES; offset < bytes.length; index++) {
    const element = file.element(offset, bytes.length, `variable ${index + 1}`);
    const isSubsystem = hasSubsystem && BigInt(offset) === subsystemOffset;
    offset = element.next;
    if (isSubsystem) continue;
    let reader = file;
    let start = element.dataStart;
    let end = element.dataStart + element.size;
    if (element.type === miCOMPRESSED) {
      const where = `in the compressed element at byte ${start - 8}`;
      let inflated: Uint8Array;
      try {
        inflated = inflateZlib(bytes.subarray(start, end), source);
      } catch (error) {
        if (error instanceof DataError) throw new DataError(source, `${error.problem} (${where})`, { cause: error });
        throw error;
      }
      reader = new ElementReader(inflated, littleEndian, source, where);
      const inner = reader.element(0, inflated.length, `variable ${index + 1}`);
      if (inner.type !== miMATRIX) {
        reader.fail(`corrupt: a compressed element should hold an miMATRIX, found ${typeName(inner.type)}`);
      }
      if (inner.dataStart + inner.size !== inflated.length) {
        reader.fail(`corrupt: ${inflated.length - inner.dataStart - inner.size} bytes after the miMATRIX element`);
      }
      start = inner.dataStart;
      end = inner.dataStart + inner.size;
    } else if (element.type !== miMATRIX) {
      file.fail(`corrupt: element at byte ${start - 8} is ${typeName(element.type)}, expected miMATRIX or miCOMPRESSED`);
    }
    if (start === end) continue; // an empty miMATRIX element holds no variable
    const variable = reader.matrix(start, end, index, skipUnsupported);
    if (variable) variables.push(variable);
  }
  return variables;
}

/** Encodes double arrays as a Level 5 MAT-file (little-endian) that MATLAB and Octave load. */
export function writeMat(variables: readonly MatVariableInput[], options: { compress?: boolean } = {}): Uint8Array {
  const compress = options.compress ?? false;
  const seen = new Set<string>();
  const elements = variables.map((variable) => {
    checkVariable(variable, seen);
    const matrix = matrixElement(variable);
    if (!compress) return matrix;
    const compressed = zlibSync(matrix);
    const element = new Uint8Array(8 + compressed.length); // compressed elements are not padded
    const view = new DataView(element.buffer);
    view.setUint32(0, miCOMPRESSED, true);
    view.setUint32(4, compressed.length, true);
    element.set(compressed, 8);
    return element;
  });

  const total = HEADER_BYTES + elements.reduce((sum, e) => sum + e.length, 0);
  const out = new Uint8Array(total);
  const header = 'MATLAB 5.0 MAT-file, written by webgpu-sparse-autoencoder'.padEnd(116, ' ');
  for (let i = 0; i < 116; i++) out[i] = header.charCodeAt(i);
  // Bytes 116…123, the subsystem data offset, stay zero: there is none.
  const view = new DataView(out.buffer);
  view.setUint16(124, 0x0100, true);
  out[126] = 'I'.charCodeAt(0);
  out[127] = 'M'.charCodeAt(0);
  let offset = HEADER_BYTES;
  for (const element of elements) {
    out.set(element, offset);
    offset += element.length;
  }
  return out;
}

const WRITER = 'MAT-file writer';

function checkVariable(variable: MatVariableInput, seen: Set<string>): void {
  const { name, dims, data } = variable;
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new DataError(WRITER, `'${name}' is not a MATLAB variable name (a letter, then up to 62 letters, digits or _)`);
  }
  if (seen.has(name)) throw new DataError(WRITER, `variable '${name}' is given twice`);
  seen.add(name);
  if (dims.length < 1 || !dims.every((d) => Number.isInteger(d) && d >= 0 && d <= 0x7fffffff)) {
    throw new DataError(WRITER, `variable '${name}': dimensions [${dims.join(', ')}] must be non-negative integers`);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new DataError(WRITER, `variable '${name}' is ${dims.join('×')} (${count} values) but has ${data.length} values`);
  }
  if (count * 8 > 0xffffffff - 256) {
    throw new DataError(WRITER, `variable '${name}' is too large for a Level 5 MAT-file (4 GiB per variable)`);
  }
}

/** The miMATRIX element of one double array, every sub-element padded to 8 bytes. */
function matrixElement({ name, dims, data }: MatVariableInput): Uint8Array {
  // MATLAB needs at least two dimensions: a vector of n values is n×1.
  const allDims = dims.length === 1 ? [dims[0], 1] : dims;
  const dimsBytes = roundUp8(4 * allDims.length);
  const nameBytes = name.length <= 4 ? 0 : roundUp8(name.length); // ≤ 4 characters: small element
  const contentBytes = 16 + (8 + dimsBytes) + (8 + nameBytes) + (8 + 8 * data.length);
  const out = new Uint8Array(8 + contentBytes);
  const view = new DataView(out.buffer);
  let o = 0;
  const tag = (type: number, size: number) => {
    view.setUint32(o, type, true);
    view.setUint32(o + 4, size, true);
    o += 8;
  };
  tag(miMATRIX, contentBytes);
  tag(miUINT32, 8);
  view.setUint32(o, mxDOUBLE_CLASS, true); // no flags: real, not global, not logical
  o += 8;
  tag(miINT32, 4 * allDims.length);
  allDims.forEach((d, i) => view.setInt32(o + 4 * i, d, true));
  o += dimsBytes;
  if (name.length <= 4) {
    view.setUint32(o, (name.length << 16) | miINT8, true);
    for (let i = 0; i < name.length; i++) out[o + 4 + i] = name.charCodeAt(i);
    o += 8;
  } else {
    tag(miINT8, name.length);
    for (let i = 0; i < name.length; i++) out[o + i] = name.charCodeAt(i);
    o += nameBytes;
  }
  tag(miDOUBLE, 8 * data.length);
  for (let i = 0; i < data.length; i++, o += 8) view.setFloat64(o, data[i], true);
  return out;
}

/** The variable called `name`, or a DataError listing the variables there are. */
export function findMatVariable(variables: readonly MatVariable[], name: string, source = 'MAT-file'): MatVariable {
  const found = variables.find((v) => v.name === name);
  if (found) return found;
  const names = variables.map((v) => `'${v.name}'`).join(', ') || 'none';
  throw new DataError(source, `no variable named '${name}' (variables: ${names})`);
}
