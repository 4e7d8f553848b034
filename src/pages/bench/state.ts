/**
 * The benchmark page's state: a pure reducer over the worker's messages, the request read from
 * the URL, and the results as the JSON a visitor copies to report figures.
 */
import type { CostCheck } from '../../../bench/config';
import { adapterLabel, type AdapterSummary } from '../../gpu/adapter';
import type { KernelReport } from '../../train/engine';
import type { BenchRequest, BenchSizeRequest, EvaluationRow, FromBenchWorker, TrainingRow } from './protocol';

export interface BenchState {
  status: 'running' | 'done' | 'failed';
  phase: string;
  adapter?: AdapterSummary;
  kernels?: KernelReport;
  evaluations: EvaluationRow[];
  training: TrainingRow[];
  error?: string;
}

export const initialState: BenchState = { status: 'running', phase: 'starting WebGPU…', evaluations: [], training: [] };

export function reduce(state: BenchState, message: FromBenchWorker): BenchState {
  switch (message.type) {
    case 'adapter':
      return { ...state, adapter: message.adapter };
    case 'phase':
      return { ...state, phase: message.text };
    case 'kernels':
      return { ...state, kernels: message.kernels };
    case 'evaluation':
      return { ...state, evaluations: [...state.evaluations, message.row] };
    case 'training':
      return { ...state, training: [...state.training, message.row] };
    case 'done':
      return { ...state, status: 'done', phase: 'done' };
    case 'error':
      return { ...state, status: 'failed', phase: 'failed', error: message.message };
  }
}

/** The benchmark's two sizes, (m, visible, hidden): UFLDL's natural-image and MNIST exercises (bench/config.ts). */
export const DEFAULT_SIZES: BenchSizeRequest[] = [
  { name: 'small', examples: 10_000, visibleSize: 64, hiddenSize: 25 },
  { name: 'large', examples: 10_000, visibleSize: 784, hiddenSize: 196 },
];

/**
 * ?sizes=small:200x16x8,large:400x32x16 (name:m×visible×hidden), ?reps=5, ?iters=20 (0: no
 * training rows), ?tune=2000 (the tuner's budget in ms; 0: the table's kernels). Anything
 * unreadable keeps its default.
 */
export function requestFromQuery(query: URLSearchParams): BenchRequest {
  const whole = (name: string, fallback: number, min = 0) => {
    const value = Number(query.get(name) ?? NaN);
    return Number.isInteger(value) && value >= min ? value : fallback;
  };
  const sizes = (query.get('sizes') ?? '')
    .split(',')
    .map((part) => /^(\w+):(\d+)x(\d+)x(\d+)$/.exec(part.trim()))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[2]) > 0 && Number(m[3]) > 0 && Number(m[4]) > 0)
    .map((m) => ({ name: m[1], examples: Number(m[2]), visibleSize: Number(m[3]), hiddenSize: Number(m[4]) }));
  return { sizes: sizes.length > 0 ? sizes : DEFAULT_SIZES, reps: whole('reps', 5), iterations: whole('iters', 20), tuneBudgetMs: whole('tune', 2000) };
}

/** What the copy button copies: enough to compare one visitor's GPU with another's. */
export function resultsJson(state: BenchState, request: BenchRequest, userAgent: string): string {
  return JSON.stringify(
    {
      benchmark: 'webgpu-sparse-autoencoder',
      status: state.status,
      userAgent,
      adapter: state.adapter ? { ...state.adapter, label: adapterLabel(state.adapter) } : null,
      kernels: state.kernels ?? null,
      request,
      evaluations: state.evaluations.map((r) => ({ ...r, medianMs: round(r.medianMs), firstMs: round(r.firstMs), gflops: round(r.gflops), samplesMs: r.samplesMs.map(round) })),
      training: state.training,
      ...(state.error ? { error: state.error } : {}),
    },
    null,
    2,
  );
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** "ok (3.1e-7)" / "mismatch (2.0e-3 > 1e-4)": the evaluation's cost against the float64 reference's. */
export function costCheckText(check: CostCheck): string {
  const error = check.relativeError.toExponential(1);
  return check.ok ? `ok (${error})` : `mismatch (${error} > ${check.tolerance.toExponential(0)})`;
}
