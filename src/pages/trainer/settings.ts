/**
 * The trainer's settings: the form's fields ↔ a TrainConfig, presets, and URL query
 * parameters (so a link — or a test — can set up a run: ?preset=ufldl-mnist&iterations=5;
 * ?data=natural-color, ?output=linear).
 */
import { isPresetName, optimizerNames, presets, type OptimizerName, type PresetName, type TrainConfig } from '../../train/config';
import type { DeviceChoice } from './protocol';

export type DataChoice = 'natural' | 'natural-color' | 'mnist' | 'file';

/** The data radio that shows a configuration's built-in data (the user's files are 'file'). */
export function dataChoiceOf(config: TrainConfig): DataChoice {
  return config.data === 'mnist' || config.data === 'natural-color' ? config.data : 'natural';
}

/** Number fields: form id → config key. */
const numberFields = [
  'hiddenSize',
  'seed',
  'patchSize',
  'patches',
  'sparsityParam',
  'beta',
  'lambda',
  'iterations',
  'learningRate',
  'momentum',
  'batchSize',
] as const satisfies readonly (keyof TrainConfig)[];

type NumberField = (typeof numberFields)[number];

/** Query parameter names, with short aliases. */
const queryNames: Record<string, NumberField> = {
  hidden: 'hiddenSize',
  hiddenSize: 'hiddenSize',
  seed: 'seed',
  patchSize: 'patchSize',
  patches: 'patches',
  rho: 'sparsityParam',
  sparsity: 'sparsityParam',
  sparsityParam: 'sparsityParam',
  beta: 'beta',
  lambda: 'lambda',
  iterations: 'iterations',
  iters: 'iterations',
  lr: 'learningRate',
  learningRate: 'learningRate',
  momentum: 'momentum',
  batch: 'batchSize',
  batchSize: 'batchSize',
};

export interface UrlSettings {
  config: TrainConfig;
  data: DataChoice;
  device?: DeviceChoice;
  /** Fields the URL set explicitly (kept when adapting defaults for the CPU). */
  given: Set<string>;
  liveEvery?: number;
  checkpointEvery?: number;
  /** Train on a random subset of this many examples (?examples=1000: quick MNIST runs). */
  maxExamples?: number;
  autostart: boolean;
  /** ?testHooks=1: window.trainerTest, with which an end-to-end test can lose the GPU device mid-run. */
  testHooks: boolean;
}

export function settingsFromUrl(search: string): UrlSettings {
  const query = new URLSearchParams(search);
  const presetName = query.get('preset');
  const dataParam = query.get('data');
  const base: PresetName =
    presetName && isPresetName(presetName)
      ? presetName
      : dataParam === 'mnist'
        ? 'ufldl-mnist'
        : dataParam === 'natural-color'
          ? 'ufldl-linear-decoder'
          : 'ufldl-natural';
  const config: TrainConfig = { ...presets[base] };
  const given = new Set<string>();
  let custom = false;
  for (const [name, value] of query) {
    const field = queryNames[name];
    if (!field) continue;
    const number = Number(value);
    if (value.trim() !== '' && Number.isFinite(number)) {
      config[field] = number;
      given.add(field);
      custom = true;
    }
  }
  const optimizer = query.get('optimizer');
  if (optimizer && (optimizerNames as readonly string[]).includes(optimizer)) {
    config.optimizer = optimizer as OptimizerName;
    custom = true;
  }
  const output = query.get('output');
  if (output === 'sigmoid' || output === 'linear') {
    config.output = output;
    custom = true;
  }
  let data: DataChoice = dataChoiceOf(config);
  if (dataParam === 'natural' || dataParam === 'natural-color' || dataParam === 'mnist') {
    data = dataParam;
    config.data = dataParam;
  }
  if (custom) config.preset = 'custom';
  const device = query.get('device');
  const positive = (name: string) => {
    const v = Number(query.get(name));
    return Number.isInteger(v) && v > 0 ? v : undefined;
  };
  return {
    config,
    data,
    device: device === 'cpu' || device === 'gpu' ? device : undefined,
    given,
    liveEvery: positive('live'),
    checkpointEvery: positive('checkpointEvery'),
    maxExamples: positive('examples'),
    autostart: query.get('autostart') === '1' || query.get('autostart') === 'true',
    testHooks: query.get('testHooks') === '1',
  };
}

function input(id: string): HTMLInputElement {
  return document.getElementById(id) as HTMLInputElement;
}

export function writeForm(config: TrainConfig, data: DataChoice): void {
  for (const field of numberFields) input(field).value = String(config[field]);
  (document.getElementById('optimizer') as HTMLSelectElement).value = config.optimizer;
  (document.getElementById('output') as HTMLSelectElement).value = config.output ?? 'sigmoid';
  input('normalize').checked = config.normalize === true;
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="data"]')) radio.checked = radio.value === data;
  updateFieldVisibility();
  markPreset(config.preset);
}

export function dataChoice(): DataChoice {
  return (document.querySelector<HTMLInputElement>('input[name="data"]:checked')?.value as DataChoice) ?? 'natural';
}

/** The form as a config; `dataName` is what config.data says for the user's files. */
export function readForm(preset: TrainConfig['preset'], dataName: string | undefined): TrainConfig {
  const choice = dataChoice();
  const config = { ...presets['ufldl-natural'], preset } as TrainConfig;
  for (const field of numberFields) {
    const raw = input(field).value.trim();
    config[field] = raw === '' ? NaN : Number(raw);
  }
  config.optimizer = (document.getElementById('optimizer') as HTMLSelectElement).value as OptimizerName;
  if ((document.getElementById('output') as HTMLSelectElement).value === 'linear') config.output = 'linear';
  config.data = choice === 'file' ? (dataName ?? '') : choice;
  if (choice === 'file' && input('normalize').checked) config.normalize = true;
  return config;
}

/** Shows the optimizer's own fields only, and the patch fields only for image data. */
export function updateFieldVisibility(): void {
  const optimizer = (document.getElementById('optimizer') as HTMLSelectElement).value;
  for (const label of document.querySelectorAll<HTMLElement>('[data-optimizers]')) {
    label.hidden = !label.dataset.optimizers!.split(' ').includes(optimizer);
  }
  // Rescaling is for the user's ready-made data; images are always normalized.
  document.getElementById('normalize-field')!.hidden = dataChoice() !== 'file';
  const mnist = dataChoice() === 'mnist';
  for (const label of document.querySelectorAll<HTMLElement>('[data-images]')) {
    const field = label.querySelector('input')!;
    field.disabled = mnist;
    label.title = mnist ? 'MNIST trains on the 28×28 digits themselves: no patches are cut' : '';
  }
}

/** Highlights the preset button the settings match. */
export function markPreset(preset: TrainConfig['preset']): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('.preset')) {
    button.setAttribute('aria-pressed', String(button.dataset.preset === preset));
  }
}

/** Whether the form still holds exactly a preset's values. */
export function matchingPreset(config: TrainConfig): PresetName | undefined {
  for (const name of Object.keys(presets) as PresetName[]) {
    const p = presets[name];
    const same =
      numberFields.every((field) => Object.is(p[field], config[field])) &&
      p.optimizer === config.optimizer &&
      p.data === config.data &&
      (p.output ?? 'sigmoid') === (config.output ?? 'sigmoid');
    if (same) return name;
  }
  return undefined;
}
