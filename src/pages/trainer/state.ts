/**
 * What the trainer page shows, as one value changed only by reduce(state, message): the
 * worker's messages (./protocol.ts) and the page's own events (a button, a file, a saved run
 * found in IndexedDB). No DOM and no I/O here, so the page's logic is testable in Node
 * (test/pages/trainer-state.test.ts). What must happen outside — a message to the worker, a
 * record written to IndexedDB — main.ts reads off the new state: `save` names the record to
 * write, and a new `run` the run to start.
 */
import { adapterLabel, type AdapterSummary } from '../../gpu/adapter';
import type { TileSize } from '../../display/network';
import type { CostParts } from '../../reference/autoencoder';
import type { Shape } from '../../reference/params';
import { isBuiltInData, type TrainConfig } from '../../train/config';
import type { UserFile } from '../../train/data';
import type { PixelGeometry } from '../../train/model-files';
import type { DeviceChoice, FromWorker, RunSummary } from './protocol';
import type { CostHistory, SavedCheckpoint, SavedModel, SavedRun } from './store';

export type Phase = 'idle' | 'loading' | 'training' | 'pausing' | 'paused' | 'stopping' | 'finished' | 'stopped' | 'error';

/** A point of the run's clock, for the iterations and evaluations per second. */
export interface RatePoint {
  t: number;
  iteration: number;
  evaluations: number;
}

export interface RunState {
  /** Which run of this page's life: views start from blank when it changes. */
  id: number;
  config: TrainConfig;
  device: DeviceChoice;
  description: string;
  maxExamples?: number;
  shape?: Shape;
  pixelGeometry?: PixelGeometry;
  geometry?: TileSize;
  /** A few training examples (sampleCount × visible), drawn beside their reconstructions. */
  sample?: Float64Array;
  sampleCount?: number;
  iteration: number;
  totalIterations: number;
  evaluations: number;
  elapsedSeconds: number;
  cost: number;
  initialCost: number;
  /** The latest cost's parts, for the legend. */
  parts?: CostParts;
  /** The cost and its parts at each reported iteration: total, reconstruction, weight decay, sparsity. */
  history: CostHistory;
  /** The engine actually used ('WebGPU on …', 'float64 reference on the CPU'), and why not the GPU if asked. */
  engine?: string;
  fallback?: string;
  checkpointIteration?: number;
  /** The latest picture of the features, and the reconstructions of the sample. */
  features?: { image: { width: number; height: number; channels?: 1 | 3; values: Float32Array }; iteration: number };
  reconstructions?: { values?: Float64Array; iteration?: number };
  /** How many feature pictures this run has shown. */
  featuresDrawn: number;
  /** ρ̂ per hidden unit as last shown, and what it is of. */
  rho?: { values: Float64Array; label: string };
  /** Rates over the last seconds: points kept, where this page's part of the run began, the rates shown. */
  rates: RatePoint[];
  rateOrigin?: RatePoint;
  speed?: { iterations: number; evaluations: number };
  /** Where the latest resume (after a pause or a reload) started, and the first iteration after it. */
  resumedFrom?: { iteration: number; cost: number; next?: number };
  summary?: RunSummary;
  theta?: Float64Array;
  /** A finished model shown again from IndexedDB. */
  restored?: boolean;
}

/** The user's files and what the worker found in them. */
export interface DataFiles {
  files?: UserFile[];
  /** The worker read them as training data. */
  valid: boolean;
  /** What they hold, or that they are being read. */
  info: string;
  error?: string;
}

/** A record for IndexedDB (store.ts adds the time it is written). */
export type UnsavedRun = SavedRun extends infer R ? (R extends SavedRun ? Omit<R, 'savedAt'> : never) : never;

/** The saved run offered in the banner: after a reload, or after the GPU was lost. */
export interface Offer {
  record: SavedRun;
  reason: 'reload' | 'device-lost';
}

export interface TrainerState {
  phase: Phase;
  /** WebGPU in this browser, once probed. */
  webgpu?: { available: boolean };
  adapter?: AdapterSummary;
  /** The engine of the latest run: 'webgpu: …' or 'cpu: …'. */
  device: string;
  run?: RunState;
  /** The line under the counters: a plain message, or the run's own parts with a note. */
  statusLine: { text: string } | { note?: string };
  /** The message under the controls (settings refused, training failed). */
  error?: string;
  /** The latest failure's message (for tests: window.trainer.lastError). */
  lastError: string;
  /** Set when the latest run ended because the GPU device was lost. */
  deviceLost?: string;
  data: DataFiles;
  offer?: Offer;
  /** The record main.ts is to write to IndexedDB; a new object for each write. */
  save?: { record: UnsavedRun };
  /** The iteration of this run's record once IndexedDB has it (-1: none yet). */
  savedIteration: number;
  saveError?: string;
}

/** What the page itself does: its controls, its files, IndexedDB. The worker's replies are FromWorker. */
export type PageEvent =
  | { type: 'webgpu-probed'; available: boolean; adapter?: AdapterSummary }
  | { type: 'start-requested'; config: TrainConfig; device: DeviceChoice; maxExamples?: number; history?: CostHistory }
  | { type: 'pause-requested' }
  | { type: 'resume-requested'; iterations: number; text: string }
  | { type: 'stop-requested' }
  | { type: 'files-chosen'; names: string[] }
  | { type: 'files-read'; files: UserFile[] }
  | { type: 'files-unreadable'; message: string }
  | { type: 'data-choice-changed'; choice: 'natural' | 'natural-color' | 'mnist' | 'file' }
  | { type: 'files-restored'; files: UserFile[] }
  | { type: 'refused'; message: string }
  | { type: 'error-dismissed' }
  | { type: 'saved-found'; record: SavedRun; reason: Offer['reason'] }
  | { type: 'offer-taken' }
  | { type: 'offer-dismissed' }
  | { type: 'model-restored'; record: SavedModel }
  | { type: 'saved'; iteration: number }
  | { type: 'save-failed'; message: string }
  | { type: 'worker-failed'; message: string };

export type Message = FromWorker | PageEvent;

export const initialState: TrainerState = Object.freeze({
  phase: 'idle',
  device: '',
  statusLine: { text: 'Choose data and settings, then start training.' },
  lastError: '',
  data: { valid: false, info: '' },
  savedIteration: -1,
}) as TrainerState;

export const busy = (phase: Phase): boolean => phase === 'loading' || phase === 'training' || phase === 'pausing' || phase === 'stopping';

/** The settings are locked while a run is on (paused, only the iterations may change). */
export const settingsLocked = (phase: Phase): boolean => busy(phase) || phase === 'paused';

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - 60 * m)} s`;
}

export function formatCost(cost: number): string {
  return Number.isFinite(cost) ? cost.toPrecision(6) : '–';
}

const formatDate = (t: number) => new Date(t).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });

const emptyHistory = (): CostHistory => ({ x: [], y: [[], [], [], []] });

/** Appends a point; a point at an iteration already there replaces that one and those after. */
export function extendHistory(history: CostHistory, x: number, values: readonly number[]): CostHistory {
  let n = history.x.length;
  while (n > 0 && history.x[n - 1] >= x) n--;
  return { x: [...history.x.slice(0, n), x], y: history.y.map((y, k) => [...y.slice(0, n), values[k] ?? NaN]) };
}

/** The points up to iteration x (a checkpoint's history, or a resumed run's). */
export function historyUpTo(history: CostHistory, x: number): CostHistory {
  let n = history.x.length;
  while (n > 0 && history.x[n - 1] > x) n--;
  if (n === history.x.length) return history;
  return { x: history.x.slice(0, n), y: history.y.map((y) => y.slice(0, n)) };
}

/** Every entry finite (a θ worth keeping). */
export function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

let runIds = 0;

function withRun(state: TrainerState, change: (run: RunState) => Partial<RunState>): TrainerState {
  return state.run ? { ...state, run: { ...state.run, ...change(state.run) } } : state;
}

/** A failure: the message under the controls; a run with a model to show is stopped, not lost. */
function failed(state: TrainerState, message: string): TrainerState {
  return { ...state, lastError: message, error: message, phase: state.run?.theta ? 'stopped' : 'error' };
}

/** The windowed rates after a new point: over the last ~4 s (or since the run started or resumed). */
function withRatePoint(run: RunState, point: RatePoint): Pick<RunState, 'rates' | 'rateOrigin' | 'speed'> {
  const rates = [...run.rates, point];
  while (rates.length > 2 && rates[1].t < point.t - 8) rates.shift();
  const rateOrigin = run.rateOrigin ?? rates[0];
  const last = rates[rates.length - 1];
  const first = [...rates].reverse().find((r) => last.t - r.t >= 4) ?? rates[0];
  let speed = run.speed;
  if (last.t > first.t) {
    const dt = last.t - first.t;
    speed = { iterations: (last.iteration - first.iteration) / dt, evaluations: (last.evaluations - first.evaluations) / dt };
  }
  return { rates, rateOrigin, speed };
}

const errorStep = { data: 'load the data', engine: 'set up the engine', config: 'use these settings', training: 'train', device: 'train' } as const;

export function reduce(state: TrainerState, message: Message): TrainerState {
  switch (message.type) {
    // ------------------------------------------------------------ the page
    case 'webgpu-probed':
      return { ...state, webgpu: { available: message.available }, adapter: message.adapter ?? state.adapter };
    case 'start-requested': {
      if (busy(state.phase)) return state;
      const { config, device, maxExamples, history } = message;
      return {
        ...state,
        phase: 'loading',
        error: undefined,
        lastError: '',
        deviceLost: undefined,
        offer: undefined,
        savedIteration: -1,
        statusLine: { text: 'Starting…' },
        run: {
          id: ++runIds,
          config,
          device,
          description: '',
          maxExamples,
          iteration: 0,
          totalIterations: config.iterations,
          evaluations: 0,
          elapsedSeconds: 0,
          cost: NaN,
          initialCost: NaN,
          history: history ?? emptyHistory(),
          featuresDrawn: 0,
          rates: [],
        },
      };
    }
    case 'pause-requested':
      return state.phase === 'training' ? { ...state, phase: 'pausing' } : state;
    case 'resume-requested': {
      const run = state.run;
      if (state.phase !== 'paused' || !run) return state;
      const { iterations } = message;
      if (!(Number.isInteger(iterations) && iterations >= 0)) {
        return { ...state, error: `iterations must be a whole number ≥ 0, got ${message.text}` };
      }
      return {
        ...state,
        phase: 'training',
        error: undefined,
        offer: undefined,
        statusLine: {},
        run: {
          ...run,
          totalIterations: iterations,
          config: { ...run.config, iterations },
          resumedFrom: { iteration: run.iteration, cost: run.cost },
        },
      };
    }
    case 'stop-requested':
      return state.phase === 'training' || state.phase === 'paused' || state.phase === 'pausing' ? { ...state, phase: 'stopping' } : state;
    case 'files-chosen':
      if (settingsLocked(state.phase)) return state;
      return { ...state, data: { ...state.data, valid: false, error: undefined, info: `Reading ${message.names.join(', ')}…` } };
    case 'files-read':
      return { ...state, data: { ...state.data, files: message.files, valid: false } };
    case 'files-unreadable':
      return { ...state, data: { valid: false, info: '', error: `the file could not be read: ${message.message}` } };
    case 'files-restored':
      return { ...state, data: { files: message.files, valid: true, info: message.files.map((f) => f.name).join(', ') } };
    case 'data-choice-changed': {
      const info = message.choice !== 'file' ? '' : state.data.files ? state.data.info : 'Drop a file on the page or choose one.';
      return { ...state, data: { ...state.data, error: undefined, info } };
    }
    case 'refused':
      return { ...state, error: message.message };
    case 'error-dismissed':
      return state.error === undefined ? state : { ...state, error: undefined };
    case 'saved-found':
      // Offered only when nothing else is going on: at load, or once a run has ended.
      if (settingsLocked(state.phase)) return state;
      if (message.reason === 'reload' && state.phase !== 'idle') return state;
      return { ...state, offer: { record: message.record, reason: message.reason } };
    case 'offer-taken':
    case 'offer-dismissed':
      return { ...state, offer: undefined };
    case 'model-restored': {
      const saved = message.record;
      return {
        ...state,
        phase: 'finished',
        error: undefined,
        deviceLost: undefined,
        offer: undefined,
        statusLine: { note: `restored from ${formatDate(saved.savedAt)}` },
        run: {
          id: ++runIds,
          config: saved.config,
          device: saved.device,
          description: saved.description,
          maxExamples: saved.maxExamples,
          shape: saved.shape,
          pixelGeometry: saved.pixelGeometry,
          geometry: saved.geometry,
          sample: saved.sample,
          sampleCount: saved.sampleCount,
          iteration: saved.iterations,
          totalIterations: saved.config.iterations,
          evaluations: saved.evaluations,
          elapsedSeconds: saved.elapsedSeconds,
          cost: saved.finalCost,
          initialCost: NaN,
          parts: saved.parts,
          history: saved.history,
          featuresDrawn: 0,
          rho: { values: saved.meanActivation, label: `iteration ${saved.iterations}, all examples` },
          rates: [],
          theta: saved.theta,
          restored: true,
        },
      };
    }
    case 'saved':
      return { ...state, savedIteration: message.iteration, saveError: undefined };
    case 'save-failed':
      return { ...state, saveError: `The run could not be saved for a reload: ${message.message}` };
    case 'worker-failed':
      return failed(state, message.message);

    // ------------------------------------------------------------ the worker
    case 'inspected':
      if (message.ok) {
        return {
          ...state,
          data: { ...state.data, valid: true, error: undefined, info: `${message.description} (${message.examples.toLocaleString('en')} examples of ${message.visibleSize} values)` },
        };
      }
      return { ...state, data: { ...state.data, valid: false, info: '', error: message.message } };
    case 'status':
      return { ...state, statusLine: { text: message.text } };
    case 'ready': {
      const run = state.run;
      if (!run) return state;
      const adapter = message.adapter ?? state.adapter;
      let next: RunState = {
        ...run,
        description: message.description,
        shape: message.shape,
        pixelGeometry: message.pixelGeometry,
        geometry: message.geometry,
        sample: message.sample,
        sampleCount: message.sampleCount,
        reconstructions: {},
        engine: message.device.backend === 'webgpu' ? `WebGPU on ${adapter ? adapterLabel(adapter) : message.device.adapter}` : 'float64 reference on the CPU',
        fallback: message.fallback,
      };
      if (message.resumedFrom) {
        const r = message.resumedFrom;
        const point = { t: r.elapsedSeconds, iteration: r.iteration, evaluations: r.evaluations };
        next = {
          ...next,
          iteration: r.iteration,
          evaluations: r.evaluations,
          elapsedSeconds: r.elapsedSeconds,
          cost: r.cost,
          initialCost: r.initialCost,
          resumedFrom: { iteration: r.iteration, cost: r.cost },
          rates: [point],
          rateOrigin: point,
          history: historyUpTo(run.history, r.iteration),
        };
      }
      return {
        ...state,
        phase: state.phase === 'loading' ? 'training' : state.phase,
        device: `${message.device.backend}: ${message.device.adapter}`,
        adapter,
        offer: undefined,
        statusLine: {},
        run: next,
      };
    }
    case 'progress':
      return withRun(state, (run) => {
        const p = message.parts;
        return {
          iteration: message.iteration,
          totalIterations: message.totalIterations,
          evaluations: message.evaluations,
          elapsedSeconds: message.elapsedSeconds,
          cost: message.cost,
          parts: p,
          initialCost: Number.isFinite(run.initialCost) ? run.initialCost : message.cost,
          resumedFrom: run.resumedFrom && run.resumedFrom.next === undefined ? { ...run.resumedFrom, next: message.iteration } : run.resumedFrom,
          history: extendHistory(run.history, message.iteration, [message.cost, p?.reconstruction ?? NaN, p?.weightDecay ?? NaN, p?.sparsity ?? NaN]),
          ...withRatePoint(run, { t: message.elapsedSeconds, iteration: message.iteration, evaluations: message.evaluations }),
        };
      });
    case 'view':
      return withRun(state, (run) => ({
        features: { image: message.features, iteration: message.iteration },
        featuresDrawn: run.featuresDrawn + 1,
        reconstructions: { values: message.reconstructions, iteration: message.iteration },
        rho: message.meanActivation ? { values: message.meanActivation, label: `iteration ${message.iteration}` } : run.rho,
      }));
    case 'checkpoint': {
      const run = state.run;
      if (!run) return state;
      const next = { ...state, statusLine: {}, run: { ...run, checkpointIteration: message.iteration } };
      // Never a non-finite state in place of the saved one (the trainer keeps checkpoints finite).
      if (!Number.isFinite(message.cost)) return next;
      const record: Omit<SavedCheckpoint, 'savedAt'> = {
        kind: 'checkpoint',
        config: run.config,
        device: run.device,
        description: run.description,
        history: historyUpTo(run.history, message.iteration),
        elapsedSeconds: run.elapsedSeconds,
        evaluations: run.evaluations,
        maxExamples: run.maxExamples,
        iteration: message.iteration,
        totalIterations: message.totalIterations,
        cost: message.cost,
        bytes: message.bytes,
        keptCorrections: message.keptCorrections,
      };
      return { ...next, save: { record } };
    }
    case 'ended':
      return ended(state, message.reason, message.summary, message.theta);
    case 'error': {
      if (message.during === 'export') return { ...state, error: message.message };
      if (message.during === 'device') return deviceLost(state, message.message);
      const userData = state.run && !isBuiltInData(state.run.config.data);
      const next = message.during === 'data' && userData ? { ...state, data: { ...state.data, error: message.message } } : state;
      return { ...failed(next, message.message), statusLine: { text: `Could not ${errorStep[message.during]}.` } };
    }
    case 'exported':
      return state;
    default:
      return state;
  }
}

/**
 * The GPU device was lost mid-run: the run is over, and its last checkpoint, already on its way
 * to IndexedDB, is what a resume continues from (main.ts offers it once it is stored).
 */
function deviceLost(state: TrainerState, message: string): TrainerState {
  const run = state.run;
  const at = run ? ` at iteration ${run.iteration}` : '';
  const kept =
    run?.checkpointIteration !== undefined
      ? `Its checkpoint from iteration ${run.checkpointIteration} is kept in this browser: resume from it on a new device.`
      : 'No checkpoint of this run had been saved yet: start it again.';
  return { ...failed(state, message), deviceLost: message, statusLine: { text: `The GPU was lost${at}. ${kept}` } };
}

function ended(state: TrainerState, reason: 'paused' | 'stopped' | 'finished', summary: RunSummary, theta: Float64Array): TrainerState {
  const run = state.run;
  if (!run) return state;
  let next: RunState = {
    ...run,
    summary,
    theta,
    iteration: summary.iterations,
    evaluations: summary.evaluations,
    elapsedSeconds: summary.seconds,
    cost: reason === 'paused' ? run.cost : summary.finalCost,
    rho: { values: summary.meanActivation, label: `iteration ${summary.iterations}, all examples` },
  };
  // The average over the whole run, once it is over.
  const start = run.rateOrigin;
  if (start && summary.seconds > start.t && summary.iterations > start.iteration) {
    const dt = summary.seconds - start.t;
    next.speed = { iterations: (summary.iterations - start.iteration) / dt, evaluations: (summary.evaluations - start.evaluations) / dt };
  }
  if (reason === 'paused') {
    return { ...state, phase: 'paused', run: next, statusLine: { note: `paused at iteration ${summary.iterations}: resume continues from here` } };
  }
  next = { ...next, parts: summary.parts };
  const exit = summary.exitReason === 'max-iterations' ? 'reached the iteration limit' : summary.exitReason.replace(/-/g, ' ');
  const note =
    summary.divergedAt !== undefined
      ? `diverged: the cost is not finite at iteration ${summary.divergedAt}; shown is θ from iteration ${summary.iterations}, the last with a finite cost (J ${formatCost(summary.finalCost)})` +
        `${run.config.optimizer === 'lbfgs' ? '' : ' — try a smaller learning rate'}`
      : `${reason === 'finished' ? 'done' : 'stopped'}: ${summary.iterations} iterations, ${summary.evaluations} evaluations in ${formatSeconds(summary.seconds)}; ` +
        `J ${formatCost(summary.initialCost)} → ${formatCost(summary.finalCost)} (${exit})`;
  let save = state.save;
  const finite = Number.isFinite(summary.finalCost) && allFinite(theta);
  if (finite && next.shape && next.geometry && next.sample && next.sampleCount !== undefined) {
    const record: Omit<SavedModel, 'savedAt'> = {
      kind: 'model',
      config: next.config,
      device: next.device,
      description: next.description,
      history: next.history,
      elapsedSeconds: summary.seconds,
      evaluations: summary.evaluations,
      maxExamples: next.maxExamples,
      shape: next.shape,
      pixelGeometry: next.pixelGeometry,
      geometry: next.geometry,
      theta,
      iterations: summary.iterations,
      finalCost: summary.finalCost,
      parts: summary.parts,
      meanActivation: summary.meanActivation,
      exitReason: summary.exitReason,
      divergedAt: summary.divergedAt,
      sample: next.sample,
      sampleCount: next.sampleCount,
    };
    save = { record };
  }
  return { ...state, phase: reason, run: next, statusLine: { note }, save };
}

/** The status line's parts: the plain message, or what the run is on and the note. */
export function statusParts(state: TrainerState): string[] {
  const line = state.statusLine;
  if ('text' in line) return [line.text];
  const run = state.run;
  if (!run) return line.note ? [line.note] : [];
  const engine = run.engine ?? (run.device === 'gpu' ? 'WebGPU' : 'float64 reference');
  const checkpoint = run.checkpointIteration !== undefined ? `checkpoint saved at iteration ${run.checkpointIteration}` : undefined;
  const shape = run.shape ? `${run.shape.visibleSize}-${run.shape.hiddenSize}` : undefined;
  return [run.description, shape, engine, run.fallback, checkpoint, line.note].filter((p): p is string => !!p);
}

/** The banner's words for a saved run. */
export function describeSaved(saved: SavedRun, reason: Offer['reason'] = 'reload'): { title: string; text: string; action: string } {
  const when = formatDate(saved.savedAt);
  const data = saved.config.data === 'natural' ? 'natural images' : saved.config.data === 'mnist' ? 'MNIST digits' : saved.config.data;
  const method = { lbfgs: 'L-BFGS', gd: 'gradient descent', sgd: 'SGD', adam: 'Adam' }[saved.config.optimizer];
  const common = `${data}, ${saved.config.hiddenSize} hidden units, ${method} on ${saved.device === 'gpu' ? 'WebGPU' : 'the CPU'}`;
  if (saved.kind === 'checkpoint') {
    const pairs = saved.keptCorrections ? ` (kept with the newest ${saved.keptCorrections.kept} of ${saved.keptCorrections.of} L-BFGS pairs)` : '';
    if (reason === 'device-lost') {
      return {
        title: 'The GPU was lost during training',
        text: `The run's last checkpoint is kept in this browser: ${common} — iteration ${saved.iteration} of ${saved.totalIterations}, cost ${formatCost(saved.cost)}${pairs}. Resume continues from it on a new device.`,
        action: 'Resume',
      };
    }
    return {
      title: 'An unfinished run was saved',
      text: `Saved ${when}: ${common} — iteration ${saved.iteration} of ${saved.totalIterations}, cost ${formatCost(saved.cost)}${pairs}.`,
      action: 'Resume',
    };
  }
  if (saved.divergedAt !== undefined) {
    return {
      title: 'Your last run diverged',
      text: `Saved ${when}: ${common} — the cost was not finite at iteration ${saved.divergedAt}; kept is θ from iteration ${saved.iterations}, cost ${formatCost(saved.finalCost)}.`,
      action: 'Show it',
    };
  }
  return {
    title: 'Your last trained model',
    text: `Finished ${when}: ${common} — ${saved.iterations} iterations, cost ${formatCost(saved.finalCost)}.`,
    action: 'Show it',
  };
}
