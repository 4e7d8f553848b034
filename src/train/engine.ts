/**
 * Where a training run computes: the float64 CPU reference (here) or the WebGPU pipeline
 * (./gpu-engine.ts). The trainer (./trainer.ts) is written once against this interface: θ and
 * the gradient are vectors of the engine's backend (Float64Arrays or GPU buffers), and only
 * scalars cross back during training.
 */
import { cpuLbfgsBackend } from '../optim/lbfgs-cpu';
import type { Evaluation, LbfgsBackend } from '../optim/lbfgs';
import { cpuUpdateBackend, type UpdateBackend } from '../optim/vectors';
import type { GpuCounters } from '../gpu/counters';
import type { Batch, CostParts, Dataset, Hyperparameters } from '../reference/autoencoder';
import { sparseAutoencoderCost } from '../reference/autoencoder';
import { thetaLayout, type Shape } from '../reference/params';

export type { Batch };

export interface EvaluationSummary {
  cost: number;
  parts: CostParts;
}

export interface DeviceDescription {
  backend: 'cpu' | 'webgpu';
  adapter: string;
  /** WebGPU: the matmul kernels the model runs and whether they were tuned on this adapter (src/gpu/tuner.ts). */
  kernels?: KernelReport;
}

/** The kernel choice as report.json and the pages show it. */
export interface KernelReport {
  /** "subgroups 16×4 (size 8), tuned 1.9 s ago (raced 3 of 18 in 2.1 s)" / "…, cached: tuned 3 min ago (…)" / "…, table default". */
  summary: string;
  kernels: string;
  source: 'table' | 'tuned' | 'cached';
  tunedAt?: string;
  raceSeconds?: number;
  /** Each candidate raced: its kernels, ms per pass over the model's products, whether it passed the twin check. */
  raced?: { kernels: string; ms?: number; passed: boolean; skipped?: boolean }[];
}

export interface TrainingEngine<V> {
  readonly device: DeviceDescription;
  readonly shape: Shape;
  readonly examples: number;
  /** θ-sized vectors and the first-order updates on them. */
  readonly vectors: UpdateBackend<V>;
  /** An L-BFGS backend over all examples, keeping `corrections` pairs. */
  lbfgs(corrections: number): Promise<LbfgsBackend>;
  /**
   * Records J and ∇J at θ into grad, over all examples or over a batch (ρ̂ is then the batch's
   * mean activation, as in mini-batch training of this model). Nothing is waited on: updates
   * recorded after it see its gradient.
   */
  record(theta: V, grad: V, batch?: Batch): void;
  /** The cost of the evaluation recorded last: sends what is recorded to the device, one wait. */
  lastEvaluation(): Promise<Evaluation>;
  /** A full-data evaluation at θ, with ρ̂, for reports. */
  summarize(theta: Float64Array): Promise<EvaluationSummary & { meanActivation: Float64Array }>;
  /** The device's work so far (GPU engines): submissions, dispatches, read-backs, GPU time. */
  counters(): GpuCounters | undefined;
  /** Waits for queued work (GPU) so timings and cancellation are honest. */
  finish(): Promise<void>;
  destroy(): void;
}

/** The float64 reference as an engine. */
export function cpuEngine(shape: Shape, hyperparameters: Hyperparameters, dataset: Dataset): TrainingEngine<Float64Array> {
  const length = thetaLayout(shape).length;
  const v = shape.visibleSize;
  const batchOf = (batch?: Batch): Dataset =>
    batch ? { data: dataset.data.subarray(batch.start * v, (batch.start + batch.count) * v), examples: batch.count, visibleSize: v } : dataset;
  const evaluate = (theta: Float64Array, gradOut: Float64Array, batch?: Batch): Evaluation => {
    const { cost, parts, grad } = sparseAutoencoderCost(theta, shape, hyperparameters, batchOf(batch));
    gradOut.set(grad);
    return { cost, parts };
  };
  let last: Evaluation = { cost: NaN };
  return {
    device: { backend: 'cpu', adapter: 'float64 reference (JavaScript)' },
    shape,
    examples: dataset.examples,
    vectors: cpuUpdateBackend(length),
    lbfgs: async (corrections) => cpuLbfgsBackend(length, (x, g) => evaluate(x, g), corrections),
    record(theta, grad, batch) {
      last = evaluate(theta, grad, batch);
    },
    lastEvaluation: async () => last,
    async summarize(theta) {
      const { cost, parts, meanActivation } = sparseAutoencoderCost(theta, shape, hyperparameters, dataset);
      return { cost, parts, meanActivation };
    },
    counters: () => undefined,
    async finish() {},
    destroy() {},
  };
}
