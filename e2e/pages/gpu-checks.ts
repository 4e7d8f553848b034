/**
 * The GPU checks in a browser page (e2e/pages/gpu-checks.html?suite=NAME): the same isomorphic
 * checks the Node tests run (test/gpu/*.test.ts, src/gpu/checks.ts), here on navigator.gpu.
 *
 *   window.gpuChecks = { suite, adapter, config, results: [{ label, result }], error?, done }
 *
 * Shapes: a representative set of the awkward ones the Node tests use — m ∈ {1, 7, 10000},
 * visible ∈ {3, 64, 784}, hidden ∈ {1, 25, 196}, none a multiple of any tile, so every kernel's
 * edge guards and padding are exercised — without the 10000 × 784 × 196 products, which take
 * minutes on SwiftShader (Node runs those on lavapipe).
 */
import {
  checkColumnMeans,
  checkCost,
  checkEvaluation,
  checkHiddenDelta,
  checkMatmul,
  checkOutputDelta,
  checkPadMatrix,
  checkSumOfSquares,
  checkWeightGradient,
} from '../../src/gpu/checks';
import { formatCheck, type CheckResult } from '../../src/gpu/comparison';
import { chooseKernelConfig, MATMUL_VARIANTS, matmulVariantsFor, type AdapterSummary, type KernelConfig, type MatmulVariant } from '../../src/gpu/adapter';
import { createGpuContext, type GpuContext } from '../../src/gpu/device';

export interface PageCheck {
  label: string;
  result: CheckResult;
  text: string;
}

export interface GpuChecksState {
  suite: string;
  adapter: AdapterSummary | null;
  config: KernelConfig | null;
  /** The matmul variants the adapter offers. */
  variants: MatmulVariant[];
  /** A forced variant the adapter does not offer: why forcing it was refused (nothing ran). */
  refused?: string;
  results: PageCheck[];
  error?: string;
  done: boolean;
  ms?: number;
}

declare global {
  interface Window {
    gpuChecks?: GpuChecksState;
  }
}

type Run = (ctx: GpuContext, add: (label: string, r: CheckResult | CheckResult[]) => void) => Promise<void>;

const KERNEL_SHAPES: Array<[number, number, number]> = [
  [1, 3, 1],
  [7, 64, 25],
  [7, 784, 196],
  [1, 784, 196],
  [10000, 3, 1],
  [10000, 64, 25],
];

function matmulSuite(variant: MatmulVariant | undefined, shapes = KERNEL_SHAPES): Run {
  return async (ctx, add) => {
    for (const [m, v, h] of shapes) {
      const at = `m=${m} v=${v} h=${h}`;
      add(`${at} forward z2 NN+bias+sigmoid`, await checkMatmul(ctx, { M: m, N: h, K: v, layout: 'NN', activation: 'sigmoid', variant }));
      add(`${at} forward z3 NN+bias+sigmoid`, await checkMatmul(ctx, { M: m, N: v, K: h, layout: 'NN', activation: 'sigmoid', variant }));
      add(`${at} plain NN`, await checkMatmul(ctx, { M: m, N: v, K: h, layout: 'NN', variant }));
      add(`${at} backprop NT`, await checkMatmul(ctx, { M: m, N: h, K: v, layout: 'NT', variant }));
      add(`${at} TN without split`, await checkMatmul(ctx, { M: v, N: h, K: m, layout: 'TN', variant }));
      add(`${at} ∇W1 split-K TN + finalize`, await checkWeightGradient(ctx, { m, rows: v, cols: h, variant }));
      add(`${at} ∇W2 split-K TN + finalize`, await checkWeightGradient(ctx, { m, rows: h, cols: v, variant }));
    }
  };
}

const reductions: Run = async (ctx, add) => {
  for (const rows of [1, 7, 64, 65, 10000]) {
    for (const cols of [1, 3, 25, 196, 784]) {
      if (rows * cols > 2_000_000) continue;
      add(`column means ${rows}×${cols}`, await checkColumnMeans(ctx, { rows, cols }));
    }
  }
  for (const [rows, cols] of [[1, 3], [7, 64], [10000, 3], [10000, 64], [1000, 784]]) {
    add(`output delta ${rows}×${cols}`, await checkOutputDelta(ctx, { rows, cols }));
  }
  for (const [rows, hidden] of [[1, 1], [7, 25], [10000, 1], [10000, 25], [10000, 196]]) {
    add(`hidden delta ${rows}×${hidden}`, await checkHiddenDelta(ctx, { rows, hidden }));
  }
  for (const [rows, cols] of [[3, 1], [25, 64], [196, 784], [784, 196]]) {
    add(`pad matrix ${rows}×${cols}`, await checkPadMatrix(ctx, { rows, cols }));
  }
  for (const count of [1, 6, 255, 256, 257, 3200, 2 * 784 * 196]) {
    add(`sum of squares of ${count}`, await checkSumOfSquares(ctx, { count }));
  }
  for (const [squaredErrorCount, weightCount, hidden, examples] of [[3, 1, 1, 7], [64, 13, 25, 10000], [784, 1201, 196, 10000]]) {
    add(`cost ${squaredErrorCount}/${weightCount}/${hidden}/${examples}`, await checkCost(ctx, { squaredErrorCount, weightCount, hidden, examples }));
  }
};

const MODEL_SHAPES: Array<[number, number, number]> = [
  [7, 3, 1],
  [1, 64, 25],
  [10000, 64, 25],
  [1000, 784, 196],
];

function evaluationSuite(variant: MatmulVariant | undefined): Run {
  return async (ctx, add) => {
    for (const [examples, visibleSize, hiddenSize] of MODEL_SHAPES) {
      add(`evaluation m=${examples} v=${visibleSize} h=${hiddenSize}`, await checkEvaluation(ctx, { examples, visibleSize, hiddenSize, variant }));
    }
    if (!variant) {
      const hyperparameters = { sparsityParam: 0.1, lambda: 0.003, beta: 0.5 };
      add('evaluation m=333 v=64 h=25, λ=0.003 β=0.5 ρ=0.1', await checkEvaluation(ctx, { examples: 333, visibleSize: 64, hiddenSize: 25, hyperparameters }));
    }
  };
}

/** Suites by name: the adapter's own choice ('adapter') and each forced variant. */
export const SUITES: Record<string, Run> = {
  'matmul-adapter': matmulSuite(undefined, [[7, 64, 25], [10000, 64, 25], [1, 784, 196]]),
  'matmul-registers': matmulSuite('registers'),
  'matmul-subgroups': matmulSuite('subgroups'),
  'matmul-workgroup': matmulSuite('workgroup'),
  'matmul-unrolled': matmulSuite('unrolled'),
  reductions,
  'evaluation-adapter': evaluationSuite(undefined),
  'evaluation-registers': evaluationSuite('registers'),
  'evaluation-subgroups': evaluationSuite('subgroups'),
  'evaluation-workgroup': evaluationSuite('workgroup'),
  'evaluation-unrolled': evaluationSuite('unrolled'),
};

const out = document.getElementById('out')!;
const suite = new URLSearchParams(location.search).get('suite') ?? '';
const state: GpuChecksState = { suite, adapter: null, config: null, variants: [], results: [], done: false };
window.gpuChecks = state;

async function main(): Promise<void> {
  const started = performance.now();
  let ctx: GpuContext | undefined;
  try {
    const run = SUITES[suite];
    if (!run) throw new Error(`unknown suite '${suite}' (one of ${Object.keys(SUITES).join(', ')})`);
    ctx = await createGpuContext(navigator.gpu, { environment: 'browser' });
    state.adapter = ctx.adapterInfo;
    state.config = chooseKernelConfig(ctx.adapterInfo);
    state.variants = matmulVariantsFor(ctx.adapterInfo);
    const forced = suite.split('-')[1] as MatmulVariant;
    if (MATMUL_VARIANTS.includes(forced) && !state.variants.includes(forced)) {
      try {
        chooseKernelConfig(ctx.adapterInfo, forced);
      } catch (error) {
        state.refused = (error as Error).message;
      }
      return;
    }
    const lines: string[] = [];
    await run(ctx, (label, r) => {
      for (const result of Array.isArray(r) ? r : [r]) {
        const text = formatCheck(result);
        state.results.push({ label, result, text });
        lines.push(text);
        out.textContent = lines.join('\n');
      }
    });
  } catch (error) {
    state.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    out.textContent += `\nERROR ${state.error}`;
  } finally {
    ctx?.destroy();
    state.ms = performance.now() - started;
    state.done = true;
  }
}

void main();
