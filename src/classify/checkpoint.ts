/**
 * A classification run's checkpoint: the settings, every finished stage (its figures and θ) and
 * the state of the stage under way. One binary file: "SAECLS01", a little-endian uint32 header
 * length, a JSON header, then the blobs it names (θs as float64, the current stage's state as
 * bytes), each 8-byte aligned, so θ round-trips exactly.
 */
import { CheckpointError } from '../train/checkpoint';
import { taskNames, type ClassifyCheckpoint, type ClassifySettings, type StageKind, type StageRecord } from './pipeline';

const MAGIC = 'SAECLS01';
const KINDS: readonly StageKind[] = ['autoencoder', 'softmax', 'finetune'];

interface Blob {
  offset: number;
  bytes: number;
}

export function encodeClassifyCheckpoint(c: ClassifyCheckpoint): Uint8Array {
  const blobs: Uint8Array[] = [];
  let offset = 0;
  const place = (bytes: Uint8Array): Blob => {
    const blob = { offset, bytes: bytes.length };
    blobs.push(bytes);
    offset += Math.ceil(bytes.length / 8) * 8;
    return blob;
  };
  const header = {
    settings: c.settings,
    data: c.data ?? null,
    completed: c.completed.map(({ theta, ...figures }) => ({ ...figures, theta: place(new Uint8Array(theta.buffer, theta.byteOffset, theta.byteLength)) })),
    current: c.current ? { name: c.current.name, kind: c.current.kind, seconds: c.current.seconds, state: place(c.current.state) } : null,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((MAGIC.length + 4 + json.length) / 8) * 8;
  const out = new Uint8Array(start + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length, true);
  out.set(json, MAGIC.length + 4);
  let at = start;
  for (const blob of blobs) {
    out.set(blob, at);
    at += Math.ceil(blob.length / 8) * 8;
  }
  return out;
}

export function decodeClassifyCheckpoint(bytes: Uint8Array, source = 'checkpoint'): ClassifyCheckpoint {
  const fail = (why: string): never => {
    throw new CheckpointError(`${source}: ${why}`);
  };
  if (bytes.length < MAGIC.length + 4 || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) {
    fail('not a classification checkpoint (bad magic)');
  }
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true);
  if (jsonLength > bytes.length - MAGIC.length - 4) fail('truncated header');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + jsonLength)));
  } catch {
    return fail('corrupt header (not JSON)');
  }
  if (!isRecord(header)) return fail('corrupt header (not a JSON object)');
  const start = Math.ceil((MAGIC.length + 4 + jsonLength) / 8) * 8;
  const blob = (b: unknown, what: string): Uint8Array => {
    if (!isRecord(b) || !isCount(b.offset) || !isCount(b.bytes) || start + b.offset + b.bytes > bytes.length) fail(`${what} lies outside the file (truncated?)`);
    const { offset, bytes: length } = b as unknown as Blob;
    return bytes.slice(start + offset, start + offset + length);
  };
  const settings = header.settings as ClassifySettings;
  if (!isRecord(settings) || !taskNames.includes(settings.task)) fail(`corrupt header: task ${JSON.stringify((settings as { task?: unknown })?.task)}`);
  for (const key of ['seed', 'hiddenSize', 'autoencoderIterations', 'softmaxIterations', 'finetuneIterations'] as const) {
    if (!Number.isInteger(settings[key])) fail(`corrupt header: ${key} is ${JSON.stringify(settings[key])}`);
  }
  for (const key of ['sparsityParam', 'lambda', 'beta', 'softmaxLambda', 'finetuneLambda'] as const) {
    if (!(typeof settings[key] === 'number' && Number.isFinite(settings[key]))) fail(`corrupt header: ${key} is ${JSON.stringify(settings[key])}`);
  }
  if (!Array.isArray(header.completed)) return fail('corrupt header: no list of finished stages');
  const completed: StageRecord[] = header.completed.map((r: unknown, i: number) => {
    if (!isRecord(r) || typeof r.name !== 'string' || !KINDS.includes(r.kind as StageKind)) return fail(`corrupt header: finished stage ${i + 1}`);
    const raw = blob(r.theta, `stage ${i + 1}'s θ`);
    if (raw.length % 8 !== 0) fail(`stage ${i + 1}'s θ is not whole float64s`);
    const theta = new Float64Array(raw.buffer, raw.byteOffset, raw.length / 8);
    if (!theta.every(Number.isFinite)) fail(`stage ${i + 1}'s θ holds non-finite values`);
    return { ...(r as unknown as StageRecord), theta };
  });
  let current: ClassifyCheckpoint['current'];
  if (header.current !== null && header.current !== undefined) {
    const c = header.current;
    if (!isRecord(c) || typeof c.name !== 'string' || !KINDS.includes(c.kind as StageKind) || typeof c.seconds !== 'number') {
      return fail('corrupt header: the stage under way');
    }
    current = { name: c.name, kind: c.kind as StageKind, seconds: c.seconds, state: blob(c.state, 'the stage under way') };
  }
  const saved = header.data;
  let data = {};
  if (saved !== null && saved !== undefined) {
    const options = isRecord(saved) ? saved.options : undefined;
    if (!isRecord(saved) || typeof saved.description !== 'string' || !isRecord(options) || !Object.values(options).every((v) => typeof v === 'string' || typeof v === 'number')) {
      fail('corrupt header: the data it trained on');
    }
    data = { data: { description: (saved as { description: string }).description, options: { ...(options as Record<string, string | number>) } } };
  }
  return { settings: { ...settings }, ...data, completed, ...(current ? { current } : {}) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}
