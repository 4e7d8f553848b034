/**
 * UFLDL's exercises after the first, as pipelines of stages on one compute (./compute.ts):
 *
 *   softmax   softmaxExercise.m   softmax regression on raw pixels
 *   stl       stlExercise.m       a sparse autoencoder on the unlabeled digits 5–9, softmax on
 *                                 its features of the labeled digits 0–4 (and on their raw
 *                                 pixels, for comparison)
 *   stacked   stackedAEExercise.m two sparse autoencoders trained greedily, softmax on the
 *                                 second's features, then the whole stack fine-tuned
 *
 * Every stage is an L-BFGS run with minFunc's settings: autoencoders through the trainer
 * (src/train/trainer.ts, written once), classifiers through the same L-BFGS over softmaxCost /
 * stackedAECost. A stage ends in a record (its θ and figures); a run stopped inside a stage
 * keeps that stage's L-BFGS state, so a resumed run continues to the same result.
 */
import { DEFAULT_CORRECTIONS, minimizeLbfgs, resumeLbfgs, type LbfgsIteration, type LbfgsSnapshot } from '../optim/lbfgs';
import { decodeLbfgsSnapshot, encodeLbfgsSnapshot } from '../optim/lbfgs-snapshot';
import type { Dataset } from '../reference/autoencoder';
import {
  accuracy,
  classifierLayout,
  confusionMatrix,
  initializeSoftmaxTheta,
  stackTheta,
  type ClassifierShape,
  type LabeledData,
} from '../reference/classifier';
import { initializeParameters, type Shape } from '../reference/params';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../train/checkpoint';
import { presets, type TrainConfig } from '../train/config';
import { eventLoopYielder, train } from '../train/trainer';
import type { ClassifyCompute } from './compute';

export type TaskName = 'softmax' | 'stl' | 'stacked';
export const taskNames: readonly TaskName[] = ['softmax', 'stl', 'stacked'];

/** The exercises' settings (softmaxExercise.m, stlExercise.m, stackedAEExercise.m). */
export interface ClassifySettings {
  task: TaskName;
  seed: number;
  /** Hidden units of each autoencoder (200 in stlExercise and stackedAEExercise). */
  hiddenSize: number;
  sparsityParam: number;
  /** λ of the autoencoders (3e-3). */
  lambda: number;
  beta: number;
  /** minFunc maxIter of each autoencoder (400). */
  autoencoderIterations: number;
  /** λ and maxIter of softmaxTrain (1e-4, 100). */
  softmaxLambda: number;
  softmaxIterations: number;
  /** λ and maxIter of fine-tuning (stackedAEExercise.m passes its λ = 3e-3; 400). */
  finetuneLambda: number;
  finetuneIterations: number;
}

/** ρ, λ and β of the exercises' autoencoders: those of "Vectorization", the ufldl-mnist preset. */
const autoencoderHyperparameters = {
  sparsityParam: presets['ufldl-mnist'].sparsityParam,
  lambda: presets['ufldl-mnist'].lambda,
  beta: presets['ufldl-mnist'].beta,
};

export const defaultSettings: Readonly<Omit<ClassifySettings, 'task'>> = Object.freeze({
  seed: 1,
  hiddenSize: 200,
  ...autoencoderHyperparameters,
  autoencoderIterations: 400,
  softmaxLambda: 1e-4,
  softmaxIterations: 100,
  // stackedAEExercise.m fine-tunes with the one λ it trains its autoencoders with.
  finetuneLambda: autoencoderHyperparameters.lambda,
  finetuneIterations: 400,
});

/** The labeled train and test sets, and (stl) the unlabeled set the autoencoder learns from. */
export interface ClassifyData {
  train: LabeledData;
  test: LabeledData;
  unlabeled?: Dataset;
  /** Classes 0 … numClasses − 1 (stlExercise.m classifies the 5 digits 0–4). */
  numClasses: number;
}

export type StageKind = 'autoencoder' | 'softmax' | 'finetune';

export interface StageProgress {
  stage: string;
  kind: StageKind;
  /** 0-based index among the task's stages, and their count. */
  index: number;
  stages: number;
  iteration: number;
  totalIterations: number;
  evaluations: number;
  cost: number;
  elapsedSeconds: number;
  /** The stage's current θ (autoencoder stages: for drawing features live). */
  readTheta?: () => Promise<Float64Array>;
}

/** What a finished stage leaves: its θ and figures. */
export interface StageRecord {
  name: string;
  kind: StageKind;
  theta: Float64Array;
  iterations: number;
  evaluations: number;
  initialCost: number;
  finalCost: number;
  seconds: number;
  exitReason: string;
  /** Test accuracy of the classifier this stage completes, when it completes one. */
  accuracy?: number;
}

/** A run stopped part-way: the finished stages and the state of the one under way. */
export interface ClassifyCheckpoint {
  settings: ClassifySettings;
  /** What the run trained on: in words, and the options that chose it (a resumed run uses the same). */
  data?: { description: string; options: Record<string, string | number> };
  completed: StageRecord[];
  /** The stage under way: an autoencoder checkpoint or an encoded L-BFGS snapshot, by kind. */
  current?: { name: string; kind: StageKind; state: Uint8Array; seconds: number };
}

export interface ClassifyResult {
  settings: ClassifySettings;
  device: ClassifyCompute['device'];
  stages: StageRecord[];
  /** Test accuracy by name, e.g. { 'self-taught features': 0.98, 'raw pixels': 0.95 }. */
  accuracies: Record<string, number>;
  /** The final classifier: its shape, θ (classifierLayout's packing), predictions and confusion. */
  classifier: { shape: ClassifierShape; theta: Float64Array };
  predictions: Uint8Array;
  confusion: number[][];
  /** The trained autoencoders, first layer first. */
  autoencoders: { theta: Float64Array; shape: Shape }[];
  cancelled: boolean;
  seconds: number;
  counts: { train: number; test: number; unlabeled?: number };
}

export interface ClassifyHooks {
  signal?: AbortSignal;
  onProgress?: (progress: StageProgress) => void | Promise<void>;
  /** After each finished stage and when a run stops inside one. */
  onCheckpoint?: (checkpoint: ClassifyCheckpoint) => void | Promise<void>;
  onStageDone?: (record: StageRecord, index: number) => void | Promise<void>;
  resumeFrom?: ClassifyCheckpoint;
  /** L-BFGS corrections (minFunc's default 100). */
  corrections?: number;
}

interface StagePlan {
  name: string;
  kind: StageKind;
  iterations: number;
}

/** The stages of a task, in order. */
export function stagesOf(settings: ClassifySettings): StagePlan[] {
  const { task } = settings;
  const ae = (name: string): StagePlan => ({ name, kind: 'autoencoder', iterations: settings.autoencoderIterations });
  const softmax = (name: string): StagePlan => ({ name, kind: 'softmax', iterations: settings.softmaxIterations });
  if (task === 'softmax') return [softmax('softmax on raw pixels')];
  if (task === 'stl') return [ae('sparse autoencoder (unlabeled digits 5–9)'), softmax('softmax on the features'), softmax('softmax on raw pixels')];
  return [
    ae('sparse autoencoder, layer 1'),
    ae('sparse autoencoder, layer 2'),
    softmax('softmax on layer 2 features'),
    { name: 'fine-tuning the stack', kind: 'finetune', iterations: settings.finetuneIterations },
  ];
}

class Stopped extends Error {}

/** A stage's cost or gradient became non-finite. */
export class DivergedError extends Error {
  override name = 'DivergedError';
}

export async function runClassification(compute: ClassifyCompute, data: ClassifyData, settings: ClassifySettings, hooks: ClassifyHooks = {}): Promise<ClassifyResult> {
  const started = performance.now();
  const plan = stagesOf(settings);
  const resume = hooks.resumeFrom;
  const completed: StageRecord[] = resume ? resume.completed.map((r) => ({ ...r })) : [];
  const inputSize = data.train.visibleSize;
  if (data.test.visibleSize !== inputSize) throw new RangeError(`test images have ${data.test.visibleSize} pixels, training images ${inputSize}`);
  if (settings.task === 'stl' && !data.unlabeled) throw new RangeError('self-taught learning needs an unlabeled set');
  const h = settings.hiddenSize;
  const corrections = hooks.corrections ?? DEFAULT_CORRECTIONS;
  const accuracies: Record<string, number> = {};

  const progress = (index: number, stage: StagePlan, stageStarted: number, priorSeconds: number) => async (p: { iteration: number; evaluations: number; cost: number; readTheta?: () => Promise<Float64Array> }) => {
    await hooks.onProgress?.({
      stage: stage.name,
      kind: stage.kind,
      index,
      stages: plan.length,
      iteration: p.iteration,
      totalIterations: stage.iterations,
      evaluations: p.evaluations,
      cost: p.cost,
      elapsedSeconds: priorSeconds + (performance.now() - stageStarted) / 1000,
      readTheta: p.readTheta,
    });
  };

  /** A sparse autoencoder stage through the trainer. */
  const autoencoderStage = async (index: number, stage: StagePlan, dataset: Dataset, shape: Shape): Promise<StageRecord | null> => {
    const hyperparameters = { sparsityParam: settings.sparsityParam, lambda: settings.lambda, beta: settings.beta };
    const config: TrainConfig = {
      ...presets['ufldl-mnist'],
      preset: 'custom',
      hiddenSize: shape.hiddenSize,
      ...hyperparameters,
      iterations: stage.iterations,
      seed: settings.seed + index,
    };
    const current = resume?.current?.name === stage.name ? resume.current : undefined;
    const resumeFrom: Checkpoint | undefined = current ? decodeCheckpoint(current.state, `the checkpoint's ${stage.name}`) : undefined;
    const engine = await compute.autoencoderEngine(shape, hyperparameters, dataset);
    let stopState: Uint8Array | undefined;
    const stageStarted = performance.now();
    try {
      const result = await train(engine, {
        config,
        corrections,
        initialTheta: initializeParameters(shape, config.seed),
        resumeFrom,
        signal: hooks.signal,
        onProgress: progress(index, stage, stageStarted, current?.seconds ?? 0),
        onCheckpoint: (checkpoint) => {
          if (hooks.signal?.aborted) stopState = encodeCheckpoint(checkpoint);
        },
      });
      if (result.cancelled) {
        await stopInside(stage, stopState ?? current?.state, result.seconds);
        return null;
      }
      if (result.divergedAt !== undefined) throw new DivergedError(`${stage.name}: the cost became non-finite at iteration ${result.divergedAt}`);
      return {
        name: stage.name,
        kind: stage.kind,
        theta: result.theta,
        iterations: result.iterations,
        evaluations: result.evaluations,
        initialCost: result.initialCost,
        finalCost: result.finalCost,
        seconds: result.seconds,
        exitReason: result.exitReason,
      };
    } finally {
      engine.destroy();
    }
  };

  /** A softmax or fine-tuning stage: L-BFGS over the classifier's cost. */
  const classifierStage = async (index: number, stage: StagePlan, shape: ClassifierShape, lambda: number, train: LabeledData, theta0: Float64Array): Promise<StageRecord | null> => {
    const current = resume?.current?.name === stage.name ? resume.current : undefined;
    const priorSeconds = current?.seconds ?? 0;
    const stageStarted = performance.now();
    const elapsed = () => priorSeconds + (performance.now() - stageStarted) / 1000;
    const backend = await compute.classifierBackend(shape, lambda, train, corrections);
    const report = progress(index, stage, stageStarted, priorSeconds);
    let stopSnapshot: LbfgsSnapshot | undefined;
    let initialCost = NaN;
    // Lets signals and messages in between iterations (a CPU backend never waits on anything).
    const yieldNow = eventLoopYielder();
    try {
      const options = {
        maxIterations: stage.iterations,
        signal: hooks.signal,
        onStart: async (start: { cost: number }) => {
          initialCost = start.cost;
          await report({ iteration: 0, evaluations: 1, cost: start.cost });
        },
        onIteration: async (info: LbfgsIteration) => {
          if (Number.isNaN(initialCost)) initialCost = info.previousCost;
          await yieldNow();
          await report({ iteration: info.iteration, evaluations: info.evaluations, cost: info.cost });
          if (hooks.signal?.aborted) {
            stopSnapshot = await info.snapshot();
            return false;
          }
          return true;
        },
      };
      const result = current
        ? await resumeLbfgs(backend, decodeLbfgsSnapshot(current.state), options)
        : await minimizeLbfgs(backend, theta0, options);
      if (result.exitReason === 'cancelled') {
        if (!stopSnapshot && result.iterations > 0) {
          stopSnapshot = { ...(await backend.read()), iteration: result.iterations, evaluations: result.evaluations, cost: result.cost };
        }
        await stopInside(stage, stopSnapshot ? encodeLbfgsSnapshot(stopSnapshot) : current?.state, elapsed());
        return null;
      }
      if (result.exitReason === 'non-finite') throw new DivergedError(`${stage.name}: the cost became non-finite at iteration ${result.iterations + 1}`);
      const theta = await backend.readX();
      return {
        name: stage.name,
        kind: stage.kind,
        theta,
        iterations: result.iterations,
        evaluations: result.evaluations,
        initialCost: Number.isNaN(initialCost) ? result.cost : initialCost,
        finalCost: result.cost,
        seconds: elapsed(),
        exitReason: result.exitReason,
      };
    } finally {
      backend.dispose();
    }
  };

  const stopInside = async (stage: StagePlan, state: Uint8Array | undefined, seconds: number) => {
    await hooks.onCheckpoint?.({
      settings,
      completed,
      current: state ? { name: stage.name, kind: stage.kind, state, seconds } : undefined,
    });
    throw new Stopped();
  };

  /** The last classifier scored on a test set, with its predictions (the final one's need no second pass). */
  let lastScored: { theta: Float64Array; data: LabeledData; predicted: Uint8Array } | undefined;

  /** Runs stage `index` unless the checkpoint already holds it; its record either way. */
  const stage = async (index: number, run: () => Promise<StageRecord | null>, test?: { shape: ClassifierShape; data: LabeledData; name: string; theta?: (t: Float64Array) => Float64Array }): Promise<StageRecord> => {
    let record: StageRecord | undefined = completed[index];
    if (record && record.name !== plan[index].name) throw new RangeError(`the checkpoint's stage ${index + 1} is '${record.name}', this task's is '${plan[index].name}'`);
    if (!record) {
      if (hooks.signal?.aborted) await stopInside(plan[index], resume?.current?.name === plan[index].name ? resume.current.state : undefined, 0);
      const made = await run();
      if (!made) throw new Stopped();
      record = made;
      if (test) {
        const theta = test.theta ? test.theta(record.theta) : record.theta;
        const predicted = await compute.predict(test.shape, theta, test.data);
        record.accuracy = accuracy(predicted, test.data.labels);
        lastScored = { theta, data: test.data, predicted };
      }
      completed.push(record);
      await hooks.onStageDone?.(record, index);
      await hooks.onCheckpoint?.({ settings, completed });
    }
    if (test && record.accuracy !== undefined) accuracies[test.name] = record.accuracy;
    return record;
  };

  const k = data.numClasses;
  const softmaxShape = (inputs: number): ClassifierShape => ({ inputSize: inputs, hiddenSizes: [], numClasses: k });
  const softmaxInit = (inputs: number, index: number) => initializeSoftmaxTheta(inputs, k, settings.seed + index);
  const withLabels = (features: Float64Array, source: LabeledData, width: number): LabeledData => ({
    data: features,
    examples: source.examples,
    visibleSize: width,
    labels: source.labels,
  });

  let classifier: { shape: ClassifierShape; theta: Float64Array };
  const autoencoders: { theta: Float64Array; shape: Shape }[] = [];
  try {
    if (settings.task === 'softmax') {
      const shape = softmaxShape(inputSize);
      const record = await stage(0, () => classifierStage(0, plan[0], shape, settings.softmaxLambda, data.train, softmaxInit(inputSize, 0)), {
        shape,
        data: data.test,
        name: 'raw pixels',
      });
      classifier = { shape, theta: record.theta };
    } else if (settings.task === 'stl') {
      const aeShape = { visibleSize: inputSize, hiddenSize: h };
      const ae = await stage(0, () => autoencoderStage(0, plan[0], data.unlabeled!, aeShape));
      autoencoders.push({ theta: ae.theta, shape: aeShape });
      const trainFeatures = withLabels(await compute.features(ae.theta, aeShape, data.train), data.train, h);
      const testFeatures = withLabels(await compute.features(ae.theta, aeShape, data.test), data.test, h);
      const featureShape = softmaxShape(h);
      const learned = await stage(1, () => classifierStage(1, plan[1], featureShape, settings.softmaxLambda, trainFeatures, softmaxInit(h, 1)), {
        shape: featureShape,
        data: testFeatures,
        name: 'self-taught features',
      });
      const rawShape = softmaxShape(inputSize);
      await stage(2, () => classifierStage(2, plan[2], rawShape, settings.softmaxLambda, data.train, softmaxInit(inputSize, 2)), {
        shape: rawShape,
        data: data.test,
        name: 'raw pixels',
      });
      // The self-taught classifier as one network: the autoencoder's layer, then the softmax.
      classifier = { shape: { inputSize, hiddenSizes: [h], numClasses: k }, theta: stackTheta(learned.theta, autoencoders) };
    } else {
      const shape1 = { visibleSize: inputSize, hiddenSize: h };
      const ae1 = await stage(0, () => autoencoderStage(0, plan[0], data.train, shape1));
      autoencoders.push({ theta: ae1.theta, shape: shape1 });
      const features1 = await compute.features(ae1.theta, shape1, data.train);
      const shape2 = { visibleSize: h, hiddenSize: h };
      const ae2 = await stage(1, () => autoencoderStage(1, plan[1], { data: features1, examples: data.train.examples, visibleSize: h }, shape2));
      autoencoders.push({ theta: ae2.theta, shape: shape2 });
      const features2 = withLabels(await compute.features(ae2.theta, shape2, { data: features1, examples: data.train.examples, visibleSize: h }), data.train, h);
      const stackShape: ClassifierShape = { inputSize, hiddenSizes: [h, h], numClasses: k };
      const stacked = (softmaxTheta: Float64Array) => stackTheta(softmaxTheta, autoencoders);
      const softmax = await stage(2, () => classifierStage(2, plan[2], softmaxShape(h), settings.softmaxLambda, features2, softmaxInit(h, 2)), {
        shape: stackShape,
        data: data.test,
        name: 'before fine-tuning',
        theta: stacked,
      });
      const tuned = await stage(3, () => classifierStage(3, plan[3], stackShape, settings.finetuneLambda, data.train, stacked(softmax.theta)), {
        shape: stackShape,
        data: data.test,
        name: 'after fine-tuning',
      });
      classifier = { shape: stackShape, theta: tuned.theta };
    }
  } catch (error) {
    if (!(error instanceof Stopped)) throw error;
    return {
      settings,
      device: compute.device,
      stages: completed,
      accuracies,
      classifier: { shape: softmaxShape(inputSize), theta: new Float64Array(0) },
      predictions: new Uint8Array(0),
      confusion: [],
      autoencoders,
      cancelled: true,
      seconds: (performance.now() - started) / 1000,
      counts: counts(data),
    };
  }
  if (classifierLayout(classifier.shape).length !== classifier.theta.length) throw new Error('internal: the final classifier θ has the wrong length');
  const predictions =
    lastScored?.theta === classifier.theta && lastScored.data === data.test
      ? lastScored.predicted
      : await compute.predict(classifier.shape, classifier.theta, data.test);
  return {
    settings,
    device: compute.device,
    stages: completed,
    accuracies,
    classifier,
    predictions,
    confusion: confusionMatrix(predictions, data.test.labels, k),
    autoencoders,
    cancelled: false,
    seconds: (performance.now() - started) / 1000,
    counts: counts(data),
  };
}

function counts(data: ClassifyData): ClassifyResult['counts'] {
  return { train: data.train.examples, test: data.test.examples, ...(data.unlabeled ? { unlabeled: data.unlabeled.examples } : {}) };
}
