/**
 * Snapshot files: a container (src/io/container.ts) whose header holds the scalars and whose
 * float64 blobs hold the vectors, so a checkpoint restores bit for bit. The pairs' inner
 * products (the GPU's vector-free recursion keeps them) are saved when the backend had them.
 */
import { decodeContainer, encodeContainer, isCount, readFrame, type BlobValue, type ContainerKind } from '../io/container';
import type { LbfgsSnapshot } from './lbfgs';
import type { InnerProducts } from './vector-free';

export const LBFGS_SNAPSHOT: ContainerKind = {
  magic: 'SAELBFGS',
  version: 3,
  what: 'an L-BFGS snapshot',
  older: {
    // Formats 1 and 2 began with their header's length, then {"magic":"LBFGS-SNAPSHOT-1" (or -2).
    format: (bytes) => {
      const match = /^\{"magic":"LBFGS-SNAPSHOT-([12])"/.exec(new TextDecoder().decode(bytes.subarray(4, 32)));
      return match ? Number(match[1]) : undefined;
    },
    read: readFormats1And2,
  },
};

/**
 * Formats 1 and 2: the header's length, the header (the same scalars), then from the next
 * multiple of 8 the float64s in order x, g, s₁, y₁, s₂, y₂, … and, in format 2 when
 * `innerProducts` is set, the products ss, sy, yy, gs, gy.
 */
function readFormats1And2(bytes: Uint8Array, format: number, fail: (why: string) => never) {
  const { header, blobArea } = readFrame(bytes, 0, fail);
  const { magic: _, ...fields } = header;
  const n = header.length;
  const ys = header.ys;
  if (!isCount(n) || !Array.isArray(ys)) return fail('corrupt header: no length or ys');
  const k = ys.length;
  const withProducts = format === 2 && header.innerProducts === true;
  const values = (2 + 2 * k) * n + (withProducts ? 3 * k * k + 2 * k : 0);
  if (blobArea.length !== values * 8) fail(`truncated: ${values} values expected, the file holds ${Math.floor(blobArea.length / 8)}`);
  let at = 0;
  const next = (count: number) => blobArea.subarray(at, (at += count * 8));
  const blobs = new Map<string, Uint8Array>([
    ['x', next(n)],
    ['grad', next(n)],
  ]);
  // The pairs were interleaved; this container keeps the s and the y of all pairs together.
  const s = new Uint8Array(k * n * 8);
  const y = new Uint8Array(k * n * 8);
  for (let i = 0; i < k; i++) {
    s.set(next(n), i * n * 8);
    y.set(next(n), i * n * 8);
  }
  blobs.set('s', s).set('y', y);
  if (withProducts) for (const [name, count] of [['ss', k * k], ['sy', k * k], ['yy', k * k], ['gs', k], ['gy', k]] as const) blobs.set(name, next(count));
  return { header: { ...fields, innerProducts: withProducts }, blobs };
}

export function encodeLbfgsSnapshot(snapshot: LbfgsSnapshot): Uint8Array {
  const n = snapshot.x.length;
  const k = snapshot.corrections.length;
  const products = snapshot.innerProducts;
  if (products && products.count !== k) throw new RangeError(`inner products of ${products.count} pairs for ${k} pairs`);
  const vectors = [snapshot.x, snapshot.grad, ...snapshot.corrections.flatMap((c) => [c.s, c.y])];
  for (const v of vectors) if (v.length !== n) throw new RangeError('snapshot vectors differ in length');
  // The pairs as two k×n blocks, oldest first.
  const blobs: Record<string, BlobValue> = { x: snapshot.x, grad: snapshot.grad, s: snapshot.corrections.map((c) => c.s), y: snapshot.corrections.map((c) => c.y) };
  if (products) Object.assign(blobs, { ss: products.ss, sy: products.sy, yy: products.yy, gs: products.gs, gy: products.gy });
  const header = {
    length: n,
    iteration: snapshot.iteration,
    evaluations: snapshot.evaluations,
    cost: snapshot.cost,
    hDiag: snapshot.hDiag,
    ys: snapshot.corrections.map((c) => c.ys),
    innerProducts: products !== undefined,
  };
  return encodeContainer(LBFGS_SNAPSHOT, header, blobs);
}

/** Reads a snapshot; a wrong, truncated or corrupt one is a CheckpointError naming `source`. */
export function decodeLbfgsSnapshot(bytes: Uint8Array, source = 'L-BFGS snapshot'): LbfgsSnapshot {
  const file = decodeContainer(LBFGS_SNAPSHOT, bytes, source);
  const { header, corrupt } = file;
  const n = header.length;
  if (!isCount(n) || n === 0) return corrupt(`length is ${JSON.stringify(n)}`);
  for (const key of ['iteration', 'evaluations']) if (!isCount(header[key])) corrupt(`${key} is ${JSON.stringify(header[key])}, not a whole number`);
  const ys = header.ys;
  if (!Array.isArray(ys) || !ys.every((v) => typeof v === 'number')) return corrupt('ys is not a list of numbers');
  // JSON has no NaN or ±∞: such a cost or γ is written as null.
  const number = (key: string): number => {
    const value = header[key];
    if (value === null) return NaN;
    if (typeof value !== 'number') return corrupt(`${key} is ${JSON.stringify(value)}, not a number`);
    return value;
  };
  const k = ys.length;
  if (k * n > Number.MAX_SAFE_INTEGER / 8) corrupt(`${k} pairs of ${n} values`);
  const x = file.float64('x', n, 'the iterate x');
  const grad = file.float64('grad', n, 'the gradient');
  const s = file.float64('s', k * n, 'the steps s');
  const y = file.float64('y', k * n, 'the gradient changes y');
  const corrections = ys.map((value: number, i: number) => ({ s: s.subarray(i * n, (i + 1) * n), y: y.subarray(i * n, (i + 1) * n), ys: value }));
  let innerProducts: InnerProducts | undefined;
  if (header.innerProducts === true) {
    const square = (name: string) => file.float64(name, k * k, `the inner products ${name}`);
    innerProducts = { count: k, ss: square('ss'), sy: square('sy'), yy: square('yy'), gs: file.float64('gs', k, 'the inner products gs'), gy: file.float64('gy', k, 'the inner products gy') };
  } else if (header.innerProducts !== false) {
    corrupt(`innerProducts is ${JSON.stringify(header.innerProducts)}`);
  }
  return { iteration: header.iteration as number, evaluations: header.evaluations as number, cost: number('cost'), hDiag: number('hDiag'), x, grad, corrections, innerProducts };
}

/** The snapshot with only its newest `kept` pairs (and their inner products). */
export function trimLbfgsSnapshot(snapshot: LbfgsSnapshot, kept: number): LbfgsSnapshot {
  const k = snapshot.corrections.length;
  const drop = Math.max(0, k - kept);
  if (drop === 0) return snapshot;
  const products = snapshot.innerProducts;
  let innerProducts: InnerProducts | undefined;
  if (products) {
    const n = k - drop;
    const block = (m: Float64Array) => Float64Array.from({ length: n * n }, (_, e) => m[(drop + Math.floor(e / n)) * k + drop + (e % n)]);
    innerProducts = { count: n, ss: block(products.ss), sy: block(products.sy), yy: block(products.yy), gs: products.gs.slice(drop), gy: products.gy.slice(drop) };
  }
  return { ...snapshot, corrections: snapshot.corrections.slice(drop), innerProducts };
}
