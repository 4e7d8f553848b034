/**
 * `npm run train -- [options]`: trains a sparse autoencoder (or UFLDL's linear decoder) on the GPU (Dawn's WebGPU in Node)
 * or with the float64 reference (`--device cpu`), and writes model.json, theta.mat,
 * features.png, patches.png (200 training examples), report.json and a checkpoint into the output folder.
 *
 * Exit codes: 0 done; 2 bad flags, values, data or a model too large for the device (one line
 * on stderr, nothing written); 1 the GPU failed (the run's checkpoint kept in out/failed/) or a
 * bug (its stack and a request for a report); 3 diverged (out/diverged/); 130/143 interrupted
 * (the checkpoint in the folder resumes with --resume).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { describeUnits, unitStatistics } from '../analysis/units';
import { DataError } from '../data/errors';
import { NoAdapterError } from '../gpu/errors';
import { randomSubset } from '../data/patches';
import { loadMatFile, readFileBytes } from '../data/node';
import { outputOf, type Shape } from '../reference/params';
import { CheckpointError, encodeCheckpoint } from '../train/checkpoint';
import { nodeRunEnvironmentWith } from '../train/engines-node';
import { prepareRun, type PreparedRun } from '../train/prepare';
import { examplesPng, featuresPng, modelJson, thetaFromMatVariables, thetaFromModelJson, thetaMatFile, type PixelGeometry } from '../train/model-files';
import { describeWork, train, workReport } from '../train/trainer';
import { parseTrainArguments, resumeConflicts, trainUsage, UsageError, type TrainArguments } from './args';
import { prepareOutputFolder, removeCreatedFolders, RunCheckpoint, StagedOutput } from './output-files';
import { progressReporter } from './progress';
import { runSaeCommand, saeResumeHint } from './train-sae';
import { EXIT_DIVERGED, handleStopSignals, isGpuFailure, runCommand, speechOn, usageFailure, type CommandSpeech } from './run-control';

const CHECKPOINT = RunCheckpoint.NAME;

async function main(argv: string[]): Promise<number> {
  let args: TrainArguments;
  try {
    args = parseTrainArguments(argv);
  } catch (error) {
    return usageFailure(error, SPEECH);
  }
  if (args.help) {
    console.log(trainUsage);
    return 0;
  }

  const log = (line: string) => process.stderr.write(`${line}\n`);
  const stop = handleStopSignals(log);
  if (args.sae) {
    try {
      return await runSaeCommand(args, log, stop);
    } catch (error) {
      return usageFailure(error, speechOn(SPEECH, args.device));
    }
  }
  const speech = speechOn(SPEECH, args.device);

  // Everything that can be wrong with the input is found before the output folder is touched,
  // and the output folder before the engine is made: a bad --out must not cost a whole run first.
  const checkpointPath = join(args.out, CHECKPOINT);
  let prepared: PreparedRun;
  let created: string[] = [];
  try {
    const { init } = args;
    if (args.resume && !existsSync(checkpointPath)) {
      throw new CheckpointError(`--resume: ${checkpointPath} does not exist: there is nothing to resume in ${args.out} (start a run without --resume)`);
    }
    const resumeBytes = args.resume ? await readFileBytes(checkpointPath) : undefined;
    const saeRun = resumeBytes && saeResumeHint(resumeBytes, checkpointPath, args.out);
    if (saeRun) throw saeRun;
    prepared = await prepareRun(
      {
        config: args.config,
        device: args.device,
        resume: resumeBytes
          ? {
              bytes: resumeBytes,
              source: checkpointPath,
              config: (saved) => {
                const conflicts = resumeConflicts(args, saved);
                if (conflicts.length > 0) {
                  throw new UsageError(`--resume: these flags contradict the checkpoint's run: ${conflicts.join(', ')}; leave them out to continue it, or start a new run in another folder`);
                }
                return { ...saved, iterations: args.given.has('iters') ? args.config.iterations : saved.iterations };
              },
              startAgain: 'start it again without --resume',
            }
          : undefined,
        init: init ? { source: init, load: (shape, data) => loadInitialTheta(init, shape, data.geometry) } : undefined,
        onInputsReady: async ({ data }) => {
          created = await prepareOutputFolder(args.out);
          log(`data: ${data.description}`);
          if (stop.received) throw new StoppedBeforeTraining();
        },
      },
      nodeRunEnvironmentWith({ tune: args.tune }),
    );
  } catch (error) {
    // A run refused after its output folder was made (the engine did not fit) leaves no trace.
    await removeCreatedFolders(created);
    if (error instanceof StoppedBeforeTraining) {
      log(`stopped before training: ${args.out} keeps what it had`);
      return stop.exitCode();
    }
    if (error instanceof NoAdapterError) {
      log(`error: ${error.message} Or train on the float64 CPU reference: npm run train -- --device cpu`);
      return 1;
    }
    return usageFailure(error, speech); // a resource limit too; anything not the user's is rethrown
  }
  const { config, data, shape, initialTheta, resumeFrom, engine, close } = prepared;
  log(`model: ${shape.visibleSize}-${shape.hiddenSize}, ρ = ${config.sparsityParam}, λ = ${config.lambda}, β = ${config.beta}; ${config.optimizer}, ${config.iterations} iterations`);
  log(`device: ${engine.device.backend} — ${engine.device.adapter}${engine.device.kernels ? `; kernels: ${engine.device.kernels.summary}` : ''}`);
  if (resumeFrom) log(`resuming at iteration ${resumeFrom.iteration} from ${checkpointPath}`);

  const checkpoint = await RunCheckpoint.open(args.out);
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
      onCheckpoint: (c) => checkpoint.write(encodeCheckpoint(c)),
    });
  } catch (error) {
    progress.done();
    // A failed run never replaces the folder's checkpoint: its own, the last good state, goes beside.
    const aside = await checkpoint.setAside(FAILED);
    if (isGpuFailure(error)) {
      const kept = aside ? `; the last checkpoint is kept in ${aside} (continue with: npm run train -- --out ${dirname(aside)} --resume)` : '';
      log(`error: the GPU failed: ${error.message}; ${args.out} keeps the previous run's files${kept}`);
      return 1;
    }
    if (aside) log(`(this run's last checkpoint is in ${aside})`);
    return usageFailure(error, speech); // anything not the user's is rethrown: a bug
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
    const { whitening } = data;
    await staged.write('model.json', JSON.stringify(modelJson(result.theta, shape, config, data.geometry, whitening)));
    await staged.write('theta.mat', thetaMatFile(result.theta, shape, data.geometry, whitening));
    features = await staged.write('features.png', featuresPng(result.theta, shape, data.geometry, 4, whitening));
    // UFLDL's Step 1: 200 random training examples, shown the same way as the features.
    await staged.write('patches.png', examplesPng(randomSubset(data.dataset, 200, config.seed), data.geometry));
    await staged.write('report.json', `${JSON.stringify(report, null, 2)}\n`);
    if (result.divergedAt !== undefined) {
      const diverged = join(args.out, DIVERGED);
      await staged.commit(diverged);
      await checkpoint.setAside(DIVERGED);
      features = join(diverged, 'features.png');
    } else if (result.cancelled && result.iterations === (resumeFrom?.iteration ?? 0)) {
      await staged.discard();
      await checkpoint.discard();
      log(`stopped before the first iteration: ${args.out} keeps what it had`);
      return stop.exitCode();
    } else {
      await staged.commit();
      await checkpoint.keep();
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

/** Where a diverged run's files go, inside the output folder; a failed run's checkpoint. */
const DIVERGED = 'diverged';
const FAILED = 'failed';

/** train's remedies in its own flags. */
const SPEECH: CommandSpeech = {
  command: 'train',
  remedies: {
    hidden: 'fewer hidden units (--hidden)',
    optimizer: 'a first-order --optimizer (gd, sgd or adam)',
    examples: 'fewer examples (--patches, or a smaller data file)',
    inputs: 'a smaller --patch',
    cpu: '--device cpu',
  },
};

/** A signal came while the inputs were read: nothing is trained or written. */
class StoppedBeforeTraining extends Error {}

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
    if (outputOf(model.shape) !== outputOf(shape)) {
      throw new DataError(path, `has a ${outputOf(model.shape)} output layer; this run's is ${outputOf(shape)} (--output)`);
    }
    return model.theta;
  }
  return thetaFromMatVariables(await loadMatFile(path, { skipUnsupported: true }), shape, geometry, path);
}

runCommand(SPEECH, () => main(process.argv.slice(2)));
