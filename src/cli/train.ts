/**
 * `npm run train -- [options]`: trains a sparse autoencoder on the GPU (Dawn's WebGPU in Node)
 * or with the float64 reference (`--device cpu`), and writes model.json, theta.mat,
 * features.png, patches.png (200 training examples), report.json and a checkpoint into the output folder.
 *
 * Exit codes: 0 done; 2 bad flags, values or data (one line on stderr, nothing written);
 * 1 anything else; 130 interrupted (the checkpoint in the folder resumes with --resume).
 */
import { existsSync } from 'node:fs';
import { totalmem } from 'node:os';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { describeUnits, unitStatistics } from '../analysis/units';
import { DataError } from '../data/errors';
import { DeviceLostError, NoAdapterError, ResourceLimitError } from '../gpu/errors';
import { randomSubset } from '../data/patches';
import { displayPatches } from '../display/network';
import { encodePng } from '../display/png';
import { loadMatFile, readFileBytes } from '../data/node';
import { initializeParameters, thetaLayout, type Shape } from '../reference/params';
import { decodeLbfgsSnapshot } from '../optim/lbfgs-snapshot';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../train/checkpoint';
import { validateConfig } from '../train/config';
import { loadTrainingData } from '../train/data-node';
import { checkModelSize } from '../train/model-size';
import { createEngine } from '../train/engines-node';
import { displayGeometry, featuresPng, modelJson, thetaFromMatVariables, thetaFromModelJson, thetaMatFile, type PixelGeometry } from '../train/model-files';
import { describeWork, train, workReport } from '../train/trainer';
import { parseTrainArguments, resumeConflicts, trainUsage, UsageError, type TrainArguments } from './args';
import { prepareOutputFolder, StagedOutput, writeAtomically } from './output-files';
import { progressReporter } from './progress';
import { EXIT_DIVERGED, handleStopSignals, usageFailure as sharedUsageFailure } from './run-control';

const CHECKPOINT = 'checkpoint.bin';

async function main(argv: string[]): Promise<number> {
  let args: TrainArguments;
  try {
    args = parseTrainArguments(argv);
  } catch (error) {
    return usageFailure(error);
  }
  if (args.help) {
    console.log(trainUsage);
    return 0;
  }

  const log = (line: string) => process.stderr.write(`${line}\n`);
  const stop = handleStopSignals(log);

  // Everything that can be wrong with the input is found before the output folder is touched.
  let resumeFrom: Checkpoint | undefined;
  let initialTheta: Float64Array;
  let data;
  let shape: Shape;
  try {
    if (args.resume) {
      const path = join(args.out, CHECKPOINT);
      resumeFrom = decodeCheckpoint(await readFileBytes(path), path);
      const conflicts = resumeConflicts(args, resumeFrom.config);
      if (conflicts.length > 0) {
        throw new UsageError(`--resume: these flags contradict the checkpoint's run: ${conflicts.join(', ')}; leave them out to continue it, or start a new run in another folder`);
      }
      const iterations = args.given.has('iters') ? args.config.iterations : resumeFrom.config.iterations;
      args.config = { ...resumeFrom.config, iterations };
      validateConfig(args.config);
    }
    data = await loadTrainingData(args.config);
    shape = { visibleSize: data.dataset.visibleSize, hiddenSize: args.config.hiddenSize };
    checkModelSize(shape, args.config.optimizer, totalmem() / 2);
    initialTheta = args.init ? await loadInitialTheta(args.init, shape, data.geometry) : initializeParameters(shape, args.config.seed);
    const thetaLength = thetaLayout(shape).length;
    if (args.init && !initialTheta.every(Number.isFinite)) throw new DataError(args.init, 'holds values that are not finite numbers');
    if (resumeFrom) checkResumable(resumeFrom, thetaLength, join(args.out, CHECKPOINT));
    if (resumeFrom && (resumeFrom.shape.visibleSize !== shape.visibleSize || resumeFrom.shape.hiddenSize !== shape.hiddenSize)) {
      throw new CheckpointError(`${join(args.out, CHECKPOINT)}: made for a ${resumeFrom.shape.visibleSize}-${resumeFrom.shape.hiddenSize} model, the data give ${shape.visibleSize}-${shape.hiddenSize}`);
    }
    // The output folder too: a bad --out must not cost a whole run first.
    await prepareOutputFolder(args.out);
  } catch (error) {
    return usageFailure(error);
  }

  const { config } = args;
  log(`data: ${data.description}`);
  if (stop.received) {
    log(`stopped before training: ${args.out} keeps what it had`);
    return stop.exitCode();
  }
  let created;
  try {
    created = await createEngine(args.device, shape, config, data.dataset);
  } catch (error) {
    if (error instanceof ResourceLimitError) return usageFailure(error);
    if (!(error instanceof NoAdapterError)) throw error;
    log(`error: ${error.message} Or train on the float64 CPU reference: npm run train -- --device cpu`);
    return 1;
  }
  const { engine, close } = created;
  log(`model: ${shape.visibleSize}-${shape.hiddenSize}, ρ = ${config.sparsityParam}, λ = ${config.lambda}, β = ${config.beta}; ${config.optimizer}, ${config.iterations} iterations`);
  log(`device: ${engine.device.backend} — ${engine.device.adapter}`);
  if (resumeFrom) log(`resuming at iteration ${resumeFrom.iteration} from ${join(args.out, CHECKPOINT)}`);


  const progress = progressReporter();
  let result;
  try {
    result = await train(engine, {
      config,
      initialTheta,
      resumeFrom,
      signal: stop.abort,
      checkpointEvery: args.checkpointEvery,
      checkpointSeconds: args.checkpointEvery > 0 ? 0 : 30,
      onProgress: (p) => progress.update(p),
      onCheckpoint: async (c) => void (await writeAtomically(args.out, CHECKPOINT, encodeCheckpoint(c))),
    });
  } catch (error) {
    if (!(error instanceof DeviceLostError)) throw error;
    progress.done();
    // The device is gone or broken: say so in a line; the checkpoint on disk is the last good state.
    const kept = existsSync(join(args.out, CHECKPOINT)) ? `; the last checkpoint is kept in ${join(args.out, CHECKPOINT)} (continue with --resume)` : '';
    log(`error: ${error.message}${kept}`);
    return 1;
  } finally {
    progress.done();
    close();
  }
  stop.writing();

  const meanRhoHat = result.meanActivation.reduce((a, b) => a + b, 0) / result.meanActivation.length;
  // Dead and always-on units, L0 and the variance explained: a float64 pass over the data.
  const units = unitStatistics(result.theta, shape, data.dataset);
  const report = {
    initialCost: result.initialCost,
    finalCost: result.finalCost,
    costParts: result.parts,
    meanActivation: Array.from(result.meanActivation),
    meanActivationAverage: meanRhoHat,
    units,
    iterations: result.iterations,
    evaluations: result.evaluations,
    seconds: result.seconds,
    exitReason: result.exitReason,
    ...(result.divergedAt !== undefined ? { divergedAt: result.divergedAt } : {}),
    device: result.device,
    work: workReport(result),
    data: data.description,
    config,
  };
  // The result files go in together, and only for a result worth keeping: a run that diverged
  // leaves them in out/diverged/, one stopped before its first iteration writes none.
  const staged = await StagedOutput.create(args.out);
  stop.staging(staged);
  let features: string;
  try {
    await staged.write('model.json', JSON.stringify(modelJson(result.theta, shape, config, data.geometry)));
    await staged.write('theta.mat', thetaMatFile(result.theta, shape, data.geometry));
    features = await staged.write('features.png', featuresPng(result.theta, shape, data.geometry));
    // UFLDL's Step 1: 200 random training examples, shown the same way as the features.
    const sample = randomSubset(data.dataset, 200, config.seed);
    const shown = Array.from({ length: sample.examples }, (_, i) => i);
    await staged.write('patches.png', encodePng(displayPatches(sample, displayGeometry(data.geometry, shape.visibleSize), shown)));
    await staged.write('report.json', `${JSON.stringify(report, null, 2)}\n`);
    if (result.divergedAt !== undefined) {
      const diverged = join(args.out, DIVERGED);
      await staged.commit(diverged);
      features = join(diverged, 'features.png');
    } else if (result.cancelled && result.iterations === (resumeFrom?.iteration ?? 0)) {
      await staged.discard();
      log(`stopped before the first iteration: ${args.out} keeps what it had`);
      return stop.exitCode();
    } else {
      await staged.commit();
    }
  } finally {
    await staged.discard();
  }

  log(
    `${result.cancelled ? 'stopped' : 'done'}: ${result.iterations} iterations, ${result.evaluations} evaluations, ` +
      `${result.seconds.toFixed(1)} s; cost ${result.initialCost.toFixed(6)} → ${result.finalCost.toFixed(6)} ` +
      `(reconstruction ${result.parts.reconstruction.toFixed(6)}, weight decay ${result.parts.weightDecay.toFixed(6)}, ` +
      `sparsity ${result.parts.sparsity.toFixed(6)}); mean ρ̂ ${meanRhoHat.toFixed(4)} (target ${config.sparsityParam})`,
  );
  log(describeUnits(units, shape.hiddenSize));
  log(`features: ${features}`);
  log(`work: ${describeWork(result)}`);
  if (result.divergedAt !== undefined) {
    log(
      `diverged: the cost is not finite at iteration ${result.divergedAt}; ${join(args.out, DIVERGED)} holds this run's files, ` +
        `with θ from iteration ${result.iterations}, the last with a finite cost; ${args.out} keeps the previous run's` +
        `${config.optimizer === 'lbfgs' ? '' : ' (try a smaller --learning-rate)'}`,
    );
    return EXIT_DIVERGED;
  }
  if (result.cancelled) {
    log(`continue with: npm run train -- --out ${args.out} --resume`);
    return stop.exitCode();
  }
  return 0; // a signal while the results were written: they are complete
}

/** A checkpoint whose vectors do not fit the model, or are not finite, is refused. */
function checkResumable(checkpoint: Checkpoint, length: number, path: string): void {
  const fail = (why: string): never => {
    throw new CheckpointError(`${path}: ${why}`);
  };
  const needed = { lbfgs: [], gd: [], sgd: ['velocity'], adam: ['m', 'v'] }[checkpoint.config.optimizer] ?? [];
  for (const name of needed) if (!checkpoint.state[name]) fail(`holds no '${name}' state for ${checkpoint.config.optimizer}`);
  if (checkpoint.config.optimizer === 'lbfgs' && !checkpoint.lbfgs) fail('holds no L-BFGS state (saved before the run reached an iteration): start it again without --resume');
  const vectors: [string, ArrayLike<number>][] = [['θ', checkpoint.theta], ...Object.entries(checkpoint.state)];
  if (checkpoint.lbfgs) {
    let snapshot;
    try {
      snapshot = decodeLbfgsSnapshot(checkpoint.lbfgs);
    } catch (error) {
      return fail(`its L-BFGS state is unreadable (${(error as Error).message})`);
    }
    vectors.push(['the L-BFGS iterate', snapshot.x], ['the L-BFGS gradient', snapshot.grad]);
    snapshot.corrections.forEach((pair, i) => vectors.push([`L-BFGS pair ${i + 1}`, pair.s], [`L-BFGS pair ${i + 1}`, pair.y]));
  }
  for (const [name, values] of vectors) {
    if (values.length !== length) fail(`${name} has ${values.length} values; this model has ${length}`);
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) fail(`${name} holds a value that is not a finite number`);
  }
}

/** Where a diverged run's files go, inside the output folder. */
const DIVERGED = 'diverged';

async function loadInitialTheta(path: string, shape: Shape, geometry: PixelGeometry): Promise<Float64Array> {
  if (extname(path).toLowerCase() === '.json') {
    let value: unknown;
    try {
      value = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new DataError(path, `not readable as JSON (${(error as Error).message})`);
    }
    const model = thetaFromModelJson(value, path);
    if (model.shape.visibleSize !== shape.visibleSize || model.shape.hiddenSize !== shape.hiddenSize) {
      throw new DataError(path, `is a ${model.shape.visibleSize}-${model.shape.hiddenSize} model; this run is ${shape.visibleSize}-${shape.hiddenSize}`);
    }
    return model.theta;
  }
  return thetaFromMatVariables(await loadMatFile(path, { skipUnsupported: true }), shape, geometry, path);
}

function usageFailure(error: unknown): number {
  return sharedUsageFailure(error, 'train');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
