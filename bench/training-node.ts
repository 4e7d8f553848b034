/**
 * A training row in Node (Dawn): the data loaded as `npm run train` loads them
 * (src/train/data-node.ts), the GPU pipeline's median evaluation time on those data, then
 * `train(engine, { config, initialTheta })` on `createEngine('gpu', …)` (src/train/engines-node.ts).
 * Run by bench/node-cell.ts in a child process (npm run bench) and by
 * bench/device/training-rows.ts on a machine with a real GPU.
 */
import { createNodeGpuContext } from '../src/gpu/node';
import { DEFAULT_CORRECTIONS } from '../src/optim/lbfgs';
import { loadTrainingData } from '../src/train/data-node';
import { createEngine } from '../src/train/engines-node';
import { train } from '../src/train/trainer';
import { gpuEvaluator } from './impls/gpu';
import {
  bracketed,
  halfOf,
  readCounters,
  rowInputs,
  throttledProgress,
  timeRowEvaluations,
  trainingConfigs,
  trainingPaths,
  type RowInputs,
  type TrainingCellResult,
  type TrainingReporter,
  type TrainingRequest,
} from './training';

export async function runNodeTraining(
  request: TrainingRequest,
  report: TrainingReporter,
  path: string = trainingPaths.node,
): Promise<TrainingCellResult> {
  const config = { ...trainingConfigs[request.name] };
  // The data first: decoding and whitening are heavy synchronous work, done before any GPU
  // device lives (Dawn on lavapipe has crashed on CPU-heavy JavaScript between GPU calls).
  await report({ type: 'phase', text: `loading ${config.data}` });
  const dataStart = performance.now();
  const data = await loadTrainingData(config);
  const dataMs = performance.now() - dataStart;
  const inputs = rowInputs(config, data);
  await report({ type: 'phase', text: `data: ${data.description} (${(dataMs / 1000).toFixed(1)} s); timing evaluations` });

  // The lower bound's median: the GPU pipeline alone, same data, θ and hyperparameters; half
  // of the repetitions now, half after the training.
  const timeEvaluations = () =>
    timeRowEvaluations(inputs, halfOf(request), (i) => gpuEvaluator(i, () => createNodeGpuContext(), i.config), report);
  const { timing: before, adapter } = await timeEvaluations();

  await report({ type: 'phase', text: `training: ${config.optimizer}, ${config.iterations} iterations` });
  const setupStart = performance.now();
  const { engine, close } = await createEngine('gpu', inputs.shape, config, inputs.dataset);
  const setupMs = performance.now() - setupStart;
  let result;
  let wallSeconds: number;
  try {
    const t0 = performance.now();
    result = await train(engine, { config, initialTheta: inputs.theta, onProgress: throttledProgress(report) });
    wallSeconds = (performance.now() - t0) / 1000;
  } finally {
    close();
  }
  await report({ type: 'phase', text: 'timing evaluations after the training' });
  const { timing: after } = await timeEvaluations();
  const timing = bracketed(before, after);
  const peer = config.optimizer === 'lbfgs' ? await scipyPeer(inputs, config.iterations, report) : undefined;

  return {
    name: request.name,
    preset: config.preset,
    path,
    data: data.description,
    examples: inputs.dataset.examples,
    visibleSize: inputs.shape.visibleSize,
    hiddenSize: inputs.shape.hiddenSize,
    dataMs,
    adapter,
    evaluation: timing,
    training: {
      setupMs,
      seconds: result.seconds,
      wallSeconds,
      iterations: result.iterations,
      evaluations: result.evaluations,
      initialCost: result.initialCost,
      finalCost: result.finalCost,
      exitReason: result.exitReason,
      counters: readCounters(result),
      device: result.device.adapter,
    },
    ...(peer ? { peer } : {}),
  };
}

/** numpy float32 + scipy's L-BFGS-B on the same data and θ₀, with minFunc's 100 corrections, when python3 has them. */
async function scipyPeer(inputs: RowInputs, maxIter: number, report: TrainingReporter): Promise<TrainingCellResult['peer']> {
  const { numpyMissing, scipyLbfgsRun } = await import('./impls/numpy');
  const missing = numpyMissing();
  if (missing) return { skipped: missing };
  await report({ type: 'phase', text: `numpy float32 + scipy L-BFGS-B, ${maxIter} iterations` });
  const run = await scipyLbfgsRun(inputs.dataset, inputs.theta, inputs.shape, inputs.config, maxIter, DEFAULT_CORRECTIONS);
  return {
    what: `numpy ${run.numpy} float32 + scipy ${run.scipy} L-BFGS-B (maxcor ${DEFAULT_CORRECTIONS}, as minFunc's Corr)`,
    seconds: run.seconds,
    iterations: run.iterations,
    evaluations: run.evaluations,
    finalCost: run.cost,
    message: run.message,
  };
}
