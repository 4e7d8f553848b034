/**
 * What the classification page shows, as one value changed only by reduce(state, message):
 * the worker's messages (./protocol.ts) and the page's own requests. No DOM here, so the
 * whole page logic is testable in Node (test/pages/classify-state.test.ts). The state holds
 * facts; ./views.ts puts them into words.
 */
import type { StageKind, TaskName } from '../../classify/pipeline';
import type { ClassifierShape } from '../../reference/classifier';
import type { DigitFeature, DigitSample, FeaturePicture, FromWorker, PooledFeature, StageSummary } from './protocol';

export type Phase = 'idle' | 'loading' | 'running' | 'stopping' | 'finished' | 'stopped' | 'error';
export type StageStatus = 'waiting' | 'running' | 'done' | 'stopped';

export interface StageState {
  name: string;
  kind: StageKind;
  status: StageStatus;
  iteration: number;
  totalIterations: number;
  cost: number;
  elapsedSeconds: number;
  /** The cost curve: J at each reported iteration. */
  curve: { x: number[]; y: number[] };
  /** What iteration counts when not L-BFGS iterations: the convolution's images (it has no cost). */
  unit?: 'images';
  record?: StageSummary;
}

/** conv: a few test digits beside their pooled feature maps, and the sizes they were pooled at. */
export type PooledMaps = Omit<Extract<FromWorker, { type: 'pooled-maps' }>, 'type'>;

export interface LayerFeatures {
  layer: number;
  /** The stage that trains this layer, and the iteration the picture is of. */
  index: number;
  iteration: number;
  hiddenSize: number;
  picture: FeaturePicture;
  final: boolean;
}

/** The first part of the status line. */
export type Status =
  /** Before any run: what to do first. */
  | { kind: 'idle' }
  | { kind: 'starting' }
  | { kind: 'stopping' }
  /** Words of the worker's (or the page's) own: what it is loading, that WebGPU is missing. */
  | { kind: 'message'; text: string }
  | { kind: 'training' }
  | { kind: 'finished'; seconds: number }
  /** A model.json opened and scored on the test digits (what its own run reported, for comparison). */
  | { kind: 'opened'; name: string; reported: Record<string, number> }
  | { kind: 'stopped'; seconds: number }
  | { kind: 'failed'; during: Extract<FromWorker, { type: 'error' }>['during'] };

export interface ClassifyState {
  phase: Phase;
  task?: TaskName;
  status: Status;
  device?: string;
  counts?: { train: number; test: number; unlabeled?: number };
  numClasses?: number;
  stages: StageState[];
  /** By autoencoder layer (0: on pixels, 1: on layer 1's features). */
  features: LayerFeatures[];
  /** conv: drawn once the convolution stage has pooled the test digits. */
  pooledMaps?: PooledMaps;
  accuracies: Record<string, number>;
  confusion?: number[][];
  testCount?: number;
  sample?: DigitSample;
  seconds?: number;
  error?: string;
  /** The finished run's classifier (it reads the drawn digits). */
  classifier?: { shape: ClassifierShape; theta: Float64Array };
  /** The latest drawn digit and what the classifier makes of it. */
  digit?: DigitPrediction;
  digitError?: string;
  /** The latest model.json the person opened: being read, shown, or refused (and why). */
  modelFile?: { kind: 'opening'; name: string } | { kind: 'opened'; name: string } | { kind: 'refused'; name: string; message: string };
}

export interface DigitPrediction {
  id: number;
  pixels: Float32Array;
  probabilities: Float64Array;
  predicted: number;
  features?: DigitFeature[];
  pooled?: PooledFeature[];
}

/** What the page itself asks for (the worker's replies are FromWorker). */
export type PageAction =
  | { type: 'requested'; task: TaskName }
  | { type: 'stop-requested' }
  | { type: 'digit-cleared' }
  /** A model.json chosen or dropped, on its way to the worker. */
  | { type: 'model-chosen'; name: string }
  | { type: 'model-unreadable'; name: string; message: string };

export type Message = FromWorker | PageAction;

export const initialState: ClassifyState = Object.freeze({
  phase: 'idle',
  status: { kind: 'idle' },
  stages: [],
  features: [],
  accuracies: {},
}) as ClassifyState;

const busy = (phase: Phase) => phase === 'loading' || phase === 'running' || phase === 'stopping';

function withStage(state: ClassifyState, index: number, change: (stage: StageState) => StageState): ClassifyState {
  const stage = state.stages[index];
  if (!stage) return state;
  const stages = state.stages.slice();
  stages[index] = change(stage);
  return { ...state, stages };
}

/** Appends (iteration, cost) to a curve; a point at an iteration already there replaces it and those after. */
function extend(curve: StageState['curve'], x: number, y: number): StageState['curve'] {
  let n = curve.x.length;
  while (n > 0 && curve.x[n - 1] >= x) n--;
  return { x: [...curve.x.slice(0, n), x], y: [...curve.y.slice(0, n), y] };
}

export function reduce(state: ClassifyState, message: Message): ClassifyState {
  switch (message.type) {
    case 'requested':
      if (busy(state.phase)) return state;
      return { ...initialState, phase: 'loading', task: message.task, status: { kind: 'starting' } };
    case 'stop-requested':
      if (!busy(state.phase)) return state;
      return { ...state, phase: 'stopping', status: { kind: 'stopping' } };
    case 'status':
      return { ...state, status: { kind: 'message', text: message.text } };
    case 'ready':
      return {
        ...state,
        phase: state.phase === 'stopping' ? 'stopping' : 'running',
        task: message.task,
        device: message.device,
        counts: message.counts,
        numClasses: message.numClasses,
        stages: message.stages.map((s) => ({
          name: s.name,
          kind: s.kind,
          status: 'waiting',
          iteration: 0,
          totalIterations: s.iterations,
          cost: NaN,
          elapsedSeconds: 0,
          curve: { x: [], y: [] },
          ...(s.kind === 'convolution' ? { unit: 'images' as const } : {}),
        })),
        status: state.phase === 'stopping' ? state.status : { kind: 'training' },
      };
    case 'progress': {
      const next = withStage(state, message.index, (stage) => ({
        ...stage,
        status: 'running',
        iteration: message.iteration,
        totalIterations: message.totalIterations,
        cost: message.cost,
        elapsedSeconds: message.elapsedSeconds,
        curve: Number.isFinite(message.cost) ? extend(stage.curve, message.iteration, message.cost) : stage.curve,
        ...(message.unit ? { unit: message.unit } : {}),
      }));
      return next;
    }
    case 'pooled-maps': {
      const { type: _, ...maps } = message;
      return { ...state, pooledMaps: maps };
    }
    case 'features': {
      const features = state.features.slice();
      const current = features[message.layer];
      // A live picture never replaces the stage's final one.
      if (current?.final && current.index === message.index) return state;
      features[message.layer] = {
        layer: message.layer,
        index: message.index,
        iteration: message.iteration,
        hiddenSize: message.hiddenSize,
        picture: message.picture,
        final: false,
      };
      return { ...state, features };
    }
    case 'stage-done': {
      const { record } = message;
      // The convolution trains nothing: its record's costs are placeholders, not a point of a curve.
      const cost = record.kind === 'convolution' ? NaN : record.finalCost;
      let next = withStage(state, message.index, (stage) => ({
        ...stage,
        status: 'done',
        iteration: record.iterations,
        ...(record.kind === 'convolution' ? { totalIterations: record.iterations } : {}),
        cost,
        elapsedSeconds: record.seconds,
        curve: Number.isFinite(cost) ? extend(stage.curve, record.iterations, cost) : stage.curve,
        record,
      }));
      if (record.accuracy !== undefined) {
        const name = accuracyNameOf(next.task, next.stages, message.index);
        if (name) next = { ...next, accuracies: { ...next.accuracies, [name]: record.accuracy } };
      }
      // The last picture of an autoencoder stage is its final θ's.
      const layer = next.features.findIndex((f) => f?.index === message.index);
      if (layer >= 0) {
        const features = next.features.slice();
        features[layer] = { ...features[layer], final: true };
        next = { ...next, features };
      }
      return next;
    }
    case 'finished':
      return {
        ...state,
        phase: 'finished',
        accuracies: message.accuracies,
        confusion: message.confusion,
        testCount: message.testCount,
        sample: message.sample,
        seconds: message.seconds,
        classifier: message.classifier,
        status: { kind: 'finished', seconds: message.seconds },
      };
    case 'digit-predicted': {
      // A reply for a run that is over (or a digit since cleared) changes nothing.
      if (state.phase !== 'finished' || (state.digit && message.id < state.digit.id)) return state;
      const p = message.probabilities;
      let predicted = 0;
      for (let c = 1; c < p.length; c++) if (p[c] > p[predicted]) predicted = c;
      return { ...state, digitError: undefined, digit: { id: message.id, pixels: message.pixels, probabilities: p, predicted, features: message.features, pooled: message.pooled } };
    }
    case 'digit-failed':
      return state.phase === 'finished' ? { ...state, digitError: message.message } : state;
    case 'model-chosen':
      if (busy(state.phase)) return state;
      return { ...state, modelFile: { kind: 'opening', name: message.name } };
    case 'model-unreadable':
    case 'model-refused':
      // Whatever the page showed (a trained classifier, the pad) stays.
      return { ...state, modelFile: { kind: 'refused', name: message.name, message: message.message } };
    case 'model-opened':
      if (busy(state.phase)) return state;
      return {
        ...initialState,
        phase: 'finished',
        task: message.task,
        device: message.device,
        counts: message.counts,
        numClasses: message.numClasses,
        accuracies: message.accuracies,
        confusion: message.confusion,
        testCount: message.testCount,
        sample: message.sample,
        classifier: message.classifier,
        ...(message.pooledMaps ? { pooledMaps: message.pooledMaps } : {}),
        status: { kind: 'opened', name: message.name, reported: message.reported },
        modelFile: { kind: 'opened', name: message.name },
      };
    case 'digit-cleared':
      return state.digit || state.digitError ? { ...state, digit: undefined, digitError: undefined } : state;
    case 'stopped':
      return {
        ...state,
        phase: 'stopped',
        accuracies: message.accuracies,
        seconds: message.seconds,
        stages: state.stages.map((s) => (s.status === 'running' ? { ...s, status: 'stopped' } : s)),
        status: { kind: 'stopped', seconds: message.seconds },
      };
    case 'error':
      return {
        ...state,
        phase: 'error',
        error: message.message,
        stages: state.stages.map((s) => (s.status === 'running' ? { ...s, status: 'stopped' } : s)),
        status: { kind: 'failed', during: message.during },
      };
    default:
      return state;
  }
}

/**
 * Which accuracies the task compares, in the order of the stages that complete a classifier
 * (the pipeline's softmax and fine-tuning stages), which is the order they are shown in.
 */
export function accuracyNames(task: TaskName | undefined): string[] {
  if (task === 'stl') return ['self-taught features', 'raw pixels'];
  if (task === 'stacked') return ['before fine-tuning', 'after fine-tuning'];
  // The name src/classify/pipeline.ts's conv task scores its softmax under.
  if (task === 'conv') return ['pooled convolved features'];
  return ['raw pixels'];
}

/** The stages that complete a classifier: the autoencoders and the convolution train none. */
const completesClassifier = (kind: StageKind | undefined) => kind === 'softmax' || kind === 'finetune';

/** The accuracy a stage's record carries, by name (undefined for autoencoder and convolution stages). */
export function accuracyNameOf(task: TaskName | undefined, stages: readonly { kind: StageKind }[], index: number): string | undefined {
  if (!completesClassifier(stages[index]?.kind)) return undefined;
  const classifiersBefore = stages.slice(0, index).filter((s) => completesClassifier(s.kind)).length;
  return accuracyNames(task)[classifiersBefore];
}
