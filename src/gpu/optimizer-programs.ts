/**
 * The optimizers' kernels as programs (KernelProgram, ./programs.ts): the five entry points of
 * L-BFGS (shaders/lbfgs.wgsl, driven by ./lbfgs.ts) and the first-order updates
 * (shaders/vector_ops.wgsl and shaders/adam.wgsl, driven by ./vectors.ts).
 *
 * Their uniforms change from step to step (a step length, a learning rate), so each factory takes
 * the step's values; a backend makes each pipeline once and binds buffers by the names here. The
 * sizes the shaders share with TypeScript go into them as override constants, and every uniform
 * block is packed from named fields (test/gpu/program-bindings.test.ts holds both to the WGSL).
 */
import adamSource from '../../shaders/adam.wgsl?raw';
import lbfgsSource from '../../shaders/lbfgs.wgsl?raw';
import vectorOpsSource from '../../shaders/vector_ops.wgsl?raw';
import type { AdamSettings } from '../optim/vectors';
import type { ShaderSource } from './pipelines';
import { grid1d, namedUniforms, packUniforms, USES, writeScalar, type KernelProgram, type NamedValue, type StructField } from './programs';

export const OPTIMIZER_SHADERS = {
  lbfgs: { file: 'shaders/lbfgs.wgsl', code: lbfgsSource },
  vectorOps: { file: 'shaders/vector_ops.wgsl', code: vectorOpsSource },
  adam: { file: 'shaders/adam.wgsl', code: adamSource },
} as const satisfies Record<string, ShaderSource>;

/** Threads per workgroup of every optimizer kernel (one vec4 or one value each). */
export const OPTIMIZER_WORKGROUP = 64;

// ---------------------------------------------------------------------------------------------
// First-order updates: one thread per value of θ.

function elementwise(length: number): Pick<KernelProgram, 'constants' | 'workgroupSize' | 'dispatch'> {
  return {
    constants: { WG: OPTIMIZER_WORKGROUP },
    workgroupSize: [OPTIMIZER_WORKGROUP, 1, 1],
    dispatch: grid1d(length, OPTIMIZER_WORKGROUP).dispatch,
  };
}

/** y ← (overwrite ? 0 : y) + a·x over `length` values (a copy is overwrite with a = 1). */
export function axpyProgram(spec: { length: number; a: number; overwrite: boolean }): KernelProgram {
  return {
    name: 'axpy',
    shader: OPTIMIZER_SHADERS.vectorOps,
    entryPoint: 'axpy',
    ...elementwise(spec.length),
    ...USES({ x: 'read-only-storage', y: 'storage' }),
    ...namedUniforms([
      ['n', 'u32', spec.length],
      ['a', 'f32', spec.a],
      ['overwrite', 'u32', spec.overwrite ? 1 : 0],
    ]),
    chainLength: 1,
  };
}

/** y ← a·y over `length` values. */
export function scaleProgram(spec: { length: number; a: number }): KernelProgram {
  return {
    name: 'scale',
    shader: OPTIMIZER_SHADERS.vectorOps,
    entryPoint: 'scale',
    ...elementwise(spec.length),
    ...USES({ scaled: 'storage' }),
    // The struct is axpy's; scale leaves `overwrite` unread.
    ...namedUniforms([
      ['n', 'u32', spec.length],
      ['a', 'f32', spec.a],
      ['overwrite', 'u32', 0],
    ]),
    chainLength: 0,
  };
}

/** One Adam step over `length` values, with the bias corrections of step `settings.step`. */
export function adamProgram(spec: { length: number; settings: AdamSettings }): KernelProgram {
  const s = spec.settings;
  return {
    name: 'adam',
    shader: OPTIMIZER_SHADERS.adam,
    entryPoint: 'main',
    ...elementwise(spec.length),
    ...USES({ grad: 'read-only-storage', theta: 'storage', m: 'storage', v: 'storage' }),
    ...namedUniforms([
      ['n', 'u32', spec.length],
      ['learningRate', 'f32', s.learningRate],
      ['beta1', 'f32', s.beta1],
      ['beta2', 'f32', s.beta2],
      ['epsilon', 'f32', s.epsilon],
      ['correction1', 'f32', 1 - s.beta1 ** s.step],
      ['correction2', 'f32', 1 - s.beta2 ** s.step],
    ]),
    // Its round-off is counted per step (OPTIMIZER_TOLERANCE.adamStepRoundings), not as a chain.
    chainLength: 0,
  };
}

// ---------------------------------------------------------------------------------------------
// L-BFGS (shaders/lbfgs.wgsl): five entry points over one uniform block, written once per
// submission and read by every kernel in it.

/**
 * Values at the head of the report (and per workgroup in the partials). The products kernel
 * fills three vec4 trees, so it is written for 12.
 */
export const SCALARS = 12;
/** Ring rows per workgroup of the products kernel (its four unrolled rows). */
export const PRODUCT_ROWS = 4;
/** At most this many chunks per reduction, so the final sums stay short. */
const MAX_CHUNKS = 64;

/**
 * Where each of the vector row's values lies in the report: dᵀd, g₊ᵀd, (g₊ − g)ᵀd, g₊ᵀ(g₊ − g),
 * ‖g₊ − g‖², Σ|g₊|, max|g₊|, max|d|, gᵀd (the kernel's order; test/gpu/lbfgs.test.ts checks each
 * against its float64 value).
 */
export const LBFGS_REPORT = { dd: 0, gPlusD: 1, deltaD: 2, gPlusDelta: 3, deltaDelta: 4, gPlusSumAbs: 5, gPlusMaxAbs: 6, dMaxAbs: 7, gD: 8 } as const;
/**
 * After the SCALARS, each listed ring row r has these products, in this order (the kernel's; the
 * inner products test of test/gpu/lbfgs.test.ts fails if they are read in another).
 */
export const ROW_PRODUCTS = { d: 0, gPlus: 1, delta: 2 } as const;
export const ROW_PRODUCT_COUNT = Object.keys(ROW_PRODUCTS).length;

/** The report's length for `rows` listed ring rows, in f32s. */
export function lbfgsReportLength(rows: number): number {
  return SCALARS + ROW_PRODUCT_COUNT * rows;
}

/**
 * How the products kernel cuts a vector of `length` values: chunks of at least 1024 vec4s (few,
 * fat workgroups: on lavapipe each costs, and 4× fewer halved the kernel's time) and at most
 * MAX_CHUNKS of them.
 */
export function productChunks(length: number): { chunk4: number; chunks: number } {
  const n4 = Math.ceil(length / 4);
  const chunk4 = Math.max(1024, Math.ceil(n4 / MAX_CHUNKS));
  return { chunk4, chunks: Math.ceil(n4 / chunk4) };
}

/**
 * The longest accumulation chain behind one inner product (tolerance.ts): per lane
 * ⌈chunk/WG⌉ fmas, the 4 lanes (2), the workgroup tree (log₂ WG) in the products kernel, then
 * the sum over the chunks in the finalize kernel.
 */
export function productsChainLength(length: number): number {
  const { chunk4, chunks } = productChunks(length);
  return Math.ceil(chunk4 / OPTIMIZER_WORKGROUP) + 2 + Math.log2(OPTIMIZER_WORKGROUP) + chunks;
}

/** What an L-BFGS backend holds: vectors of `length` values and `corrections` pairs. */
export interface LbfgsShape {
  length: number;
  corrections: number;
}

/** How the vectors lie in their buffers: n4 vec4s each, ring rows `stride4` vec4s apart. */
export function lbfgsLayout(shape: LbfgsShape): { n4: number; stride4: number; chunk4: number; chunks: number } {
  const n4 = Math.ceil(shape.length / 4);
  return { n4, stride4: Math.ceil(n4 / 16) * 16, ...productChunks(shape.length) };
}

/** The partials' length (f32s): SCALARS per workgroup of the products kernel at a full memory. */
export function lbfgsPartialsLength(shape: LbfgsShape): number {
  return (Math.ceil((2 * shape.corrections) / PRODUCT_ROWS) + 1) * productChunks(shape.length).chunks * SCALARS;
}

/** What one submission's kernels are told besides the shape. */
export interface LbfgsStep {
  /** Ring rows the products kernel lists (s rows then y rows of the pairs kept). */
  rows: number;
  /** direction: ring terms to add. */
  terms: number;
  /** accept: x ← x + acceptStep·d, and with addPair the new pair into `slot`. */
  acceptStep: number;
  addPair: boolean;
  slot: number;
  /** direction: d's gradient coefficient; direction and trial: x₊ ← x + trialStep·d. */
  gCoef: number;
  trialStep: number;
}

/** A step that moves nothing (the start's evaluation; the programs the pipelines are made from). */
export const LBFGS_IDLE_STEP: LbfgsStep = { rows: 0, terms: 0, acceptStep: 0, addPair: false, slot: 0, gCoef: 0, trialStep: 0 };

export type LbfgsKernel = 'accept' | 'direction' | 'trial' | 'products' | 'finalize';

/** A direction term (struct Term): d += coefficient · ring[row]. */
export const DIRECTION_TERM: readonly StructField[] = [
  ['row', 'u32'],
  ['coefficient', 'f32'],
];

/** Bytes per Term in an array<Term> (4-byte fields, so no padding). */
export const DIRECTION_TERM_BYTES = DIRECTION_TERM.length * 4;

/** The direction's terms as an array<Term>, in the order the kernel adds them (one zero term for none). */
export function packDirectionTerms(terms: readonly { row: number; coefficient: number }[]): ArrayBuffer {
  const stride = DIRECTION_TERM_BYTES;
  const buffer = new ArrayBuffer(Math.max(1, terms.length) * stride);
  const view = new DataView(buffer);
  terms.forEach((term, i) => {
    DIRECTION_TERM.forEach(([name, type], j) => writeScalar(view, i * stride + j * 4, type, term[name as keyof typeof term], `term ${i} ${name}`));
  });
  return buffer;
}

/** The uniform block (struct Params) of a step's kernels. */
function lbfgsUniformValues(shape: LbfgsShape, step: LbfgsStep): NamedValue[] {
  const { n4, stride4, chunk4, chunks } = lbfgsLayout(shape);
  return [
    ['n4', 'u32', n4],
    ['stride4', 'u32', stride4],
    ['terms', 'u32', step.terms],
    ['rows', 'u32', step.rows],
    ['chunk4', 'u32', chunk4],
    ['chunks', 'u32', chunks],
    ['capacity', 'u32', shape.corrections],
    ['acceptStep', 'f32', step.acceptStep],
    ['addPair', 'u32', step.addPair ? 1 : 0],
    ['slot', 'u32', step.slot],
    ['gCoef', 'f32', step.gCoef],
    ['trialStep', 'f32', step.trialStep],
  ];
}

/**
 * The uniform block's bytes alone, for a backend that writes a step's uniforms without making its
 * programs again (they differ from step to step in these bytes, and in their dispatch sizes
 * only where the number of rows does).
 */
export function lbfgsUniforms(shape: LbfgsShape, step: LbfgsStep): ArrayBuffer {
  return packUniforms(lbfgsUniformValues(shape, step));
}

/**
 * The five kernels of one submission, sharing its uniform block (any program's `uniforms`: they
 * are the same bytes). Bindings by the WGSL's names, one set per entry point.
 */
export function lbfgsPrograms(shape: LbfgsShape, step: LbfgsStep): Record<LbfgsKernel, KernelProgram> {
  const { n4, chunks } = lbfgsLayout(shape);
  const uniforms = namedUniforms(lbfgsUniformValues(shape, step));
  const common = {
    shader: OPTIMIZER_SHADERS.lbfgs,
    constants: { WG: OPTIMIZER_WORKGROUP, SCALARS, PRODUCT_ROWS },
    workgroupSize: [OPTIMIZER_WORKGROUP, 1, 1] as const,
    ...uniforms,
  };
  const overVector = grid1d(n4, OPTIMIZER_WORKGROUP).dispatch;
  return {
    accept: {
      ...common,
      name: 'L-BFGS accept',
      entryPoint: 'accept',
      ...USES({ acceptD: 'read-only-storage', acceptGPlus: 'read-only-storage', acceptG: 'read-only-storage', acceptX: 'storage', acceptS: 'storage', acceptY: 'storage' }),
      dispatch: overVector,
      chainLength: 1,
    },
    direction: {
      ...common,
      name: 'L-BFGS direction',
      entryPoint: 'direction',
      ...USES({
        terms: 'read-only-storage',
        directionS: 'read-only-storage',
        directionY: 'read-only-storage',
        directionG: 'read-only-storage',
        directionX: 'read-only-storage',
        directionD: 'storage',
        directionXTrial: 'storage',
      }),
      storageStructs: { Term: DIRECTION_TERM },
      dispatch: overVector,
      chainLength: step.terms + 1,
    },
    trial: {
      ...common,
      name: 'L-BFGS trial',
      entryPoint: 'trial',
      ...USES({ trialX: 'read-only-storage', trialD: 'read-only-storage', trialXTrial: 'storage' }),
      dispatch: overVector,
      chainLength: 1,
    },
    products: {
      ...common,
      name: 'L-BFGS products',
      entryPoint: 'products',
      ...USES({
        rowList: 'read-only-storage',
        productsS: 'read-only-storage',
        productsY: 'read-only-storage',
        productsD: 'read-only-storage',
        productsGPlus: 'read-only-storage',
        productsG: 'read-only-storage',
        partials: 'storage',
      }),
      // One workgroup per (chunk, group of PRODUCT_ROWS rows), and the vector row's after them.
      dispatch: [chunks, Math.ceil(step.rows / PRODUCT_ROWS) + 1, 1],
      chainLength: productsChainLength(shape.length) - chunks,
    },
    finalize: {
      ...common,
      name: 'L-BFGS finalize',
      entryPoint: 'finalize',
      ...USES({ finalPartials: 'read-only-storage', report: 'storage' }),
      dispatch: [Math.ceil(lbfgsReportLength(step.rows) / OPTIMIZER_WORKGROUP), 1, 1],
      chainLength: chunks,
    },
  };
}
