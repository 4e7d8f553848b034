/** Checkpoint files: decodeCheckpoint; and the L-BFGS snapshots they hold: decodeLbfgsSnapshot. Current and older formats. */
import { readFileSync } from 'node:fs';
import { assembleContainer, containerParts } from '../../../src/io/container';
import type { LbfgsSnapshot } from '../../../src/optim/lbfgs';
import { decodeLbfgsSnapshot, encodeLbfgsSnapshot, LBFGS_SNAPSHOT } from '../../../src/optim/lbfgs-snapshot';
import { thetaLayout } from '../../../src/reference/params';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, TRAINING_CHECKPOINT, type Checkpoint } from '../../../src/train/checkpoint';
import { presets, validateConfig, type TrainConfig } from '../../../src/train/config';
import { jsonLies, site, type Site } from '../mutations';
import { expectValid, isPositiveInteger, KiB, seededValues, type Seed, type Target } from './target';

/** The container's version and header length (src/io/container.ts). */
export const CONTAINER_SITES: Site[] = [site(8, 4, true, 'format version'), site(12, 4, true, 'header length')];

/**
 * The older formats' frame (before src/io/container.ts): `prefix` (a magic, or nothing), the
 * header's length, the JSON header, then from the next multiple of 8 the payload.
 */
function assembleOlder(prefix: string, json: string, payload: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(json);
  const start = Math.ceil((prefix.length + 4 + text.length) / 8) * 8;
  const out = new Uint8Array(start + payload.length);
  out.set(new TextEncoder().encode(prefix));
  new DataView(out.buffer).setUint32(prefix.length, text.length, true);
  out.set(text, prefix.length + 4);
  out.set(payload, start);
  return out;
}

/** A seed from a file the older writers made (test/fixtures/checkpoints), with lies about its header. */
export function olderSeed(file: string, prefix: string, read: Seed['read'], check: Seed['check']): Seed {
  const bytes = new Uint8Array(readFileSync(new URL(`../../fixtures/checkpoints/${file}`, import.meta.url)));
  const jsonLength = new DataView(bytes.buffer).getUint32(prefix.length, true);
  const jsonEnd = prefix.length + 4 + jsonLength;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(prefix.length + 4, jsonEnd)));
  const payload = bytes.slice(Math.ceil(jsonEnd / 8) * 8);
  return {
    name: file,
    bytes,
    sites: [site(prefix.length, 4, true, 'header length')],
    extra: jsonLies(header, (json) => assembleOlder(prefix, json, payload), 'header'),
    read,
    check,
  };
}

function check(result: unknown): void {
  const c = result as Checkpoint;
  expectValid(c.config && typeof c.config === 'object', 'config is not an object');
  try {
    validateConfig(c.config);
  } catch (error) {
    expectValid(false, `config is invalid: ${(error as Error).message}`);
  }
  expectValid(isPositiveInteger(c.shape?.visibleSize) && isPositiveInteger(c.shape?.hiddenSize), `shape ${JSON.stringify(c.shape)}`);
  for (const key of ['iteration', 'evaluations'] as const) expectValid(Number.isInteger(c[key]) && c[key] >= 0, `${key} is ${c[key]}`);
  expectValid(Number.isFinite(c.elapsedSeconds) && c.elapsedSeconds >= 0, `elapsedSeconds is ${c.elapsedSeconds}`);
  for (const key of ['initialCost', 'cost'] as const) expectValid(typeof c[key] === 'number', `${key} is ${JSON.stringify(c[key])}`);
  expectValid(c.theta instanceof Float64Array && c.theta.length > 0, 'theta is not a non-empty Float64Array');
  expectValid(c.state && typeof c.state === 'object' && Object.getPrototypeOf(c.state) === Object.prototype, 'state is not a plain object');
  for (const [name, values] of Object.entries(c.state)) {
    expectValid(values instanceof Float64Array && values.length === c.theta.length, `state '${name}' has ${values?.length} values, θ ${c.theta.length}`);
  }
  expectValid(c.lbfgs === undefined || (c.lbfgs instanceof Uint8Array && c.lbfgs.length > 0), 'lbfgs is not bytes');
}

function checkpointSeed(name: string, optimizer: TrainConfig['optimizer'], state: string[], lbfgsBytes: number): Seed {
  const shape = { visibleSize: 4, hiddenSize: 3 };
  const n = thetaLayout(shape).length;
  const c: Checkpoint = {
    config: { ...presets['ufldl-natural'], optimizer, hiddenSize: 3, iterations: 20 },
    shape,
    iteration: 7,
    evaluations: 9,
    elapsedSeconds: 1.25,
    initialCost: 3.5,
    cost: 0.75,
    theta: Float64Array.from(seededValues(n, 21, 2)),
    state: Object.fromEntries(state.map((key, k) => [key, Float64Array.from(seededValues(n, 22 + k))])),
    ...(lbfgsBytes ? { lbfgs: new Uint8Array(seededValues(lbfgsBytes, 30, 256).map(Math.floor)) } : {}),
  };
  const bytes = encodeCheckpoint(c);
  const { json, blobArea } = containerParts(bytes);
  return {
    name,
    bytes,
    sites: CONTAINER_SITES,
    extra: jsonLies(JSON.parse(json), (lie) => assembleContainer(TRAINING_CHECKPOINT, lie, blobArea), 'header'),
    read: decodeCheckpoint,
    check,
  };
}

export const checkpointTarget: Target = {
  name: 'checkpoint',
  errorName: 'CheckpointError',
  isOwnError: (error) => error instanceof CheckpointError,
  // Arrays are copied out of the file: never more than the file, a few times over.
  budget: (bytes) => ({ largest: bytes.length + 64 * KiB, total: 4 * bytes.length + 256 * KiB }),
  seeds: () => [
    checkpointSeed('lbfgs.ckpt', 'lbfgs', [], 37),
    checkpointSeed('adam.ckpt', 'adam', ['m', 'v'], 0),
    checkpointSeed('sgd.ckpt', 'sgd', ['velocity'], 0),
    olderSeed('train-lbfgs-v1.ckpt', 'SAECKPT1', decodeCheckpoint, check),
    olderSeed('train-adam-v1.ckpt', 'SAECKPT1', decodeCheckpoint, check),
  ],
};

function checkSnapshot(result: unknown): void {
  const s = result as LbfgsSnapshot;
  const n = s.x?.length;
  expectValid(s.x instanceof Float64Array && n > 0 && s.grad instanceof Float64Array && s.grad.length === n, 'x and the gradient differ in length');
  for (const key of ['iteration', 'evaluations'] as const) expectValid(Number.isInteger(s[key]) && s[key] >= 0, `${key} is ${s[key]}`);
  for (const key of ['cost', 'hDiag'] as const) expectValid(typeof s[key] === 'number', `${key} is ${JSON.stringify(s[key])}`);
  for (const pair of s.corrections) {
    expectValid(pair.s.length === n && pair.y.length === n && typeof pair.ys === 'number', 'a pair of the wrong length');
  }
  const p = s.innerProducts;
  const k = s.corrections.length;
  if (p) expectValid(p.count === k && p.ss.length === k * k && p.sy.length === k * k && p.yy.length === k * k && p.gs.length === k && p.gy.length === k, 'inner products of the wrong size');
}

function snapshotSeed(name: string, withProducts: boolean): Seed {
  const n = 7;
  const k = 2;
  const vector = (seed: number) => Float64Array.from(seededValues(n, seed, 2));
  const square = (seed: number) => Float64Array.from(seededValues(k * k, seed));
  const snapshot: LbfgsSnapshot = {
    iteration: 5,
    evaluations: 6,
    cost: 0.5,
    hDiag: 0.25,
    x: vector(40),
    grad: vector(41),
    corrections: [0, 1].map((i) => ({ s: vector(42 + i), y: vector(44 + i), ys: 0.1 + i })),
    ...(withProducts ? { innerProducts: { count: k, ss: square(50), sy: square(51), yy: square(52), gs: vector(53).subarray(0, k), gy: vector(54).subarray(0, k) } } : {}),
  };
  const bytes = encodeLbfgsSnapshot(snapshot);
  const { json, blobArea } = containerParts(bytes);
  return {
    name,
    bytes,
    sites: CONTAINER_SITES,
    extra: jsonLies(JSON.parse(json), (lie) => assembleContainer(LBFGS_SNAPSHOT, lie, blobArea), 'header'),
    read: decodeLbfgsSnapshot,
    check: checkSnapshot,
  };
}

export const lbfgsSnapshotTarget: Target = {
  name: 'L-BFGS snapshot',
  errorName: 'CheckpointError',
  isOwnError: (error) => error instanceof CheckpointError,
  budget: (bytes) => ({ largest: bytes.length + 64 * KiB, total: 4 * bytes.length + 256 * KiB }),
  seeds: () => [snapshotSeed('gpu-snapshot.bin', true), snapshotSeed('cpu-snapshot.bin', false), olderSeed('lbfgs-snapshot-v2.bin', '', decodeLbfgsSnapshot, checkSnapshot)],
};
