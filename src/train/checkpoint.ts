/**
 * A checkpoint is everything needed to continue a run where it stood: the configuration, θ,
 * and the optimizer's state (L-BFGS corrections, or the momentum / Adam moments). It is one
 * binary file: "SAECKPT1", a little-endian uint32 header length, a JSON header, then the
 * float64 arrays it names (8-byte aligned), so θ round-trips exactly.
 */
import type { Shape } from '../reference/params';
import type { TrainConfig } from './config';

export interface Checkpoint {
  config: TrainConfig;
  shape: Shape;
  /** Iterations completed. */
  iteration: number;
  evaluations: number;
  elapsedSeconds: number;
  initialCost: number;
  /** The most recent cost reported. */
  cost: number;
  theta: Float64Array;
  /** Optimizer state: named vectors (velocity, Adam's m and v) and L-BFGS's encoded snapshot. */
  state: Record<string, Float64Array>;
  lbfgs?: Uint8Array;
}

const MAGIC = 'SAECKPT1';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const arrays: [string, Float64Array][] = [['theta', c.theta], ...Object.entries(c.state).map(([k, v]) => [`state.${k}`, v] as [string, Float64Array])];
  if (c.lbfgs) {
    // Bytes padded into whole float64 slots; its true length is kept in the header.
    const padded = new Float64Array(Math.ceil(c.lbfgs.length / 8));
    new Uint8Array(padded.buffer).set(c.lbfgs);
    arrays.push(['lbfgs', padded]);
  }
  const layout: Record<string, { offset: number; length: number }> = {};
  let offset = 0;
  for (const [name, values] of arrays) {
    layout[name] = { offset, length: values.length };
    offset += values.length * 8;
  }
  const header = {
    config: c.config,
    shape: c.shape,
    iteration: c.iteration,
    evaluations: c.evaluations,
    elapsedSeconds: c.elapsedSeconds,
    initialCost: c.initialCost,
    cost: c.cost,
    lbfgsBytes: c.lbfgs?.length ?? 0,
    arrays: layout,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((MAGIC.length + 4 + json.length) / 8) * 8;
  const bytes = new Uint8Array(start + offset);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(MAGIC.length, json.length, true);
  bytes.set(json, MAGIC.length + 4);
  for (const [name, values] of arrays) {
    bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), start + layout[name].offset);
  }
  return bytes;
}

export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const fail = (why: string): never => {
    throw new CheckpointError(`${source}: ${why}`);
  };
  if (bytes.length < MAGIC.length + 4 || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) {
    fail('not a checkpoint file (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(MAGIC.length, true);
  if (MAGIC.length + 4 + jsonLength > bytes.length) fail('truncated header');
  let header: {
    config: TrainConfig;
    shape: Shape;
    iteration: number;
    evaluations: number;
    elapsedSeconds: number;
    initialCost: number;
    cost: number;
    lbfgsBytes: number;
    arrays: Record<string, { offset: number; length: number }>;
  };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + jsonLength)));
  } catch {
    return fail('corrupt header');
  }
  const start = Math.ceil((MAGIC.length + 4 + jsonLength) / 8) * 8;
  const read = (name: string): Float64Array => {
    const entry = header.arrays[name];
    if (!entry) fail(`missing array '${name}'`);
    const from = start + entry.offset;
    if (from + entry.length * 8 > bytes.length) fail(`truncated: array '${name}' runs past the end`);
    return new Float64Array(bytes.slice(from, from + entry.length * 8).buffer);
  };
  const state: Record<string, Float64Array> = {};
  for (const name of Object.keys(header.arrays)) {
    if (name.startsWith('state.')) state[name.slice(6)] = read(name);
  }
  const lbfgs = header.lbfgsBytes > 0 ? new Uint8Array(read('lbfgs').buffer).slice(0, header.lbfgsBytes) : undefined;
  return {
    config: header.config,
    shape: header.shape,
    iteration: header.iteration,
    evaluations: header.evaluations,
    elapsedSeconds: header.elapsedSeconds,
    initialCost: header.initialCost,
    cost: header.cost,
    theta: read('theta'),
    state,
    lbfgs,
  };
}
