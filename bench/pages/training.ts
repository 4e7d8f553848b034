/**
 * The benchmark's training page (bench/pages/training.html), driven by bench/run.ts through
 * Playwright:
 *
 *   window.benchTraining(request) → one training row (bench/training.ts)
 *
 * The lower bound's median is timed in a dedicated worker (./evaluation-worker.ts), with the GPU
 * pipeline (bench/impls/gpu.ts) on the data the trainer page would load
 * (src/pages/common/browser-data.ts): half of the repetitions before the training, half after.
 * The training goes through the trainer page's own worker (src/pages/trainer/worker.ts,
 * protocol src/pages/trainer/protocol.ts), started as the trainer page starts it, with no live
 * views beyond the worker's first and no periodic checkpoints. No two workers run at once. Progress goes to window.benchTrainingReport,
 * a binding the runner exposes, so the runner can give up on a stuck row.
 */
import type { FromWorker, RunSummary, StartRequest } from '../../src/pages/trainer/protocol';
import type { EvaluationWorkerResult, FromEvaluationWorker } from './evaluation-worker';
import {
  bracketed,
  halfOf,
  readCounters,
  throttledProgress,
  trainingConfigs,
  trainingPaths,
  type TrainingCellResult,
  type TrainingEvent,
  type TrainingRequest,
  type TrainingRun,
} from '../training';

declare global {
  interface Window {
    benchReady?: boolean;
    benchTraining(request: TrainingRequest): Promise<TrainingCellResult>;
    benchTrainingReport?: (event: TrainingEvent) => Promise<void>;
  }
}

const out = document.getElementById('out')!;
const report = async (event: TrainingEvent): Promise<void> => {
  if (event.type === 'phase') out.textContent = event.text;
  await window.benchTrainingReport?.(event);
};

/** The lower bound's timing, in its own worker; resolves with its result. */
function timeInWorker(request: TrainingRequest): Promise<EvaluationWorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./evaluation-worker.ts', import.meta.url), { type: 'module', name: 'bench-evaluation' });
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(`the evaluation worker failed: ${event.message || 'unknown error'}`));
    };
    worker.onmessage = (event: MessageEvent<FromEvaluationWorker>) => {
      const m = event.data;
      if (m.type === 'event') void report(m.event);
      else {
        worker.terminate();
        if (m.type === 'result') resolve(m.result);
        else reject(new Error(`evaluation worker: ${m.message}`));
      }
    };
    worker.postMessage(request);
  });
}

/** One run through the trainer page's worker; resolves on its 'ended' message. */
function trainInWorker(config: StartRequest['config']): Promise<TrainingRun & { notes: string[] }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../../src/pages/trainer/worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
    const progress = throttledProgress(report);
    const notes: string[] = [];
    let readyAt = NaN;
    let device: string | undefined;
    let checkpoints = 0;
    let views = 0;
    const started = performance.now();
    const finish = (error: Error | null, summary?: RunSummary): void => {
      worker.terminate();
      if (error) {
        reject(error);
        return;
      }
      const s = summary!;
      notes.push(
        `worker: ${views} view message(s), ${checkpoints} checkpoint(s); ready ${((readyAt - started) / 1000).toFixed(1)} s after 'start' (data + engine)`,
      );
      resolve({
        setupMs: readyAt - started,
        seconds: s.seconds,
        wallSeconds: (performance.now() - started) / 1000,
        iterations: s.iterations,
        evaluations: s.evaluations,
        initialCost: s.initialCost,
        finalCost: s.finalCost,
        exitReason: s.exitReason,
        counters: readCounters(s),
        device,
        notes,
      });
    };
    worker.onerror = (event) => {
      event.preventDefault();
      finish(new Error(`the trainer worker failed: ${event.message || 'unknown error'}`));
    };
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const m = event.data;
      switch (m.type) {
        case 'status':
          void report({ type: 'phase', text: `worker: ${m.text}` });
          break;
        case 'ready':
          readyAt = performance.now();
          device = m.device.adapter;
          if (m.fallback || m.device.backend !== 'webgpu') {
            finish(new Error(`the worker did not train on WebGPU: ${m.fallback ?? m.device.adapter}`));
            return;
          }
          void report({ type: 'phase', text: `worker ready: ${m.description}; ${m.device.backend} — ${m.device.adapter}` });
          break;
        case 'progress':
          progress(m);
          break;
        case 'view':
          views++;
          break;
        case 'checkpoint':
          checkpoints++;
          break;
        case 'ended':
          if (m.reason !== 'finished') finish(new Error(`the run ended '${m.reason}' (${m.summary.exitReason})`));
          else finish(null, m.summary);
          break;
        case 'error':
          finish(new Error(`worker error during ${m.during}: ${m.message}`));
          break;
        default:
          break;
      }
    };
    const start: StartRequest = {
      type: 'start',
      config,
      device: 'gpu',
      // No live views after the first (the worker always shows the starting point), no
      // periodic checkpoints (it still hands one out at the last iteration).
      liveEvery: config.iterations + 1,
      checkpointEvery: 0,
      checkpointSeconds: 0,
    };
    worker.postMessage(start);
  });
}

window.benchTraining = async (request) => {
  const config = { ...trainingConfigs[request.name] };
  const { data, examples, visibleSize, hiddenSize, dataMs, timing: before, adapter } = await timeInWorker(halfOf(request));

  await report({ type: 'phase', text: `training in the trainer worker: ${config.optimizer}, ${config.iterations} iterations` });
  const { notes, ...training } = await trainInWorker(config);

  await report({ type: 'phase', text: 'timing evaluations after the training' });
  const { timing: after } = await timeInWorker(halfOf(request));
  const timing = bracketed(before, after);
  const result: TrainingCellResult = {
    name: request.name,
    preset: config.preset,
    path: trainingPaths.chromium,
    data,
    examples,
    visibleSize,
    hiddenSize,
    dataMs,
    adapter,
    evaluation: timing,
    training,
    notes,
  };
  out.textContent = JSON.stringify(result, null, 2);
  return result;
};

window.benchReady = true;
out.textContent = 'ready';
