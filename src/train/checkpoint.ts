/**
 * A checkpoint is everything needed to continue a run where it stood: the configuration, θ,
 * and the optimizer's state (L-BFGS corrections, or the momentum / Adam moments). It is one
 * binary file: "SAECKPT1", a little-endian uint32 header length, a JSON header, then the
 * float64 arrays it names (8-byte aligned), so θ round-trips exactly.
 */
import type { Shape } from '../reference/params';
import { ConfigError, validateConfig, type TrainConfig } from './config';

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

/** A JSON object (not null, not an array). */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** The names the encoder gives arrays: θ, the L-BFGS bytes, and state vectors. */
const STATE_NAME = /^state\.([A-Za-z][A-Za-z0-9_]*)$/;

/**
 * Reads a checkpoint file. Everything in it is checked before it is used: the header's fields
 * and types, the configuration (validateConfig), and every array's place in the file, so that
 * a truncated or corrupt file is a CheckpointError naming `source`, never another exception or
 * an allocation the file does not back.
 */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const fail = (why: string): never => {
    throw new CheckpointError(`${source}: ${why}`);
  };
  if (bytes.length < MAGIC.length + 4 || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) {
    fail('not a checkpoint file (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(MAGIC.length, true);
  if (jsonLength > bytes.length - MAGIC.length - 4) fail(`truncated header (it says ${jsonLength} bytes, ${bytes.length - MAGIC.length - 4} follow)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + jsonLength)));
  } catch {
    return fail('corrupt header (not JSON)');
  }
  if (!isRecord(parsed)) return fail('corrupt header (not a JSON object)');
  const header = parsed;
  const corrupt = (why: string): never => fail(`corrupt header: ${why}`);

  const config = header.config;
  if (!isRecord(config)) return corrupt('no configuration');
  try {
    validateConfig(config as unknown as TrainConfig);
  } catch (error) {
    if (error instanceof ConfigError) corrupt(`its configuration is invalid (${error.message})`);
    throw error;
  }
  if (typeof config.data !== 'string' || typeof config.preset !== 'string') corrupt('the configuration names no data or preset');

  const shape = header.shape;
  if (!isRecord(shape) || !(isCount(shape.visibleSize) && shape.visibleSize > 0 && isCount(shape.hiddenSize) && shape.hiddenSize > 0)) {
    return corrupt(`shape ${JSON.stringify(shape)} is not two positive integers`);
  }
  for (const key of ['iteration', 'evaluations', 'lbfgsBytes']) {
    if (!isCount(header[key])) corrupt(`${key} is ${JSON.stringify(header[key])}, not a whole number`);
  }
  const elapsedSeconds = header.elapsedSeconds;
  if (!(typeof elapsedSeconds === 'number' && Number.isFinite(elapsedSeconds) && elapsedSeconds >= 0)) {
    corrupt(`elapsedSeconds is ${JSON.stringify(elapsedSeconds)}`);
  }
  // JSON has no NaN: a cost that was NaN (before the first evaluation, say) is written as null.
  const cost = (key: 'initialCost' | 'cost'): number => {
    const value = header[key];
    if (value === null) return NaN;
    if (typeof value !== 'number') return corrupt(`${key} is ${JSON.stringify(value)}, not a number`);
    return value;
  };

  const arrays = header.arrays;
  if (!isRecord(arrays)) return corrupt('no array table');
  const start = Math.ceil((MAGIC.length + 4 + jsonLength) / 8) * 8;
  const values: Record<string, Float64Array> = {};
  const state: Record<string, Float64Array> = {};
  for (const [name, entry] of Object.entries(arrays)) {
    const stateName = STATE_NAME.exec(name)?.[1];
    if (name !== 'theta' && name !== 'lbfgs' && !stateName) corrupt(`unknown array ${JSON.stringify(name)}`);
    if (!isRecord(entry) || !isCount(entry.offset) || !isCount(entry.length) || entry.offset % 8 !== 0) {
      return corrupt(`array '${name}' has no whole-number, 8-byte aligned offset and length (${JSON.stringify(entry)})`);
    }
    const from = start + entry.offset;
    if (from + entry.length * 8 > bytes.length) {
      fail(`truncated: array '${name}' (${entry.length} values at byte ${from}) runs past the end of the ${bytes.length}-byte file`);
    }
    const array = new Float64Array(bytes.slice(from, from + entry.length * 8).buffer);
    values[name] = array;
    if (stateName) state[stateName] = array;
  }
  const theta = values.theta;
  if (!theta || theta.length === 0) return corrupt('no θ');
  for (const [name, array] of Object.entries(state)) {
    if (array.length !== theta.length) corrupt(`optimizer state '${name}' has ${array.length} values but θ has ${theta.length}`);
  }
  const lbfgsBytes = header.lbfgsBytes as number;
  const lbfgsSlots = values.lbfgs?.length ?? 0;
  if (lbfgsSlots !== Math.ceil(lbfgsBytes / 8)) {
    corrupt(`lbfgsBytes is ${lbfgsBytes} but the L-BFGS array has ${lbfgsSlots} 8-byte slots`);
  }
  const lbfgs = lbfgsBytes > 0 ? new Uint8Array(values.lbfgs.buffer).slice(0, lbfgsBytes) : undefined;
  return {
    config: config as unknown as TrainConfig,
    shape: { visibleSize: shape.visibleSize, hiddenSize: shape.hiddenSize, ...(shape.output === 'linear' ? { output: 'linear' as const } : {}) },
    iteration: header.iteration as number,
    evaluations: header.evaluations as number,
    elapsedSeconds: elapsedSeconds as number,
    initialCost: cost('initialCost'),
    cost: cost('cost'),
    theta,
    state,
    lbfgs,
  };
}
