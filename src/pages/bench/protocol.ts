/** Messages between the benchmark page (./main.ts) and its worker (./worker.ts). */
import type { AdapterSummary } from '../../gpu/adapter';
import type { CostCheck } from '../../../bench/config';
import type { KernelReport } from '../../train/engine';

export interface BenchSizeRequest {
  name: string;
  examples: number;
  visibleSize: number;
  hiddenSize: number;
}

export interface BenchRequest {
  sizes: BenchSizeRequest[];
  /** Timed evaluations after the warm-up, per size. */
  reps: number;
  /** L-BFGS iterations of each training row (0: none). */
  iterations: number;
  /** The tuner's budget (0: the table's kernels, no race). */
  tuneBudgetMs: number;
}

export interface EvaluationRow {
  size: string;
  examples: number;
  visibleSize: number;
  hiddenSize: number;
  medianMs: number;
  firstMs: number;
  samplesMs: number[];
  /** 5 matrix products of 2·m·v·h multiply-adds each (the padding's not counted). */
  gflops: number;
  dispatches: number;
  cost: number;
  /** The first evaluation's cost against the float64 reference on the same data and θ (as \`npm run bench\`). */
  costCheck: CostCheck;
}

export interface TrainingRow {
  size: string;
  iterations: number;
  evaluations: number;
  seconds: number;
  initialCost: number;
  finalCost: number;
  /** Evaluations × the size's median evaluation: what training would take if the loop cost nothing else. */
  lowerBoundSeconds: number;
  overhead: number;
  /** The untimed warm-up run before it (one L-BFGS iteration: the optimizer's pipelines compiled, its buffers made once). */
  warmupSeconds: number;
}

export type FromBenchWorker =
  | { type: 'adapter'; adapter: AdapterSummary }
  | { type: 'phase'; text: string }
  | { type: 'kernels'; kernels: KernelReport }
  | { type: 'evaluation'; row: EvaluationRow }
  | { type: 'training'; row: TrainingRow }
  | { type: 'done' }
  | { type: 'error'; message: string };
