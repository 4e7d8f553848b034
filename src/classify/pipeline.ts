/**
 * UFLDL's exercises after the first, as pipelines of stages on one compute (./compute.ts):
 *
 *   softmax   softmaxExercise.m   softmax regression on raw pixels
 *   stl       stlExercise.m       a sparse autoencoder on the unlabeled digits 5–9, softmax on
 *                                 its features of the labeled digits 0–4 (and on their raw
 *                                 pixels, for comparison)
 *   stacked   stackedAEExercise.m two sparse autoencoders trained greedily, softmax on the
 *                                 second's features, then the whole stack fine-tuned
 *   conv      cnnExercise.m       a sparse autoencoder on 8×8 patches of the training digits (or
 *                                 the linear decoder's features from a file), convolved over
 *                                 every image with σ and mean-pooled, softmax on the pooled features
 *
 * Every stage is one L-BFGS run with minFunc's settings (src/optim/lbfgs-run.ts): autoencoders
 * through the trainer (src/train/trainer.ts), classifiers directly, over softmaxCost /
 * stackedAECost. A stage ends in a record (its θ and figures); a run stopped inside a stage
 * keeps that stage's L-BFGS state, so a resumed run continues to the same result.
 */
import { DEFAULT_CORRECTIONS } from '../optim/lbfgs';
import { runLbfgs } from '../optim/lbfgs-run';
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
import { train } from '../train/trainer';
import type { ClassifyCompute } from './compute';
import { autoencoderFeatures, digitPatches, type ConvFeatures, type ImageGeometry } from './conv';

export type TaskName = 'softmax' | 'stl' | 'stacked' | 'conv';
export const taskNames: readonly TaskName[] = ['softmax', 'stl', 'stacked', 'conv'];

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
  /** conv: the side of the patches the features are learned on (8), how many are cut (20,000), the pooling regions' side (5: 21 → 4×4). */
  patchDim: number;
  patches: number;
  poolDim: number;
  /** conv: the features come from a file (UFLDL's STL10Features.mat), so no autoencoder stage. */
  featuresFromFile?: boolean;
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
  patchDim: 8,
  patches: 20_000,
  // A 4×4 grid of 5×5 regions (the maps' last row and column left out): 96.8% where 7 (3×3)
  // gave 96.0% with the same features; 3 (7×7, 9,800 values a digit) overfits, 96.5%.
  poolDim: 5,
});

/**
 * Where a task's defaults differ from the shared ones. conv: its softmax reads 3,200 pooled
 * values a digit, not 784 pixels, and on 5,000 training digits λ 1e-4 holds it back (96.8%,
 * 95.0% at 1e-3); 1e-5 gives 97.1%, at λ 0 it overfits (95.6%). With the smaller λ minFunc's
 * optimality test ends the softmax later than softmaxExercise's 100 iterations allow (93 on WebGPU,
 * 128 in float64, at full size), so 400 at most.
 */
const taskDefaults: Readonly<Partial<Record<TaskName, Partial<Omit<ClassifySettings, 'task'>>>>> = Object.freeze({
  conv: { softmaxLambda: 1e-5, softmaxIterations: 400 },
});

/** A task's default settings: the shared ones with the task's own (taskDefaults) over them. */
export function defaultSettingsFor(task: TaskName): ClassifySettings {
  return { ...defaultSettings, ...taskDefaults[task], task };
}

/** The labeled train and test sets, and (stl) the unlabeled set the autoencoder learns from. */
export interface ClassifyData {
  train: LabeledData;
  test: LabeledData;
  unlabeled?: Dataset;
  /** Classes 0 … numClasses − 1 (stlExercise.m classifies the 5 digits 0–4). */
  numClasses: number;
  /** conv: how an example is an image (default: one channel, square). */
  geometry?: ImageGeometry;
  /** conv: features given (from a file) instead of learned. */
  convFeatures?: ConvFeatures;
}

export type StageKind = 'autoencoder' | 'softmax' | 'finetune' | 'convolution';

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
  /** What `iteration` counts when not L-BFGS iterations: the convolution stage's images. */
  unit?: 'images';
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
  /** conv: the features convolved, and the test images' pooled features (for pictures). */
  conv?: { features: ConvFeatures; pooledDim: number; testPooled: Float64Array };
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
  if (task === 'conv') {
    // The convolution's "iterations" are its images, train and test (progress only; it trains nothing).
    const convolve: StagePlan = { name: 'convolution and pooling', kind: 'convolution', iterations: 0 };
    const last = softmax('softmax on the pooled features');
    return settings.featuresFromFile ? [convolve, last] : [ae(`sparse autoencoder (${settings.patchDim}×${settings.patchDim} patches of the training images)`), convolve, last];
  }
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

/** A classifier and the test set it is scored on, when a stage completes one. */
interface StageTest {
  shape: ClassifierShape;
  data: LabeledData;
  /** The accuracy's name in ClassifyResult.accuracies. */
  name: string;
  /** The classifier's θ from the stage's (a softmax stage under a stack: the whole stack's). */
  theta?: (stageTheta: Float64Array) => Float64Array;
}

type FinalClassifier = { shape: ClassifierShape; theta: Float64Array };

/**
 * A run of one task: the stages' shared state (what is finished, the accuracies so far) and
 * the three kinds of stage. A stage the checkpoint already holds is not run again.
 */
class ClassificationRun {
  readonly plan: StagePlan[];
  readonly completed: StageRecord[];
  readonly accuracies: Record<string, number> = {};
  readonly autoencoders: { theta: Float64Array; shape: Shape }[] = [];
  /** The last classifier scored on a test set, with its predictions (the final one's need no second pass). */
  lastScored?: { theta: Float64Array; data: LabeledData; predicted: Uint8Array };
  /** conv: the features and the test images' pooled features, which the final classifier reads. */
  conv?: NonNullable<ClassifyResult['conv']> & { test: LabeledData };
  private readonly corrections: number;

  constructor(
    readonly compute: ClassifyCompute,
    readonly data: ClassifyData,
    readonly settings: ClassifySettings,
    readonly hooks: ClassifyHooks,
  ) {
    this.plan = stagesOf(settings);
    this.completed = hooks.resumeFrom ? hooks.resumeFrom.completed.map((r) => ({ ...r })) : [];
    this.corrections = hooks.corrections ?? DEFAULT_CORRECTIONS;
  }

  /** The softmax on `inputs` values per example, into the task's classes. */
  softmaxShape(inputs: number): ClassifierShape {
    return { inputSize: inputs, hiddenSizes: [], numClasses: this.data.numClasses };
  }

  softmaxInit(inputs: number, index: number): Float64Array {
    return initializeSoftmaxTheta(inputs, this.data.numClasses, this.settings.seed + index);
  }

  /** Stage `index`: a sparse autoencoder, through the trainer. */
  autoencoder(index: number, dataset: Dataset, shape: Shape): Promise<StageRecord> {
    return this.stage(index, () => this.trainAutoencoder(index, dataset, shape));
  }

  /** Stage `index`: a softmax or the fine-tuned stack, L-BFGS over the classifier's cost, scored on `test`. */
  classifier(index: number, shape: ClassifierShape, lambda: number, train: LabeledData, theta0: Float64Array, test: StageTest): Promise<StageRecord> {
    return this.stage(index, () => this.trainClassifier(index, shape, lambda, train, theta0), test);
  }

  /**
   * Stage `index`: the convolution and pooling of the train and test images. Its output (pooled
   * features, too large for a checkpoint) is computed again on a resumed run; a stop inside it
   * keeps the stages before it, and --resume starts it over.
   */
  async convolution(index: number, features: ConvFeatures, geometry: ImageGeometry): Promise<{ train: LabeledData; test: LabeledData; pooledDim: number }> {
    const { compute, data, hooks, settings } = this;
    const stage = this.plan[index];
    const started = performance.now();
    const total = data.train.examples + data.test.examples;
    const seconds = () => (performance.now() - started) / 1000;
    let offset = 0;
    const onBatch = async (done: number) => {
      await hooks.onProgress?.({ stage: stage.name, kind: stage.kind, index, stages: this.plan.length, iteration: offset + done, totalIterations: total, evaluations: 0, cost: NaN, elapsedSeconds: seconds(), unit: 'images' });
      return !hooks.signal?.aborted;
    };
    const prior = this.completed[index];
    if (prior && prior.name !== stage.name) throw new RangeError(`the checkpoint's stage ${index + 1} is '${prior.name}', this task's is '${stage.name}'`);
    await onBatch(0);
    const train = await compute.convolvePool(features, data.train, geometry, settings.poolDim, onBatch);
    offset = data.train.examples;
    const test = train && (await compute.convolvePool(features, data.test, geometry, settings.poolDim, onBatch));
    if (!train || !test) await this.stopInside(stage, undefined, seconds());
    const width = train!.length / data.train.examples;
    const pooledDim = Math.round(Math.sqrt(width / features.features));
    if (!prior) {
      const record: StageRecord = { name: stage.name, kind: stage.kind, theta: new Float64Array(0), iterations: total, evaluations: 0, initialCost: 0, finalCost: 0, seconds: seconds(), exitReason: 'every image convolved and pooled' };
      this.completed.push(record);
      await this.hooks.onStageDone?.(record, index);
      await this.hooks.onCheckpoint?.({ settings: this.settings, completed: this.completed });
    }
    return { train: withLabels(train!, data.train, width), test: withLabels(test!, data.test, width), pooledDim };
  }

  /** Runs stage `index` unless the checkpoint already holds it; its record either way. */
  private async stage(index: number, run: () => Promise<StageRecord | null>, test?: StageTest): Promise<StageRecord> {
    const plan = this.plan[index];
    let record: StageRecord | undefined = this.completed[index];
    if (record && record.name !== plan.name) throw new RangeError(`the checkpoint's stage ${index + 1} is '${record.name}', this task's is '${plan.name}'`);
    if (!record) {
      if (this.hooks.signal?.aborted) await this.stopInside(plan, this.resumeState(plan)?.state, 0);
      const made = await run();
      if (!made) throw new Stopped();
      record = made;
      if (test) {
        const theta = test.theta ? test.theta(record.theta) : record.theta;
        const predicted = await this.compute.predict(test.shape, theta, test.data);
        record.accuracy = accuracy(predicted, test.data.labels);
        this.lastScored = { theta, data: test.data, predicted };
      }
      this.completed.push(record);
      await this.hooks.onStageDone?.(record, index);
      await this.hooks.onCheckpoint?.({ settings: this.settings, completed: this.completed });
    }
    if (test && record.accuracy !== undefined) this.accuracies[test.name] = record.accuracy;
    return record;
  }

  /** The checkpoint's state of this stage, if it stopped inside it. */
  private resumeState(stage: StagePlan): ClassifyCheckpoint['current'] {
    const current = this.hooks.resumeFrom?.current;
    return current?.name === stage.name ? current : undefined;
  }

  /** Progress of stage `index`, its seconds counted on from a checkpoint's. */
  private progress(index: number, stageStarted: number, priorSeconds: number) {
    const stage = this.plan[index];
    return async (p: { iteration: number; evaluations: number; cost: number; readTheta?: () => Promise<Float64Array> }) => {
      await this.hooks.onProgress?.({
        stage: stage.name,
        kind: stage.kind,
        index,
        stages: this.plan.length,
        iteration: p.iteration,
        totalIterations: stage.iterations,
        evaluations: p.evaluations,
        cost: p.cost,
        elapsedSeconds: priorSeconds + (performance.now() - stageStarted) / 1000,
        readTheta: p.readTheta,
      });
    };
  }

  private async trainAutoencoder(index: number, dataset: Dataset, shape: Shape): Promise<StageRecord | null> {
    const { settings, hooks } = this;
    const stage = this.plan[index];
    const hyperparameters = { sparsityParam: settings.sparsityParam, lambda: settings.lambda, beta: settings.beta };
    const config: TrainConfig = {
      ...presets['ufldl-mnist'],
      preset: 'custom',
      hiddenSize: shape.hiddenSize,
      ...hyperparameters,
      iterations: stage.iterations,
      seed: settings.seed + index,
    };
    const current = this.resumeState(stage);
    const resumeFrom: Checkpoint | undefined = current ? decodeCheckpoint(current.state, `the checkpoint's ${stage.name}`) : undefined;
    const engine = await this.compute.autoencoderEngine(shape, hyperparameters, dataset);
    let stopState: Uint8Array | undefined;
    const stageStarted = performance.now();
    try {
      const result = await train(engine, {
        config,
        corrections: this.corrections,
        initialTheta: initializeParameters(shape, config.seed),
        resumeFrom,
        signal: hooks.signal,
        onProgress: this.progress(index, stageStarted, current?.seconds ?? 0),
        onCheckpoint: (checkpoint) => {
          if (hooks.signal?.aborted) stopState = encodeCheckpoint(checkpoint);
        },
      });
      if (result.cancelled) return this.stopInside(stage, stopState ?? current?.state, result.seconds);
      if (result.divergedAt !== undefined) throw new DivergedError(`${stage.name}: the cost became non-finite at iteration ${result.divergedAt}`);
      const { theta, iterations, evaluations, initialCost, finalCost, seconds, exitReason } = result;
      return { name: stage.name, kind: stage.kind, theta, iterations, evaluations, initialCost, finalCost, seconds, exitReason };
    } finally {
      engine.destroy();
    }
  }

  private async trainClassifier(index: number, shape: ClassifierShape, lambda: number, train: LabeledData, theta0: Float64Array): Promise<StageRecord | null> {
    const stage = this.plan[index];
    const current = this.resumeState(stage);
    const priorSeconds = current?.seconds ?? 0;
    const stageStarted = performance.now();
    const elapsed = () => priorSeconds + (performance.now() - stageStarted) / 1000;
    const report = this.progress(index, stageStarted, priorSeconds);
    const from = current ? { snapshot: decodeLbfgsSnapshot(current.state, `the checkpoint's ${stage.name}`) } : { x0: theta0 };
    let stopState: Uint8Array | undefined;
    const run = await runLbfgs(await this.compute.classifierBackend(shape, lambda, train, this.corrections), {
      maxIterations: stage.iterations,
      signal: this.hooks.signal,
      from,
      onProgress: (p) => report({ iteration: p.iteration, evaluations: p.evaluations, cost: p.cost }),
      // Only a stop keeps the stage's state: a finished stage keeps its θ, a diverged one nothing.
      onSnapshot: (snapshot) => {
        if (this.hooks.signal?.aborted) stopState = encodeLbfgsSnapshot(snapshot);
      },
    });
    if (run.exitReason === 'cancelled') return this.stopInside(stage, stopState ?? current?.state, elapsed());
    if (run.divergedAt !== undefined) throw new DivergedError(`${stage.name}: the cost became non-finite at iteration ${run.divergedAt}`);
    const { iterations, evaluations, cost } = run.result;
    return { name: stage.name, kind: stage.kind, theta: run.x, iterations, evaluations, initialCost: run.initialCost, finalCost: cost, seconds: elapsed(), exitReason: run.exitReason };
  }

  /** Hands out the checkpoint of a run stopped inside `stage`, then ends the run. */
  private async stopInside(stage: StagePlan, state: Uint8Array | undefined, seconds: number): Promise<never> {
    await this.hooks.onCheckpoint?.({
      settings: this.settings,
      completed: this.completed,
      current: state ? { name: stage.name, kind: stage.kind, state, seconds } : undefined,
    });
    throw new Stopped();
  }
}

const withLabels = (features: Float64Array, source: LabeledData, width: number): LabeledData => ({
  data: features,
  examples: source.examples,
  visibleSize: width,
  labels: source.labels,
});

/** softmaxExercise.m: softmax regression on raw pixels. */
async function softmaxTask(run: ClassificationRun): Promise<FinalClassifier> {
  const { data, settings } = run;
  const inputSize = data.train.visibleSize;
  const shape = run.softmaxShape(inputSize);
  const record = await run.classifier(0, shape, settings.softmaxLambda, data.train, run.softmaxInit(inputSize, 0), { shape, data: data.test, name: 'raw pixels' });
  return { shape, theta: record.theta };
}

/** stlExercise.m: an autoencoder on the unlabeled digits, softmax on its features (and, to compare, on raw pixels). */
async function selfTaughtTask(run: ClassificationRun): Promise<FinalClassifier> {
  const { compute, data, settings } = run;
  const inputSize = data.train.visibleSize;
  const h = settings.hiddenSize;
  const aeShape = { visibleSize: inputSize, hiddenSize: h };
  const ae = await run.autoencoder(0, data.unlabeled!, aeShape);
  run.autoencoders.push({ theta: ae.theta, shape: aeShape });

  const trainFeatures = withLabels(await compute.features(ae.theta, aeShape, data.train), data.train, h);
  const testFeatures = withLabels(await compute.features(ae.theta, aeShape, data.test), data.test, h);
  const featureShape = run.softmaxShape(h);
  const learned = await run.classifier(1, featureShape, settings.softmaxLambda, trainFeatures, run.softmaxInit(h, 1), {
    shape: featureShape,
    data: testFeatures,
    name: 'self-taught features',
  });

  const rawShape = run.softmaxShape(inputSize);
  await run.classifier(2, rawShape, settings.softmaxLambda, data.train, run.softmaxInit(inputSize, 2), { shape: rawShape, data: data.test, name: 'raw pixels' });
  // The self-taught classifier as one network: the autoencoder's layer, then the softmax.
  return { shape: { inputSize, hiddenSizes: [h], numClasses: data.numClasses }, theta: stackTheta(learned.theta, run.autoencoders) };
}

/** stackedAEExercise.m: two autoencoders trained greedily, softmax on the second's features, the stack fine-tuned. */
async function stackedTask(run: ClassificationRun): Promise<FinalClassifier> {
  const { compute, data, settings } = run;
  const inputSize = data.train.visibleSize;
  const h = settings.hiddenSize;
  const shape1 = { visibleSize: inputSize, hiddenSize: h };
  const ae1 = await run.autoencoder(0, data.train, shape1);
  run.autoencoders.push({ theta: ae1.theta, shape: shape1 });

  const features1: Dataset = { data: await compute.features(ae1.theta, shape1, data.train), examples: data.train.examples, visibleSize: h };
  const shape2 = { visibleSize: h, hiddenSize: h };
  const ae2 = await run.autoencoder(1, features1, shape2);
  run.autoencoders.push({ theta: ae2.theta, shape: shape2 });

  const features2 = withLabels(await compute.features(ae2.theta, shape2, features1), data.train, h);
  const stackShape: ClassifierShape = { inputSize, hiddenSizes: [h, h], numClasses: data.numClasses };
  const stacked = (softmaxTheta: Float64Array) => stackTheta(softmaxTheta, run.autoencoders);
  const softmax = await run.classifier(2, run.softmaxShape(h), settings.softmaxLambda, features2, run.softmaxInit(h, 2), {
    shape: stackShape,
    data: data.test,
    name: 'before fine-tuning',
    theta: stacked,
  });

  const tuned = await run.classifier(3, stackShape, settings.finetuneLambda, data.train, stacked(softmax.theta), { shape: stackShape, data: data.test, name: 'after fine-tuning' });
  return { shape: stackShape, theta: tuned.theta };
}

/**
 * cnnExercise.m: features learned by a sparse autoencoder on patches of the training images (or
 * given), convolved over every image with σ and mean-pooled, then softmax on the pooled features.
 */
async function convTask(run: ClassificationRun): Promise<FinalClassifier> {
  const { data, settings } = run;
  const geometry = data.geometry ?? { channels: 1, imageDim: Math.round(Math.sqrt(data.train.visibleSize)) };
  let features = data.convFeatures;
  let index = 0;
  if (!features) {
    const v = geometry.channels * settings.patchDim * settings.patchDim;
    const shape = { visibleSize: v, hiddenSize: settings.hiddenSize };
    const patches = digitPatches(data.train, geometry, settings.patchDim, settings.patches, settings.seed);
    const ae = await run.autoencoder(index++, patches, shape);
    run.autoencoders.push({ theta: ae.theta, shape });
    features = autoencoderFeatures(ae.theta, shape, geometry.channels);
  }
  const pooled = await run.convolution(index++, features, geometry);
  const width = pooled.train.visibleSize;
  const shape = run.softmaxShape(width);
  const softmax = await run.classifier(index, shape, settings.softmaxLambda, pooled.train, run.softmaxInit(width, index), { shape, data: pooled.test, name: 'pooled convolved features' });
  run.conv = { features, pooledDim: pooled.pooledDim, testPooled: pooled.test.data as Float64Array, test: pooled.test };
  return { shape, theta: softmax.theta };
}

/** Each task's stages, in the order of stagesOf. */
const tasks: Record<TaskName, (run: ClassificationRun) => Promise<FinalClassifier>> = {
  softmax: softmaxTask,
  stl: selfTaughtTask,
  stacked: stackedTask,
  conv: convTask,
};

export async function runClassification(compute: ClassifyCompute, data: ClassifyData, settings: ClassifySettings, hooks: ClassifyHooks = {}): Promise<ClassifyResult> {
  const started = performance.now();
  const inputSize = data.train.visibleSize;
  if (data.test.visibleSize !== inputSize) throw new RangeError(`test images have ${data.test.visibleSize} pixels, training images ${inputSize}`);
  if (settings.task === 'stl' && !data.unlabeled) throw new RangeError('self-taught learning needs an unlabeled set');
  const run = new ClassificationRun(compute, data, settings, hooks);
  const ended = (fields: Pick<ClassifyResult, 'classifier' | 'predictions' | 'confusion' | 'cancelled' | 'conv'>): ClassifyResult => ({
    settings,
    device: compute.device,
    stages: run.completed,
    accuracies: run.accuracies,
    autoencoders: run.autoencoders,
    seconds: (performance.now() - started) / 1000,
    counts: counts(data),
    ...fields,
  });

  let classifier: FinalClassifier;
  try {
    classifier = await tasks[settings.task](run);
  } catch (error) {
    if (!(error instanceof Stopped)) throw error;
    const none = { shape: run.softmaxShape(inputSize), theta: new Float64Array(0) };
    return ended({ classifier: none, predictions: new Uint8Array(0), confusion: [], cancelled: true });
  }
  if (classifierLayout(classifier.shape).length !== classifier.theta.length) throw new Error('internal: the final classifier θ has the wrong length');
  const scored = run.lastScored;
  const testSet = run.conv?.test ?? data.test;
  const predictions =
    scored?.theta === classifier.theta && scored.data === testSet ? scored.predicted : await compute.predict(classifier.shape, classifier.theta, testSet);
  const conv = run.conv ? { conv: { features: run.conv.features, pooledDim: run.conv.pooledDim, testPooled: run.conv.testPooled } } : {};
  return ended({ classifier, predictions, confusion: confusionMatrix(predictions, data.test.labels, data.numClasses), cancelled: false, ...conv });
}

function counts(data: ClassifyData): ClassifyResult['counts'] {
  return { train: data.train.examples, test: data.test.examples, ...(data.unlabeled ? { unlabeled: data.unlabeled.examples } : {}) };
}
