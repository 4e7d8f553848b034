/**
 * The trainer's set-up ↔ the page's query string, both ways, without the DOM (tested in
 * test/pages/trainer-link.test.ts). The page writes every setting here as it changes, so the
 * address bar is a link to the same set-up; a link read back gives the settings, and each value
 * that cannot be used is reported (with the preset's value in its place), never a broken page.
 * Values are checked by validateConfig, the one place the command line checks them too.
 */
import {
  isPresetName,
  optimizerNames,
  outputActivations,
  presets,
  validateConfig,
  type OptimizerName,
  type PresetName,
  type TrainConfig,
} from '../../train/config';
import type { OutputActivation } from '../../reference/ops';
import type { DeviceChoice } from './protocol';

export type DataChoice = 'natural' | 'natural-color' | 'mnist' | 'file';
type BuiltInData = Exclude<DataChoice, 'file'>;
const builtInData: readonly BuiltInData[] = ['natural', 'natural-color', 'mnist'];

/** The number fields: form id (= config key) and the name in a link. */
export const numberFields = [
  ['hiddenSize', 'hidden'],
  ['seed', 'seed'],
  ['patchSize', 'patchSize'],
  ['patches', 'patches'],
  ['sparsityParam', 'rho'],
  ['beta', 'beta'],
  ['lambda', 'lambda'],
  ['iterations', 'iterations'],
  ['learningRate', 'lr'],
  ['momentum', 'momentum'],
  ['batchSize', 'batch'],
] as const satisfies readonly (readonly [keyof TrainConfig, string])[];

export type NumberField = (typeof numberFields)[number][0];

/** Older or longer names a link may use for a number field. */
const aliases: Record<string, NumberField> = {
  hiddenSize: 'hiddenSize',
  sparsity: 'sparsityParam',
  sparsityParam: 'sparsityParam',
  iters: 'iterations',
  learningRate: 'learningRate',
  batchSize: 'batchSize',
};
const numberFieldOf: Record<string, NumberField> = {
  ...aliases,
  ...Object.fromEntries(numberFields.map(([field, name]) => [name, field])),
};

/** Query parameters that are not settings but options of a run or of the tests: kept in the link as they came. */
export const passthroughParams = ['examples', 'live', 'checkpointEvery', 'testHooks', 'tune'] as const;

/** Where the page remembers a tuning budget set without a link (the end-to-end tests set 1 ms). */
export const TUNE_BUDGET_STORAGE_KEY = 'webgpu-sae:tune-budget-ms';

/**
 * The kernel tuner's budget in ms for a run (0: tuning off, the table's kernels): ?tune=N in the
 * link, else the remembered value, else undefined (the tuner's own, about 2 s). Anything that is
 * not a whole number ≥ 0 is ignored.
 */
export function tuneBudgetOf(linkValue: string | null, stored: string | null): number | undefined {
  for (const raw of [linkValue, stored]) {
    if (raw === null || raw.trim() === '') continue;
    const value = Number(raw);
    if (Number.isInteger(value) && value >= 0) return value;
  }
  return undefined;
}

/** What a link sets up: the settings form and the device. */
export interface TrainerSetup {
  config: TrainConfig;
  /** 'file': the user's own files, which a link cannot carry (it then names no data). */
  data: DataChoice;
  device?: DeviceChoice;
}

/** A value of the link the page could not use: the field (a form id, or 'preset', 'data', 'device'), the text. */
export interface LinkProblem {
  field: NumberField | 'preset' | 'data' | 'device' | 'optimizer' | 'output';
  value: string;
  /** Why, when validateConfig said (its words); otherwise the value is not one of the choices or not a number. */
  reason?: string;
}

export interface DecodedLink extends TrainerSetup {
  problems: LinkProblem[];
  /** Number fields the link set (kept when the page adapts its defaults for the CPU). */
  given: Set<NumberField>;
  liveEvery?: number;
  checkpointEvery?: number;
  /** Train on a random subset of this many examples (?examples=1000: quick MNIST runs). */
  maxExamples?: number;
  /** ?autostart=1: start as soon as the page is ready (a one-time instruction, not kept in the link). */
  autostart: boolean;
  /** ?testHooks=1: window.trainerTest, with which an end-to-end test can lose the GPU device mid-run. */
  testHooks: boolean;
}

/** The data radio that shows a configuration's built-in data (the user's files are 'file'). */
export function dataChoiceOf(config: TrainConfig): BuiltInData {
  return config.data === 'mnist' || config.data === 'natural-color' ? config.data : 'natural';
}

/** Which preset the settings are exactly, if any. */
export function matchingPreset(config: TrainConfig): PresetName | undefined {
  for (const name of Object.keys(presets) as PresetName[]) {
    const p = presets[name];
    const same =
      numberFields.every(([field]) => Object.is(p[field], config[field])) &&
      p.optimizer === config.optimizer &&
      p.data === config.data &&
      (p.output ?? 'sigmoid') === (config.output ?? 'sigmoid');
    if (same) return name;
  }
  return undefined;
}

/** The link's query for a set-up: every setting, so the link means the same when defaults change. */
export function encodeTrainerLink(setup: TrainerSetup): URLSearchParams {
  const { config } = setup;
  const query = new URLSearchParams();
  query.set('preset', config.preset);
  if (setup.data !== 'file') query.set('data', setup.data);
  for (const [field, name] of numberFields) {
    // A field being typed into may be empty for a moment: it is left out, not written as NaN.
    if (Number.isFinite(config[field])) query.set(name, String(config[field]));
  }
  query.set('output', config.output ?? 'sigmoid');
  query.set('optimizer', config.optimizer);
  if (setup.device) query.set('device', setup.device);
  return query;
}

/** A number field's value as the link gives it, or why it cannot be used in `config`. */
function checkNumber(config: TrainConfig, field: NumberField, text: string): { value: number } | { reason?: string } {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) return {};
  try {
    validateConfig({ ...config, [field]: value });
  } catch (error) {
    return { reason: (error as Error).message };
  }
  return { value };
}

const isOneOf = <T extends string>(choices: readonly T[], value: string | null): value is T => value !== null && (choices as readonly string[]).includes(value);

export function decodeTrainerLink(search: string): DecodedLink {
  const query = new URLSearchParams(search);
  const problems: LinkProblem[] = [];

  const presetParam = query.get('preset');
  let preset: PresetName | undefined;
  if (presetParam !== null && presetParam !== 'custom') {
    if (isPresetName(presetParam)) preset = presetParam;
    else problems.push({ field: 'preset', value: presetParam });
  }
  const dataParam = query.get('data');
  let data: BuiltInData | undefined;
  if (dataParam !== null) {
    if (isOneOf(builtInData, dataParam)) data = dataParam;
    else problems.push({ field: 'data', value: dataParam });
  }
  // Without a preset, the data's own exercise gives the defaults.
  const base: PresetName = preset ?? (data === 'mnist' ? 'ufldl-mnist' : data === 'natural-color' ? 'ufldl-linear-decoder' : 'ufldl-natural');
  const config: TrainConfig = { ...presets[base] };
  if (data) config.data = data;

  const given = new Set<NumberField>();
  for (const [name, text] of query) {
    const field = numberFieldOf[name];
    if (!field) continue;
    const checked = checkNumber(config, field, text);
    if ('value' in checked) {
      config[field] = checked.value;
      given.add(field);
    } else {
      problems.push({ field, value: text, reason: checked.reason });
    }
  }
  const optimizer = query.get('optimizer');
  if (isOneOf<OptimizerName>(optimizerNames, optimizer)) config.optimizer = optimizer;
  else if (optimizer !== null) problems.push({ field: 'optimizer', value: optimizer });
  const output = query.get('output');
  // Unset means sigmoid, as the form reads it.
  if (output === 'sigmoid') delete config.output;
  else if (isOneOf<OutputActivation>(outputActivations, output)) config.output = output;
  else if (output !== null) problems.push({ field: 'output', value: output });
  const deviceParam = query.get('device');
  const device = isOneOf<DeviceChoice>(['gpu', 'cpu'], deviceParam) ? deviceParam : undefined;
  if (deviceParam !== null && !device) problems.push({ field: 'device', value: deviceParam });

  config.preset = matchingPreset(config) ?? 'custom';
  const positive = (name: string) => {
    const v = Number(query.get(name));
    return Number.isInteger(v) && v > 0 ? v : undefined;
  };
  return {
    config,
    data: dataChoiceOf(config),
    device,
    problems,
    given,
    liveEvery: positive('live'),
    checkpointEvery: positive('checkpointEvery'),
    maxExamples: positive('examples'),
    autostart: query.get('autostart') === '1' || query.get('autostart') === 'true',
    testHooks: query.get('testHooks') === '1',
  };
}
