/**
 * A checkpoint is everything needed to continue a run where it stood: the configuration, θ,
 * and the optimizer's state (L-BFGS corrections, or the momentum / Adam moments). It is one
 * container file (src/io/container.ts): the scalars in its JSON header, θ and the state vectors
 * as float64 blobs, so θ round-trips exactly, and L-BFGS's snapshot as a blob of its own.
 */
import { CheckpointError, decodeContainer, encodeContainer, isCount, isRecord, olderMagic, readFrame, within, type ContainerKind } from '../io/container';
import type { Shape } from '../reference/params';
import { ConfigError, validateConfig, type TrainConfig } from './config';

export { CheckpointError };

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

export const TRAINING_CHECKPOINT: ContainerKind = {
  magic: 'SAE-CKPT',
  version: 2,
  what: 'a checkpoint file',
  older: { format: olderMagic({ SAECKPT1: 1 }), read: readFormat1 },
};

/**
 * Format 1 ("SAECKPT1", the header's length, the same header fields, float64 arrays after it):
 * its array table `arrays: { name: { offset, length } }` counted float64s, and L-BFGS's bytes
 * sat padded in an array of their own, their true length in `lbfgsBytes`.
 */
function readFormat1(bytes: Uint8Array, _format: number, fail: (why: string) => never) {
  const { header, blobArea } = readFrame(bytes, 8, fail);
  const { arrays, lbfgsBytes, ...fields } = header;
  if (!isRecord(arrays)) return fail('corrupt header: no array table');
  const blobs = new Map<string, Uint8Array>();
  for (const [name, entry] of Object.entries(arrays)) {
    if (!isRecord(entry) || !isCount(entry.offset) || !isCount(entry.length) || entry.length > Number.MAX_SAFE_INTEGER / 8) {
      return fail(`corrupt header: array '${name}' has no whole-number offset and length (${JSON.stringify(entry)})`);
    }
    blobs.set(name, within(blobArea, entry.offset, entry.length * 8, `array '${name}'`, bytes.length, fail));
  }
  if (!isCount(lbfgsBytes)) return fail(`corrupt header: lbfgsBytes is ${JSON.stringify(lbfgsBytes)}, not a whole number`);
  const padded = blobs.get('lbfgs');
  if ((padded?.length ?? 0) !== Math.ceil(lbfgsBytes / 8) * 8) fail(`corrupt header: lbfgsBytes is ${lbfgsBytes} but the L-BFGS array has ${(padded?.length ?? 0) / 8} 8-byte slots`);
  if (padded && lbfgsBytes > 0) blobs.set('lbfgs', padded.subarray(0, lbfgsBytes));
  else blobs.delete('lbfgs');
  return { header: fields, blobs };
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const blobs: Record<string, Uint8Array | Float64Array> = { theta: c.theta };
  for (const [name, values] of Object.entries(c.state)) blobs[`state.${name}`] = values;
  if (c.lbfgs && c.lbfgs.length > 0) blobs.lbfgs = c.lbfgs;
  const { config, shape, iteration, evaluations, elapsedSeconds, initialCost, cost } = c;
  return encodeContainer(TRAINING_CHECKPOINT, { config, shape, iteration, evaluations, elapsedSeconds, initialCost, cost }, blobs);
}

/** The names the encoder gives blobs: θ, the L-BFGS bytes, and state vectors. */
const STATE_NAME = /^state\.([A-Za-z][A-Za-z0-9_]*)$/;

/**
 * Reads a checkpoint file. Everything in it is checked before it is used: the container, the
 * header's fields and types, the configuration (validateConfig) and every vector's length, so
 * that a truncated or corrupt file is a CheckpointError naming `source`.
 */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const file = decodeContainer(TRAINING_CHECKPOINT, bytes, source);
  const { header, corrupt } = file;

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
  for (const key of ['iteration', 'evaluations']) {
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

  for (const name of file.names) {
    if (name !== 'theta' && name !== 'lbfgs' && !STATE_NAME.test(name)) corrupt(`unknown blob ${JSON.stringify(name)}`);
  }
  const theta = file.float64('theta', undefined, 'θ');
  if (theta.length === 0) return corrupt('no θ');
  const state: Record<string, Float64Array> = {};
  for (const name of file.names) {
    const stateName = STATE_NAME.exec(name)?.[1];
    if (stateName) state[stateName] = file.float64(name, theta.length, `optimizer state '${stateName}' (θ has ${theta.length} values)`);
  }
  const lbfgs = file.has('lbfgs') ? file.bytes('lbfgs') : undefined;
  if (lbfgs?.length === 0) corrupt('the L-BFGS state is empty');
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
