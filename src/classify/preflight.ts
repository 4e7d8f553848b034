/**
 * What a classification run can be refused for, found before its first stage starts: a split
 * the labels leave empty, a model too large for this machine's memory, a checkpoint that does
 * not fit the model it claims to continue, values the GPU's float32 cannot hold. A stage that
 * fails half-way through a run costs the stages before it and leaves their checkpoint behind;
 * everything here is knowable from the settings and the data alone.
 */
import { DataError } from '../data/errors';
import { formatBytes, ResourceLimitError } from '../gpu/errors';
import { denseMatmulShapes, uniqueShapes, type MatmulShape } from '../gpu/tuner';
import { DEFAULT_CORRECTIONS } from '../optim/lbfgs';
import { decodeLbfgsSnapshot } from '../optim/lbfgs-snapshot';
import { classifierLayout, type ClassifierShape } from '../reference/classifier';
import { thetaLayout, type Shape } from '../reference/params';
import { CheckpointError, decodeCheckpoint } from '../train/checkpoint';
import { checkResumable } from '../train/prepare';
import type { ConvPoolShape } from '../gpu/conv-pool';
import { pooledSize } from './conv';
import { stagesOf, type ClassifyCheckpoint, type ClassifyData, type ClassifySettings, type StageKind } from './pipeline';

/** One stage's model: its θ's length, and what it trains on. */
export interface StageModel {
  name: string;
  kind: StageKind;
  thetaLength: number;
  /** An autoencoder stage's shape. */
  autoencoder?: Shape;
  /** A classifier stage's shape (softmax, or the whole stack). */
  classifier?: ClassifierShape;
  /** The convolution stage's geometry (θ empty). */
  convolution?: ConvPoolShape;
  /** Examples and values per example of the set it trains on. */
  examples: number;
  width: number;
}

/** The models of a task's stages, in the order of stagesOf (the shapes ./pipeline.ts builds). */
export function stageModels(settings: ClassifySettings, data: ClassifyData): StageModel[] {
  const v = data.train.visibleSize;
  const h = settings.hiddenSize;
  const classes = data.numClasses;
  const m = data.train.examples;
  const ae = (visibleSize: number, examples: number) => ({ autoencoder: { visibleSize, hiddenSize: h }, thetaLength: thetaLayout({ visibleSize, hiddenSize: h }).length, examples, width: visibleSize });
  const softmax = (inputSize: number, hiddenSizes: number[] = []) => {
    const classifier = { inputSize, hiddenSizes, numClasses: classes };
    return { classifier, thetaLength: classifierLayout(classifier).length, examples: m, width: hiddenSizes.length > 0 ? v : inputSize };
  };
  if (settings.task === 'conv') {
    const geometry = data.geometry ?? { channels: 1, imageDim: Math.round(Math.sqrt(v)) };
    const features = data.convFeatures?.features ?? h;
    const patchDim = data.convFeatures?.patchDim ?? settings.patchDim;
    const convolution = { ...geometry, features, patchDim, poolDim: settings.poolDim };
    const parts = [
      ...(data.convFeatures ? [] : [ae(geometry.channels * patchDim * patchDim, settings.patches)]),
      { convolution, thetaLength: 0, examples: m + data.test.examples, width: v },
      softmax(pooledSize(features, geometry, patchDim, settings.poolDim)),
    ];
    return stagesOf(settings).map((plan, i) => ({ name: plan.name, kind: plan.kind, ...parts[i] }));
  }
  const parts =
    settings.task === 'softmax'
      ? [softmax(v)]
      : settings.task === 'stl'
        ? [ae(v, data.unlabeled?.examples ?? 0), softmax(h), softmax(v)]
        : [ae(v, m), ae(h, m), softmax(h), softmax(v, [h, h])];
  return stagesOf(settings).map((plan, i) => ({ name: plan.name, kind: plan.kind, ...parts[i] }));
}

/**
 * The matmul products of every stage's model (src/gpu/layers.ts as the autoencoder and the
 * classifier dispatch them), each once: the kernels are tuned once per run, for all its stages.
 */
export function stageMatmulShapes(models: readonly StageModel[], splitK: number): MatmulShape[] {
  return uniqueShapes(
    models.flatMap((stage): MatmulShape[] => {
      if (stage.autoencoder) {
        const { visibleSize, hiddenSize } = stage.autoencoder;
        return denseMatmulShapes(stage.examples, [visibleSize, hiddenSize, visibleSize], splitK);
      }
      // The convolution's one product (im2col rows × features) runs whatever the race chose for
      // the dense stages, which dominate the run's time: it is not raced itself.
      if (!stage.classifier) return [];
      const { inputSize, hiddenSizes, numClasses } = stage.classifier;
      const shapes = denseMatmulShapes(stage.examples, [inputSize, ...hiddenSizes, numClasses], splitK);
      // The softmax layer's product has no bias or activation: its logits go to softmaxDelta.
      const top = shapes.findLastIndex((s) => s.layout === 'NN');
      const { bias: _bias, ...logits } = shapes[top];
      shapes[top] = logits;
      return shapes;
    }),
  );
}

/**
 * Every split a task trains or tests on holds examples: stl's unlabeled digits 5–9 and its
 * labeled 0–4 cut in two, or the training and test sets. `source` names the data, `cut` how they
 * were cut (the --digits flag), so that the message says what to change.
 */
export function checkSplits(data: ClassifyData, settings: ClassifySettings, source: string, cut: string): void {
  const sets: [string, number][] = [
    ['training', data.train.examples],
    ['test', data.test.examples],
  ];
  if (settings.task === 'stl') {
    sets.unshift(['unlabeled (digits 5–9)', data.unlabeled?.examples ?? 0]);
    sets[1][0] = 'training (the first half of the digits 0–4)';
    sets[2][0] = 'test (the second half of the digits 0–4)';
  }
  const empty = sets.filter(([, count]) => count === 0).map(([name]) => name);
  if (empty.length === 0) return;
  const counts = sets.map(([name, count]) => `${count} ${name.split(' ')[0]}`).join(', ');
  throw new DataError(source, `leaves the ${empty.join(' and the ')} set${empty.length > 1 ? 's' : ''} empty for --task ${settings.task}${cut} (${counts}): give more digits, or labels with every class the task needs`);
}

/**
 * θ-sized float64 vectors a stage holds in this process at once: L-BFGS's pairs, θ, its
 * gradient and a few spares (the GPU's pairs too, read back when a run stops).
 */
const VECTORS_HELD = 2 * DEFAULT_CORRECTIONS + 8;

/** Refuses a run whose largest stage would take more than `available` bytes, naming that stage. */
export function checkStageSizes(models: readonly StageModel[], available: number): void {
  for (const model of models) {
    // The stage's own vectors, and the features it trains on (m × width, besides the data).
    const bytes = model.thetaLength * 8 * VECTORS_HELD + model.examples * model.width * 8;
    if (bytes > available) {
      throw new ResourceLimitError(
        `the stage '${model.name}' has ${model.thetaLength.toLocaleString('en-US')} parameters, and L-BFGS keeps ${VECTORS_HELD} vectors of them ` +
          `(with its data, ${formatBytes(bytes)}); this machine can spare ${formatBytes(available)}`,
        ['hidden', 'examples'],
      );
    }
  }
}

/**
 * A checkpoint continues this run only if its finished stages are this task's first ones with
 * θ of their models' lengths, and the state of the stage under way is readable and fits that
 * stage's model: a checkpoint edited by hand, or made by another version, fails here in one line.
 */
export function checkClassifyResume(checkpoint: ClassifyCheckpoint, models: readonly StageModel[], source: string): void {
  const fail = (why: string): never => {
    throw new CheckpointError(`${source}: ${why}`);
  };
  if (checkpoint.completed.length > models.length) fail(`holds ${checkpoint.completed.length} finished stages; --task ${checkpoint.settings.task} has ${models.length}`);
  checkpoint.completed.forEach((record, i) => {
    const model = models[i];
    if (record.name !== model.name || record.kind !== model.kind) fail(`its stage ${i + 1} is '${record.name}'; this task's is '${model.name}'`);
    if (record.theta.length !== model.thetaLength) {
      fail(`stage ${i + 1}'s θ has ${record.theta.length} values; its model (hidden size ${checkpoint.settings.hiddenSize}, these data) has ${model.thetaLength}`);
    }
  });
  const current = checkpoint.current;
  if (!current) return;
  const model = models[checkpoint.completed.length];
  if (!model || current.name !== model.name || current.kind !== model.kind) {
    fail(`the stage under way is '${current.name}'; this task's next is '${model?.name ?? 'none'}'`);
  }
  const what = `${source}: the state of '${current.name}'`;
  if (model.autoencoder) {
    checkResumable(decodeCheckpoint(current.state, what), model.autoencoder, what, 'start the run again without --resume');
    return;
  }
  const snapshot = decodeLbfgsSnapshot(current.state, what);
  const vectors: [string, Float64Array][] = [
    ['its iterate', snapshot.x],
    ['its gradient', snapshot.grad],
    ...snapshot.corrections.flatMap((pair, i): [string, Float64Array][] => [
      [`its pair ${i + 1}`, pair.s],
      [`its pair ${i + 1}`, pair.y],
    ]),
  ];
  for (const [name, values] of vectors) {
    if (values.length !== model.thetaLength) fail(`the state of '${current.name}': ${name} has ${values.length} values; the stage's model has ${model.thetaLength}`);
    if (!values.every(Number.isFinite)) fail(`the state of '${current.name}': ${name} holds a value that is not a finite number`);
  }
}
