/**
 * What the SAE page shows, as one value changed only by reduce(state, message): the worker's
 * messages (./protocol.ts) and the page's own events (the form, the buttons, the file, the
 * stored runs, the mouse over the frontier). No DOM here (test/pages/sae-state.test.ts); ./views.ts
 * draws it. What must happen outside is read off the new state by main.ts: a new `request` object
 * is one to send to the worker, a new `save` one is a finished run to store.
 *
 * Also the settings ↔ query string codec: every setting is in the address bar, and a value in a
 * link that cannot be used is reported (with the default in its place), never a broken page.
 */
import { DEFAULT_SYNTHETIC } from '../../data/superposition';
import { defaultSaeSettings, saeVariants, type SaeVariant } from '../../train/sae-trainer';
import type { ActivationFile, FinishedRun, FromWorker, SaeSettings, SaeSnapshot, ToWorker } from './protocol';
import type { NewRun, StoredRun } from './store';

// ---------------------------------------------------------------------------------------------
// Settings and links.

const cliDefaults = defaultSaeSettings('topk', DEFAULT_SYNTHETIC.dimensions, DEFAULT_SYNTHETIC.examples);

/** The command line's defaults on its default data (synthetic, 64 dimensions): k 5, 512 latents, Adam 1e-3, batches of 256, 4,000 steps. */
export const DEFAULT_SETTINGS: Readonly<SaeSettings> = Object.freeze({
  variant: 'topk',
  k: cliDefaults.k,
  l1: cliDefaults.l1,
  latents: cliDefaults.latents,
  batchSize: cliDefaults.batchSize,
  steps: cliDefaults.steps,
  learningRate: cliDefaults.learningRate,
  seed: cliDefaults.seed,
  data: 'synthetic',
  ...DEFAULT_SYNTHETIC,
  tensor: '',
});

export type NumberSetting = 'k' | 'l1' | 'latents' | 'batchSize' | 'steps' | 'learningRate' | 'seed' | 'features' | 'dimensions' | 'active' | 'examples';

/** The number fields: form id (= settings key), the name in a link, and what a value must be. */
export const numberSettings: readonly (readonly [NumberSetting, string, 'positive integer' | 'integer' | 'number ≥ 0' | 'number > 0'])[] = [
  ['k', 'k', 'positive integer'],
  ['l1', 'l1', 'number ≥ 0'],
  ['latents', 'latents', 'positive integer'],
  ['batchSize', 'batch', 'positive integer'],
  ['steps', 'steps', 'positive integer'],
  ['learningRate', 'lr', 'number > 0'],
  ['seed', 'seed', 'integer'],
  ['features', 'features', 'positive integer'],
  ['dimensions', 'dimensions', 'positive integer'],
  ['active', 'active', 'positive integer'],
  ['examples', 'examples', 'positive integer'],
];

export type SettingField = NumberSetting | 'variant' | 'data';

export interface SettingProblem {
  field: SettingField;
  value: string;
  reason: string;
}

/** Why `text` cannot be the setting's value, or its value. */
export function parseSetting(field: NumberSetting, text: string): { value: number } | { reason: string } {
  const rule = numberSettings.find(([f]) => f === field)![2];
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) return { reason: 'not a number' };
  const ok =
    rule === 'positive integer' ? Number.isInteger(value) && value > 0 : rule === 'integer' ? Number.isInteger(value) : rule === 'number ≥ 0' ? value >= 0 : value > 0;
  return ok ? { value } : { reason: `must be a ${rule}` };
}

/** Problems between fields (each field alone being fine), named by the field to mark. */
export function crossProblems(s: SaeSettings): SettingProblem[] {
  const problems: SettingProblem[] = [];
  if (s.variant !== 'relu-l1' && s.k > s.latents) problems.push({ field: 'k', value: String(s.k), reason: `more than the ${s.latents} latents` });
  if (s.data === 'synthetic') {
    if (s.active > s.features) problems.push({ field: 'active', value: String(s.active), reason: `more than the ${s.features} directions` });
    if (s.batchSize > s.examples) problems.push({ field: 'batchSize', value: String(s.batchSize), reason: `more than the ${s.examples} examples` });
  }
  return problems;
}

export function encodeSaeLink(s: SaeSettings): URLSearchParams {
  const query = new URLSearchParams();
  query.set('variant', s.variant);
  for (const [field, name] of numberSettings) {
    // Fields of the synthetic data only when it is chosen; the file's tensor only for a file.
    if (['features', 'dimensions', 'active', 'examples'].includes(field) && s.data !== 'synthetic') continue;
    if (Number.isFinite(s[field])) query.set(name, String(s[field]));
  }
  query.set('data', s.data);
  if (s.data === 'file' && s.tensor) query.set('tensor', s.tensor);
  return query;
}

export interface DecodedSaeLink {
  settings: SaeSettings;
  problems: SettingProblem[];
  /** ?autostart=1: start once the page is ready (not kept in the link). */
  autostart: boolean;
  /** ?device=cpu: the float64 twin, even with WebGPU. */
  device: 'gpu' | 'cpu';
}

const isVariant = (value: string | null): value is SaeVariant => value !== null && (saeVariants as readonly string[]).includes(value);

export function decodeSaeLink(search: string): DecodedSaeLink {
  const query = new URLSearchParams(search);
  const settings: SaeSettings = { ...DEFAULT_SETTINGS };
  const problems: SettingProblem[] = [];
  const variant = query.get('variant');
  if (isVariant(variant)) settings.variant = variant;
  else if (variant !== null) problems.push({ field: 'variant', value: variant, reason: `not one of ${saeVariants.join(', ')}` });
  const data = query.get('data');
  if (data === 'synthetic' || data === 'file') settings.data = data;
  else if (data !== null) problems.push({ field: 'data', value: data, reason: 'not synthetic or file' });
  for (const [field, name] of numberSettings) {
    const text = query.get(name);
    if (text === null) continue;
    const parsed = parseSetting(field, text);
    if ('value' in parsed) settings[field] = parsed.value;
    else problems.push({ field, value: text, reason: parsed.reason });
  }
  settings.tensor = query.get('tensor') ?? '';
  // A link whose values clash: the field named keeps its default.
  for (const problem of crossProblems(settings)) {
    if (problem.field === 'variant' || problem.field === 'data') continue;
    settings[problem.field] = DEFAULT_SETTINGS[problem.field];
    problems.push(problem);
  }
  return {
    settings,
    problems,
    autostart: query.get('autostart') === '1',
    device: query.get('device') === 'cpu' ? 'cpu' : 'gpu',
  };
}

// ---------------------------------------------------------------------------------------------
// The page's state.

export type Phase = 'idle' | 'loading' | 'training' | 'pausing' | 'paused' | 'stopping' | 'finished' | 'error';

export interface LossPoint {
  step: number;
  reconstruction: number;
  auxiliary: number;
}

export interface RunInfo {
  description: string;
  examples: number;
  dimensions: number;
  settings: SaeSettings;
  device: string;
  fallback?: string;
  knownDirections: boolean;
}

export interface SaeState {
  phase: Phase;
  /** The form's settings as last read; `problems` marks fields whose typed value is not used (Start waits for them). */
  settings: SaeSettings;
  problems: SettingProblem[];
  /** Values of the link the page replaced by defaults: marked until the field is changed. */
  linkProblems: SettingProblem[];
  /** The user's file, once chosen, and what it holds (or why it cannot be used). */
  file?: { name: string; examples?: number; dimensions?: number; error?: string };
  /** The worker's latest words while it prepares. */
  status: string;
  run?: RunInfo;
  progress?: { step: number; steps: number; dead: number; elapsedSeconds: number };
  loss: LossPoint[];
  snapshot?: SaeSnapshot;
  finished?: FinishedRun;
  /** The latest failure (it stays until the next start). */
  error: string;
  /** Runs kept in the store, oldest first. */
  runs: StoredRun[];
  /** The stored run under the mouse on the frontier, by id. */
  hovered?: number;
  /** For main.ts: a new object is a message to send to the worker. */
  request?: ToWorker;
  /** For main.ts: a new object is a finished run to store. */
  save?: NewRun;
}

export const initialState = (settings: SaeSettings = DEFAULT_SETTINGS, linkProblems: SettingProblem[] = []): SaeState => ({
  phase: 'idle',
  settings: { ...settings },
  problems: crossProblems(settings),
  linkProblems,
  status: '',
  loss: [],
  error: '',
  runs: [],
});

export type PageEvent =
  /** The form changed: the settings it holds now (fields that do not parse are in `problems`, their previous value kept). */
  | { type: 'settings'; settings: SaeSettings; problems: SettingProblem[] }
  | { type: 'start'; file?: ActivationFile; device: 'gpu' | 'cpu' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  /** A file was chosen (picker or drop): the worker is asked what it holds. */
  | { type: 'file'; file: ActivationFile }
  | { type: 'runs'; runs: StoredRun[] }
  | { type: 'hover'; id: number | undefined }
  /** Storing the finished run failed. */
  | { type: 'store-error'; message: string };

export type Message = FromWorker | PageEvent;

const busy = (phase: Phase) => phase === 'loading' || phase === 'training' || phase === 'pausing' || phase === 'paused' || phase === 'stopping';

/** Whether Start may be pressed: not while a run is under way, the settings clean, a file ready when the data are a file. */
export function canStart(state: SaeState): boolean {
  if (busy(state.phase) || state.problems.length > 0) return false;
  if (state.settings.data === 'file') return !!state.file && state.file.examples !== undefined && !state.file.error;
  return true;
}

/** The record a finished run leaves in the store. */
export function storedRunOf(run: RunInfo, finished: FinishedRun, savedAt: number): NewRun {
  const { snapshot } = finished;
  return {
    savedAt,
    settings: { ...run.settings },
    data: run.description,
    device: run.device,
    steps: finished.steps,
    seconds: finished.seconds,
    metrics: {
      l0: snapshot.l0,
      fvu: snapshot.fvu,
      dead: snapshot.dead,
      latents: run.settings.latents,
      ...(snapshot.mmcs !== undefined ? { mmcs: snapshot.mmcs } : {}),
    },
    ...(finished.threshold !== undefined ? { threshold: finished.threshold } : {}),
  };
}

/** Keeps the loss curve to at most this many points (every other one dropped when full). */
export const MAX_LOSS_POINTS = 2000;

export function reduce(state: SaeState, message: Message, now: () => number = Date.now): SaeState {
  switch (message.type) {
    case 'settings': {
      if (busy(state.phase)) return state;
      const problems = [...message.problems, ...crossProblems(message.settings)];
      const unchanged = (p: SettingProblem) => message.settings[p.field] === state.settings[p.field] && !message.problems.some((q) => q.field === p.field);
      return { ...state, settings: { ...message.settings }, problems, linkProblems: state.linkProblems.filter(unchanged) };
    }
    case 'start': {
      if (!canStart(state)) return state;
      const request: ToWorker = { type: 'start', settings: { ...state.settings }, device: message.device, ...(state.settings.data === 'file' && message.file ? { file: message.file } : {}) };
      return {
        ...state,
        phase: 'loading',
        status: 'preparing…',
        run: undefined,
        progress: undefined,
        loss: [],
        snapshot: undefined,
        finished: undefined,
        error: '',
        request,
      };
    }
    case 'pause':
      return state.phase === 'training' ? { ...state, phase: 'pausing', request: { type: 'pause' } } : state;
    case 'resume':
      return state.phase === 'paused' ? { ...state, phase: 'training', request: { type: 'resume' } } : state;
    case 'stop':
      return state.phase === 'training' || state.phase === 'paused' || state.phase === 'pausing' ? { ...state, phase: 'stopping', request: { type: 'stop' } } : state;
    case 'file':
      return { ...state, file: { name: message.file.name }, request: { type: 'inspect', file: message.file, tensor: state.settings.tensor } };
    case 'inspected':
      if (state.file?.name !== message.name) return state;
      return message.ok
        ? { ...state, file: { name: message.name, examples: message.examples, dimensions: message.dimensions } }
        : { ...state, file: { name: message.name, error: message.message } };
    case 'runs':
      return { ...state, runs: message.runs, hovered: message.runs.some((r) => r.id === state.hovered) ? state.hovered : undefined };
    case 'hover':
      return state.hovered === message.id ? state : { ...state, hovered: message.id };
    case 'store-error':
      return { ...state, error: `the run could not be stored: ${message.message}` };
    case 'status':
      return { ...state, status: message.text };
    case 'ready': {
      const { type: _, ...run } = message;
      return { ...state, phase: state.phase === 'loading' ? 'training' : state.phase, run, status: '', progress: { step: 0, steps: run.settings.steps, dead: 0, elapsedSeconds: 0 } };
    }
    case 'progress': {
      let loss = [...state.loss, { step: message.step, reconstruction: message.reconstruction, auxiliary: message.auxiliary }];
      if (loss.length > MAX_LOSS_POINTS) loss = loss.filter((_, i) => i % 2 === 1 || i === loss.length - 1);
      return { ...state, loss, progress: { step: message.step, steps: message.steps, dead: message.dead, elapsedSeconds: message.elapsedSeconds } };
    }
    case 'snapshot':
      return { ...state, snapshot: message.snapshot };
    case 'paused':
      return state.phase === 'pausing' ? { ...state, phase: 'paused' } : state;
    case 'resumed':
      return state;
    case 'finished': {
      const { type: _, ...finished } = message;
      const complete = finished.exitReason === 'max-iterations';
      const error = finished.exitReason === 'non-finite' ? 'the loss became non-finite: try a smaller learning rate' : state.error;
      return {
        ...state,
        phase: finished.exitReason === 'non-finite' ? 'error' : 'finished',
        status: '',
        finished,
        snapshot: finished.snapshot,
        error,
        // Only runs that ran every step go on the frontier: a stopped run is not its settings' result.
        ...(complete && state.run ? { save: storedRunOf(state.run, finished, now()) } : {}),
      };
    }
    case 'error':
      if (message.during === 'data' && state.settings.data === 'file' && state.phase === 'loading') {
        return { ...state, phase: 'idle', status: '', error: message.message, file: state.file && { ...state.file, error: message.message } };
      }
      return { ...state, phase: busy(state.phase) ? (state.run ? 'error' : 'idle') : state.phase, status: '', error: message.message };
    default:
      return state;
  }
}

/** What tests read as window.saePage. */
export function summary(state: SaeState) {
  const s = state.finished?.snapshot ?? state.snapshot;
  return {
    phase: state.phase,
    step: state.progress?.step ?? 0,
    steps: state.progress?.steps ?? 0,
    device: state.run?.device ?? '',
    l0: s?.l0,
    fvu: s?.fvu,
    dead: s?.dead,
    mmcs: s?.mmcs,
    snapshotExamples: s?.examples ?? 0,
    finished: state.finished?.exitReason ?? '',
    runs: state.runs.length,
    error: state.error,
    fileError: state.file?.error ?? '',
    problems: [...state.linkProblems, ...state.problems].map((p) => p.field),
  };
}
