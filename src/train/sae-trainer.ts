/**
 * Training the sparse autoencoders of current practice (TopK with AuxK, BatchTopK, ReLU-L1) with
 * Adam on mini-batches, on the GPU (src/gpu/sae.ts) or with the float64 twin (saeCost of
 * src/reference/sae.ts and a CPU Adam): one recipe, one loop (runSae), two backends doing the same
 * step in the same order, so the GPU run can be held against the twin at a small size.
 *
 * The recipe (Gao et al. 2024, openai/sparse_autoencoder; Anthropic's April 2024 update for ReLU-L1):
 * - init: decoder directions random unit vectors (Gaussian, normalised), W_enc = W_decᵀ, b_enc = 0,
 *   b_dec = the data's mean (not the geometric median: the mean is one pass and, on data centred
 *   about a point, the median's advantage is small; TopK and BatchTopK subtract it before the
 *   encoder as b_pre);
 * - each step, on batch batchForIteration(k) (contiguous batches of the data shuffled once, a fresh
 *   seeded order each epoch): the loss and gradient; the gradient's component along each decoder
 *   direction removed; Adam (β = 0.9, 0.999, ε = 1e-8); the decoder directions rescaled to unit norm;
 * - the learning rate constant, then decayed linearly to 0 over the last LR_DECAY_FRACTION of the
 *   steps (Anthropic's schedule; it lowers the final loss's noise at no cost);
 * - ReLU-L1: λ warmed up linearly from 0 over the first L1_WARMUP_FRACTION of the steps; its
 *   decoder is kept at unit norm too (Anthropic leave it free, with ‖W_dec,i‖ in the penalty, which
 *   at unit norm is the same penalty: one recipe for all three keeps the twin comparison simple);
 * - TopK and BatchTopK: AuxK on the latents that have not fired for `deadAfter` examples (Gao et
 *   al. use 10M tokens; here a scaled-down window, see defaultSaeSettings), weighted 1/32, kAux =
 *   d/2 (Bussmann et al. train BatchTopK with the same auxiliary loss, its dead latents chosen per
 *   example).
 *
 * On the GPU a group of steps (evaluation, firing counts, gradient projection, Adam, renormalise)
 * is recorded into one compute pass and one submission, with one read-back per group: the last
 * step's cost and each latent's examples since it last fired. λ and the dead-latent flags are
 * uniforms/buffers the model writes at once (queue.writeBuffer), so they change only between
 * groups; a group is short while λ warms up.
 */
import { meanMaxCosineSimilarity, saeMetricsOf, type MaxCosineSimilarity, type SaeMetrics } from '../analysis/sae-metrics';
import { countersSince, type GpuCounters } from '../gpu/counters';
import type { GpuContext } from '../gpu/device';
import { withErrorScopes } from '../gpu/errors';
import { GpuReluL1Autoencoder, GpuTopKAutoencoder, type SaeSelection } from '../gpu/sae';
import { decoderNormsProgram, latentFiringProgram } from '../gpu/sae-programs';
import { createBindGroup, createUniformBuffer, inBindingOrder, mapForReading, readVectors } from '../gpu/runtime';
import { roundUp4, type KernelProgram } from '../gpu/programs';
import type { CachedPipeline } from '../gpu/pipelines';
import { GpuVectorBackend, type GpuVector } from '../gpu/vectors';
import { adamStepCpu, type AdamSettings } from '../optim/vectors';
import type { Batch, Dataset } from '../reference/autoencoder';
import { AUXK_COEFFICIENT, removeParallelGradient, renormalizeDecoder, saeCost, saeLayout, updateThreshold, type SaeOptions, type SaeShape } from '../reference/sae';
import { Random } from '../random';
import { ADAM_DEFAULTS, batchForIteration } from './trainer';
import type { DeviceDescription } from './engine';
import { describeAdapter, kernelReport } from './gpu-engine';
import { tableChoice } from '../gpu/tuner';

export type SaeVariant = 'topk' | 'batchtopk' | 'relu-l1';
export const saeVariants: readonly SaeVariant[] = ['topk', 'batchtopk', 'relu-l1'];

export const L1_WARMUP_FRACTION = 0.05;
export const LR_DECAY_FRACTION = 0.2;

export interface SaeTrainSettings {
  variant: SaeVariant;
  latents: number;
  /** Latents kept per example (TopK), on average (BatchTopK); unused by ReLU-L1. */
  k: number;
  /** ReLU-L1's λ at saeCost's scale (the batch mean of ‖x − x̂‖² plus λ·mean Σ z_i‖W_dec,i‖). */
  l1: number;
  /** AuxK's kAux (TopK, BatchTopK); 0: no AuxK. */
  auxK: number;
  /** A latent that has not fired for this many examples is dead (AuxK's candidates). */
  deadAfter: number;
  learningRate: number;
  batchSize: number;
  steps: number;
  seed: number;
  /** Steps per submission and read-back (after the warm-up); default: about 50 reports a run. */
  stepsPerReport?: number;
}

/**
 * Settings for d-dimensional data when the user chooses nothing else: 512 latents; k =
 * round(d/12) within [1, 32] (5 at d = 64, the synthetic default's 5 active features; 32 at
 * d = 384 and above, Gao et al.'s k at GPT-2's width); Adam at 1e-3 (Gao et al.'s
 * 2e-4·(n/2¹⁴)^(−1/2) rule gives ~1e-3 at n = 512 latents); batches of 256; 4,000 steps (25
 * passes over 40,000 examples); AuxK with kAux = d/2 (Gao et al.'s 512 at d = 768 is of that
 * order); ReLU-L1's λ = 0.3 (on the synthetic default, 2,000 steps at 3e-3: MMCS 0.995, FVU 0.18,
 * L0 11; λ = 0.6 matches L0 6 at FVU 0.31, λ = 1 shrinks the codes to FVU 0.73); and a latent is dead once it has not fired for min(examples, 25 batches) examples — Gao
 * et al.'s 10M tokens scaled down to a run of ~1M examples seen.
 */
export function defaultSaeSettings(variant: SaeVariant, inputs: number, examples: number, overrides: Partial<SaeTrainSettings> = {}): SaeTrainSettings {
  const batchSize = overrides.batchSize ?? 256;
  return {
    variant,
    latents: 512,
    k: Math.min(32, Math.max(1, Math.round(inputs / 12))),
    l1: 0.3,
    auxK: variant !== 'relu-l1' ? Math.max(1, Math.floor(inputs / 2)) : 0,
    deadAfter: Math.min(examples, 25 * batchSize),
    learningRate: 1e-3,
    batchSize,
    steps: 4000,
    seed: 1,
    ...overrides,
  };
}

export function checkSaeSettings(s: SaeTrainSettings, inputs: number, examples: number): void {
  const positive = (value: number, flag: string) => {
    if (!(Number.isInteger(value) && value > 0)) throw new RangeError(`${flag} must be a positive integer, got ${value}`);
  };
  if (!saeVariants.includes(s.variant)) throw new RangeError(`--model must be one of kl, ${saeVariants.join(', ')}; got '${s.variant}'`);
  positive(s.latents, '--hidden');
  positive(s.batchSize, '--batch-size');
  if (!(Number.isInteger(s.steps) && s.steps >= 0)) throw new RangeError(`--iters must be a whole number ≥ 0, got ${s.steps}`);
  if (s.variant !== 'relu-l1' && !(Number.isInteger(s.k) && s.k >= 1 && s.k <= s.latents)) throw new RangeError(`--k must be an integer in [1, ${s.latents}] (the latents), got ${s.k}`);
  if (s.variant === 'relu-l1' && !(Number.isFinite(s.l1) && s.l1 >= 0)) throw new RangeError(`--l1 must be ≥ 0, got ${s.l1}`);
  if (!(Number.isFinite(s.learningRate) && s.learningRate > 0)) throw new RangeError(`--learning-rate must be > 0, got ${s.learningRate}`);
  if (!(Number.isInteger(s.auxK) && s.auxK >= 0 && s.auxK <= s.latents)) throw new RangeError(`--aux-k must be an integer in [0, ${s.latents}], got ${s.auxK}`);
  if (s.batchSize > examples) throw new RangeError(`--batch-size ${s.batchSize} is more than the ${examples} examples`);
  if (inputs < 1) throw new RangeError('the data have no values per example');
}

// ---------------------------------------------------------------------------------------------
// Initialisation.

/** θ₀ of the recipe (see the header), in saeLayout's packing. */
export function initialSaeTheta(shape: SaeShape, dataset: Dataset, seed: number): Float64Array {
  const { inputs: d, latents: h } = shape;
  const L = saeLayout(shape);
  const theta = new Float64Array(L.length);
  const rng = new Random((seed * 0x2c1b3c6d + 0x297a2d39) >>> 0);
  for (let i = 0; i < h; i++) {
    let sq = 0;
    for (let c = 0; c < d; c++) {
      const v = rng.normal();
      theta[L.W2 + i * d + c] = v;
      sq += v * v;
    }
    const inv = 1 / Math.sqrt(sq);
    for (let c = 0; c < d; c++) {
      const w = theta[L.W2 + i * d + c] * inv;
      theta[L.W2 + i * d + c] = w;
      theta[L.W1 + c * h + i] = w; // W_enc (d × h) = W_decᵀ
    }
  }
  const { data, examples: m } = dataset;
  for (let r = 0; r < m; r++) for (let c = 0; c < d; c++) theta[L.b2 + c] += data[r * d + c] / m;
  return theta;
}

// ---------------------------------------------------------------------------------------------
// The loop, over a backend.

export interface SaeGroupResult {
  /** The batch mean of ‖x − x̂‖² at the group's last step (saeCost's L_rec). */
  reconstruction: number;
  /** That step's L1 (ReLU-L1) or AuxK (TopK, BatchTopK) term, at saeCost's scale. */
  auxiliary: number;
  /** Examples since each latent last fired. */
  sinceFired: Uint32Array;
}

/**
 * What a backend holds between steps beyond the settings: θ, Adam's moments, the examples since
 * each latent fired, BatchTopK's running threshold. A backend starts from one (a fresh run: θ₀,
 * zero moments and counters, threshold 0) and gives it back for a checkpoint.
 */
export interface SaeBackendState {
  theta: Float64Array;
  m: Float64Array;
  v: Float64Array;
  sinceFired: Uint32Array;
  threshold?: number;
}

/** A run's state between groups: the backend's, the step reached, and what the run has reported so far. */
export interface SaeRunState extends SaeBackendState {
  step: number;
  elapsedSeconds: number;
  history: { step: number; reconstruction: number; auxiliary: number; dead: number }[];
}

/** A fresh run's backend state: θ₀, zero moments, no latent yet waiting to fire, threshold 0 (what a backend given θ₀ alone starts from). */
export function initialBackendState(theta0: Float64Array, latents: number, threshold = 0): SaeBackendState {
  return { theta: Float64Array.from(theta0), m: new Float64Array(theta0.length), v: new Float64Array(theta0.length), sinceFired: new Uint32Array(latents), threshold };
}

/** One step's work, recorded; `sync` sends what is recorded and reads the last step's numbers. */
export interface SaeBackend {
  readonly device: DeviceDescription;
  record(batch: Batch, adam: AdamSettings): void;
  sync(): Promise<SaeGroupResult>;
  /** Between groups only. */
  setLambda(lambda: number): void;
  setDeadLatents(dead: boolean[]): void;
  readTheta(): Promise<Float64Array>;
  /** BatchTopK's running inference threshold. */
  readThreshold(): Promise<number | undefined>;
  /** Between groups only: everything a checkpoint needs to go on bit for bit. */
  readState(): Promise<SaeBackendState>;
  counters(): GpuCounters | undefined;
  destroy(): void;
}

export interface SaeProgress {
  step: number;
  steps: number;
  reconstruction: number;
  auxiliary: number;
  dead: number;
  elapsedSeconds: number;
}

export interface SaeRunOutcome {
  theta: Float64Array;
  threshold?: number;
  steps: number;
  seconds: number;
  exitReason: 'max-iterations' | 'cancelled' | 'non-finite';
  /** The last group's numbers. */
  last?: SaeGroupResult;
  history: { step: number; reconstruction: number; auxiliary: number; dead: number }[];
  work?: GpuCounters;
  device: SaeBackend['device'];
}

/** The learning rate of step k (0-based): constant, then linear to 0 over the last LR_DECAY_FRACTION. */
export function learningRateAt(k: number, s: Pick<SaeTrainSettings, 'learningRate' | 'steps'>): number {
  const decayFrom = Math.floor((1 - LR_DECAY_FRACTION) * s.steps);
  if (k < decayFrom) return s.learningRate;
  return (s.learningRate * (s.steps - k)) / Math.max(1, s.steps - decayFrom);
}

/** λ during the group starting at step k: linear from λ/W at k = 0 to λ at k = W − 1, W the warm-up steps. */
export function lambdaAt(k: number, s: Pick<SaeTrainSettings, 'l1' | 'steps'>): number {
  const warmup = Math.ceil(L1_WARMUP_FRACTION * s.steps);
  return warmup === 0 ? s.l1 : s.l1 * Math.min(1, (k + 1) / warmup);
}

/** Steps in the group starting at k. */
export function groupLength(k: number, s: SaeTrainSettings): number {
  const warmup = s.variant === 'relu-l1' ? Math.ceil(L1_WARMUP_FRACTION * s.steps) : 0;
  const normal = s.stepsPerReport ?? Math.max(1, Math.min(100, Math.ceil(s.steps / 50)));
  // λ changes between groups only: ten or more levels over the warm-up.
  const length = k < warmup ? Math.max(1, Math.min(normal, Math.ceil(warmup / 10))) : normal;
  return Math.max(1, Math.min(length, s.steps - k));
}

export interface SaeRunOptions {
  signal?: AbortSignal;
  onProgress?: (p: SaeProgress) => void | Promise<void>;
  /** Go on from a checkpoint's state (the backend was created from the same state). */
  resumeFrom?: Pick<SaeRunState, 'step' | 'elapsedSeconds' | 'history' | 'sinceFired'>;
  /**
   * Called with the state between groups: when the run stops (a signal, or its last step) and
   * every `checkpointSeconds` (0 or absent: only then). Not for a run whose loss became non-finite.
   */
  onCheckpoint?: (state: SaeRunState) => Promise<void>;
  checkpointSeconds?: number;
}

export async function runSae(backend: SaeBackend, settings: SaeTrainSettings, examples: number, options: SaeRunOptions = {}): Promise<SaeRunOutcome> {
  const started = performance.now();
  const resumed = options.resumeFrom;
  const elapsed = () => (resumed?.elapsedSeconds ?? 0) + (performance.now() - started) / 1000;
  const before = backend.counters();
  const history: SaeRunOutcome['history'] = resumed ? resumed.history.map((entry) => ({ ...entry })) : [];
  let exitReason: SaeRunOutcome['exitReason'] = 'max-iterations';
  let last: SaeGroupResult | undefined;
  let step = resumed?.step ?? 0;
  const usesAuxK = settings.variant !== 'relu-l1' && settings.auxK > 0;
  // The flags the uninterrupted run set after the group before this step.
  if (resumed && step > 0 && usesAuxK) backend.setDeadLatents(Array.from(resumed.sinceFired, (n) => n >= settings.deadAfter));
  const checkpoint = async () => {
    if (options.onCheckpoint) await options.onCheckpoint({ ...(await backend.readState()), step, elapsedSeconds: elapsed(), history });
  };
  let checkpointedAt = performance.now();
  while (step < settings.steps) {
    await new Promise((resolve) => setTimeout(resolve, 0)); // a signal gets its turn
    if (options.signal?.aborted) {
      exitReason = 'cancelled';
      break;
    }
    if (settings.variant === 'relu-l1') backend.setLambda(lambdaAt(step, settings));
    const end = step + groupLength(step, settings);
    for (let k = step; k < end; k++) {
      backend.record(batchForIteration(k, examples, settings.batchSize, settings.seed), { learningRate: learningRateAt(k, settings), ...ADAM_DEFAULTS, step: k + 1 });
    }
    last = await backend.sync();
    step = end;
    const deadFlags = Array.from(last.sinceFired, (n) => n >= settings.deadAfter);
    const dead = deadFlags.filter(Boolean).length;
    history.push({ step, reconstruction: last.reconstruction, auxiliary: last.auxiliary, dead });
    if (!Number.isFinite(last.reconstruction) || !Number.isFinite(last.auxiliary)) {
      exitReason = 'non-finite';
      break;
    }
    if (usesAuxK) backend.setDeadLatents(deadFlags);
    await options.onProgress?.({ step, steps: settings.steps, reconstruction: last.reconstruction, auxiliary: last.auxiliary, dead, elapsedSeconds: elapsed() });
    if (options.checkpointSeconds && performance.now() - checkpointedAt >= options.checkpointSeconds * 1000 && step < settings.steps) {
      await checkpoint();
      checkpointedAt = performance.now();
    }
  }
  if (exitReason !== 'non-finite') await checkpoint();
  const theta = await backend.readTheta();
  const threshold = await backend.readThreshold();
  const after = backend.counters();
  return {
    theta,
    ...(threshold !== undefined ? { threshold } : {}),
    steps: step,
    seconds: elapsed(),
    exitReason,
    last,
    history,
    work: before && after ? countersSince(before, after) : undefined,
    device: backend.device,
  };
}

// ---------------------------------------------------------------------------------------------
// The float64 backend: saeCost, the decoder's twins, adamStepCpu.

function saeOptionsOf(s: SaeTrainSettings, lambda: number, dead: boolean[] | null): SaeOptions {
  if (s.variant === 'relu-l1') return { activation: { kind: 'relu' }, subtractDecoderBias: false, l1: lambda };
  return {
    activation: { kind: s.variant, k: s.k },
    subtractDecoderBias: true,
    ...(s.auxK > 0 && dead && dead.some(Boolean) ? { auxK: { kAux: s.auxK, dead, coefficient: AUXK_COEFFICIENT } } : {}),
  };
}

export function cpuSaeBackend(shape: SaeShape, settings: SaeTrainSettings, dataset: Dataset, from: SaeBackendState | Float64Array): SaeBackend {
  const { inputs: d, latents: h } = shape;
  const start = from instanceof Float64Array ? initialBackendState(from, h) : from;
  const L = saeLayout(shape);
  const theta = Float64Array.from(start.theta);
  const m = Float64Array.from(start.m);
  const v = Float64Array.from(start.v);
  const sinceFired = Uint32Array.from(start.sinceFired);
  let lambda = settings.l1;
  let dead: boolean[] | null = null;
  let threshold = start.threshold ?? 0;
  let last: SaeGroupResult = { reconstruction: NaN, auxiliary: NaN, sinceFired };
  return {
    device: { backend: 'cpu', adapter: 'float64 reference (JavaScript)' },
    record(batch, adam) {
      const x = dataset.data.subarray(batch.start * d, (batch.start + batch.count) * d);
      const result = saeCost(theta, x, batch.count, shape, saeOptionsOf(settings, lambda, dead));
      for (let i = 0; i < h; i++) {
        let fired = false;
        for (let r = 0; r < batch.count && !fired; r++) fired = result.z[r * h + i] > 0;
        sinceFired[i] = fired ? 0 : Math.min(0xffffffff, sinceFired[i] + batch.count);
      }
      if (result.batch) threshold = updateThreshold(threshold, result.batch.minPositive);
      const grad = result.grad;
      grad.set(removeParallelGradient(theta.subarray(L.W2, L.W2 + h * d), grad.subarray(L.W2, L.W2 + h * d), h, d), L.W2);
      adamStepCpu(theta, grad, m, v, adam);
      theta.set(renormalizeDecoder(theta.subarray(L.W2, L.W2 + h * d), h, d), L.W2);
      last = { reconstruction: result.parts.reconstruction, auxiliary: result.parts.l1 + result.parts.auxK, sinceFired: sinceFired.slice() };
    },
    sync: async () => last,
    setLambda(value) {
      lambda = value;
    },
    setDeadLatents(flags) {
      dead = flags.slice();
    },
    readTheta: async () => theta.slice(),
    readThreshold: async () => (settings.variant === 'batchtopk' ? threshold : undefined),
    readState: async () => ({ theta: theta.slice(), m: m.slice(), v: v.slice(), sinceFired: sinceFired.slice(), ...(settings.variant === 'batchtopk' ? { threshold } : {}) }),
    counters: () => undefined,
    destroy() {},
  };
}

// ---------------------------------------------------------------------------------------------
// The GPU backend.

interface Dispatch {
  program: KernelProgram;
  pipeline: CachedPipeline;
  bindGroup: GPUBindGroup;
}

export async function gpuSaeBackend(ctx: GpuContext, shape: SaeShape, settings: SaeTrainSettings, dataset: Dataset, from: SaeBackendState | Float64Array): Promise<SaeBackend> {
  const { inputs: d, latents: h } = shape;
  const start = from instanceof Float64Array ? initialBackendState(from, h) : from;
  const L = saeLayout(shape);
  const device = ctx.device;
  const firstBatch = batchForIteration(0, dataset.examples, settings.batchSize, settings.seed);
  const selection: SaeSelection | null =
    settings.variant === 'relu-l1'
      ? null
      : settings.variant === 'topk'
        ? { kind: 'topk', k: settings.k, ...(settings.auxK > 0 ? { auxK: { kAux: settings.auxK, coefficient: AUXK_COEFFICIENT } } : {}) }
        : { kind: 'batchtopk', k: settings.k, ...(settings.auxK > 0 ? { auxK: { kAux: settings.auxK, coefficient: AUXK_COEFFICIENT } } : {}) };
  const model = selection
    ? await GpuTopKAutoencoder.create(ctx, shape, selection, dataset, { batch: firstBatch })
    : await GpuReluL1Autoencoder.create(ctx, shape, settings.l1, dataset, { batch: firstBatch });
  const owned: GPUBuffer[] = [];
  let vectors: GpuVectorBackend | undefined;
  try {
    vectors = await GpuVectorBackend.create(ctx, L.length);
    const [theta, grad, m, v] = [vectors.create(), vectors.create(), vectors.create(), vectors.create()];
    vectors.write(theta, start.theta);
    // Fresh buffers are zero: the moments and counters of a fresh run need no write.
    if (start.m.some((x) => x !== 0)) vectors.write(m, start.m);
    if (start.v.some((x) => x !== 0)) vectors.write(v, start.v);
    const since = device.createBuffer({ label: 'examples since each latent fired', size: roundUp4(h) * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    // The counters as the last read-back (or the start) left them: between groups, the buffer's.
    let sinceFired = Uint32Array.from(start.sinceFired);
    device.queue.writeBuffer(since, 0, sinceFired);
    if (model instanceof GpuTopKAutoencoder && settings.variant === 'batchtopk') model.writeThreshold(start.threshold ?? 0);
    const staging = device.createBuffer({ label: 'SAE step read-back', size: 16 + roundUp4(h) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    owned.push(since, staging);
    const bind = async (program: KernelProgram, buffers: Record<string, GPUBuffer>): Promise<Dispatch> => {
      const pipeline = await ctx.pipelines.pipeline(program);
      const uniform = createUniformBuffer(device, program);
      owned.push(uniform);
      return { program, pipeline, bindGroup: createBindGroup(device, pipeline, uniform, inBindingOrder(program, buffers), program.name) };
    };
    const norms = { latents: h, width: d, wOffset: L.W2, gOffset: L.W2 };
    const [firing, removeParallel, renormalize] = await withErrorScopes(device, 'creating the SAE training steps', async () => [
      await bind(latentFiringProgram({ rows: settings.batchSize, latents: h }), { z: model.latentsBuffer, since }),
      await bind(decoderNormsProgram('removeParallel', norms), { w: theta.buffer, grad: grad.buffer }),
      await bind(decoderNormsProgram('renormalize', norms), { weights: theta.buffer }),
    ]);
    const dispatch = (pass: GPUComputePassEncoder, step: Dispatch) => {
      pass.setPipeline(step.pipeline.pipeline);
      pass.setBindGroup(0, step.bindGroup);
      pass.dispatchWorkgroups(...step.program.dispatch);
    };
    const backend = vectors;
    // The model's head is (1/2m)Σ‖x̂ − x‖²: half saeCost's, as are its penalties.
    return {
      device: { backend: 'webgpu', adapter: describeAdapter(ctx), kernels: kernelReport(ctx.kernels ?? tableChoice(ctx.adapterInfo)) },
      record(batch, adam) {
        if (batch.count !== settings.batchSize) throw new RangeError(`every batch has ${settings.batchSize} examples; got ${batch.count}`);
        model.encodeEvaluation(backend.pass(), theta.buffer, grad.buffer, batch);
        dispatch(backend.pass(), firing);
        dispatch(backend.pass(), removeParallel);
        backend.adamStep(theta, grad, m, v, adam);
        dispatch(backend.pass(), renormalize);
      },
      async sync() {
        const encoder = backend.takeEncoder();
        encoder.copyBufferToBuffer(model.costBuffer, 0, staging, 0, 16);
        encoder.copyBufferToBuffer(since, 0, staging, 16, roundUp4(h) * 4);
        backend.submit(encoder);
        await mapForReading(ctx, staging);
        const mapped = staging.getMappedRange();
        const cost = new Float32Array(mapped.slice(0, 16));
        sinceFired = new Uint32Array(mapped.slice(16, 16 + h * 4));
        staging.unmap();
        return { reconstruction: 2 * cost[1], auxiliary: 2 * cost[3], sinceFired };
      },
      setLambda(lambda) {
        if (model instanceof GpuReluL1Autoencoder) model.setLambda(lambda);
      },
      setDeadLatents(dead) {
        if (model instanceof GpuTopKAutoencoder) model.setDeadLatents(dead);
      },
      readTheta: () => backend.read(theta),
      async readThreshold() {
        return model instanceof GpuTopKAutoencoder && settings.variant === 'batchtopk' ? model.readThreshold() : undefined;
      },
      async readState() {
        // Between groups nothing is recorded: the three vectors in one copy and one wait.
        const [thetaNow, mNow, vNow] = (await readVectors(ctx, [theta, m, v].map((x) => [x.buffer, 0] as const), L.length)).map((x) => Float64Array.from(x));
        const threshold = model instanceof GpuTopKAutoencoder && settings.variant === 'batchtopk' ? await model.readThreshold() : undefined;
        return { theta: thetaNow, m: mNow, v: vNow, sinceFired: sinceFired.slice(), ...(threshold !== undefined ? { threshold } : {}) };
      },
      counters: () => ({ ...ctx.counters }),
      destroy() {
        backend.destroy();
        for (const b of owned) b.destroy();
        model.destroy();
      },
    };
  } catch (error) {
    vectors?.destroy();
    for (const b of owned) b.destroy();
    model.destroy();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation of a trained SAE, in float64.

export interface SaeModel {
  shape: SaeShape;
  variant: SaeVariant;
  theta: Float64Array;
  k: number;
  /** BatchTopK's inference threshold (JumpReLU), used in place of the batch selection. */
  threshold?: number;
}

/**
 * Latents and reconstructions of `rows` examples, as the model encodes at inference: TopK row-wise,
 * BatchTopK as a JumpReLU at its threshold (no batch), ReLU.
 */
export function saeForward(model: SaeModel, x: ArrayLike<number>, rows: number): { latents: Float64Array; reconstruction: Float64Array } {
  const { inputs: d, latents: h } = model.shape;
  const L = saeLayout(model.shape);
  const t = model.theta;
  const preBias = model.variant !== 'relu-l1';
  const latents = new Float64Array(rows * h);
  const reconstruction = new Float64Array(rows * d);
  const xc = new Float64Array(d);
  const pre = new Float64Array(h);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < d; c++) xc[c] = x[r * d + c] - (preBias ? t[L.b2 + c] : 0);
    for (let i = 0; i < h; i++) pre[i] = t[L.b1 + i];
    for (let c = 0; c < d; c++) {
      const xv = xc[c];
      if (xv === 0) continue;
      const row = L.W1 + c * h;
      for (let i = 0; i < h; i++) pre[i] += xv * t[row + i];
    }
    const z = latents.subarray(r * h, (r + 1) * h);
    if (model.variant === 'topk') {
      // The k-th largest, then the lower index first among equals (the kernels' rule).
      const kth = Float64Array.from(pre).sort()[h - model.k];
      let above = 0;
      for (let i = 0; i < h; i++) if (pre[i] > kth) above++;
      let ties = model.k - above;
      for (let i = 0; i < h; i++) {
        if (pre[i] > kth || (pre[i] === kth && ties-- > 0)) z[i] = Math.max(pre[i], 0);
      }
    } else {
      const threshold = model.variant === 'batchtopk' ? (model.threshold ?? 0) : 0;
      for (let i = 0; i < h; i++) z[i] = pre[i] > threshold ? pre[i] : 0;
    }
    const out = reconstruction.subarray(r * d, (r + 1) * d);
    for (let c = 0; c < d; c++) out[c] = t[L.b2 + c];
    for (let i = 0; i < h; i++) {
      const zi = z[i];
      if (zi === 0) continue;
      const row = L.W2 + i * d;
      for (let c = 0; c < d; c++) out[c] += zi * t[row + c];
    }
  }
  return { latents, reconstruction };
}

export interface SaeEvaluationReport {
  metrics: SaeMetrics;
  /** Against the true directions, when known. */
  mmcs?: MaxCosineSimilarity;
}

/** L0, FVU about the mean, dead latents, density; MMCS when the true directions (N × d) are given. */
export function evaluateSae(model: SaeModel, dataset: Dataset, directions?: { values: ArrayLike<number>; features: number }): SaeEvaluationReport {
  const metrics = saeMetricsOf(dataset, model.shape.latents, (block, rows) => saeForward(model, block, rows));
  if (!directions) return { metrics };
  const { inputs: d, latents: h } = model.shape;
  const L = saeLayout(model.shape);
  const decoder = new Float64Array(d * h); // D × n, column j = latent j's direction
  for (let i = 0; i < h; i++) for (let c = 0; c < d; c++) decoder[c * h + i] = model.theta[L.W2 + i * d + c];
  return { metrics, mmcs: meanMaxCosineSimilarity(Float64Array.from(directions.values), decoder, directions.features, d, h) };
}

/** Everything in one call: a backend, the run, the evaluation. */
export async function trainSae(
  where: { ctx: GpuContext } | 'cpu',
  dataset: Dataset,
  settings: SaeTrainSettings,
  options: SaeRunOptions & {
    directions?: { values: ArrayLike<number>; features: number };
    /** θ₀ in place of the recipe's (--init), and BatchTopK's threshold to start from. */
    theta0?: Float64Array;
    threshold0?: number;
    /** A checkpoint's state to go on from (theta0 is then ignored). */
    resumeFrom?: SaeRunState;
  } = {},
): Promise<SaeRunOutcome & SaeEvaluationReport & { model: SaeModel }> {
  const shape: SaeShape = { inputs: dataset.visibleSize, latents: settings.latents };
  checkSaeSettings(settings, shape.inputs, dataset.examples);
  const start = options.resumeFrom ?? initialBackendState(options.theta0 ?? initialSaeTheta(shape, dataset, settings.seed), shape.latents, options.threshold0);
  const L = saeLayout(shape);
  if (start.theta.length !== L.length) throw new RangeError(`θ has ${start.theta.length} values; a ${shape.inputs}-${shape.latents} SAE has ${L.length}`);
  const backend = where === 'cpu' ? cpuSaeBackend(shape, settings, dataset, start) : await gpuSaeBackend(where.ctx, shape, settings, dataset, start);
  let run: SaeRunOutcome;
  try {
    run = await runSae(backend, settings, dataset.examples, options);
  } finally {
    backend.destroy();
  }
  const model: SaeModel = { shape, variant: settings.variant, theta: run.theta, k: settings.k, ...(run.threshold !== undefined ? { threshold: run.threshold } : {}) };
  return { ...run, ...evaluateSae(model, dataset, options.directions), model };
}
