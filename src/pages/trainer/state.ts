/**
 * What the trainer page shows, as one value changed only by reduce(state, message): the
 * worker's messages (./protocol.ts) and the page's own events (a button, a file, a saved run
 * found in IndexedDB). No DOM and no I/O here, so the page's logic is testable in Node
 * (test/pages/trainer-state.test.ts). What must happen outside — a message to the worker, a
 * record written to IndexedDB — main.ts reads off the new state: `save` names the record to
 * write, and a new `run` the run to start. The state holds facts (kinds, numbers, names, the
 * worker's own messages); ./views.ts puts them into words.
 */
import type { UnitStatistics } from '../../analysis/units';
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
  /** The engine actually used (WebGPU on a named adapter, or the float64 reference on the CPU), and why not the GPU if asked. */
  engine?: Engine;
  fallback?: string;
  checkpointIteration?: number;
  /** The latest picture of the features, and the reconstructions of the sample. */
  features?: { image: { width: number; height: number; channels?: 1 | 3; values: Float32Array }; iteration: number };
  reconstructions?: { values?: Float64Array; iteration?: number };
  /** How many feature pictures this run has shown. */
  featuresDrawn: number;
  /** ρ̂ per hidden unit as last shown, and what it is of: the iteration, and whether a pass over all examples (at the run's end). */
  rho?: { values: Float64Array; iteration: number; allExamples?: boolean };
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
  /** A model.json opened on the current data: its file, and the units' statistics there. */
  opened?: { name: string; units: UnitStatistics; whitened: boolean };
}

/** The engine a run trains on: WebGPU on an adapter (its label), or the float64 reference on the CPU. */
export type Engine = { backend: 'webgpu'; adapter: string; /** "unrolled 8×8, tuned 1.2 s ago (raced …)" / "…, cached …" / "…, table default" */ kernels?: string } | { backend: 'cpu' };

/** A problem to show: a message from elsewhere (the worker, the settings form), or one the page found itself. */
export type Problem =
  | { kind: 'message'; message: string }
  /** The browser could not read the user's file (its reader's message). */
  | { kind: 'file-unreadable'; message: string }
  /** Resume was asked for a number of iterations that is not a whole number ≥ 0, as typed. */
  | { kind: 'bad-iterations'; text: string };

/** What the line under the data choice says about the user's files. */
export type DataInfo =
  | { kind: 'none' }
  /** Asked to choose a file (the file choice, with none yet). */
  | { kind: 'choose' }
  | { kind: 'reading'; names: string[] }
  /** Files restored with a saved run, already checked then. */
  | { kind: 'files'; names: string[] }
  /** What the worker found in them. */
  | { kind: 'inspected'; description: string; examples: number; visibleSize: number };

/** The user's files and what the worker found in them. */
export interface DataFiles {
  files?: UserFile[];
  /** The worker read them as training data. */
  valid: boolean;
  /** What they hold, or that they are being read. */
  info: DataInfo;
  error?: Problem;
}

/** The steps of a run the worker reports failures of (not the export, which fails on its own). */
export type FailedStep = Exclude<Extract<FromWorker, { type: 'error' }>['during'], 'export'>;

/** How a run stands, said after its own parts (data, shape, engine) on the status line. */
export type RunNote =
  | { kind: 'restored'; savedAt: number }
  | { kind: 'opened'; name: string; whitened: boolean }
  | { kind: 'paused'; iteration: number }
  /** The optimizer too: a diverged run's advice depends on whether it has a learning rate. */
  | { kind: 'ended'; reason: 'finished' | 'stopped'; summary: RunSummary; optimizer: TrainConfig['optimizer'] };

/** The line under the counters. */
export type StatusLine =
  /** Before any run: what to do first. */
  | { kind: 'idle' }
  | { kind: 'starting' }
  /** The worker's own words while it prepares a run. */
  | { kind: 'worker'; text: string }
  | { kind: 'failed'; step: FailedStep }
  /** The GPU was lost at the run's iteration, with the iteration of its checkpoint if one was saved. */
  | { kind: 'device-lost'; iteration?: number; checkpointIteration?: number }
  /** The run's own parts, and a note on how it stands. */
  | { kind: 'run'; note?: RunNote };

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
  statusLine: StatusLine;
  /** The problem under the controls (settings refused, training failed). */
  error?: Problem;
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
  /** Why the run could not be saved for a reload (IndexedDB's message). */
  saveError?: string;
  /** The latest model.json the person opened: being read, shown, or refused (and why). */
  modelFile?: ModelFile;
}

export type ModelFile = { kind: 'opening'; name: string } | { kind: 'opened'; name: string } | { kind: 'refused'; name: string; message: string };

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
  /** A model.json chosen or dropped, on its way to the worker. */
  | { type: 'model-chosen'; name: string }
  | { type: 'model-unreadable'; name: string; message: string }
  | { type: 'saved'; iteration: number }
  | { type: 'save-failed'; message: string }
  | { type: 'worker-failed'; message: string };

export type Message = FromWorker | PageEvent;

export const initialState: TrainerState = Object.freeze({
  phase: 'idle',
  device: '',
  statusLine: { kind: 'idle' },
  lastError: '',
  data: { valid: false, info: { kind: 'none' } },
  savedIteration: -1,
}) as TrainerState;

export const busy = (phase: Phase): boolean => phase === 'loading' || phase === 'training' || phase === 'pausing' || phase === 'stopping';

/** The settings are locked while a run is on (paused, only the iterations may change). */
export const settingsLocked = (phase: Phase): boolean => busy(phase) || phase === 'paused';

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
  return { ...state, lastError: message, error: { kind: 'message', message }, phase: state.run?.theta ? 'stopped' : 'error' };
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
        statusLine: { kind: 'starting' },
        modelFile: undefined,
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
        return { ...state, error: { kind: 'bad-iterations', text: message.text } };
      }
      return {
        ...state,
        phase: 'training',
        error: undefined,
        offer: undefined,
        statusLine: { kind: 'run' },
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
      return { ...state, data: { ...state.data, valid: false, error: undefined, info: { kind: 'reading', names: message.names } } };
    case 'files-read':
      return { ...state, data: { ...state.data, files: message.files, valid: false } };
    case 'files-unreadable':
      return { ...state, data: { valid: false, info: { kind: 'none' }, error: { kind: 'file-unreadable', message: message.message } } };
    case 'files-restored':
      return { ...state, data: { files: message.files, valid: true, info: { kind: 'files', names: message.files.map((f) => f.name) } } };
    case 'data-choice-changed': {
      const info: DataInfo = message.choice !== 'file' ? { kind: 'none' } : state.data.files ? state.data.info : { kind: 'choose' };
      return { ...state, data: { ...state.data, error: undefined, info } };
    }
    case 'refused':
      return { ...state, error: { kind: 'message', message: message.message } };
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
        statusLine: { kind: 'run', note: { kind: 'restored', savedAt: saved.savedAt } },
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
          rho: { values: saved.meanActivation, iteration: saved.iterations, allExamples: true },
          rates: [],
          theta: saved.theta,
          restored: true,
        },
      };
    }
    case 'model-chosen':
      if (settingsLocked(state.phase)) return state;
      return { ...state, modelFile: { kind: 'opening', name: message.name } };
    case 'model-unreadable':
      return { ...state, modelFile: { kind: 'refused', name: message.name, message: message.message } };
    case 'saved':
      return { ...state, savedIteration: message.iteration, saveError: undefined };
    case 'save-failed':
      return { ...state, saveError: message.message };
    case 'worker-failed':
      return failed(state, message.message);

    // ------------------------------------------------------------ the worker
    case 'inspected':
      if (message.ok) {
        return {
          ...state,
          data: {
            ...state.data,
            valid: true,
            error: undefined,
            info: { kind: 'inspected', description: message.description, examples: message.examples, visibleSize: message.visibleSize },
          },
        };
      }
      return { ...state, data: { ...state.data, valid: false, info: { kind: 'none' }, error: { kind: 'message', message: message.message } } };
    case 'status':
      return { ...state, statusLine: { kind: 'worker', text: message.text } };
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
        engine:
          message.device.backend === 'webgpu'
            ? { backend: 'webgpu', adapter: adapter ? adapterLabel(adapter) : message.device.adapter, ...(message.device.kernels ? { kernels: message.device.kernels.summary } : {}) }
            : { backend: 'cpu' },
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
        statusLine: { kind: 'run' },
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
        rho: message.meanActivation ? { values: message.meanActivation, iteration: message.iteration } : run.rho,
      }));
    case 'checkpoint': {
      const run = state.run;
      if (!run) return state;
      const next: TrainerState = { ...state, statusLine: { kind: 'run' }, run: { ...run, checkpointIteration: message.iteration } };
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
      if (message.during === 'export') return { ...state, error: { kind: 'message', message: message.message } };
      if (message.during === 'device') return deviceLost(state, message.message);
      const userData = state.run && !isBuiltInData(state.run.config.data);
      const problem: Problem = { kind: 'message', message: message.message };
      const next = message.during === 'data' && userData ? { ...state, data: { ...state.data, error: problem } } : state;
      return { ...failed(next, message.message), statusLine: { kind: 'failed', step: message.during } };
    }
    case 'model-opened':
      return modelOpened(state, message);
    case 'model-refused':
      // The run shown, the settings and the data stay as they were.
      return { ...state, modelFile: { kind: 'refused', name: message.name, message: message.message } };
    case 'exported':
      return state;
    default:
      return state;
  }
}

/** A model.json shown as a finished run is, on the current data: no history, no cost, nothing to save. */
function modelOpened(state: TrainerState, message: Extract<FromWorker, { type: 'model-opened' }>): TrainerState {
  // A run started meanwhile has the worker now; the model it replaced is not shown over it.
  if (busy(state.phase)) return state;
  const { name, config, units, whitened } = message;
  return {
    ...state,
    phase: 'finished',
    error: undefined,
    deviceLost: undefined,
    offer: undefined,
    save: undefined,
    savedIteration: -1,
    modelFile: { kind: 'opened', name },
    statusLine: { kind: 'run', note: { kind: 'opened', name, whitened } },
    run: {
      id: ++runIds,
      config,
      device: 'cpu',
      description: message.description,
      shape: message.shape,
      pixelGeometry: message.pixelGeometry,
      geometry: message.geometry,
      sample: message.sample,
      sampleCount: message.sampleCount,
      iteration: 0,
      totalIterations: 0,
      evaluations: 0,
      elapsedSeconds: 0,
      cost: NaN,
      initialCost: NaN,
      history: emptyHistory(),
      featuresDrawn: 0,
      rho: { values: message.meanActivation, iteration: 0, allExamples: true },
      rates: [],
      theta: message.theta,
      opened: { name, units, whitened },
    },
  };
}

/**
 * The GPU device was lost mid-run: the run is over, and its last checkpoint, already on its way
 * to IndexedDB, is what a resume continues from (main.ts offers it once it is stored).
 */
function deviceLost(state: TrainerState, message: string): TrainerState {
  const run = state.run;
  return {
    ...failed(state, message),
    deviceLost: message,
    statusLine: { kind: 'device-lost', iteration: run?.iteration, checkpointIteration: run?.checkpointIteration },
  };
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
    rho: { values: summary.meanActivation, iteration: summary.iterations, allExamples: true },
  };
  // The average over the whole run, once it is over.
  const start = run.rateOrigin;
  if (start && summary.seconds > start.t && summary.iterations > start.iteration) {
    const dt = summary.seconds - start.t;
    next.speed = { iterations: (summary.iterations - start.iteration) / dt, evaluations: (summary.evaluations - start.evaluations) / dt };
  }
  if (reason === 'paused') {
    return { ...state, phase: 'paused', run: next, statusLine: { kind: 'run', note: { kind: 'paused', iteration: summary.iterations } } };
  }
  next = { ...next, parts: summary.parts };
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
  return { ...state, phase: reason, run: next, statusLine: { kind: 'run', note: { kind: 'ended', reason, summary, optimizer: run.config.optimizer } }, save };
}
