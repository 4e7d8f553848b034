/**
 * A classification run's checkpoint: the settings, every finished stage (its figures and θ) and
 * the state of the stage under way. One container file (src/io/container.ts): settings and
 * figures in its JSON header, each finished stage's θ as a float64 blob, the current stage's
 * state (itself a training checkpoint or an L-BFGS snapshot) as a blob of bytes.
 */
import { CheckpointError, decodeContainer, encodeContainer, isCount, isRecord, olderMagic, readFrame, within, type ContainerKind } from '../io/container';
import { taskNames, type ClassifyCheckpoint, type ClassifySettings, type StageKind, type StageRecord } from './pipeline';

const KINDS: readonly StageKind[] = ['autoencoder', 'softmax', 'finetune', 'convolution'];

export const CLASSIFY_CHECKPOINT: ContainerKind = {
  magic: 'SAE-CLSF',
  version: 2,
  what: 'a classification checkpoint',
  older: { format: olderMagic({ SAECLS01: 1 }), read: readFormat1 },
};

const thetaBlob = (i: number) => `stage.${i + 1}.theta`;
const CURRENT_STATE = 'current.state';

export function encodeClassifyCheckpoint(c: ClassifyCheckpoint): Uint8Array {
  const blobs: Record<string, Uint8Array | Float64Array> = {};
  c.completed.forEach((record, i) => (blobs[thetaBlob(i)] = record.theta));
  if (c.current) blobs[CURRENT_STATE] = c.current.state;
  const header = {
    settings: c.settings,
    data: c.data ?? null,
    completed: c.completed.map(({ theta: _, ...figures }) => figures),
    current: c.current ? { name: c.current.name, kind: c.current.kind, seconds: c.current.seconds } : null,
  };
  return encodeContainer(CLASSIFY_CHECKPOINT, header, blobs);
}

export function decodeClassifyCheckpoint(bytes: Uint8Array, source = 'checkpoint'): ClassifyCheckpoint {
  const file = decodeContainer(CLASSIFY_CHECKPOINT, bytes, source);
  const { header, corrupt, fail } = file;
  const settings = header.settings as ClassifySettings;
  if (!isRecord(settings) || !taskNames.includes(settings.task)) corrupt(`task ${JSON.stringify((settings as { task?: unknown })?.task)}`);
  for (const key of ['seed', 'hiddenSize', 'autoencoderIterations', 'softmaxIterations', 'finetuneIterations'] as const) {
    if (!Number.isInteger(settings[key])) corrupt(`${key} is ${JSON.stringify(settings[key])}`);
  }
  for (const key of ['sparsityParam', 'lambda', 'beta', 'softmaxLambda', 'finetuneLambda'] as const) {
    if (!(typeof settings[key] === 'number' && Number.isFinite(settings[key]))) corrupt(`${key} is ${JSON.stringify(settings[key])}`);
  }
  if (settings.task === 'conv') {
    for (const key of ['patchDim', 'patches', 'poolDim'] as const) if (!(Number.isInteger(settings[key]) && settings[key] > 0)) corrupt(`${key} is ${JSON.stringify(settings[key])}`);
  }
  if (!Array.isArray(header.completed)) return corrupt('no list of finished stages');
  const completed: StageRecord[] = header.completed.map((r: unknown, i: number) => {
    if (!isRecord(r) || typeof r.name !== 'string' || !KINDS.includes(r.kind as StageKind)) return corrupt(`finished stage ${i + 1}`);
    const theta = file.float64(thetaBlob(i), undefined, `stage ${i + 1}'s θ`);
    if (!theta.every(Number.isFinite)) fail(`stage ${i + 1}'s θ holds non-finite values`);
    return { ...(r as unknown as StageRecord), theta };
  });
  let current: ClassifyCheckpoint['current'];
  if (header.current !== null && header.current !== undefined) {
    const c = header.current;
    if (!isRecord(c) || typeof c.name !== 'string' || !KINDS.includes(c.kind as StageKind) || typeof c.seconds !== 'number') {
      return corrupt('the stage under way');
    }
    current = { name: c.name, kind: c.kind as StageKind, seconds: c.seconds, state: file.bytes(CURRENT_STATE, 'state of the stage under way') };
  }
  const saved = header.data;
  let data = {};
  if (saved !== null && saved !== undefined) {
    const options = isRecord(saved) ? saved.options : undefined;
    if (!isRecord(saved) || typeof saved.description !== 'string' || !isRecord(options) || !Object.values(options).every((v) => typeof v === 'string' || typeof v === 'number')) {
      corrupt('the data it trained on');
    }
    data = { data: { description: (saved as { description: string }).description, options: { ...(options as Record<string, string | number>) } } };
  }
  return { settings: { ...settings }, ...data, completed, ...(current ? { current } : {}) };
}

/**
 * Format 1 ("SAECLS01", the header's length, the same header, blobs after it): the blobs'
 * places `{ offset, bytes }` stood in the header where θ and the state now are named.
 */
function readFormat1(bytes: Uint8Array, _format: number, fail: (why: string) => never) {
  const { header, blobArea } = readFrame(bytes, 8, fail);
  const blobs = new Map<string, Uint8Array>();
  const take = (place: unknown, name: string, what: string) => {
    if (!isRecord(place) || !isCount(place.offset) || !isCount(place.bytes)) return fail(`${what} lies outside the file (truncated?)`);
    blobs.set(name, within(blobArea, place.offset, place.bytes, what, bytes.length, fail));
  };
  const completed = Array.isArray(header.completed)
    ? header.completed.map((record: unknown, i: number) => {
        if (!isRecord(record)) return record;
        const { theta, ...figures } = record;
        take(theta, thetaBlob(i), `stage ${i + 1}'s θ`);
        return figures;
      })
    : header.completed;
  let current = header.current;
  if (isRecord(current)) {
    const { state, ...rest } = current;
    take(state, CURRENT_STATE, 'the stage under way');
    current = rest;
  }
  return { header: { ...header, completed, current }, blobs };
}

export { CheckpointError };
