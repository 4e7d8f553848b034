/** The classification pipeline's files: its checkpoint and the classifier's model.json. */
import { CLASSIFY_CHECKPOINT, decodeClassifyCheckpoint, encodeClassifyCheckpoint } from '../../../src/classify/checkpoint';
import { classifierModelJson, readClassifierModelFile } from '../../../src/classify/model-file';
import { defaultSettings, type ClassifyCheckpoint } from '../../../src/classify/pipeline';
import { DataError } from '../../../src/data/errors';
import { classifierLayout, type ClassifierShape } from '../../../src/reference/classifier';
import { assembleContainer, CheckpointError, containerParts } from '../../../src/io/container';
import { CONTAINER_SITES, olderSeed } from './checkpoint';
import { jsonLies } from '../mutations';
import { allFinite, expectValid, isPositiveInteger, KiB, seededValues, type Seed, type Target } from './target';

const utf8 = (text: string) => new TextEncoder().encode(text);

function checkCheckpoint(result: unknown): void {
  const c = result as ClassifyCheckpoint;
  expectValid(typeof c.settings?.task === 'string', 'no task');
  expectValid(Array.isArray(c.completed), 'no finished stages');
  for (const record of c.completed) {
    expectValid(record.theta instanceof Float64Array && allFinite(record.theta), `stage ${record.name}: θ is not finite float64s`);
  }
  if (c.current) expectValid(c.current.state instanceof Uint8Array, 'the current stage has no state bytes');
}

function checkpointSeed(): Seed {
  const checkpoint: ClassifyCheckpoint = {
    settings: { ...defaultSettings, task: 'stacked' },
    data: { description: 'test digits', options: { digits: 300 } },
    completed: [
      { name: 'sparse autoencoder, layer 1', kind: 'autoencoder', theta: Float64Array.from(seededValues(23, 3, 2)), iterations: 5, evaluations: 6, initialCost: 9, finalCost: 2, seconds: 1, exitReason: 'max-iterations' },
    ],
    current: { name: 'sparse autoencoder, layer 2', kind: 'autoencoder', state: new Uint8Array(seededValues(29, 4, 256).map(Math.floor)), seconds: 0.5 },
  };
  const bytes = encodeClassifyCheckpoint(checkpoint);
  const { json, blobArea } = containerParts(bytes);
  return {
    name: 'stacked.ckpt',
    bytes,
    sites: CONTAINER_SITES,
    extra: jsonLies(JSON.parse(json), (lie) => assembleContainer(CLASSIFY_CHECKPOINT, lie, blobArea), 'header'),
    read: decodeClassifyCheckpoint,
    check: checkCheckpoint,
  };
}

export const classifyCheckpointTarget: Target = {
  name: 'classify checkpoint',
  errorName: 'CheckpointError',
  isOwnError: (error) => error instanceof CheckpointError,
  // Blobs are copied out of the file: never more than the file, a few times over.
  budget: (bytes) => ({ largest: bytes.length + 64 * KiB, total: 4 * bytes.length + 256 * KiB }),
  seeds: () => [checkpointSeed(), olderSeed('classify-softmax-v1.ckpt', 'SAECLS01', decodeClassifyCheckpoint, checkCheckpoint)],
};

function checkModel(result: unknown, bytes: Uint8Array): void {
  const { shape, theta } = result as { shape: ClassifierShape; theta: Float64Array };
  expectValid(isPositiveInteger(shape.inputSize) && isPositiveInteger(shape.numClasses) && shape.hiddenSizes.every(isPositiveInteger), `shape ${JSON.stringify(shape)}`);
  expectValid(theta.length === classifierLayout(shape).length && allFinite(theta), `θ has ${theta.length} values`);
  const file = JSON.parse(new TextDecoder().decode(bytes)) as { theta: number[] };
  for (let i = 0; i < theta.length; i++) expectValid(Object.is(file.theta[i], theta[i]), `θ[${i}] is not the file's`);
}

function modelSeed(name: string, shape: ClassifierShape): Seed {
  const theta = Float64Array.from(seededValues(classifierLayout(shape).length, 7, 2), (x) => x - 1);
  const value = classifierModelJson('stacked', shape, theta, { 'after fine-tuning': 0.5 });
  return { name, bytes: utf8(JSON.stringify(value)), sites: [], extra: jsonLies(value, utf8, 'model.json'), read: readClassifierModelFile, check: checkModel };
}

export const classifierModelTarget: Target = {
  name: 'classifier model.json',
  errorName: 'DataError',
  isOwnError: (error) => error instanceof DataError,
  // Every parameter takes at least two characters ("0,"), and becomes a float64.
  budget: (bytes) => ({ largest: 4 * bytes.length + 64 * KiB, total: 16 * bytes.length + 256 * KiB }),
  seeds: () => [modelSeed('softmax-3-2.json', { inputSize: 3, hiddenSizes: [], numClasses: 2 }), modelSeed('stack-4-3-2.json', { inputSize: 4, hiddenSizes: [3], numClasses: 2 })],
};
