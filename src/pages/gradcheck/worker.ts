/**
 * The gradient-check page's worker: the numerical checks on the float64 reference, then the
 * WebGPU gradient against the reference at the same θ and data.
 */
import { messageOf } from '../../data/errors';
import { samplePatches } from '../../data/patches';
import { GpuSparseAutoencoder } from '../../gpu/autoencoder';
import { sparseAutoencoderCost, type CostParts, type Hyperparameters } from '../../reference/autoencoder';
import { checkGradient, RELATIVE_DIFFERENCE_LIMIT } from '../../reference/gradcheck';
import { initializeParameters, type Shape } from '../../reference/params';
import { presets } from '../../train/config';
import { loadNaturalImages } from '../common/browser-data';
import type { GpuContext } from '../../gpu/device';
import {
  checkColumnMeans,
  checkCost,
  checkHiddenDelta,
  checkMatmul,
  checkOutputDelta,
  checkPadMatrix,
  checkSumOfSquares,
  checkWeightGradient,
} from '../../gpu/checks';
import { autoencoderBlocks, compareCost, compareGradient, compareVectors, type CheckResult, type VectorCriterion } from '../../gpu/comparison';
import { INTERMEDIATE_TOLERANCE } from '../../gpu/tolerance';
import type { AdapterSummary } from '../../gpu/adapter';
import { adapterOf, createGpuContext } from '../common/gpu-modules';
import { blockLabels, blockView, entryName, type BlockComparison, type BlockName } from './compare';

export interface CheckRequest {
  type: 'run';
  numeric: { hiddenSize: number; examples: number; patchSize: number; seed: number };
  /** Absent: skip the GPU part (no WebGPU in this browser). */
  gpu?: { hiddenSize: number; examples: number; seed: number };
}

export interface NumericRow {
  id: string;
  title: string;
  detail: string;
  parameters: number;
  evaluations: number;
  seconds: number;
  result: BlockComparison;
}

export interface GpuResult {
  adapter: AdapterSummary;
  shape: Shape;
  examples: number;
  hyperparameters: Hyperparameters;
  cost: { gpu: number; reference: number; relativeError: number; limit: number; pass: boolean; parts: { gpu: CostParts; reference: CostParts } };
  meanActivation: { maxDifference: number };
  blocks: (BlockComparison & { label: string })[];
  kernels: KernelCheck[];
  policy: string;
  seconds: { gpu: number; reference: number };
  pass: boolean;
}

export interface KernelCheck {
  name: string;
  shape: string;
  maxError: number;
  /** The worst entry's error over its own bound (≤ 1 passes). */
  worstRatio: number;
  pass: boolean;
}

export type CheckMessage =
  | { type: 'status'; part: 'numeric' | 'gpu'; text: string }
  | { type: 'numeric-setup'; text: string }
  | { type: 'numeric-row'; row: NumericRow }
  | { type: 'numeric-done'; pass: boolean }
  | { type: 'gpu-result'; result: GpuResult }
  | { type: 'gpu-skipped'; reason: string }
  | { type: 'gpu-error'; message: string }
  | { type: 'error'; message: string };

function post(message: CheckMessage): void {
  self.postMessage(message);
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Central differences against backpropagation, both float64: UFLDL's relative difference. */
const NUMERICAL: VectorCriterion = { measure: 'relativeDifference', limit: RELATIVE_DIFFERENCE_LIMIT };

self.onmessage = async (event: MessageEvent<CheckRequest>) => {
  try {
    await run(event.data);
  } catch (error) {
    post({ type: 'error', message: messageOf(error) });
  }
};

async function run(request: CheckRequest): Promise<void> {
  post({ type: 'status', part: 'numeric', text: 'loading the natural images…' });
  const images = await loadNaturalImages();
  const exercise = presets['ufldl-natural'];

  // ---- 1. numerical against analytic, float64.
  const { hiddenSize, examples, patchSize, seed } = request.numeric;
  const shape = { visibleSize: patchSize * patchSize, hiddenSize };
  const data = samplePatches(images, { patchSize, count: examples, seed });
  const theta = initializeParameters(shape, seed);
  post({
    type: 'numeric-setup',
    text: `${examples} natural-image patches of ${patchSize}×${patchSize}, a ${shape.visibleSize}-${hiddenSize} autoencoder, θ from initializeParameters (seed ${seed}), ε = 10⁻⁴.`,
  });

  const rows: { id: string; title: string; detail: string; check: () => { n: number; result: BlockComparison } }[] = [
    {
      id: 'quadratic',
      title: 'Simple quadratic',
      detail: 'h(x) = x₁² + 3x₁x₂ at x = (4, 10): checkNumericalGradient, the check of the check',
      check: () => {
        const x = Float64Array.of(4, 10);
        const g = checkGradient((t) => ({ cost: t[0] ** 2 + 3 * t[0] * t[1], grad: [2 * t[0] + 3 * t[1], 3 * t[0]] }), x);
        const result = compareVectors('h(x)', {}, g.numerical, g.analytical, { ...NUMERICAL, count: 2 });
        return { n: 2, result: blockView(result, 'all', (i) => `x${i + 1}`) };
      },
    },
    ...(
      [
        ['natural', 'Sparse autoencoder, exercise settings', exercise, 'ρ = 0.01, λ = 10⁻⁴, β = 3 (“Sparse Autoencoder”): reconstruction, weight decay and the KL sparsity penalty'],
        ['mnist', 'Sparse autoencoder, vectorization settings', presets['ufldl-mnist'], 'ρ = 0.1, λ = 3·10⁻³, β = 3 (“Vectorization”)'],
      ] as const
    ).map(([id, title, hp, detail]) => ({
      id,
      title,
      detail,
      check: () => {
        const g = checkGradient((t) => sparseAutoencoderCost(t, shape, hp, data), theta);
        const result = compareVectors(id, shape, g.numerical, g.analytical, NUMERICAL);
        return { n: theta.length, result: blockView(result, 'all', (i) => entryName(i, shape)) };
      },
    })),
  ];

  let numericPass = true;
  for (const row of rows) {
    post({ type: 'status', part: 'numeric', text: `${row.title}…` });
    await tick();
    const started = performance.now();
    const { n, result } = row.check();
    numericPass &&= result.pass;
    post({
      type: 'numeric-row',
      row: { id: row.id, title: row.title, detail: row.detail, parameters: n, evaluations: 2 * n, seconds: (performance.now() - started) / 1000, result },
    });
  }
  post({ type: 'numeric-done', pass: numericPass });

  // ---- 2. the GPU against the reference.
  if (!request.gpu) {
    post({ type: 'gpu-skipped', reason: 'This browser offers no WebGPU adapter, so there is no GPU gradient to check.' });
    return;
  }
  try {
    await checkGpu(request.gpu, images);
  } catch (error) {
    post({ type: 'gpu-error', message: messageOf(error) });
  }
}

async function checkGpu(request: NonNullable<CheckRequest['gpu']>, images: Awaited<ReturnType<typeof loadNaturalImages>>): Promise<void> {
  const hp = presets['ufldl-natural'];
  const shape = { visibleSize: 64, hiddenSize: request.hiddenSize };
  post({ type: 'status', part: 'gpu', text: 'setting up WebGPU…' });
  const ctx = await createGpuContext();
  try {
    // The reference is handed exactly the float32 values the GPU sees (data, θ, ρ, λ, β), so
    // what is left to compare is the GPU's float32 arithmetic (src/gpu/tolerance.ts).
    const sampled = samplePatches(images, { patchSize: 8, count: request.examples, seed: request.seed });
    const dataset = { ...sampled, data: Float64Array.from(sampled.data, Math.fround) };
    const theta = initializeParameters(shape, request.seed).map(Math.fround);
    const hp32 = { sparsityParam: Math.fround(hp.sparsityParam), lambda: Math.fround(hp.lambda), beta: Math.fround(hp.beta) };
    post({ type: 'status', part: 'gpu', text: 'evaluating on the GPU…' });
    let started = performance.now();
    const model = await GpuSparseAutoencoder.create(ctx, shape, hp, dataset, { theta });
    let gpu;
    let grad: Float32Array;
    try {
      gpu = await model.evaluate({ meanActivation: true });
      grad = await model.readGradient();
    } finally {
      model.destroy();
    }
    const gpuSeconds = (performance.now() - started) / 1000;

    post({ type: 'status', part: 'gpu', text: 'evaluating the float64 reference…' });
    await tick();
    started = performance.now();
    const reference = sparseAutoencoderCost(theta, shape, hp32, dataset);
    const referenceSeconds = (performance.now() - started) / 1000;

    const label = { examples: dataset.examples, visibleSize: shape.visibleSize, hiddenSize: shape.hiddenSize };
    const cost = compareCost(label, gpu, reference);
    const gradient = compareGradient(label, grad, reference.grad, autoencoderBlocks(shape));
    const name = (i: number) => entryName(i, shape);
    const labels = blockLabels(shape);
    const blocks = [
      ...gradient.blocks.map((b) => ({ ...blockView(b, b.name as BlockName, name), label: labels[b.name as BlockName] })),
      { ...blockView(gradient, 'all', name), label: `all of ∇J · ${reference.grad.length}` },
    ];
    // ρ̂ is shown, not judged: its largest difference.
    const meanActivation = gpu.meanActivation ?? new Float32Array(shape.hiddenSize).fill(NaN);
    const rho = compareVectors('ρ̂', label, meanActivation, reference.meanActivation, { measure: 'relativeNorm', limit: INTERMEDIATE_TOLERANCE.activationRelativeNorm });

    post({ type: 'status', part: 'gpu', text: 'checking each kernel…' });
    const kernels = await kernelChecks(ctx, shape);
    post({
      type: 'gpu-result',
      result: {
        adapter: adapterOf(ctx),
        shape,
        examples: dataset.examples,
        hyperparameters: { sparsityParam: hp.sparsityParam, lambda: hp.lambda, beta: hp.beta },
        cost: { gpu: gpu.cost, reference: reference.cost, relativeError: cost.maxError, limit: cost.bound, pass: cost.pass, parts: { gpu: gpu.parts, reference: reference.parts } },
        meanActivation: { maxDifference: rho.details!.maxDifference },
        blocks,
        kernels,
        policy: `‖GPU − ref‖ / ‖ref‖ ≤ ${gradient.bound} for each block and the whole gradient; |J_GPU − J_ref| / |J_ref| ≤ ${cost.bound}`,
        seconds: { gpu: gpuSeconds, reference: referenceSeconds },
        pass: cost.pass && blocks.every((b) => b.pass) && kernels.every((k) => k.pass),
      },
    });
  } finally {
    ctx.destroy();
  }
}

/** Each kernel against its float64 twin with per-entry bounds (src/gpu/checks.ts), at this model's sizes. */
async function kernelChecks(ctx: GpuContext, shape: Shape): Promise<KernelCheck[]> {
  const { visibleSize: v, hiddenSize: h } = shape;
  const m = 1000;
  const results: CheckResult[] = [
    await checkMatmul(ctx, { M: m, N: h, K: v, layout: 'NN', activation: 'sigmoid' }),
    await checkMatmul(ctx, { M: m, N: v, K: h, layout: 'NN', activation: 'sigmoid' }),
    await checkMatmul(ctx, { M: m, N: h, K: v, layout: 'NT' }),
    await checkWeightGradient(ctx, { m, rows: v, cols: h }),
    await checkWeightGradient(ctx, { m, rows: h, cols: v }),
    await checkColumnMeans(ctx, { rows: m, cols: h }),
    ...(await checkOutputDelta(ctx, { rows: m, cols: v })),
    ...(await checkHiddenDelta(ctx, { rows: m, hidden: h })),
    await checkPadMatrix(ctx, { rows: v, cols: h }),
    await checkSumOfSquares(ctx, { count: 2 * v * h }),
    await checkCost(ctx, { squaredErrorCount: v, weightCount: 16, hidden: h, examples: m }),
  ];
  return results.map((r) => {
    const worst = r.worst[0];
    return {
      name: r.name,
      shape: Object.entries(r.shape)
        .map(([k, value]) => `${k} ${value}`)
        .join(', '),
      maxError: r.maxError,
      worstRatio: worst ? (worst.bound > 0 ? worst.error / worst.bound : worst.error > 0 ? Infinity : 0) : 0,
      pass: r.pass,
    };
  });
}
