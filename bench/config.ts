/**
 * What the benchmark measures: the sizes, the data, the hyperparameters, and the shapes of the
 * messages between the runner (Node) and the places a cell runs (a Node child process, or the
 * page e2e/pages/bench.html in headless Chromium). Shared by both sides, so it imports nothing
 * that needs Node or a browser.
 */
import type { AdapterSummary } from '../src/gpu/adapter';
import type { Profile } from '../src/gpu/profile';
import { UFLDL_HYPERPARAMETERS, type Hyperparameters } from '../src/reference/autoencoder';

export type SizeName = 'small' | 'large';
export interface BenchSize {
  name: SizeName;
  /** m, the number of examples. */
  examples: number;
  visibleSize: number;
  hiddenSize: number;
}

export const sizes: Record<SizeName, BenchSize> = {
  // UFLDL's "Sparse Autoencoder" exercise: 10,000 8×8 patches, 64-25.
  small: { name: 'small', examples: 10_000, visibleSize: 64, hiddenSize: 25 },
  // UFLDL's "Vectorization" exercise: 10,000 MNIST digits, 784-196.
  large: { name: 'large', examples: 10_000, visibleSize: 784, hiddenSize: 196 },
};
export const sizeNames = Object.keys(sizes) as SizeName[];

/** ρ, λ, β of UFLDL's "Sparse Autoencoder" exercise, at both sizes. */
export const hyperparameters: Hyperparameters = UFLDL_HYPERPARAMETERS;
export const dataSeed = 20_240_601;
export const thetaSeed = 7;
/** Data values are uniform in [dataLow, dataHigh], like UFLDL's normalized patches. */
export const dataLow = 0.1;
export const dataHigh = 0.9;
/** How close (relative) a float32 implementation's cost must be to the float64 reference. */
export const costTolerance = 1e-4;

export type ImplName = 'gpu' | 'cpu-reference' | 'numpy' | 'tfjs-webgpu' | 'tfjs-cpu';
export const implNames: readonly ImplName[] = ['gpu', 'cpu-reference', 'numpy', 'tfjs-webgpu', 'tfjs-cpu'];
export type EnvName = 'node' | 'chromium';
export const envNames: readonly EnvName[] = ['node', 'chromium'];
/** Which implementations each environment runs. */
export const implsByEnv: Record<EnvName, readonly ImplName[]> = {
  // numpy runs in a python3 process the Node cell starts (bench/impls/numpy.ts).
  node: ['gpu', 'cpu-reference', 'numpy'],
  chromium: ['gpu', 'cpu-reference', 'tfjs-cpu', 'tfjs-webgpu'],
};

/** The adapter a cell ran on (src/gpu/adapter.ts's summary). */
export type { AdapterSummary };

/** The cost of the first evaluation compared with the float64 reference on the same data and θ. */
export interface CostCheck {
  cost: number;
  referenceCost: number;
  relativeError: number;
  tolerance: number;
  ok: boolean;
}

/** What the runner asks a cell to do. */
export interface CellRequest {
  impl: ImplName;
  size: SizeName;
  /** Timed evaluations after the warm-up, at most. */
  reps: number;
  /** One evaluation longer than this is "over the box". */
  boxMs: number;
  /** Stop adding repetitions once warm-up + repetitions would pass this. */
  budgetMs: number;
  /** The float64 reference cost for this size, when the runner already knows it. */
  referenceCost?: number;
  /** After the timings, profile this many evaluations kernel by kernel (`--profile`; GPU only). */
  profiles?: number;
}

/** Progress a cell reports while it runs, so the runner can enforce the time box from outside. */
export type CellEvent =
  | { type: 'setup'; ms: number }
  | { type: 'eval-start'; index: number }
  | { type: 'eval-end'; index: number; ms: number }
  /** One profiled evaluation done (`--profile`, after the timed ones): `ms` is its kernels' total. */
  | { type: 'profile'; index: number; ms: number };

/** What a cell returns when every evaluation finished inside the box. */
export interface CellResult {
  impl: ImplName;
  size: SizeName;
  /** Setup: data upload, θ, pipeline or backend creation (not part of any timing). */
  setupMs: number;
  /** The warm-up evaluation (the first one, timed alone). */
  firstMs: number;
  /** The timed evaluations after the warm-up. */
  samplesMs: number[];
  medianMs: number;
  cost: number;
  costCheck: CostCheck | null;
  /** Set for the CPU reference: its own cost, which later cells compare against. */
  referenceCost?: number;
  adapter: AdapterSummary | null;
  notes?: string[];
  /** `--profile`: the median over the profiled evaluations of each kernel's time. */
  profile?: Profile;
}

/** One row of bench.json. */
export interface BenchRow {
  impl: ImplName;
  env: EnvName;
  size: SizeName;
  m: number;
  visible: number;
  hidden: number;
  /** Median of `reps` evaluations after the warm-up; absent when over the box or failed. */
  medianMs?: number;
  /** Set instead of medianMs when one evaluation ran past the box: the box, in ms. */
  overBoxMs?: number;
  reps: number;
  firstMs?: number;
  samplesMs?: number[];
  setupMs?: number;
  adapter: AdapterSummary | null;
  costCheck: CostCheck | null;
  error?: string;
  notes?: string[];
  profile?: Profile;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function checkCost(cost: number, referenceCost: number): CostCheck {
  const relativeError = Math.abs(cost - referenceCost) / Math.abs(referenceCost);
  return { cost, referenceCost, relativeError, tolerance: costTolerance, ok: relativeError <= costTolerance };
}
