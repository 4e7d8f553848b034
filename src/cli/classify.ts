/**
 * `npm run classify -- [options]`: UFLDL's softmax regression, self-taught learning and stacked
 * autoencoder exercises (src/classify/pipeline.ts) on WebGPU or the float64 reference; or, with
 * --predict, a trained model.json applied to an idx images file. Exit codes as `npm run train`:
 * 0 done, 1 unexpected, 2 user error, 3 diverged, 130/143 interrupted (--resume continues).
 */
import { join } from 'node:path';
import { decodeClassifyCheckpoint, encodeClassifyCheckpoint } from '../classify/checkpoint';
import { cpuCompute, type ClassifyCompute } from '../classify/compute';
import { embeddedTaskData, fileTaskData } from '../classify/data';
import { gpuCompute } from '../classify/gpu-compute';
import { classifierModelJson, readClassifierModelFile } from '../classify/model-file';
import { confusionImage, layerFeatures } from '../classify/pictures';
import { DivergedError, runClassification, stagesOf, type ClassifyCheckpoint, type ClassifyData, type ClassifyResult } from '../classify/pipeline';
import { DataError } from '../data/errors';
import { readIdxImages, idxImagesToDataset } from '../data/idx';
import { loadLabeledIdxFiles } from '../data/labeled-node';
import { loadMnistDigits } from '../data/mnist-node';
import { readFileBytes } from '../data/node';
import { encodePng } from '../display/png';
import { DeviceLostError, NoAdapterError } from '../gpu/errors';
import { createNodeGpuContext } from '../gpu/node';
import { accuracy, confusionMatrix } from '../reference/classifier';
import { UsageError } from './args';
import { classifyResumeConflicts, classifyUsage, parseClassifyArguments, type ClassifyArguments } from './classify-args';
import { prepareOutputFolder, StagedOutput, writeAtomically } from './output-files';
import { progressReporter } from './progress';
import { EXIT_DIVERGED, handleStopSignals, usageFailure } from './run-control';

const CHECKPOINT = 'checkpoint.bin';
const log = (line: string) => process.stderr.write(`${line}\n`);
const percent = (fraction: number) => `${(100 * fraction).toFixed(1)}%`;

async function main(argv: string[]): Promise<number> {
  let args: ClassifyArguments;
  try {
    args = parseClassifyArguments(argv);
  } catch (error) {
    return usageFailure(error, 'classify');
  }
  if (args.help) {
    console.log(classifyUsage);
    return 0;
  }
  const stop = handleStopSignals(log);
  if (args.predict) return predict(args);

  // Everything that can be wrong with the input is found before anything is computed.
  let resumeFrom: ClassifyCheckpoint | undefined;
  let data: ClassifyData;
  let description: string;
  try {
    if (args.resume) {
      const path = join(args.out, CHECKPOINT);
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
    await prepareOutputFolder(args.out);
  } catch (error) {
    return usageFailure(error, 'classify');
  }
  const { settings } = args;
  const plan = stagesOf(settings);
  log(`task: ${settings.task} — ${plan.map((s) => s.name).join(' → ')}`);
  log(`data: ${description}`);

  const opened = await openCompute(args.device);
  if (!opened) return 1;
  const { compute, close } = opened;
  log(`device: ${compute.device.backend} — ${compute.device.adapter}`);
  if (resumeFrom) log(`resuming after ${resumeFrom.completed.length} finished stage(s)${resumeFrom.current ? `, inside '${resumeFrom.current.name}'` : ''}`);

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
          log(`stage ${p.index + 1}/${p.stages}: ${p.stage}, ${p.totalIterations} iterations`);
        }
        bar.update(p);
      },
      onStageDone: (record) => {
        bar.done();
        const scored = record.accuracy !== undefined ? `; test accuracy ${percent(record.accuracy)}` : '';
        log(`  done: ${record.iterations} iterations, cost ${record.initialCost.toFixed(6)} → ${record.finalCost.toFixed(6)}, ${record.seconds.toFixed(1)} s${scored}`);
      },
      onCheckpoint: async (checkpoint) => void (await writeAtomically(args.out, CHECKPOINT, encodeClassifyCheckpoint({ ...checkpoint, data: { description, options: dataOptions(args) } }))),
    });
  } catch (error) {
    bar.done();
    if (error instanceof DivergedError) {
      log(`error: ${error.message}; ${args.out} keeps its previous results (try a smaller λ, or fewer iterations)`);
      return EXIT_DIVERGED;
    }
    if (error instanceof DeviceLostError) {
      log(`error: ${error.message}; the last checkpoint is in ${join(args.out, CHECKPOINT)} (continue with --resume)`);
      return 1;
    }
    throw error;
  } finally {
    bar.done();
    close();
  }
  if (result.cancelled) {
    log(`stopped: ${result.stages.length} of ${plan.length} stages finished; the checkpoint is in ${join(args.out, CHECKPOINT)}`);
    log(`continue with: npm run classify -- --out ${args.out} --resume${args.device === 'cpu' ? ' --device cpu' : ''}`);
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
  };
  const staged = await StagedOutput.create(args.out);
  stop.staging(staged);
  const written: string[] = [];
  try {
    written.push(await staged.write('report.json', `${JSON.stringify(report, null, 2)}\n`));
    written.push(await staged.write('model.json', JSON.stringify(classifierModelJson(settings.task, result.classifier.shape, result.classifier.theta, result.accuracies))));
    written.push(await staged.write('confusion.png', encodePng(confusionImage(result.confusion), { scale: 2 })));
    const tile = { width: 28, height: 28 };
    const square = Number.isInteger(Math.sqrt(data.train.visibleSize));
    if (square) {
      for (const [l, image] of layerFeatures(result.autoencoders, Math.sqrt(data.train.visibleSize) === 28 ? tile : undefined).entries()) {
        written.push(await staged.write(`features-layer${l + 1}.png`, encodePng(image, { scale: 2 })));
      }
    }
    await staged.commit();
  } finally {
    await staged.discard();
  }
  for (const [name, value] of Object.entries(result.accuracies)) log(`test accuracy (${name}): ${percent(value)}`);
  log(`done: ${result.stages.length} stages in ${result.seconds.toFixed(1)} s on ${result.counts.train} training and ${result.counts.test} test digits`);
  log(`files: ${written.join(', ')}`);
  return 0;
}

const DATA_FLAGS = { digits: 'digits', 'train-images': 'trainImages', 'train-labels': 'trainLabels', 'test-images': 'testImages', 'test-labels': 'testLabels' } as const;

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
async function openCompute(device: 'gpu' | 'cpu'): Promise<{ compute: ClassifyCompute; close(): void } | null> {
  if (device === 'cpu') return { compute: cpuCompute(), close() {} };
  try {
    const ctx = await createNodeGpuContext();
    return { compute: gpuCompute(ctx), close: () => ctx.destroy() };
  } catch (error) {
    if (!(error instanceof NoAdapterError)) throw error;
    log(`error: ${error.message} Or run on the float64 CPU reference: add --device cpu`);
    return null;
  }
}

async function loadData(args: ClassifyArguments): Promise<{ data: ClassifyData; description: string }> {
  const { task, seed } = args.settings;
  const limit = args.digits !== undefined ? `, the first ${args.digits}` : '';
  if (args.trainImages && args.trainLabels) {
    const train = await loadLabeledIdxFiles(args.trainImages, args.trainLabels);
    const test = args.testImages && args.testLabels ? await loadLabeledIdxFiles(args.testImages, args.testLabels) : undefined;
    const data = fileTaskData(task, train, test, args.digits);
    const files = [args.trainImages, args.testImages].filter(Boolean).join(' and ');
    return { data, description: `${files}${limit}: ${describeCounts(data)}` };
  }
  const digits = await loadMnistDigits();
  const data = embeddedTaskData(digits, task, seed, args.digits);
  return { data, description: `the mnist package's ${digits.examples} digits shuffled with seed ${seed}${limit}: ${describeCounts(data)}` };
}

function describeCounts(data: ClassifyData): string {
  const unlabeled = data.unlabeled ? `${data.unlabeled.examples} unlabeled, ` : '';
  return `${unlabeled}${data.train.examples} training, ${data.test.examples} test, ${data.numClasses} classes`;
}

/** --predict MODEL --images FILE [--labels FILE]: predictions.json in --out. */
async function predict(args: ClassifyArguments): Promise<number> {
  let model;
  let images;
  let labels: Uint8Array | undefined;
  try {
    model = readClassifierModelFile(await readFileBytes(args.predict!), args.predict!);
    if (args.labels) {
      const labeled = await loadLabeledIdxFiles(args.images!, args.labels);
      images = labeled;
      labels = labeled.labels;
      const top = labels.reduce((a, b) => Math.max(a, b), 0);
      if (top >= model.shape.numClasses) throw new DataError(args.labels, `holds label ${top}; the model knows ${model.shape.numClasses} classes`);
    } else {
      images = idxImagesToDataset(readIdxImages(await readFileBytes(args.images!), args.images!));
    }
    if (images.visibleSize !== model.shape.inputSize) {
      throw new DataError(args.images!, `has ${images.visibleSize} pixels per image; the model reads ${model.shape.inputSize}`);
    }
    await prepareOutputFolder(args.out);
  } catch (error) {
    return usageFailure(error, 'classify');
  }
  const opened = await openCompute(args.device);
  if (!opened) return 1;
  const { compute, close } = opened;
  let predictions: Uint8Array;
  try {
    predictions = await compute.predict(model.shape, model.theta, images);
  } finally {
    close();
  }
  const scored = labels ? { accuracy: accuracy(predictions, labels), confusion: confusionMatrix(predictions, labels, model.shape.numClasses) } : {};
  const path = await writeAtomically(args.out, 'predictions.json', `${JSON.stringify({ model: args.predict, images: args.images, labels: args.labels ?? null, predictions: Array.from(predictions), ...scored })}\n`);
  log(`${predictions.length} images classified${scored.accuracy !== undefined ? `; accuracy ${percent(scored.accuracy)}` : ''}`);
  log(`predictions: ${path}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
