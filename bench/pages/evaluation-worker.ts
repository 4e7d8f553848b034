/**
 * The lower bound's timing for a training row in Chromium, in a dedicated worker like the
 * trainer's own (src/pages/trainer/worker.ts), so both run in the same kind of context: loads
 * the data as the trainer worker does (src/pages/common/browser-data.ts), then times the GPU
 * pipeline (bench/impls/gpu.ts) on them with the row's θ and hyperparameters. Started by
 * bench/pages/training.ts with a TrainingRequest; posts TrainingEvents, then the timing.
 */
import { messageOf } from '../../src/data/errors';
import { loadBrowserTrainingData } from '../../src/pages/common/browser-data';
import { browserGpuContext, gpuEvaluator } from '../impls/gpu';
import type { AdapterSummary } from '../config';
import {
  rowInputs,
  timeRowEvaluations,
  trainingConfigs,
  type EvaluationTiming,
  type TrainingEvent,
  type TrainingRequest,
} from '../training';

export interface EvaluationWorkerResult {
  data: string;
  examples: number;
  visibleSize: number;
  hiddenSize: number;
  dataMs: number;
  timing: EvaluationTiming;
  adapter: AdapterSummary | null;
}

export type FromEvaluationWorker =
  | { type: 'event'; event: TrainingEvent }
  | { type: 'result'; result: EvaluationWorkerResult }
  | { type: 'error'; message: string };

function post(message: FromEvaluationWorker): void {
  self.postMessage(message, { transfer: [] });
}

self.onmessage = async (event: MessageEvent<TrainingRequest>) => {
  const request = event.data;
  const report = (e: TrainingEvent): void => post({ type: 'event', event: e });
  try {
    const config = { ...trainingConfigs[request.name] };
    report({ type: 'phase', text: `evaluation worker: loading ${config.data}` });
    const dataStart = performance.now();
    const data = await loadBrowserTrainingData(config, undefined);
    const dataMs = performance.now() - dataStart;
    const inputs = rowInputs(config, data);
    report({ type: 'phase', text: `evaluation worker: ${data.description} (${(dataMs / 1000).toFixed(1)} s); timing evaluations` });
    const { timing, adapter } = await timeRowEvaluations(inputs, request, (i) => gpuEvaluator(i, browserGpuContext, i.config), report);
    post({
      type: 'result',
      result: {
        data: data.description,
        examples: inputs.dataset.examples,
        visibleSize: inputs.shape.visibleSize,
        hiddenSize: inputs.shape.hiddenSize,
        dataMs,
        timing,
        adapter,
      },
    });
  } catch (error) {
    post({ type: 'error', message: messageOf(error) });
  }
};
