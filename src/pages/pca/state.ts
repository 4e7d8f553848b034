/**
 * What the PCA page shows, as one value changed only by reduce(state, message): the worker's
 * messages (./worker.ts) and the page's own events (a new sample, the two sliders). No DOM here
 * (test/pages/pca-state.test.ts); ./views.ts draws it, main.ts sends each new `request` object.
 *
 * The sliders never reload: a move asks the worker only for a projection with the basis it
 * holds, and while one is being computed further moves are folded into one `pending` flag, so
 * that the next request carries the latest settings (latest wins, nothing queues up).
 *
 * The settings also live in the link (?patches=10000&seed=1&variance=0.99&epsilon=0.1), read by
 * decodePcaLink, each value that cannot be used reported with the default in its place.
 */
import type { Loaded, PcaMessage, PcaRequest, Projected } from './worker';

export interface PcaSettings {
  /** Raw 12×12 patches sampled. */
  patches: number;
  seed: number;
  /** Fraction of the variance to retain, in [0.5, 1]. */
  variance: number;
  /** Whitening's ε: 0 (none) or in [1e-8, 1]. */
  epsilon: number;
}

/** pca_gen's own settings: 10,000 patches, 99% of the variance, ε = 0.1. */
export const defaultSettings: Readonly<PcaSettings> = Object.freeze({ patches: 10_000, seed: 1, variance: 0.99, epsilon: 0.1 });

export type SettingName = keyof PcaSettings;

/** The settings' names in a link and their ranges; `whole` ones must be integers. */
export const settingFields: Record<SettingName, { query: string; min: number; max: number; whole: boolean }> = {
  // More patches than values per patch, so that Σ has full rank but for the removed mean's direction.
  patches: { query: 'patches', min: 144, max: 100_000, whole: true },
  seed: { query: 'seed', min: 0, max: 0xffffffff, whole: true },
  variance: { query: 'variance', min: 0.5, max: 1, whole: false },
  epsilon: { query: 'epsilon', min: 0, max: 1, whole: false },
};

/** The ε slider: log₁₀ ε in steps of 0.1, its leftmost position meaning ε = 0 (whitening without ε). */
export const EPSILON_SLIDER = { min: -8, max: 0, step: 0.1 } as const;
/** The variance slider, in percent. */
export const VARIANCE_SLIDER = { min: 50, max: 100, step: 0.1 } as const;

export function epsilonFromSlider(position: number): number {
  return position <= EPSILON_SLIDER.min ? 0 : 10 ** Math.min(EPSILON_SLIDER.max, position);
}

export function sliderFromEpsilon(epsilon: number): number {
  if (!(epsilon > 0)) return EPSILON_SLIDER.min;
  const position = Math.round(Math.log10(epsilon) * 10) / 10;
  return Math.min(EPSILON_SLIDER.max, Math.max(EPSILON_SLIDER.min + EPSILON_SLIDER.step, position));
}

/** A setting's text as a value, or undefined when it is not a number in the setting's range. */
export function parseSetting(name: SettingName, text: string): number | undefined {
  const { min, max, whole } = settingFields[name];
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max || (whole && !Number.isInteger(value))) return undefined;
  // ε between 0 and the slider's smallest is not something the page can show or set again.
  if (name === 'epsilon' && value > 0 && value < 1e-8) return undefined;
  return value;
}

export interface LinkProblem {
  field: SettingName;
  value: string;
}

export function encodePcaLink(settings: PcaSettings): URLSearchParams {
  const query = new URLSearchParams();
  for (const [name, { query: key }] of Object.entries(settingFields) as [SettingName, { query: string }][]) {
    // A field being typed into may be empty for a moment: it is left out, not written as NaN.
    if (Number.isFinite(settings[name])) query.set(key, String(settings[name]));
  }
  return query;
}

export function decodePcaLink(search: string): { settings: PcaSettings; problems: LinkProblem[] } {
  const query = new URLSearchParams(search);
  const settings: PcaSettings = { ...defaultSettings };
  const problems: LinkProblem[] = [];
  for (const [name, { query: key }] of Object.entries(settingFields) as [SettingName, { query: string }][]) {
    const text = query.get(key);
    if (text === null) continue;
    const value = parseSetting(name, text);
    if (value === undefined) problems.push({ field: name, value: text });
    else settings[name] = value;
  }
  return { settings, problems };
}

/** What the badge says: what the page is doing, or how the latest load went. */
export type Status =
  | { kind: 'loading' }
  /** The worker's own words while it loads. */
  | { kind: 'worker'; text: string }
  | { kind: 'loaded'; patches: number; seconds: number; device: 'gpu' | 'cpu' }
  | { kind: 'failed' };

export interface PcaState {
  phase: 'loading' | 'ready' | 'error';
  status: Status;
  settings: PcaSettings;
  /** The latest load asked for; answers to earlier ones are ignored. */
  loadId: number;
  /** The latest load's answer (kept, and drawn, while the next one is under way). */
  loaded?: Loaded;
  /** The latest projection's answer. */
  projected?: Projected;
  /** A projection has been asked for and not answered yet. */
  inFlight: boolean;
  /** A slider moved after the projection in flight was asked for: ask again when it is answered. */
  pending: boolean;
  /** Projections answered for the current load. */
  projections: number;
  error: string;
  /** The request main.ts is to send to the worker; a new object for each. */
  request?: PcaRequest;
}

/** What the page itself does. The worker's replies are PcaMessage. */
export type PageEvent =
  /** The page's first load, and "Sample" with the patches and seed as set. */
  | { type: 'load'; patches: number; seed: number; gpu: boolean }
  | { type: 'variance'; value: number }
  | { type: 'epsilon'; value: number };

export type Message = PcaMessage | PageEvent;

export function initialState(settings: PcaSettings = defaultSettings): PcaState {
  return { phase: 'loading', status: { kind: 'loading' }, settings: { ...settings }, loadId: 0, inFlight: false, pending: false, projections: 0, error: '' };
}

/** The latest load's answer, if it has come. */
export function currentLoad(state: PcaState): Loaded | undefined {
  return state.loaded?.request.id === state.loadId ? state.loaded : undefined;
}

function askProjection(state: PcaState): PcaState {
  const { variance, epsilon } = state.settings;
  return { ...state, inFlight: true, pending: false, request: { type: 'project', loadId: state.loadId, variance, epsilon } };
}

/** A slider moved: ask now, or, while a projection is being computed, once it is answered. */
function moved(state: PcaState, settings: PcaSettings): PcaState {
  const next = { ...state, settings };
  if (!currentLoad(state) || state.phase === 'error') return next;
  return state.inFlight ? { ...next, pending: true } : askProjection(next);
}

export function reduce(state: PcaState, message: Message): PcaState {
  switch (message.type) {
    case 'load': {
      const loadId = state.loadId + 1;
      const settings = { ...state.settings, patches: message.patches, seed: message.seed };
      return {
        ...state,
        phase: 'loading',
        status: { kind: 'loading' },
        settings,
        loadId,
        inFlight: false,
        pending: false,
        projections: 0,
        error: '',
        request: { type: 'load', id: loadId, patches: message.patches, seed: message.seed, gpu: message.gpu },
      };
    }
    case 'variance':
      return message.value === state.settings.variance ? state : moved(state, { ...state.settings, variance: message.value });
    case 'epsilon':
      return message.value === state.settings.epsilon ? state : moved(state, { ...state.settings, epsilon: message.value });
    case 'status':
      return state.phase === 'loading' ? { ...state, status: { kind: 'worker', text: message.text } } : state;
    case 'loaded': {
      if (message.request.id !== state.loadId) return state;
      const status: Status = { kind: 'loaded', patches: message.request.patches, seconds: message.seconds, device: message.device.kind };
      return askProjection({ ...state, loaded: message, status });
    }
    case 'projected': {
      if (message.request.loadId !== state.loadId) return state;
      const answered = { ...state, phase: 'ready' as const, projected: message, inFlight: false, projections: state.projections + 1 };
      return state.pending ? askProjection(answered) : answered;
    }
    case 'error':
      return { ...state, phase: 'error', status: { kind: 'failed' }, inFlight: false, pending: false, error: message.message };
    default:
      return state;
  }
}

/** What tests (and curious people) read as window.pcaPage. */
export function summary(state: PcaState) {
  const loaded = currentLoad(state);
  const projected = state.projected?.request.loadId === state.loadId ? state.projected : undefined;
  return {
    phase: state.phase,
    settings: { ...state.settings },
    /** The settings' projection is drawn and none is owed. */
    settled: !!projected && !state.inFlight && !state.pending,
    device: loaded?.device.kind,
    covarianceCheckPass: loaded?.covarianceCheck?.pass,
    k99: loaded?.k99,
    k90: loaded?.k90,
    nullDirections: loaded?.nullDirections,
    projectedVariance: projected?.request.variance,
    projectedEpsilon: projected?.request.epsilon,
    k: projected?.k,
    retained: projected?.retained,
    largestOffDiagonal: projected?.whitened.largestOffDiagonal,
    diagonal: projected?.whitened.diagonal,
    /** The worker's time for the latest projection (a slider move's cost there). */
    projectionMilliseconds: projected?.milliseconds,
    decompositions: projected?.decompositions ?? loaded?.decompositions ?? 0,
    projections: state.projections,
    error: state.error,
  };
}
