/**
 * The classification page's set-up ↔ its query string, both ways, without the DOM (tested in
 * test/pages/classify-link.test.ts): ?task=stl&digits=1000&hidden=36&seed=1&ae=20&softmax=50&finetune=20
 * (and the conv task's patches=20000&pool=5).
 * The page writes it as the controls change; a link read back gives the set-up, and each value
 * that cannot be used is reported with the default in its place.
 */
import { defaultSettings, taskNames, type TaskName } from '../../classify/pipeline';

export interface ClassifySetup {
  task: TaskName;
  /** Digits used, of the embedded 10,000 (shuffled first). */
  digits: number;
  hiddenSize: number;
  seed: number;
  autoencoderIterations: number;
  softmaxIterations: number;
  finetuneIterations: number;
  /** conv: the 8×8 patches cut from the training digits for its autoencoder, and the pooling regions' side. */
  patches: number;
  poolDim: number;
}

export type NumberField = Exclude<keyof ClassifySetup, 'task'>;

/** The side of the digits' convolved maps: 28 − 8 + 1 (the page learns 8×8 patches, the CLI's default). */
export const CONV_MAP_SIDE = 28 - defaultSettings.patchDim + 1;

/** The number fields: form id, name in a link, and the smallest and largest whole number allowed. */
export const numberFields: Record<NumberField, { id: string; query: string; min: number; max: number }> = {
  digits: { id: 'digits', query: 'digits', min: 100, max: 10_000 },
  hiddenSize: { id: 'hiddenSize', query: 'hidden', min: 1, max: 2_000 },
  seed: { id: 'seed', query: 'seed', min: -(2 ** 31), max: 2 ** 31 - 1 },
  autoencoderIterations: { id: 'aeIterations', query: 'ae', min: 1, max: 10_000 },
  softmaxIterations: { id: 'softmaxIterations', query: 'softmax', min: 1, max: 10_000 },
  finetuneIterations: { id: 'finetuneIterations', query: 'finetune', min: 1, max: 10_000 },
  patches: { id: 'patches', query: 'patches', min: 1, max: 100_000 },
  // 28×28 digits and 8×8 patches: 21×21 convolved maps, so regions of at most 21.
  poolDim: { id: 'poolDim', query: 'pool', min: 1, max: CONV_MAP_SIDE },
};

/**
 * The exercises' own sizes: all 10,000 digits, 200 hidden units, 400 L-BFGS iterations per
 * autoencoder and fine-tuning, 100 for softmax; conv: 20,000 patches, pooled by 5 (a 4×4 grid).
 */
export const defaultSetup: Readonly<ClassifySetup> = Object.freeze({
  task: 'softmax',
  digits: 10_000,
  hiddenSize: 200,
  seed: 1,
  autoencoderIterations: 400,
  softmaxIterations: 100,
  finetuneIterations: 400,
  patches: defaultSettings.patches,
  poolDim: defaultSettings.poolDim,
});

export interface LinkProblem {
  field: NumberField | 'task';
  value: string;
}

/** A number field's text as a value, or undefined when it is not a whole number in the field's range. */
export function parseField(field: NumberField, text: string): number | undefined {
  const { min, max } = numberFields[field];
  const value = Number(text);
  return text.trim() !== '' && Number.isInteger(value) && value >= min && value <= max ? value : undefined;
}

export function encodeClassifyLink(setup: ClassifySetup): URLSearchParams {
  const query = new URLSearchParams({ task: setup.task });
  for (const [field, { query: name }] of Object.entries(numberFields) as [NumberField, { query: string }][]) {
    // A field being typed into may be empty for a moment: it is left out, not written as NaN.
    if (Number.isFinite(setup[field])) query.set(name, String(setup[field]));
  }
  return query;
}

export function decodeClassifyLink(search: string): { setup: ClassifySetup; problems: LinkProblem[] } {
  const query = new URLSearchParams(search);
  const setup: ClassifySetup = { ...defaultSetup };
  const problems: LinkProblem[] = [];
  const task = query.get('task');
  if (task !== null) {
    if ((taskNames as readonly string[]).includes(task)) setup.task = task as TaskName;
    else problems.push({ field: 'task', value: task });
  }
  for (const [field, { query: name }] of Object.entries(numberFields) as [NumberField, { query: string }][]) {
    const text = query.get(name);
    if (text === null) continue;
    const value = parseField(field, text);
    if (value === undefined) problems.push({ field, value: text });
    else setup[field] = value;
  }
  return { setup, problems };
}
