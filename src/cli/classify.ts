/**
 * `npm run classify -- [options]`: UFLDL's softmax regression, self-taught learning and stacked
 * autoencoder exercises (src/classify/pipeline.ts) on WebGPU or the float64 reference; or, with
 * --predict, a trained model.json applied to an idx images file. Exit codes as `npm run train`:
 * 0 done; 1 the GPU failed (the run's checkpoint in DIR/failed/) or a bug (its stack and a
 * request for a report); 2 user error, found before the first stage (one line, nothing written);
 * 3 diverged (the run's checkpoint in DIR/diverged/, DIR's own kept); 130/143 interrupted
 * (--resume continues).
 */
import { existsSync } from 'node:fs';
import { totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { CheckpointError, decodeClassifyCheckpoint, encodeClassifyCheckpoint } from '../classify/checkpoint';
import { cpuCompute, type ClassifyCompute } from '../classify/compute';
import { embeddedTaskData, fileTaskData } from '../classify/data';
import { gpuCompute } from '../classify/gpu-compute';
import { classifierModelJson, readClassifierModelFile } from '../classify/model-file';
import { confusionImage, layerFeatures } from '../classify/pictures';
import { DivergedError, runClassification, stagesOf, type ClassifyCheckpoint, type ClassifyData, type ClassifyResult } from '../classify/pipeline';
import { DataError } from '../data/errors';
import { readIdxImages, idxImagesToDataset } from '../data/idx';
import { loadLabeledIdxFiles } from '../data/labeled-node';
import type { Dataset } from '../reference/autoencoder';
import { loadMnistDigits } from '../data/mnist-node';
import { readFileBytes } from '../data/node';
import { readMat } from '../data/mat';
import { convFeaturesFromMat, pooledMapsImage, stlImagesFromMat } from '../classify/conv';
import { displayColorFeatures, displayFeatures } from '../display/network';
import { encodePng } from '../display/png';
import { beyondFloat32, NoAdapterError } from '../gpu/errors';
import { DEFAULT_CORRECTIONS } from '../optim/lbfgs';
import { checkClassifyResume, checkSplits, checkStageSizes, stageMatmulShapes, stageModels, type StageModel } from '../classify/preflight';
import { kernelConfigFor, type GpuContext } from '../gpu/device';
import { tuneNodeContext } from '../gpu/tuning-node';
import { createNodeGpuContext } from '../gpu/node';
import { accuracy, confusionMatrix } from '../reference/classifier';
import { UsageError } from './args';
import { checkConvGeometry, classifyResumeConflicts, classifyUsage, parseClassifyArguments, type ClassifyArguments } from './classify-args';
import { prepareOutputFolder, removeCreatedFolders, RunCheckpoint, StagedOutput, writeAtomically } from './output-files';
import { progressReporter } from './progress';
import { EXIT_DIVERGED, handleStopSignals, isGpuFailure, runCommand, speechOn, usageFailure, type CommandSpeech } from './run-control';

const CHECKPOINT = RunCheckpoint.NAME;
const log = (line: string) => process.stderr.write(`${line}\n`);
const percent = (fraction: number) => `${(100 * fraction).toFixed(1)}%`;

/** classify's remedies in its own flags (it has no --optimizer; --predict's model is fixed). */
const SPEECH: CommandSpeech = { command: 'classify', remedies: { hidden: 'fewer hidden units (--hidden)', examples: 'fewer digits (--digits)', cpu: '--device cpu' } };
const PREDICT_SPEECH: CommandSpeech = { command: 'classify', remedies: { examples: 'fewer images in --images', cpu: '--device cpu' } };

/** Where a run that diverged, or whose GPU failed, leaves its checkpoint inside --out. */
const DIVERGED = 'diverged';
const FAILED = 'failed';

async function main(argv: string[]): Promise<number> {
  let args: ClassifyArguments;
  try {
    args = parseClassifyArguments(argv);
  } catch (error) {
    return usageFailure(error, SPEECH);
  }
  if (args.help) {
    console.log(classifyUsage);
    return 0;
  }
  const stop = handleStopSignals(log);
  if (args.predict) return predict(args);
  const speech = speechOn(SPEECH, args.device);

  // Everything that can be wrong with the input is found before anything is computed or written:
  // the checkpoint, the data and their splits, every stage's size, then the device's limits.
  let resumeFrom: ClassifyCheckpoint | undefined;
  let data: ClassifyData;
  let description: string;
  let models: StageModel[];
  try {
    if (args.resume) {
      const path = join(args.out, CHECKPOINT);
      if (!existsSync(path)) throw new CheckpointError(`--resume: ${path} does not exist: there is nothing to resume in ${args.out} (start a run without --resume)`);
      resumeFrom = decodeClassifyCheckpoint(await readFileBytes(path), path);
      const conflicts = classifyResumeConflicts(args, resumeFrom.settings);
      if (conflicts.length > 0) {
        throw new UsageError(`--resume: these flags contradict the checkpoint's run: ${conflicts.join(', ')}; leave them out to continue it, or start a new run in another folder`);
      }
      args.settings = resumeFrom.settings;
      // The data flags default to the checkpoint's; given ones must agree with them.
      if (resumeFrom.data) {
        const given = dataOptions(args);
        const saved = resumeFrom.data.options;
        const differ = Object.keys({ ...given, ...saved }).filter((k) => k in given && given[k] !== saved[k]);
        if (differ.length > 0) {
          throw new UsageError(`--resume: the checkpoint's run trained on ${resumeFrom.data.description}; leave out ${differ.map((k) => `--${k}`).join(', ')} to continue it`);
        }
        Object.assign(args, fromDataOptions(saved));
      }
    }
    ({ data, description } = await loadData(args));
    if (args.settings.task === 'conv') checkConvGeometry(args.settings, data);
    models = stageModels(args.settings, data);
    checkStageSizes(models, totalmem() / 2);
    if (resumeFrom) checkClassifyResume(resumeFrom, models, join(args.out, CHECKPOINT));
  } catch (error) {
    return usageFailure(error, speech);
  }
  const { settings } = args;
  const plan = stagesOf(settings);

  const opened = await openCompute(args.device);
  if (!opened) return 1;
  const { compute, close, ctx } = opened;
  try {
    compute.checkFits(models, DEFAULT_CORRECTIONS);
    // One race for the products of every stage: the models all run ctx.kernels.
    if (ctx) await tuneNodeContext(ctx, stageMatmulShapes(models, kernelConfigFor(ctx).splitK), args.tune);
    if (args.device === 'gpu' && resumeFrom) {
      for (const [i, record] of resumeFrom.completed.entries()) {
        const value = beyondFloat32(record.theta);
        if (value !== undefined) {
          throw new CheckpointError(`${join(args.out, CHECKPOINT)}: stage ${i + 1}'s θ holds ${value}, beyond float32's range, which the GPU computes in: continue on the float64 CPU reference with --device cpu`);
        }
      }
    }
    await prepareOutputFolder(args.out);
  } catch (error) {
    close();
    return usageFailure(error, speech);
  }
  log(`task: ${settings.task} — ${plan.map((s) => s.name).join(' → ')}`);
  log(`data: ${description}`);
  const { device } = compute;
  log(`device: ${device.backend} — ${device.adapter}${device.kernels ? `; kernels: ${device.kernels.summary}` : ''}`);
  if (resumeFrom) log(`resuming after ${resumeFrom.completed.length} finished stage(s)${resumeFrom.current ? `, inside '${resumeFrom.current.name}'` : ''}`);

  const checkpoint = await RunCheckpoint.open(args.out);
  const bar = progressReporter();
  let announced = -1;
  let result: ClassifyResult;
  try {
    result = await runClassification(compute, data, settings, {
      signal: stop.abort,
      resumeFrom,
      onProgress: (p) => {
        if (p.index !== announced) {
          announced = p.index;
          bar.done();
          log(`stage ${p.index + 1}/${p.stages}: ${p.stage}, ${p.totalIterations} ${p.unit ?? 'iterations'}`);
        }
        bar.update(p);
      },
      onStageDone: (record) => {
        bar.done();
        const scored = record.accuracy !== undefined ? `; test accuracy ${percent(record.accuracy)}` : '';
        if (record.kind === 'convolution') log(`  done: ${record.iterations} images in ${record.seconds.toFixed(1)} s`);
        else log(`  done: ${record.iterations} iterations, cost ${record.initialCost.toFixed(6)} → ${record.finalCost.toFixed(6)}, ${record.seconds.toFixed(1)} s${scored}`);
      },
      onCheckpoint: (state) => checkpoint.write(encodeClassifyCheckpoint({ ...state, data: { description, options: dataOptions(args) } })),
    });
  } catch (error) {
    bar.done();
    // A run that fails never replaces the folder's checkpoint: its own goes beside.
    if (error instanceof DivergedError) {
      const aside = await checkpoint.setAside(DIVERGED);
      log(`error: ${error.message}; ${args.out} keeps its previous results${aside ? `, and this run's checkpoint (its finished stages) is in ${aside}` : ''} (try a smaller λ, or fewer iterations)`);
      return EXIT_DIVERGED;
    }
    const aside = await checkpoint.setAside(FAILED);
    if (isGpuFailure(error)) {
      const resume = aside ? `the last checkpoint is in ${aside} (continue with: npm run classify -- --out ${dirname(aside)} --resume)` : 'no stage had finished';
      log(`error: the GPU failed: ${error.message}; ${args.out} keeps its previous results; ${resume}`);
      return 1;
    }
    if (aside) log(`(this run's last checkpoint is in ${aside})`);
    return usageFailure(error, speech); // anything not the user's is rethrown: a bug
  } finally {
    bar.done();
    close();
  }
  if (result.cancelled) {
    const kept = await checkpoint.keep();
    log(`stopped: ${result.stages.length} of ${plan.length} stages finished; ${kept ? `the checkpoint is in ${kept}` : 'no checkpoint was written'}`);
    if (kept) log(`continue with: npm run classify -- --out ${args.out} --resume${args.device === 'cpu' ? ' --device cpu' : ''}`);
    return stop.exitCode();
  }
  stop.writing();

  const report = {
    task: settings.task,
    accuracies: result.accuracies,
    confusion: result.confusion,
    classes: data.numClasses,
    stages: result.stages.map(({ theta: _theta, ...figures }) => figures),
    counts: result.counts,
    seconds: result.seconds,
    device: result.device,
    data: description,
    settings,
    ...(result.conv
      ? { convolution: { features: result.conv.features.features, patchDim: result.conv.features.patchDim, poolDim: settings.poolDim, pooledDim: result.conv.pooledDim, pooledFeatures: result.classifier.shape.inputSize } }
      : {}),
  };
  const staged = await StagedOutput.create(args.out);
  stop.staging(staged);
  const written: string[] = [];
  try {
    written.push(await staged.write('report.json', `${JSON.stringify(report, null, 2)}\n`));
    const geometry = data.geometry ?? { channels: 1, imageDim: Math.round(Math.sqrt(data.test.visibleSize)) };
    // A conv model carries its convolution, so that --predict applies it to images.
    const convolution = result.conv && { ...result.conv.features, geometry, poolDim: settings.poolDim };
    written.push(await staged.write('model.json', JSON.stringify(classifierModelJson(settings.task, result.classifier.shape, result.classifier.theta, result.accuracies, convolution))));
    written.push(await staged.write('confusion.png', encodePng(confusionImage(result.confusion), { scale: 2 })));
    const tile = { width: 28, height: 28 };
    const square = Number.isInteger(Math.sqrt(data.train.visibleSize));
    if (result.conv) {
      const { features, pooledDim, testPooled } = result.conv;
      const patch = { width: features.patchDim, height: features.patchDim };
      const picture = features.channels === 3 ? displayColorFeatures(features.theta, features.shape, patch, features.zca) : displayFeatures(features.theta, features.shape, patch);
      written.push(await staged.write('features.png', encodePng(picture, { scale: 4 })));
      const shown = Array.from({ length: Math.min(4, data.test.examples) }, (_, k) => k);
      written.push(await staged.write('pooled-maps.png', encodePng(pooledMapsImage(data.test, geometry, testPooled, features.features, pooledDim, shown), { scale: 2 })));
    } else if (square) {
      for (const [l, image] of layerFeatures(result.autoencoders, Math.sqrt(data.train.visibleSize) === 28 ? tile : undefined).entries()) {
        written.push(await staged.write(`features-layer${l + 1}.png`, encodePng(image, { scale: 2 })));
      }
    }
    await staged.commit();
    const kept = await checkpoint.keep();
    if (kept) written.push(kept);
  } finally {
    await staged.discard();
  }
  for (const [name, value] of Object.entries(result.accuracies)) log(`test accuracy (${name}): ${percent(value)}`);
  log(`done: ${result.stages.length} stages in ${result.seconds.toFixed(1)} s on ${result.counts.train} training and ${result.counts.test} test digits`);
  log(`files: ${written.join(', ')}`);
  return 0;
}

const DATA_FLAGS = {
  digits: 'digits',
  'train-images': 'trainImages',
  'train-labels': 'trainLabels',
  'test-images': 'testImages',
  'test-labels': 'testLabels',
  'train-mat': 'trainMat',
  'test-mat': 'testMat',
  features: 'features',
} as const;

/** The data flags given, by flag name. */
function dataOptions(args: ClassifyArguments): Record<string, string | number> {
  const options: Record<string, string | number> = {};
  for (const [flag, field] of Object.entries(DATA_FLAGS)) if (args[field] !== undefined) options[flag] = args[field]!;
  return options;
}

function fromDataOptions(options: Record<string, string | number>): Partial<ClassifyArguments> {
  const out: Record<string, string | number> = {};
  for (const [flag, field] of Object.entries(DATA_FLAGS)) if (options[flag] !== undefined) out[field] = options[flag];
  return out as Partial<ClassifyArguments>;
}

/** The compute a run asks for; without a WebGPU adapter, one line saying why and null. */
async function openCompute(device: 'gpu' | 'cpu'): Promise<{ compute: ClassifyCompute; close(): void; ctx?: GpuContext } | null> {
  if (device === 'cpu') return { compute: cpuCompute(), close() {} };
  try {
    const ctx = await createNodeGpuContext();
    return { compute: gpuCompute(ctx), close: () => ctx.destroy(), ctx };
  } catch (error) {
    if (!(error instanceof NoAdapterError)) throw error;
    log(`error: ${error.message} Or run on the float64 CPU reference: add --device cpu`);
    return null;
  }
}

/** The task's data, its images of one size and every split it needs holding examples. */
async function loadData(args: ClassifyArguments): Promise<{ data: ClassifyData; description: string }> {
  const { task, seed } = args.settings;
  const limit = args.digits !== undefined ? `, the first ${args.digits}` : '';
  const cut = args.digits !== undefined ? ` with --digits ${args.digits}` : '';
  if (args.trainMat && args.testMat && args.features) {
    const train = stlImagesFromMat(readMat(await readFileBytes(args.trainMat), args.trainMat), 'train', args.trainMat);
    const test = stlImagesFromMat(readMat(await readFileBytes(args.testMat), args.testMat), 'test', args.testMat);
    if (test.channels !== train.channels || test.imageDim !== train.imageDim) {
      throw new DataError(args.testMat, `holds ${test.imageDim}×${test.imageDim}×${test.channels} images, ${args.trainMat} ${train.imageDim}×${train.imageDim}×${train.channels}: test on images of the training images' size`);
    }
    const convFeatures = convFeaturesFromMat(readMat(await readFileBytes(args.features), args.features), train.channels, args.features);
    if (convFeatures.patchDim > train.imageDim) throw new DataError(args.features, `holds features of ${convFeatures.patchDim}×${convFeatures.patchDim} patches, larger than the ${train.imageDim}×${train.imageDim} images`);
    const limited = (d: typeof train) => (args.digits !== undefined && args.digits < d.examples ? { ...d, examples: args.digits, data: d.data.subarray(0, args.digits * d.visibleSize), labels: d.labels.subarray(0, args.digits) } : d);
    const data: ClassifyData = {
      train: limited(train),
      test: limited(test),
      numClasses: Math.max(train.numClasses, test.numClasses),
      geometry: { channels: train.channels, imageDim: train.imageDim },
      convFeatures,
    };
    checkSplits(data, args.settings, `${args.trainMat} and ${args.testMat}`, cut);
    const what = `${args.trainMat} and ${args.testMat}${limit} (${train.imageDim}×${train.imageDim}×${train.channels}), ${convFeatures.features} features of ${args.features}`;
    return { data, description: `${what}: ${describeCounts(data)}` };
  }
  if (args.trainImages && args.trainLabels) {
    const train = await loadLabeledIdxFiles(args.trainImages, args.trainLabels);
    const test = args.testImages && args.testLabels ? await loadLabeledIdxFiles(args.testImages, args.testLabels) : undefined;
    if (test && test.visibleSize !== train.visibleSize) {
      throw new DataError(args.testImages!, `holds images of ${test.visibleSize} pixels, the training images (${args.trainImages}) ${train.visibleSize}: test on images of the training images' size`);
    }
    const data = fileTaskData(task, train, test, args.digits);
    checkSplits(data, args.settings, task === 'stl' ? args.trainLabels : `${args.trainLabels} and ${args.testLabels}`, cut);
    const files = [args.trainImages, args.testImages].filter(Boolean).join(' and ');
    return { data, description: `${files}${limit}: ${describeCounts(data)}` };
  }
  const digits = await loadMnistDigits();
  const data = embeddedTaskData(digits, task, seed, args.digits);
  checkSplits(data, args.settings, `the mnist package's digits shuffled with seed ${seed}`, cut);
  return { data, description: `the mnist package's ${digits.examples} digits shuffled with seed ${seed}${limit}: ${describeCounts(data)}` };
}

function describeCounts(data: ClassifyData): string {
  const unlabeled = data.unlabeled ? `${data.unlabeled.examples} unlabeled, ` : '';
  return `${unlabeled}${data.train.examples} training, ${data.test.examples} test, ${data.numClasses} classes`;
}

/** --predict MODEL --images FILE [--labels FILE]: predictions.json in --out. */
async function predict(args: ClassifyArguments): Promise<number> {
  const speech = speechOn(PREDICT_SPEECH, args.device);
  let model;
  let images;
  let labels: Uint8Array | undefined;
  try {
    model = readClassifierModelFile(await readFileBytes(args.predict!), args.predict!);
    // float32 would turn these into infinities, and the predictions into nonsense, silently.
    const huge = args.device === 'gpu' ? beyondFloat32(model.theta) : undefined;
    if (huge !== undefined) {
      throw new DataError(args.predict!, `holds θ values beyond float32's range (${huge}), which the GPU computes in: predict on the float64 CPU reference with --device cpu`);
    }
    if (args.labels) {
      const labeled = await loadLabeledIdxFiles(args.images!, args.labels);
      images = labeled;
      labels = labeled.labels;
      const top = labels.reduce((a, b) => Math.max(a, b), 0);
      if (top >= model.shape.numClasses) throw new DataError(args.labels, `holds label ${top}; the model knows ${model.shape.numClasses} classes`);
    } else {
      images = idxImagesToDataset(readIdxImages(await readFileBytes(args.images!), args.images!));
    }
    const conv = model.convolution;
    if (conv) {
      const { channels, imageDim } = conv.geometry;
      // idx files hold gray images: a model of color images (UFLDL's STL features) has none to read there.
      if (channels !== 1) throw new DataError(args.predict!, `convolves ${imageDim}×${imageDim} images of ${channels} channels; --images reads gray idx images, so it cannot apply this model`);
      const huge = args.device === 'gpu' ? (beyondFloat32(conv.weights) ?? beyondFloat32(conv.bias)) : undefined;
      if (huge !== undefined) throw new DataError(args.predict!, `holds convolution weights beyond float32's range (${huge}), which the GPU computes in: predict on the float64 CPU reference with --device cpu`);
      if (images.visibleSize !== imageDim * imageDim) {
        throw new DataError(args.images!, `has ${images.visibleSize} pixels per image; the model convolves ${imageDim}×${imageDim} images (${imageDim * imageDim} pixels)`);
      }
    } else if (images.visibleSize !== model.shape.inputSize) {
      throw new DataError(args.images!, `has ${images.visibleSize} pixels per image; the model reads ${model.shape.inputSize}`);
    }
  } catch (error) {
    return usageFailure(error, speech);
  }
  const opened = await openCompute(args.device);
  if (!opened) return 1;
  const { compute, close } = opened;
  let predictions: Uint8Array;
  let created: string[] = [];
  try {
    created = await prepareOutputFolder(args.out);
    let input: Dataset = images;
    if (model.convolution) {
      const { geometry, poolDim } = model.convolution;
      const pooled = await compute.convolvePool(model.convolution, images, geometry, poolDim);
      if (!pooled) throw new Error('internal: the convolution stopped with no stop asked for');
      input = { data: pooled, examples: images.examples, visibleSize: model.shape.inputSize };
    }
    predictions = await compute.predict(model.shape, model.theta, input);
  } catch (error) {
    await removeCreatedFolders(created);
    return usageFailure(error, speech);
  } finally {
    close();
  }
  const scored = labels ? { accuracy: accuracy(predictions, labels), confusion: confusionMatrix(predictions, labels, model.shape.numClasses) } : {};
  const path = await writeAtomically(args.out, 'predictions.json', `${JSON.stringify({ model: args.predict, images: args.images, labels: args.labels ?? null, predictions: Array.from(predictions), ...scored })}\n`);
  log(`${predictions.length} images classified${scored.accuracy !== undefined ? `; accuracy ${percent(scored.accuracy)}` : ''}`);
  log(`predictions: ${path}`);
  return 0;
}

runCommand(SPEECH, () => main(process.argv.slice(2)));
