/**
 * The checkpoint of an SAE run of current practice (src/train/sae-trainer.ts): everything its loop
 * needs to go on to the same result as a run never stopped. One container file
 * (src/io/container.ts): the scalars, the settings and the history in its JSON header; θ, Adam's
 * two moments and the examples since each latent fired as float64 blobs (θ and the moments are
 * the GPU's float32 values widened, so they go back bit for bit).
 *
 * What the loop's state is, and where it lives here:
 * - θ (W_enc, W_dec, b_enc, b_dec: b_pre is b_dec), Adam's m and v: blobs;
 * - the step reached: `step`; Adam's bias corrections, the learning-rate schedule, λ's warm-up
 *   position (lambdaAt) and the batch order (batchForIteration, seeded) are functions of it, so
 *   the step and the settings restore them;
 * - the dead-latent counters (examples since each latent fired): a blob; the AuxK flags are
 *   derived from them as the loop derives them after every group;
 * - BatchTopK's running inference threshold: `threshold` (a float32 value, exact in JSON);
 * - the data: their size and a hash of the values in the order the run trains on them, so that a
 *   checkpoint is refused for other data (or the same data shuffled with another seed).
 */
import { CheckpointError, decodeContainer, encodeContainer, isCount, isRecord, type ContainerKind } from '../io/container';
import { saeLayout, type SaeShape } from '../reference/sae';
import { checkSaeSettings, saeVariants, type SaeRunState, type SaeTrainSettings } from './sae-trainer';

export { CheckpointError };

export interface SaeCheckpoint {
  settings: SaeTrainSettings;
  shape: SaeShape;
  examples: number;
  /** dataFingerprint of the data the run trains on (after its shuffle). */
  dataHash: string;
  /** The data's description, for messages. */
  data: string;
  state: SaeRunState;
}

export const SAE_CHECKPOINT: ContainerKind = {
  magic: 'SAE-STEP',
  version: 1,
  what: 'an SAE checkpoint file (from npm run train -- --model topk|batchtopk|relu-l1)',
};

/** A 64-bit FNV-1a over the values' float64 bytes, as 16 hex digits: which data a checkpoint belongs to. */
export function dataFingerprint(values: Float64Array | Float32Array): string {
  const words = new Uint32Array(Float64Array.from(values).buffer);
  // Two 32-bit FNV-1a lanes with different offsets: enough to tell data sets apart, not a MAC.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ words.length;
  for (let i = 0; i < words.length; i++) {
    a = Math.imul(a ^ words[i], 0x01000193);
    b = Math.imul(b ^ words[i] ^ (i & 0xff), 0x01000193);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

export function encodeSaeCheckpoint(c: SaeCheckpoint): Uint8Array {
  const { settings, shape, examples, dataHash, data, state } = c;
  const header = { settings, shape, examples, dataHash, data, step: state.step, elapsedSeconds: state.elapsedSeconds, history: state.history, ...(state.threshold !== undefined ? { threshold: state.threshold } : {}) };
  return encodeContainer(SAE_CHECKPOINT, header, { theta: state.theta, adamM: state.m, adamV: state.v, sinceFired: Float64Array.from(state.sinceFired) });
}

const BLOBS = ['theta', 'adamM', 'adamV', 'sinceFired'];

/** Reads and checks an SAE checkpoint; a wrong, truncated or inconsistent file is a CheckpointError naming `source`. */
export function decodeSaeCheckpoint(bytes: Uint8Array, source: string): SaeCheckpoint {
  const file = decodeContainer(SAE_CHECKPOINT, bytes, source);
  const { header, corrupt } = file;
  const shape = header.shape;
  if (!isRecord(shape) || !(isCount(shape.inputs) && shape.inputs > 0 && isCount(shape.latents) && shape.latents > 0)) return corrupt(`shape ${JSON.stringify(shape)} is not two positive integers`);
  const examples = header.examples;
  if (!(isCount(examples) && examples > 0)) return corrupt(`examples is ${JSON.stringify(examples)}`);
  const settings = header.settings;
  if (!isRecord(settings) || !saeVariants.includes(settings.variant as never)) return corrupt('no SAE settings');
  try {
    checkSaeSettings(settings as unknown as SaeTrainSettings, shape.inputs, examples);
  } catch (error) {
    return corrupt(`its settings are invalid (${(error as Error).message})`);
  }
  const s = settings as unknown as SaeTrainSettings;
  if (s.latents !== shape.latents) corrupt(`its settings have ${s.latents} latents, its shape ${shape.latents}`);
  if (typeof header.dataHash !== 'string' || typeof header.data !== 'string') corrupt('no data fingerprint');
  const step = header.step;
  if (!(isCount(step) && step <= s.steps)) corrupt(`step is ${JSON.stringify(step)}, not a whole number up to the run's ${s.steps}`);
  const elapsed = header.elapsedSeconds;
  if (!(typeof elapsed === 'number' && Number.isFinite(elapsed) && elapsed >= 0)) corrupt(`elapsedSeconds is ${JSON.stringify(elapsed)}`);
  const history = header.history;
  const isEntry = (e: unknown) => isRecord(e) && isCount(e.step) && isCount(e.dead) && ['reconstruction', 'auxiliary'].every((key) => typeof e[key] === 'number');
  if (!Array.isArray(history) || !history.every(isEntry)) corrupt('its history is not a list of { step, reconstruction, auxiliary, dead }');
  const threshold = header.threshold;
  if (threshold !== undefined && !(typeof threshold === 'number' && Number.isFinite(threshold))) corrupt(`threshold is ${JSON.stringify(threshold)}`);
  if (s.variant === 'batchtopk' && threshold === undefined) corrupt('a BatchTopK checkpoint without its threshold');
  for (const name of file.names) if (!BLOBS.includes(name)) corrupt(`unknown blob ${JSON.stringify(name)}`);
  const length = saeLayout(shape as unknown as SaeShape).length;
  const theta = file.float64('theta', length, `θ (a ${shape.inputs}-${shape.latents} SAE has ${length} values)`);
  const m = file.float64('adamM', length, "Adam's first moment");
  const v = file.float64('adamV', length, "Adam's second moment");
  const since = file.float64('sinceFired', shape.latents, 'the examples since each latent fired');
  if (!since.every((n) => isCount(n) && n <= 0xffffffff)) corrupt('the examples since each latent fired are not whole numbers');
  return {
    settings: s,
    shape: { inputs: shape.inputs, latents: shape.latents },
    examples,
    dataHash: header.dataHash as string,
    data: header.data as string,
    state: {
      step: step as number,
      elapsedSeconds: elapsed as number,
      history: history as SaeRunState['history'],
      theta,
      m,
      v,
      sinceFired: Uint32Array.from(since),
      ...(threshold !== undefined ? { threshold: threshold as number } : {}),
    },
  };
}
