/**
 * Snapshot files: a JSON header for the scalars, then the vectors as little-endian float64, so
 * a checkpoint restores bit for bit. Version 2 adds the pairs' inner products (the GPU's
 * vector-free recursion keeps them); version 1 files still decode, without them.
 */
import type { LbfgsSnapshot } from './lbfgs';
import type { InnerProducts } from './vector-free';

const MAGIC_V1 = 'LBFGS-SNAPSHOT-1';
const MAGIC = 'LBFGS-SNAPSHOT-2';

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

export function encodeLbfgsSnapshot(snapshot: LbfgsSnapshot): Uint8Array {
  const n = snapshot.x.length;
  const k = snapshot.corrections.length;
  const products = snapshot.innerProducts;
  if (products && products.count !== k) throw new RangeError(`inner products of ${products.count} pairs for ${k} pairs`);
  const header = new TextEncoder().encode(
    JSON.stringify({
      magic: MAGIC,
      length: n,
      iteration: snapshot.iteration,
      evaluations: snapshot.evaluations,
      cost: snapshot.cost,
      hDiag: snapshot.hDiag,
      ys: snapshot.corrections.map((c) => c.ys),
      innerProducts: products !== undefined,
    }),
  );
  const vectors: ArrayLike<number>[] = [snapshot.x, snapshot.grad, ...snapshot.corrections.flatMap((c) => [c.s, c.y])];
  for (const v of vectors) if (v.length !== n) throw new RangeError('snapshot vectors differ in length');
  if (products) vectors.push(products.ss, products.sy, products.yy, products.gs, products.gy);
  const values = vectors.reduce((sum, v) => sum + v.length, 0);
  const dataStart = Math.ceil((4 + header.length) / 8) * 8;
  const bytes = new Uint8Array(dataStart + values * 8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, header.length, true);
  bytes.set(header, 4);
  let offset = dataStart;
  for (const v of vectors) {
    for (let i = 0; i < v.length; i++, offset += 8) view.setFloat64(offset, v[i], true);
  }
  return bytes;
}

export function decodeLbfgsSnapshot(bytes: Uint8Array): LbfgsSnapshot {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 4) throw new SnapshotError('truncated L-BFGS snapshot');
  const headerLength = view.getUint32(0, true);
  let header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength)));
  } catch {
    throw new SnapshotError('not an L-BFGS snapshot (unreadable header)');
  }
  if (header.magic !== MAGIC && header.magic !== MAGIC_V1) throw new SnapshotError('not an L-BFGS snapshot');
  const n: number = header.length;
  const ys: number[] = header.ys;
  const k = ys.length;
  const withProducts = header.magic === MAGIC && header.innerProducts === true;
  let offset = Math.ceil((4 + headerLength) / 8) * 8;
  const expected = offset + ((2 + 2 * k) * n + (withProducts ? 3 * k * k + 2 * k : 0)) * 8;
  if (bytes.byteLength !== expected) throw new SnapshotError('truncated L-BFGS snapshot');
  const next = (length: number) => {
    const v = new Float64Array(length);
    for (let i = 0; i < length; i++, offset += 8) v[i] = view.getFloat64(offset, true);
    return v;
  };
  const x = next(n);
  const grad = next(n);
  const corrections = ys.map((value) => ({ s: next(n), y: next(n), ys: value }));
  let innerProducts: InnerProducts | undefined;
  if (withProducts) innerProducts = { count: k, ss: next(k * k), sy: next(k * k), yy: next(k * k), gs: next(k), gy: next(k) };
  return {
    iteration: header.iteration,
    evaluations: header.evaluations,
    cost: header.cost,
    hDiag: header.hDiag,
    x,
    grad,
    corrections,
    innerProducts,
  };
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
