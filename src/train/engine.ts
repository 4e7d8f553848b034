/**
 * Where a training run computes: the float64 CPU reference or the WebGPU pipeline. The
 * trainer (./trainer.ts) is written once against this interface; θ and the gradient are
 * vectors of the engine's backend (Float64Arrays or GPU buffers) and only scalars cross back
 * during training.
 */
import type { CostParts, Dataset, Hyperparameters } from '../reference/autoencoder';
import { sparseAutoencoderCost } from '../reference/autoencoder';
import type { Shape } from '../reference/params';
import { cpuVectorBackend, type Objective, type VectorBackend } from '../optim/lbfgs';

export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1-based step count, for the bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ. */
  step: number;
}

/** The vector operations of L-BFGS plus the elementwise update Adam needs. */
export interface UpdateBackend<V> extends VectorBackend<V> {
  /** m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − α·m̂/(√v̂ + ε) with bias-corrected m̂, v̂. */
  adamStep(theta: V, grad: V, m: V, v: V, settings: AdamSettings): void;
}

export interface EvaluationSummary {
  cost: number;
  parts: CostParts;
}

export interface DeviceDescription {
  backend: 'cpu' | 'webgpu';
  adapter: string;
}

export interface TrainingEngine<V> {
  readonly device: DeviceDescription;
  readonly shape: Shape;
  readonly examples: number;
  readonly vectors: UpdateBackend<V>;
  /**
   * J and ∇J over all examples, or over examples [start, start + count) for mini-batches
   * (ρ̂ is then the batch's mean activation, as in mini-batch training of this model).
   */
  objective(batch?: { start: number; count: number }): Objective<V>;
  /** The cost and its three parts of the most recent evaluation with this cost value. */
  partsOf(cost: number): CostParts | undefined;
  /** A full-data evaluation at θ, with ρ̂, for reports. */
  summarize(theta: V): Promise<EvaluationSummary & { meanActivation: Float64Array }>;
  /** Waits for queued work (GPU) so timings and cancellation are honest. */
  finish(): Promise<void>;
  destroy(): void;
}

/** Remembers the parts of recent evaluations, so a line search's accepted point has them. */
export class RecentParts {
  private entries: { cost: number; parts: CostParts }[] = [];

  remember(cost: number, parts: CostParts): void {
    this.entries.push({ cost, parts });
    if (this.entries.length > 64) this.entries.shift();
  }

  find(cost: number): CostParts | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) if (Object.is(this.entries[i].cost, cost)) return this.entries[i].parts;
    return undefined;
  }
}

/** The float64 reference as an engine. */
export function cpuEngine(shape: Shape, hyperparameters: Hyperparameters, dataset: Dataset): TrainingEngine<Float64Array> {
  const base = cpuVectorBackend(2 * shape.hiddenSize * shape.visibleSize + shape.hiddenSize + shape.visibleSize);
  const vectors: UpdateBackend<Float64Array> = {
    ...base,
    adamStep(theta, grad, m, v, { learningRate, beta1, beta2, epsilon, step }) {
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      for (let i = 0; i < theta.length; i++) {
        const g = grad[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        theta[i] -= (learningRate * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + epsilon);
      }
    },
  };
  const recent = new RecentParts();
  const v = shape.visibleSize;
  const batchOf = (start: number, count: number): Dataset => ({
    data: dataset.data.subarray(start * v, (start + count) * v),
    examples: count,
    visibleSize: v,
  });
  return {
    device: { backend: 'cpu', adapter: 'float64 reference (JavaScript)' },
    shape,
    examples: dataset.examples,
    vectors,
    objective(batch) {
      const data = batch ? batchOf(batch.start, batch.count) : dataset;
      return {
        async evaluate(theta, gradOut) {
          const { cost, parts, grad } = sparseAutoencoderCost(theta, shape, hyperparameters, data);
          gradOut.set(grad);
          recent.remember(cost, parts);
          return cost;
        },
      };
    },
    partsOf: (cost) => recent.find(cost),
    async summarize(theta) {
      const { cost, parts, meanActivation } = sparseAutoencoderCost(theta, shape, hyperparameters, dataset);
      return { cost, parts, meanActivation };
    },
    async finish() {},
    destroy() {},
  };
}
