/**
 * The one container of saved state (src/io/container.ts): blobs round-trip bit for bit at
 * 8-byte aligned places, and anything truncated or corrupt is a CheckpointError naming the file.
 */
import { describe, expect, it } from 'vitest';
import { decodeClassifyCheckpoint } from '../../src/classify/checkpoint';
import { assembleContainer, CheckpointError, containerParts, decodeContainer, encodeContainer, type ContainerKind } from '../../src/io/container';
import { decodeLbfgsSnapshot, encodeLbfgsSnapshot } from '../../src/optim/lbfgs-snapshot';
import { decodeCheckpoint } from '../../src/train/checkpoint';

const kind: ContainerKind = { magic: 'TESTFILE', version: 4, what: 'a test file' };
const odd = new Uint8Array([1, 2, 3, 4, 5]);
const values = Float64Array.from([Math.PI, -0, Number.MIN_VALUE, 1e308, NaN, -Infinity]);
const encoded = () => encodeContainer(kind, { name: 'x', count: 3 }, { odd, values, empty: new Uint8Array(0) });

describe('container', () => {
  it('round-trips the header and every blob bit for bit', () => {
    const file = decodeContainer(kind, encoded(), 'f.bin');
    expect(file.header).toEqual({ name: 'x', count: 3 });
    expect(file.names).toEqual(['odd', 'values', 'empty']);
    expect(Array.from(file.bytes('odd'))).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(new Uint8Array(file.float64('values', 6).buffer))).toEqual(Array.from(new Uint8Array(values.buffer)));
    expect(file.bytes('empty')).toHaveLength(0);
  });

  it('writes a blob given in parts as their concatenation', () => {
    const parts = [new Uint8Array([9, 8, 7]), Float64Array.from([2.5]), new Uint8Array([6])];
    const file = decodeContainer(kind, encodeContainer(kind, {}, { joined: parts, after: Float64Array.from([7]) }), 'f.bin');
    expect(Array.from(file.bytes('joined'))).toEqual([9, 8, 7, ...new Uint8Array(Float64Array.from([2.5]).buffer), 6]);
    expect(Array.from(file.float64('after', 1))).toEqual([7]);
  });

  it('lays out magic, version, header length, then blobs at 8-byte aligned offsets', () => {
    const bytes = encoded();
    const view = new DataView(bytes.buffer);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('TESTFILE');
    expect(view.getUint32(8, true)).toBe(4);
    const { json, blobArea } = containerParts(bytes);
    expect(view.getUint32(12, true)).toBe(new TextEncoder().encode(json).length);
    const blobs = JSON.parse(json).blobs as Record<string, { offset: number; bytes: number }>;
    const areaStart = bytes.length - blobArea.length;
    expect(areaStart % 8).toBe(0);
    for (const { offset } of Object.values(blobs)) expect(offset % 8).toBe(0);
    // The 5-byte blob is padded to 8, so the float64s start at 8.
    expect(blobs.values.offset).toBe(8);
    expect(view.getFloat64(areaStart + 8, true)).toBe(Math.PI);
  });

  it('refuses truncation, a bad magic, another version and corrupt tables with a CheckpointError naming the file', () => {
    const bytes = encoded();
    const refused = (b: Uint8Array, k = kind) => {
      try {
        decodeContainer(k, b, 'f.bin');
      } catch (error) {
        expect(error).toBeInstanceOf(CheckpointError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    for (let cut = 0; cut < bytes.length; cut += 3) expect(refused(bytes.subarray(0, cut))).toMatch(/^f\.bin: /);
    expect(refused(bytes.subarray(0, bytes.length - 8))).toMatch(/f\.bin: truncated: blob 'values'/);
    expect(refused(bytes, { ...kind, magic: 'OTHERONE' })).toBe('f.bin: not a test file (bad magic)');
    expect(refused(bytes, { ...kind, version: 3 })).toMatch(/newer version of this program \(format 4; this one reads format 3\)/);
    expect(refused(bytes, { ...kind, version: 5 })).toMatch(/format 4 is not one this program wrote/);
    const { json, blobArea } = containerParts(bytes);
    const lie = (edit: (value: { blobs: Record<string, unknown> }) => void) => {
      const value = JSON.parse(json);
      edit(value);
      return assembleContainer(kind, JSON.stringify(value), blobArea);
    };
    expect(refused(lie((v) => (v.blobs.values = { offset: 4, bytes: 48 })))).toMatch(/8-byte aligned/);
    expect(refused(lie((v) => (v.blobs.values = { offset: 8, bytes: 2 ** 40 })))).toMatch(/truncated/);
    expect(refused(lie((v) => (v.blobs = null as never)))).toMatch(/no blob table/);
    expect(refused(assembleContainer(kind, '{"header":', blobArea))).toMatch(/corrupt header \(not JSON\)/);
    const file = decodeContainer(kind, bytes, 'f.bin');
    expect(() => file.float64('odd')).toThrow(/f\.bin: corrupt header: blob 'odd' is not whole float64s/);
    expect(() => file.float64('values', 5)).toThrow(/has 6 values, not 5/);
    expect(() => file.bytes('missing', 'the missing part')).toThrow(/f\.bin: corrupt header: no the missing part/);
  });

  it('writes an L-BFGS snapshot with a NaN cost as null and reads it back as NaN', () => {
    const x = Float64Array.from([1, 2]);
    const snapshot = { iteration: 0, evaluations: 1, cost: NaN, hDiag: 1, x, grad: x, corrections: [] };
    expect(decodeLbfgsSnapshot(encodeLbfgsSnapshot(snapshot)).cost).toBeNaN();
  });
});

describe('kinds', () => {
  it('a file of one kind is not read as another', () => {
    const snapshot = encodeLbfgsSnapshot({ iteration: 0, evaluations: 1, cost: 1, hDiag: 1, x: new Float64Array(1), grad: new Float64Array(1), corrections: [] });
    expect(() => decodeCheckpoint(snapshot, 'c.bin')).toThrow('c.bin: not a checkpoint file (bad magic)');
    expect(() => decodeClassifyCheckpoint(snapshot, 'c.bin')).toThrow('c.bin: not a classification checkpoint (bad magic)');
  });
});
