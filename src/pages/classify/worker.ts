/**
 * The classification page's worker: loads the embedded digits, cuts them for the task, runs
 * src/classify/pipeline.ts on WebGPU and sends the page progress (at most ~10 a second),
 * pictures of the autoencoder being trained (about once a second), conv's pooled maps of a few
 * test digits, each stage's record and the result. Nothing here touches the DOM.
 */
import type { ClassifyCompute } from '../../classify/compute';
import { gpuCompute } from '../../classify/gpu-compute';
import { embeddedTaskData } from '../../classify/data';
import { readClassifierModelFile, type ClassifierModel } from '../../classify/model-file';
import { beyondFloat32 } from '../../gpu/errors';
import { defaultSettingsFor, runClassification, stagesOf, taskNames, type ClassifySettings, type StageProgress, type StageRecord, type TaskName, type ClassifyData } from '../../classify/pipeline';
import { DataError, messageOf } from '../../data/errors';
import { adapterLabel } from '../../gpu/adapter';
import type { GpuContext } from '../../gpu/device';
import { accuracy, classifierLayout, confusionMatrix, type ClassifierShape, type LabeledData } from '../../reference/classifier';
import type { Shape } from '../../reference/params';
import { loadMnistDigits } from '../common/browser-data';
import { adapterOf, createGpuContext, GpuUnavailableError } from '../common/gpu-modules';
import { layerFeatures } from '../../classify/pictures';
import { pooledMapsImage, type ConvWeights, type ImageGeometry } from '../../classify/conv';
import type { Dataset } from '../../reference/autoencoder';
import { strongestFeatures, strongestPooledFeatures } from './digit-pad';
import type { ClassifyRequest, DigitFeature, DigitSample, FromWorker, OpenModelRequest, PooledFeature, PredictDigit, ToWorker } from './protocol';
import { accuracyNames, type PooledMaps } from './state';

/** Progress messages at most this often (ms), besides each stage's first and last. */
const PROGRESS_INTERVAL = 100;
/** Live feature pictures at most this often (ms). */
const FEATURES_INTERVAL = 1000;
/** Test digits shown with their predictions. */
const SAMPLE_COUNT = 100;
/** First-layer features shown for a drawn digit. */
const FEATURE_COUNT = 6;
/** conv: test digits drawn beside their pooled maps (pooled-maps.png shows four). */
const POOLED_DIGITS = 4;

interface FirstLayer {
  theta: Float64Array;
  layer: { W: number; b: number; inputs: number; outputs: number };
}

/** conv: what a drawn digit goes through before the softmax, as the test digits did. */
interface Convolution {
  features: ConvWeights;
  geometry: ImageGeometry;
  poolDim: number;
  pooledDim: number;
}

/**
 * The finished run's classifier, kept on its GPU device so that drawn digits go through the
 * same GpuClassifier evaluation as the test set (conv: the same convolvePool first); released
 * when the next run starts.
 */
let trained:
  | { ctx: GpuContext; compute: ClassifyCompute; classifier: { shape: ClassifierShape; theta: Float64Array }; firstLayer?: FirstLayer; convolution?: Convolution }
  | undefined;

function releaseTrained(): void {
  trained?.compute.destroy();
  trained?.ctx.destroy();
  trained = undefined;
}

/** Drawn digits, one at a time in the order they came. */
let predicting: Promise<void> = Promise.resolve();

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, { transfer });
}

let controller: AbortController | undefined;

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'stop') {
    controller?.abort();
    return;
  }
  if (message.type === 'predict-digit') {
    predicting = predicting.then(() => predictDigit(message));
    return;
  }
  if (message.type === 'open-model') {
    if (controller) {
      post({ type: 'model-refused', name: message.name, message: 'a run is in progress: stop it first' });
      return;
    }
    // Drawn digits wait for the model they are to be read by.
    predicting = predicting.then(() => openModel(message));
    return;
  }
  if (controller) {
    post({ type: 'error', message: 'a run is already in progress', during: 'run' });
    return;
  }
  releaseTrained();
  controller = new AbortController();
  void run(message, controller.signal).finally(() => (controller = undefined));
};

async function run(request: ClassifyRequest, signal: AbortSignal): Promise<void> {
  // The task's own defaults for what the form does not set (conv: softmax λ 1e-5, as the CLI's).
  const settings: ClassifySettings = {
    ...defaultSettingsFor(request.task),
    task: request.task,
    seed: request.seed,
    hiddenSize: request.hiddenSize,
    autoencoderIterations: request.autoencoderIterations,
    softmaxIterations: request.softmaxIterations,
    finetuneIterations: request.finetuneIterations,
    patches: request.patches,
    poolDim: request.poolDim,
  };

  post({ type: 'status', text: 'Loading the MNIST digits…' });
  let data;
  try {
    data = embeddedTaskData(await loadMnistDigits(), request.task, request.seed, request.digits);
  } catch (error) {
    post({ type: 'error', message: messageOf(error), during: error instanceof DataError ? 'data' : 'run' });
    return;
  }

  post({ type: 'status', text: 'Setting up WebGPU…' });
  let ctx: GpuContext;
  try {
    ctx = await createGpuContext();
  } catch (error) {
    post({ type: 'error', message: error instanceof GpuUnavailableError ? `${error.message}: this page trains on WebGPU only` : messageOf(error), during: 'webgpu' });
    return;
  }

  const compute = gpuCompute(ctx);
  const plan = stagesOf(settings);
  const images = data.train.examples + data.test.examples;
  post({
    type: 'ready',
    task: request.task,
    // The convolution's progress counts images, training and test.
    stages: plan.map(({ name, kind, iterations }) => ({ name, kind, iterations: kind === 'convolution' ? images : iterations })),
    counts: { train: data.train.examples, test: data.test.examples, ...(data.unlabeled ? { unlabeled: data.unlabeled.examples } : {}) },
    numClasses: data.numClasses,
    device: `WebGPU on ${adapterLabel(adapterOf(ctx))}`,
  });

  // The autoencoder layers trained so far, for drawing deeper layers through the ones below.
  const layers: { theta: Float64Array; shape: Shape }[] = [];
  const layerOf = (index: number) => plan.slice(0, index).filter((s) => s.kind === 'autoencoder').length;
  // conv's autoencoder learns on patchDim × patchDim patches, not on whole digits.
  const firstVisible = request.task === 'conv' ? settings.patchDim * settings.patchDim : data.train.visibleSize;
  const shapeOf = (layer: number): Shape => ({ visibleSize: layer === 0 ? firstVisible : settings.hiddenSize, hiddenSize: settings.hiddenSize });
  const sendFeatures = (index: number, iteration: number, theta: Float64Array) => {
    const layer = layerOf(index);
    const picture = layerFeatures([...layers.slice(0, layer), { theta, shape: shapeOf(layer) }])[layer];
    post({ type: 'features', layer, index, iteration, picture, hiddenSize: settings.hiddenSize }, [picture.values.buffer]);
  };

  let lastProgress = -Infinity;
  let lastFeatures = -Infinity;
  let stageShown = -1;
  const onProgress = async (p: StageProgress) => {
    const now = performance.now();
    const first = p.index !== stageShown;
    stageShown = p.index;
    if (first || p.iteration >= p.totalIterations || now - lastProgress >= PROGRESS_INTERVAL) {
      lastProgress = now;
      const { index, iteration, totalIterations, cost, elapsedSeconds, unit } = p;
      post({ type: 'progress', index, iteration, totalIterations, cost, elapsedSeconds, ...(unit ? { unit } : {}) });
    }
    if (p.readTheta && (first || now - lastFeatures >= FEATURES_INTERVAL)) {
      lastFeatures = now;
      sendFeatures(p.index, p.iteration, await p.readTheta());
    }
  };
  const onStageDone = (record: StageRecord, index: number) => {
    const { theta, ...summary } = record;
    if (record.kind === 'autoencoder') {
      sendFeatures(index, record.iterations, theta);
      layers[layerOf(index)] = { theta, shape: shapeOf(layerOf(index)) };
    }
    post({ type: 'stage-done', index, record: summary });
  };

  // conv: the test digits' pooled maps are drawn as soon as the convolution stage has them.
  const geometry: ImageGeometry = { channels: 1, imageDim: Math.round(Math.sqrt(data.test.visibleSize)) };
  const convIndex = plan.findIndex((s) => s.kind === 'convolution');
  const onTestPooled = (features: ConvWeights, pooled: Float64Array) => {
    const pooledDim = Math.round(Math.sqrt(pooled.length / data.test.examples / features.features));
    const maps = { ...pooledMapsOf(data.test, geometry, pooled, features.features, pooledDim, settings.poolDim), index: convIndex };
    post({ type: 'pooled-maps', ...maps }, [maps.picture.values.buffer]);
  };

  try {
    const observed = request.task === 'conv' ? observingTestConvolution(compute, data.test, onTestPooled) : compute;
    const result = await runClassification(observed, data, settings, { signal, onProgress, onStageDone });
    if (!result.cancelled) {
      const convolution = result.conv && { features: result.conv.features, geometry, poolDim: settings.poolDim, pooledDim: result.conv.pooledDim };
      trained = { ctx, compute, classifier: result.classifier, firstLayer: firstLayerOf(request.task, result.classifier, result.autoencoders), convolution };
    }
    if (result.cancelled) {
      post({ type: 'stopped', accuracies: result.accuracies, seconds: result.seconds });
      return;
    }
    const sample = sampleOf(data.test, result.predictions);
    post(
      {
        type: 'finished',
        accuracies: result.accuracies,
        confusion: result.confusion,
        testCount: data.test.examples,
        sample,
        seconds: result.seconds,
        classifier: { shape: result.classifier.shape, theta: result.classifier.theta.slice() },
      },
      [sample.pixels.buffer],
    );
  } catch (error) {
    post({ type: 'error', message: messageOf(error), during: 'run' });
  } finally {
    if (trained?.ctx !== ctx) {
      compute.destroy();
      ctx.destroy();
    }
  }
}

/** The pipeline's compute, handing the test digits' pooled features to `onTestPooled` as the convolution stage makes them. */
function observingTestConvolution(compute: ClassifyCompute, test: Dataset, onTestPooled: (features: ConvWeights, pooled: Float64Array) => void): ClassifyCompute {
  return {
    ...compute,
    async convolvePool(features, images, geometry, poolDim, onBatch) {
      const pooled = await compute.convolvePool(features, images, geometry, poolDim, onBatch);
      if (pooled && images === test) onTestPooled(features, pooled);
      return pooled;
    },
  };
}

/** The first test digits with their labels and predictions, for the grid. */
function sampleOf(test: LabeledData, predictions: Uint8Array): DigitSample {
  const count = Math.min(SAMPLE_COUNT, test.examples);
  const v = test.visibleSize;
  return {
    count,
    side: Math.round(Math.sqrt(v)),
    pixels: Float32Array.from(test.data.subarray(0, count * v)),
    labels: test.labels.slice(0, count),
    predictions: predictions.slice(0, count),
  };
}

/**
 * A model.json of `npm run classify` (read by src/classify/model-file.ts, as `--predict` reads
 * it), scored on the test digits of its task's split of the embedded digits (the controls' count
 * and seed) on the GPU, then kept for the drawing pad as a trained one is. Anything that does not
 * fit is a 'model-refused', and the classifier the page had stays.
 */
async function openModel({ name, bytes, digits, seed }: OpenModelRequest): Promise<void> {
  const refuse = (message: string) => post({ type: 'model-refused', name, message });
  let model: ClassifierModel;
  try {
    model = readClassifierModelFile(bytes, name);
  } catch (error) {
    return refuse(messageOf(error));
  }
  const task = model.task as TaskName;
  if (!taskNames.includes(task)) {
    return refuse(`${name}: names the task ${JSON.stringify(model.task)}, not one of ${taskNames.join(', ')}: which test digits it is for cannot be told`);
  }
  const convolution = model.convolution;
  if (task === 'conv' && !convolution) return refuse(`${name}: names the task conv but carries no convolution: which features make the softmax's input cannot be told`);
  const huge = beyondFloat32(model.theta) ?? (convolution && (beyondFloat32(convolution.weights) ?? beyondFloat32(convolution.bias)));
  if (huge !== undefined) return refuse(`${name}: holds θ values beyond float32's range (${huge}), which the GPU computes in`);
  let data: ClassifyData;
  try {
    data = embeddedTaskData(await loadMnistDigits(), task, seed, digits);
  } catch (error) {
    return refuse(`the digits could not be loaded: ${messageOf(error)}`);
  }
  const { shape, theta } = model;
  if (convolution) {
    const { channels, imageDim } = convolution.geometry;
    if (channels !== 1 || imageDim * imageDim !== data.test.visibleSize) {
      return refuse(`${name}: convolves ${imageDim}×${imageDim} images of ${channels} channel${channels === 1 ? '' : 's'}; the embedded digits are ${Math.sqrt(data.test.visibleSize)}×${Math.sqrt(data.test.visibleSize)} and gray`);
    }
  } else if (shape.inputSize !== data.test.visibleSize) {
    return refuse(`${name}: reads ${shape.inputSize} pixels per image; the embedded digits have ${data.test.visibleSize}`);
  }
  const top = data.test.labels.reduce((a: number, b: number) => Math.max(a, b), 0);
  if (top >= shape.numClasses) return refuse(`${name}: knows ${shape.numClasses} classes; the test digits of task ${task} go up to ${top}`);
  let ctx: GpuContext;
  try {
    ctx = await createGpuContext();
  } catch (error) {
    return refuse(error instanceof GpuUnavailableError ? `${error.message}: this page classifies on WebGPU only` : messageOf(error));
  }
  const compute = gpuCompute(ctx);
  let predictions: Uint8Array;
  let opened: Convolution | undefined;
  let pooledMaps: PooledMaps | undefined;
  try {
    let input: Dataset = data.test;
    if (convolution) {
      // As --predict applies it: the convolution and pooling on the GPU, then the softmax on the pooled values.
      const { geometry, poolDim } = convolution;
      const pooled = await compute.convolvePool(convolution, data.test, geometry, poolDim);
      if (!pooled) throw new Error('internal: the convolution of the test digits was stopped');
      const pooledDim = Math.round(Math.sqrt(shape.inputSize / convolution.features));
      opened = { features: convolution, geometry, poolDim, pooledDim };
      input = { data: pooled, examples: data.test.examples, visibleSize: shape.inputSize };
      pooledMaps = pooledMapsOf(data.test, geometry, pooled, convolution.features, pooledDim, poolDim);
    }
    predictions = await compute.predict(shape, theta, input);
  } catch (error) {
    compute.destroy();
    ctx.destroy();
    return refuse(messageOf(error));
  }
  releaseTrained();
  const classifier = { shape, theta };
  trained = { ctx, compute, classifier, firstLayer: shape.hiddenSizes.length > 0 ? { theta, layer: classifierLayout(shape).layers[0] } : undefined, convolution: opened };
  const names = accuracyNames(task);
  const sample = sampleOf(data.test, predictions);
  post(
    {
      type: 'model-opened',
      name,
      task,
      accuracies: { [names[names.length - 1]]: accuracy(predictions, data.test.labels) },
      reported: model.accuracies,
      confusion: confusionMatrix(predictions, data.test.labels, shape.numClasses),
      testCount: data.test.examples,
      sample,
      counts: { train: data.train.examples, test: data.test.examples, ...(data.unlabeled ? { unlabeled: data.unlabeled.examples } : {}) },
      numClasses: shape.numClasses,
      device: `WebGPU on ${adapterLabel(adapterOf(ctx))}`,
      classifier: { shape, theta: theta.slice() },
      ...(pooledMaps ? { pooledMaps } : {}),
    },
    [sample.pixels.buffer, ...(pooledMaps ? [pooledMaps.picture.values.buffer] : [])],
  );
}

/**
 * The first test digits beside their pooled maps (what pooled-maps.png draws), for the card of
 * the convolution: for a run as its convolution stage pools the test digits, for an opened model
 * once they are pooled with its convolution.
 */
function pooledMapsOf(test: Dataset, geometry: ImageGeometry, pooled: Float64Array, features: number, pooledDim: number, poolDim: number): PooledMaps {
  const digits = Math.min(POOLED_DIGITS, test.examples);
  const picture = pooledMapsImage(test, geometry, pooled, features, pooledDim, Array.from({ length: digits }, (_, k) => k));
  return { index: -1, picture, digits, features, pooledDim, poolDim };
}

/**
 * The first layer of features a drawn digit meets: the fine-tuned network's own (stacked), the
 * autoencoder's (self-taught learning, whose last classifier reads raw pixels beside it), none
 * for softmax on raw pixels.
 */
function firstLayerOf(task: ClassifyRequest['task'], classifier: { shape: ClassifierShape; theta: Float64Array }, autoencoders: { theta: Float64Array; shape: Shape }[]): FirstLayer | undefined {
  if (classifier.shape.hiddenSizes.length > 0) return { theta: classifier.theta, layer: classifierLayout(classifier.shape).layers[0] };
  const ae = autoencoders[0];
  if (task === 'stl' && ae) {
    const { visibleSize: v, hiddenSize: h } = ae.shape;
    // θ = [W1(:); W2(:); b1; b2]; W1's block read row-major is visible × hidden.
    return { theta: ae.theta, layer: { W: 0, b: 2 * h * v, inputs: v, outputs: h } };
  }
  return undefined;
}

/** Unit j's incoming weights as a picture, scaled into [−1, 1]. */
function featurePicture({ theta, layer }: FirstLayer, unit: number): Float32Array {
  const picture = new Float32Array(layer.inputs);
  let max = 0;
  for (let i = 0; i < layer.inputs; i++) max = Math.max(max, Math.abs((picture[i] = theta[layer.W + i * layer.outputs + unit])));
  if (max > 0) for (let i = 0; i < picture.length; i++) picture[i] /= max;
  return picture;
}

/** A convolution feature's weights scaled into [−1, 1], and its pooled map for the drawn digit. */
function pooledFeature({ features, pooledDim }: Convolution, pooled: Float64Array, { unit, strength }: { unit: number; strength: number }): PooledFeature {
  const v = features.patchDim * features.patchDim * features.channels;
  const weights = Float32Array.from(features.weights.subarray(unit * v, (unit + 1) * v));
  const max = weights.reduce((m, w) => Math.max(m, Math.abs(w)), 0);
  if (max > 0) for (let i = 0; i < v; i++) weights[i] /= max;
  const cells = pooledDim * pooledDim;
  return { unit, strength, patchDim: features.patchDim, weights, pooledDim, map: Float32Array.from(pooled.subarray(unit * cells, (unit + 1) * cells)) };
}

async function predictDigit({ id, pixels }: PredictDigit): Promise<void> {
  const model = trained;
  if (!model) return;
  try {
    const { shape, theta } = model.classifier;
    const digit: Dataset = { data: pixels, examples: 1, visibleSize: pixels.length };
    if (model.convolution) {
      // As the test digits went: convolved and pooled on the GPU, then the softmax on the GPU.
      const { features, geometry, poolDim, pooledDim } = model.convolution;
      const pooled = await model.compute.convolvePool(features, digit, geometry, poolDim);
      if (!pooled) throw new Error('internal: the convolution of one digit was stopped');
      const probabilities = await model.compute.probabilities(shape, theta, { data: pooled, examples: 1, visibleSize: pooled.length });
      const strongest = strongestPooledFeatures(pooled, features.bias, pooledDim, FEATURE_COUNT).map((f) => pooledFeature(model.convolution!, pooled, f));
      post({ type: 'digit-predicted', id, pixels, probabilities, pooled: strongest });
      return;
    }
    const probabilities = await model.compute.probabilities(shape, theta, digit);
    const first = model.firstLayer;
    const features: DigitFeature[] | undefined = first && strongestFeatures(first.theta, first.layer, pixels, FEATURE_COUNT).map((f) => ({ ...f, picture: featurePicture(first, f.unit) }));
    post({ type: 'digit-predicted', id, pixels, probabilities, features });
  } catch (error) {
    post({ type: 'digit-failed', id, message: messageOf(error) });
  }
}
