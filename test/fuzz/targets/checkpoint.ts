/** Checkpoint files: decodeCheckpoint. */
import { thetaLayout } from '../../../src/reference/params';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../../src/train/checkpoint';
import { presets, validateConfig, type TrainConfig } from '../../../src/train/config';
import { jsonLies, site } from '../mutations';
import { expectValid, isPositiveInteger, KiB, seededValues, type Seed, type Target } from './target';

const MAGIC = 'SAECKPT1';

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

/** A checkpoint file around the given JSON header and the seed's arrays. */
function assemble(json: string, payload: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(json);
  const start = Math.ceil((MAGIC.length + 4 + text.length) / 8) * 8;
  const out = new Uint8Array(start + payload.length);
  out.set(new TextEncoder().encode(MAGIC));
  new DataView(out.buffer).setUint32(MAGIC.length, text.length, true);
  out.set(text, MAGIC.length + 4);
  out.set(payload, start);
  return out;
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
  const jsonLength = new DataView(bytes.buffer).getUint32(MAGIC.length, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength)));
  const payload = bytes.slice(Math.ceil((12 + jsonLength) / 8) * 8);
  return {
    name,
    bytes,
    sites: [site(MAGIC.length, 4, true, 'header length')],
    extra: jsonLies(header, (json) => assemble(json, payload), 'header'),
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
  ],
};
