import { zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors';
import { readMat, writeMat } from '../../src/data/mat';
import { Random } from '../../src/random';
import { expectDataError } from './expect-data-error';

// Fixtures are built byte by byte from the MAT-File Format specification (MathWorks, "MAT-File
// Format", Level 5), independently of writeMat.

const miINT8 = 1;
const miUINT8 = 2;
const miINT16 = 3;
const miINT32 = 5;
const miUINT32 = 6;
const miSINGLE = 7;
const miDOUBLE = 9;
const miINT64 = 12;
const miMATRIX = 14;
const miCOMPRESSED = 15;

/** Little-endian (or big-endian) byte builder. */
class Bytes {
  readonly out: number[] = [];
  constructor(readonly littleEndian = true) {}
  private put(size: number, write: (v: DataView) => void): this {
    const view = new DataView(new ArrayBuffer(size));
    write(view);
    this.out.push(...new Uint8Array(view.buffer));
    return this;
  }
  u8(...values: number[]): this {
    this.out.push(...values);
    return this;
  }
  u16(v: number): this {
    return this.put(2, (d) => d.setUint16(0, v, this.littleEndian));
  }
  u32(v: number): this {
    return this.put(4, (d) => d.setUint32(0, v, this.littleEndian));
  }
  i32(v: number): this {
    return this.put(4, (d) => d.setInt32(0, v, this.littleEndian));
  }
  f64(v: number): this {
    return this.put(8, (d) => d.setFloat64(0, v, this.littleEndian));
  }
  f32(v: number): this {
    return this.put(4, (d) => d.setFloat32(0, v, this.littleEndian));
  }
  i64(v: bigint): this {
    return this.put(8, (d) => d.setBigInt64(0, v, this.littleEndian));
  }
  text(s: string): this {
    for (const c of s) this.out.push(c.charCodeAt(0));
    return this;
  }
  pad8(): this {
    while (this.out.length % 8 !== 0) this.out.push(0);
    return this;
  }
  bytes(b: ArrayLike<number>): this {
    this.out.push(...Array.from(b));
    return this;
  }
  get length(): number {
    return this.out.length;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

function header(littleEndian = true, text = 'MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024'): Bytes {
  const b = new Bytes(littleEndian).text(text.padEnd(116, ' '));
  b.u8(0, 0, 0, 0, 0, 0, 0, 0); // subsystem data offset
  b.u16(0x0100);
  // The endian indicator is 'MI' written as a 16-bit value: 'IM' on little-endian machines.
  b.text(littleEndian ? 'IM' : 'MI');
  return b;
}

interface MatrixSpec {
  mxClass: number;
  flags?: number;
  dims: number[];
  name: string;
  /** Storage type and the element bytes (already in file order), written with a full tag. */
  dataType: number;
  write: (b: Bytes) => void;
  /** Use the small element format for the data. */
  smallData?: boolean;
}

/** The contents of an miMATRIX element (without its own tag). */
function matrixContents(spec: MatrixSpec, littleEndian = true): Bytes {
  const b = new Bytes(littleEndian);
  b.u32(miUINT32).u32(8).u32(((spec.flags ?? 0) << 8) | spec.mxClass).u32(0);
  b.u32(miINT32).u32(4 * spec.dims.length);
  for (const d of spec.dims) b.i32(d);
  b.pad8();
  if (spec.name.length <= 4) {
    b.u32((spec.name.length << 16) | miINT8).text(spec.name).pad8();
  } else {
    b.u32(miINT8).u32(spec.name.length).text(spec.name).pad8();
  }
  const data = new Bytes(littleEndian);
  spec.write(data);
  if (spec.smallData) {
    b.u32((data.length << 16) | spec.dataType).bytes(data.out).pad8();
  } else {
    b.u32(spec.dataType).u32(data.length).bytes(data.out).pad8();
  }
  return b;
}

function matrixElement(spec: MatrixSpec, littleEndian = true): Bytes {
  const contents = matrixContents(spec, littleEndian);
  return new Bytes(littleEndian).u32(miMATRIX).u32(contents.length).bytes(contents.out);
}

function file(...elements: Bytes[]): Uint8Array {
  const b = header();
  for (const e of elements) b.bytes(e.out);
  return b.build();
}

/** A = [1 2 3; 4 5 6], double, uncompressed. */
const doubleSpec: MatrixSpec = {
  mxClass: 6,
  dims: [2, 3],
  name: 'A',
  dataType: miDOUBLE,
  write: (b) => [1, 4, 2, 5, 3, 6].forEach((v) => b.f64(v)),
};
const doubleFile = () => file(matrixElement(doubleSpec));

function compressedElement(spec: MatrixSpec): Bytes {
  const compressed = zlibSync(matrixElement(spec).build());
  return new Bytes().u32(miCOMPRESSED).u32(compressed.length).bytes(compressed);
}


describe('readMat on fixtures from the specification', () => {
  it('reads an uncompressed 2×3 double, column-major', () => {
    const bytes = doubleFile();
    expect(bytes.length).toBe(128 + 8 + 96);
    const vars = readMat(bytes);
    expect(vars).toHaveLength(1);
    expect(vars[0].name).toBe('A');
    expect(vars[0].dims).toEqual([2, 3]);
    expect(Array.from(vars[0].data)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('reads small-element data: an int32 scalar and an int16 pair', () => {
    const scalar = matrixElement({
      mxClass: 12,
      dims: [1, 1],
      name: 'n',
      dataType: miINT32,
      write: (b) => b.i32(42),
      smallData: true,
    });
    const pair = matrixElement({
      mxClass: 10,
      dims: [1, 2],
      name: 'pair',
      dataType: miINT16,
      write: (b) => b.u8(0xfd, 0xff, 0x07, 0x00), // −3, 7
      smallData: true,
    });
    const vars = readMat(file(scalar, pair));
    expect(vars.map((v) => v.name)).toEqual(['n', 'pair']);
    expect(Array.from(vars[0].data)).toEqual([42]);
    expect(Array.from(vars[1].data)).toEqual([-3, 7]);
    expect(vars[1].dims).toEqual([1, 2]);
  });

  it('reads a compressed variable (miCOMPRESSED, not padded) followed by an uncompressed one', () => {
    const spec: MatrixSpec = { ...doubleSpec, name: 'longer_name' };
    const compressed = compressedElement(spec);
    expect(compressed.length % 8).not.toBe(0); // so the next element really starts unaligned
    const vars = readMat(file(compressed, matrixElement({ ...doubleSpec, name: 'B' })));
    expect(vars.map((v) => v.name)).toEqual(['longer_name', 'B']);
    expect(Array.from(vars[0].data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(vars[1].data)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('reads a 3-D uint8 array of 2×2×3', () => {
    const values = Array.from({ length: 12 }, (_, i) => i * 20);
    const vars = readMat(
      file(matrixElement({ mxClass: 9, dims: [2, 2, 3], name: 'IMAGES', dataType: miUINT8, write: (b) => b.u8(...values) })),
    );
    expect(vars[0].dims).toEqual([2, 2, 3]);
    expect(Array.from(vars[0].data)).toEqual(values);
  });

  it('reads a double array that MATLAB stored compactly as miUINT8, miINT8 and miSINGLE', () => {
    const asUint8 = matrixElement({ mxClass: 6, dims: [1, 3], name: 'u', dataType: miUINT8, write: (b) => b.u8(0, 128, 255) });
    const asInt8 = matrixElement({ mxClass: 6, dims: [3, 1], name: 'i', dataType: miINT8, write: (b) => b.u8(0x80, 0xff, 0x7f) });
    const asSingle = matrixElement({ mxClass: 7, dims: [1, 2], name: 's', dataType: miSINGLE, write: (b) => b.f32(0.5).f32(-2.25) });
    const asInt64 = matrixElement({ mxClass: 14, dims: [1, 1], name: 'big', dataType: miINT64, write: (b) => b.i64(-(2n ** 40n)) });
    const vars = readMat(file(asUint8, asInt8, asSingle, asInt64));
    expect(Array.from(vars[0].data)).toEqual([0, 128, 255]);
    expect(Array.from(vars[1].data)).toEqual([-128, -1, 127]);
    expect(Array.from(vars[2].data)).toEqual([0.5, -2.25]);
    expect(Array.from(vars[3].data)).toEqual([-(2 ** 40)]);
  });

  it('reads a big-endian file', () => {
    const b = header(false);
    b.bytes(matrixElement(doubleSpec, false).out);
    const vars = readMat(b.build());
    expect(vars[0].name).toBe('A');
    expect(vars[0].dims).toEqual([2, 3]);
    expect(Array.from(vars[0].data)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('reads an empty array and a file with no variables', () => {
    const empty = matrixElement({ mxClass: 6, dims: [0, 0], name: 'e', dataType: miDOUBLE, write: () => {} });
    const vars = readMat(file(empty));
    expect(vars[0].dims).toEqual([0, 0]);
    expect(vars[0].data.length).toBe(0);
    expect(readMat(header().build())).toEqual([]);
  });

  it('rejects cell, struct, char, sparse and complex arrays as unsupported, naming the variable', () => {
    const kinds: [number, number, RegExp][] = [
      [1, 0, /unsupported: variable 'x' is a cell array/],
      [2, 0, /unsupported: variable 'x' is a struct/],
      [4, 0, /unsupported: variable 'x' is a char array/],
      [5, 0, /unsupported: variable 'x' is a sparse array/],
      [6, 0x08, /unsupported: variable 'x' is complex/],
    ];
    for (const [mxClass, flags, pattern] of kinds) {
      const element = matrixElement({ mxClass, flags, dims: [1, 1], name: 'x', dataType: miDOUBLE, write: (b) => b.f64(1) });
      const error = expectDataError(() => readMat(file(element), 'x.mat'), pattern);
      expect(error.source).toBe('x.mat');
    }
  });

  it('skips unsupported variables when asked', () => {
    const text = matrixElement({ mxClass: 4, dims: [1, 2], name: 'label', dataType: 16, write: (b) => b.text('hi') });
    const vars = readMat(file(text, matrixElement(doubleSpec)), 'x.mat', { skipUnsupported: true });
    expect(vars.map((v) => v.name)).toEqual(['A']);
  });
});

describe('readMat on bad input', () => {
  it('rejects every truncation of an uncompressed file with a DataError (128 bytes is a valid empty file)', () => {
    const bytes = doubleFile();
    for (let n = 0; n < bytes.length; n++) {
      if (n === 128) {
        expect(readMat(bytes.subarray(0, n))).toEqual([]);
        continue;
      }
      expectDataError(() => readMat(bytes.subarray(0, n), 'cut.mat'), /^cut\.mat: (truncated|not a Level 5)/);
    }
  });

  it('rejects every truncation of a compressed file with a DataError', () => {
    const bytes = file(compressedElement(doubleSpec));
    for (let n = 129; n < bytes.length; n++) {
      expectDataError(() => readMat(bytes.subarray(0, n), 'cut.mat'), /^cut\.mat: (truncated|corrupt)/);
    }
  });

  it('says what is wrong with the header', () => {
    const good = doubleFile();
    const withText = (text: string) => {
      const b = good.slice();
      b.set(Array.from(text.padEnd(116, ' '), (c) => c.charCodeAt(0)), 0);
      return b;
    };
    expectDataError(() => readMat(withText('MATLAB 7.3 MAT-file, HDF5')), /MATLAB 7\.3 .*HDF5.*-v7/);
    expectDataError(() => readMat(withText('PNG image')), /not a Level 5 MAT-file/);
    // A Level 4 file: no text header, just a 20-byte matrix header.
    expectDataError(() => readMat(Uint8Array.from([0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0])), /not a Level 5 MAT-file/);
    const badEndian = good.slice();
    badEndian[126] = 'X'.charCodeAt(0);
    expectDataError(() => readMat(badEndian), /endian indicator is 'XM'/);
    const badVersion = good.slice();
    badVersion[125] = 0x02;
    expectDataError(() => readMat(badVersion), /version 0x0200/);
  });

  it('rejects corrupt zlib data: a bad header, a flipped byte, a wrong checksum', () => {
    const bytes = file(compressedElement(doubleSpec));
    const zlibStart = 128 + 8;
    const badHeader = bytes.slice();
    badHeader[zlibStart] = 0x12;
    expectDataError(() => readMat(badHeader, 'z.mat'), /^z\.mat: corrupt zlib data.*compressed element at byte 128/);
    const badChecksum = bytes.slice();
    badChecksum[bytes.length - 1] ^= 0xff;
    expectDataError(() => readMat(badChecksum, 'z.mat'), /Adler-32/);
    // A flipped bit either breaks the deflate stream or changes the output, which the
    // Adler-32 check catches — unless it is one of the unused bits padding the last byte.
    let rejected = 0;
    for (let i = zlibStart + 2; i < bytes.length - 4; i++) {
      const flipped = bytes.slice();
      flipped[i] ^= 0x10;
      try {
        expect(Array.from(readMat(flipped, 'z.mat')[0].data)).toEqual([1, 4, 2, 5, 3, 6]);
      } catch (error) {
        expect(error).toBeInstanceOf(DataError);
        expect((error as DataError).message).toMatch(/^z\.mat: (corrupt|truncated)/);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThanOrEqual(bytes.length - 4 - zlibStart - 2 - 1);
  });

  it('rejects wrong tag types and sizes', () => {
    const contents = (spec: Partial<MatrixSpec>) => matrixContents({ ...doubleSpec, ...spec });
    const element = (c: Bytes) => new Bytes().u32(miMATRIX).u32(c.length).bytes(c.out);

    // Array flags of 4 bytes instead of 8.
    const shortFlags = new Bytes().u32(miUINT32).u32(4).u32(6).u32(0).bytes(contents({}).out.slice(16));
    expectDataError(() => readMat(file(element(shortFlags))), /array flags should be 8 bytes of miUINT32, found 4 bytes/);

    // Dimensions stored as miDOUBLE.
    const c = contents({});
    const dimsAsDouble = c.build();
    new DataView(dimsAsDouble.buffer).setUint32(16, miDOUBLE, true);
    expectDataError(() => readMat(file(element(new Bytes().bytes(dimsAsDouble)))), /dimensions should be .*miINT32.*miDOUBLE/);

    // A single dimension.
    expectDataError(() => readMat(file(matrixElement({ ...doubleSpec, dims: [6] }))), /dimensions should be at least 2/);

    // Dims say 2×3 but the data holds 5 doubles.
    const five = matrixElement({ ...doubleSpec, write: (b) => [1, 2, 3, 4, 5].forEach((v) => b.f64(v)) });
    expectDataError(() => readMat(file(five)), /variable 'A' is 2×3 \(6 values\) but its data holds 5/);

    // 47 bytes of miDOUBLE.
    const ragged = matrixElement({ ...doubleSpec, dataType: miDOUBLE, write: (b) => b.u8(...new Array(47).fill(0)) });
    expectDataError(() => readMat(file(ragged)), /47 bytes, not a whole number of miDOUBLE/);

    // The data as miMATRIX.
    const nested = matrixElement({ ...doubleSpec, dataType: miMATRIX, write: (b) => b.u8(...new Array(8).fill(0)) });
    expectDataError(() => readMat(file(nested)), /data has type miMATRIX, not a numeric type/);

    // A small element claiming 6 bytes.
    const small = matrixElement({ ...doubleSpec, dims: [1, 1], dataType: miINT16, write: (b) => b.u8(1, 2, 3, 4) , smallData: true }).build();
    new DataView(small.buffer).setUint32(8 + 16 + 16 + 8, (6 << 16) | miINT16, true);
    expectDataError(() => readMat(file(new Bytes().bytes(small))), /small element of 6 bytes/);

    // A top-level element that is not a matrix.
    expectDataError(() => readMat(file(new Bytes().u32(miDOUBLE).u32(8).f64(1))), /element at byte 128 is miDOUBLE, expected miMATRIX or miCOMPRESSED/);

    // A matrix whose tag claims more bytes than the file has.
    const long = doubleFile();
    new DataView(long.buffer).setUint32(132, 1000, true);
    expectDataError(() => readMat(long), /truncated: variable 1 at byte 128 \(miMATRIX\) says 1000 bytes but only 96 follow/);

    // Unknown class.
    expectDataError(() => readMat(file(matrixElement({ ...doubleSpec, mxClass: 40 }))), /unknown array class 40/);
  });

  it('never throws anything but a DataError on randomly corrupted files', () => {
    const rng = new Random(7);
    const fixtures = [doubleFile(), file(compressedElement(doubleSpec), matrixElement(doubleSpec))];
    for (let trial = 0; trial < 400; trial++) {
      const bytes = fixtures[trial % 2].slice();
      const flips = 1 + rng.integer(4);
      for (let f = 0; f < flips; f++) bytes[128 + rng.integer(bytes.length - 128)] = rng.integer(256);
      try {
        const vars = readMat(bytes);
        for (const v of vars) expect(v.data.length).toBe(v.dims.reduce((a, b) => a * b, 1));
      } catch (error) {
        expect(error).toBeInstanceOf(DataError);
      }
    }
  });
});

describe('writeMat', () => {
  it('writes the header and an uncompressed double exactly as the specification lays it out', () => {
    const bytes = writeMat([{ name: 'A', dims: [2, 3], data: [1, 4, 2, 5, 3, 6] }]);
    // Same layout as the hand-built fixture, header text aside.
    expect(bytes.subarray(116)).toEqual(doubleFile().subarray(116));
    expect(String.fromCharCode(...bytes.subarray(0, 10))).toBe('MATLAB 5.0');
  });

  it('round-trips variables, compressed and not', () => {
    const rng = new Random(3);
    const cube = Float64Array.from({ length: 4 * 5 * 6 }, () => rng.normal());
    const input = [
      { name: 'IMAGES', dims: [4, 5, 6], data: cube },
      { name: 'x', dims: [3], data: [0.1, -2, 1e300] },
      { name: 'empty', dims: [0, 0], data: [] },
      { name: 'a_very_long_variable_name_of_40_chars__', dims: [1, 2], data: new Float32Array([0.5, 3]) },
    ];
    for (const compress of [false, true]) {
      const vars = readMat(writeMat(input, { compress }));
      expect(vars.map((v) => v.name)).toEqual(input.map((v) => v.name));
      expect(vars.map((v) => v.dims)).toEqual([[4, 5, 6], [3, 1], [0, 0], [1, 2]]);
      vars.forEach((v, i) => expect(Array.from(v.data)).toEqual(Array.from(input[i].data)));
    }
    const compressed = writeMat(input, { compress: true });
    expect(new DataView(compressed.buffer).getUint32(128, true)).toBe(miCOMPRESSED);
  });

  it('rejects bad names, mismatched dimensions and duplicates', () => {
    expectDataError(() => writeMat([{ name: '1x', dims: [1, 1], data: [1] }]), /not a MATLAB variable name/);
    expectDataError(() => writeMat([{ name: 'x', dims: [2, 2], data: [1, 2, 3] }]), /2×2 \(4 values\) but has 3 values/);
    expectDataError(() => writeMat([{ name: 'x', dims: [1.5, 2], data: [1, 2, 3] }]), /non-negative integers/);
    expectDataError(
      () => writeMat([{ name: 'x', dims: [1, 1], data: [1] }, { name: 'x', dims: [1, 1], data: [2] }]),
      /given twice/,
    );
  });
});
