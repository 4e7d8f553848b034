/**
 * Every kernel as a small program object: its shader, override constants, bindings, workgroup
 * size, dispatch size, uniform contents and the length of its longest sequential accumulation
 * (the n_eff of the tolerance policy, src/gpu/tolerance.ts). Factories are pure functions of the
 * shapes; the choice between kernel variants is made in one place, chooseKernelConfig.
 */
import costSource from '../../shaders/cost.wgsl?raw';
import columnSumsSource from '../../shaders/column_sums.wgsl?raw';
import hiddenDeltaSource from '../../shaders/hidden_delta.wgsl?raw';
import matmulSource from '../../shaders/matmul.wgsl?raw';
import matmulSubgroupsSource from '../../shaders/matmul_subgroups.wgsl?raw';
import matmulTiledSource from '../../shaders/matmul_tiled.wgsl?raw';
import outputDeltaSource from '../../shaders/output_delta.wgsl?raw';
import padMatrixSource from '../../shaders/pad_matrix.wgsl?raw';
import splitkFinalizeSource from '../../shaders/splitk_finalize.wgsl?raw';
import sumSquaresSource from '../../shaders/sum_squares.wgsl?raw';
import type { AdapterSummary } from './device';
import { unrolledMatmulSource } from './matmul-unrolled';
import type { BindingKind, PipelineRequest, ShaderSource } from './pipelines';

export const SHADERS = {
  matmul: { file: 'shaders/matmul.wgsl', code: matmulSource },
  matmulSubgroups: { file: 'shaders/matmul_subgroups.wgsl', code: matmulSubgroupsSource },
  matmulTiled: { file: 'shaders/matmul_tiled.wgsl', code: matmulTiledSource },
  padMatrix: { file: 'shaders/pad_matrix.wgsl', code: padMatrixSource },
  columnSums: { file: 'shaders/column_sums.wgsl', code: columnSumsSource },
  splitkFinalize: { file: 'shaders/splitk_finalize.wgsl', code: splitkFinalizeSource },
  outputDelta: { file: 'shaders/output_delta.wgsl', code: outputDeltaSource },
  hiddenDelta: { file: 'shaders/hidden_delta.wgsl', code: hiddenDeltaSource },
  sumSquares: { file: 'shaders/sum_squares.wgsl', code: sumSquaresSource },
  cost: { file: 'shaders/cost.wgsl', code: costSource },
} as const satisfies Record<string, ShaderSource>;

export interface KernelProgram extends PipelineRequest {
  name: string;
  /** Binding 0 is always the uniform block `uniforms`; the others are the caller's buffers. */
  bindings: readonly BindingKind[];
  workgroupSize: readonly [number, number, number];
  dispatch: readonly [number, number, number];
  uniforms: ArrayBuffer;
  /** Longest sequential chain of floating-point accumulations behind one output. */
  chainLength: number;
}

// ---------------------------------------------------------------------------------------------
// The variant decision.

/**
 * 'registers': per-thread register blocks, no workgroup memory (matmul.wgsl).
 * 'subgroups': the same, with op(A) shared across a subgroup by shuffles (matmul_subgroups.wgsl).
 * 'workgroup': shared-memory tiles (matmul_tiled.wgsl).
 * 'unrolled': 'registers' with the register block written out (generated WGSL,
 *   src/gpu/matmul-unrolled.ts): for SwiftShader, which keeps loop-indexed arrays in memory.
 */
export type MatmulVariant = 'registers' | 'subgroups' | 'workgroup' | 'unrolled';

export const MATMUL_VARIANTS: readonly MatmulVariant[] = ['registers', 'subgroups', 'workgroup', 'unrolled'];

export interface KernelConfig {
  matmul: MatmulVariant;
  /** Subgroup size the 'subgroups' variant is compiled for. */
  subgroupSize: number;
  /** Threads per workgroup for the column kernels (SIMD width on CPUs, wider on GPUs). */
  laneGroup: number;
  /** Inner-dimension chunk of the split-K weight-gradient products. */
  splitK: number;
  /** Register-block shape of the chosen matmul variant (its defaults when absent). */
  tiling?: MatmulTiling;
}

/**
 * Register blocking of the 'registers' and 'subgroups' matmuls: C rows per lane (a multiple of
 * 4; for 'subgroups' also of the subgroup size; at most 8 for 'registers', 32 for 'subgroups'),
 * vec4 columns per lane (1 or 2; 0 = 'registers' default: 1 for narrow C, else 2), and lanes
 * (subgroups, for 'subgroups') stacked along M in one workgroup.
 */
export interface MatmulTiling {
  tileRows: number;
  tileCols4: number;
  wgY: number;
  /** Lanes along N ('unrolled' only; 'registers' uses 8, 'subgroups' the subgroup size). */
  wgX?: number;
  /** 'unrolled' only: multiply-adds as fma() (default) or as a product and a sum. */
  fused?: boolean;
}

/** The 'unrolled' default block (best measured on SwiftShader, bench/tune/README.md). */
export const UNROLLED_DEFAULT_TILING: MatmulTiling = { tileRows: 8, tileCols4: 2, wgX: 4, wgY: 1 };

/**
 * Software adapters run shaders on the CPU: Mesa's llvmpipe (Vulkan lavapipe; vendor 'mesa',
 * 'llvmpipe' in the description) and SwiftShader (vendor 'google', architecture 'swiftshader').
 */
export function isSoftwareAdapter(info: AdapterSummary): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.description} ${info.device}`.toLowerCase();
  if (/llvmpipe|lavapipe|swiftshader/.test(text)) return true;
  if (info.vendor.toLowerCase() === 'mesa' && info.architecture.toLowerCase() === 'software') return true;
  return info.isFallbackAdapter;
}

/** A subgroup size the 'subgroups' variant can rely on: fixed (min = max) and dividing 16. */
function fixedSubgroupSize(info: AdapterSummary): number | undefined {
  const size = info.subgroupMinSize;
  return info.subgroups && size > 0 && size === info.subgroupMaxSize && 16 % size === 0 ? size : undefined;
}

/**
 * THE choice of kernel variants by adapter (bench/tune/README.md has the measurements).
 *  - Software adapters: register blocking with vec4 loads; workgroup-memory tiling loses there
 *    (barriers are coroutine switches and every load is a loop over the SIMD lanes). With
 *    subgroups of a fixed size, the subgroup-sharing version, which needs far fewer loads.
 *  - SwiftShader (Chromium's software WebGPU): the 'unrolled' matmul. Its JIT keeps loop-indexed
 *    private arrays in memory, which made the array-based kernels ~6× slower there.
 *  - Real GPUs: the textbook workgroup-memory tiling.
 * `forced` overrides the choice (tests, benchmarks).
 */
export function chooseKernelConfig(info: AdapterSummary, forced?: MatmulVariant): KernelConfig {
  const software = isSoftwareAdapter(info);
  const swiftshader = isSwiftShader(info);
  const subgroupSize = fixedSubgroupSize(info);
  let matmul: MatmulVariant = swiftshader ? 'unrolled' : software ? (subgroupSize ? 'subgroups' : 'registers') : 'workgroup';
  if (forced) {
    if (forced === 'subgroups' && !subgroupSize) {
      throw new Error(`the 'subgroups' matmul needs the 'subgroups' feature with a fixed subgroup size; this adapter has ${info.subgroups ? `sizes ${info.subgroupMinSize}–${info.subgroupMaxSize}` : 'no subgroups'}`);
    }
    matmul = forced;
  }
  const config: KernelConfig = { matmul, subgroupSize: subgroupSize ?? 8, laneGroup: software ? 8 : 64, splitK: 256 };
  // SwiftShader: 8 rows × 2 vec4 columns per lane, 4 lanes (its SIMD width) per workgroup.
  if (matmul === 'unrolled') config.tiling = { ...UNROLLED_DEFAULT_TILING };
  return config;
}

/** Chromium's software WebGPU (SwiftShader): vendor 'google', architecture 'swiftshader'. */
export function isSwiftShader(info: AdapterSummary): boolean {
  return /swiftshader/.test(`${info.vendor} ${info.architecture} ${info.description} ${info.device}`.toLowerCase());
}

// ---------------------------------------------------------------------------------------------
// Helpers.

export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

export function roundUp4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

type Field = readonly ['u32' | 'f32', number];

/** Packs a WGSL uniform struct of u32/f32 scalars, padded to 16 bytes. */
export function packUniforms(fields: readonly Field[]): ArrayBuffer {
  const buffer = new ArrayBuffer(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const view = new DataView(buffer);
  fields.forEach(([type, value], i) => {
    if (type === 'u32') {
      if (!(Number.isInteger(value) && value >= 0 && value <= 0xffffffff)) {
        throw new RangeError(`uniform field ${i} must be a u32, got ${value}`);
      }
      view.setUint32(i * 4, value, true);
    } else {
      view.setFloat32(i * 4, value, true);
    }
  });
  return buffer;
}

/** A 1-D range of `count` threads laid out on a grid no dimension of which exceeds the limit. */
function grid1d(count: number, workgroup: number): { dispatch: [number, number, number]; gridWidth: number } {
  const groups = Math.max(1, Math.ceil(count / workgroup));
  const x = Math.min(groups, MAX_WORKGROUPS_PER_DIMENSION);
  const y = Math.ceil(groups / x);
  checkDispatch([x, y, 1]);
  return { dispatch: [x, y, 1], gridWidth: x * workgroup };
}

function checkDispatch(dispatch: readonly number[]): void {
  for (const d of dispatch) {
    if (d > MAX_WORKGROUPS_PER_DIMENSION) {
      throw new RangeError(`dispatch ${dispatch.join('×')} exceeds ${MAX_WORKGROUPS_PER_DIMENSION} workgroups per dimension`);
    }
  }
}

const USES = (...kinds: BindingKind[]): BindingKind[] => ['uniform', ...kinds];

// ---------------------------------------------------------------------------------------------
// Matrix multiply.

export interface MatmulSpec {
  /** C is M × N; N is a multiple of 4. */
  M: number;
  N: number;
  /** Inner dimension: a multiple of 4 unless transA. */
  K: number;
  transA: boolean;
  transB: boolean;
  /** Offsets in vec4s. */
  aOffset?: number;
  bOffset?: number;
  cOffset?: number;
  /** bias + sigmoid epilogue: bias[biasOffset + col] (an f32 offset) for col < nValid. */
  biasSigmoid?: boolean;
  biasOffset?: number;
  nValid?: number;
  /** Split the inner dimension into slices of this length (the output then has ⌈K/kChunk⌉ slices). */
  kChunk?: number;
}

/** Bindings: a (vec4 read), b (vec4 read), c (vec4 read_write), bias (f32 read). */
export function matmulProgram(spec: MatmulSpec, variant: MatmulVariant, subgroupSize = 8, tiling?: MatmulTiling): KernelProgram & { slices: number } {
  const { M, N, K, transA, transB } = spec;
  if (N % 4 !== 0) throw new RangeError(`matmul: N = ${N} must be a multiple of 4 (padded)`);
  if (!transA && K % 4 !== 0) throw new RangeError(`matmul: K = ${K} must be a multiple of 4 unless transA`);
  if (transA && M % 4 !== 0) throw new RangeError(`matmul: M = ${M} must be a multiple of 4 when transA`);
  if (transA && transB) throw new RangeError('matmul: TT is not supported');
  if (M < 1 || N < 1 || K < 1) throw new RangeError(`matmul: empty shape ${M}×${N}×${K}`);
  let kChunk = Math.min(K, spec.kChunk ?? K);
  if (!transA) kChunk = roundUp4(kChunk);
  const slices = Math.ceil(K / kChunk);
  const n4 = N / 4;
  const uniforms = packUniforms([
    ['u32', M],
    ['u32', N],
    ['u32', K],
    ['u32', kChunk],
    ['u32', spec.aOffset ?? 0],
    ['u32', spec.bOffset ?? 0],
    ['u32', spec.cOffset ?? 0],
    ['u32', spec.biasOffset ?? 0],
    ['u32', spec.nValid ?? N],
  ]);
  const base = {
    name: `matmul ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${spec.biasSigmoid ? '+bias+sigmoid' : ''} (${variant})`,
    entryPoint: 'main',
    bindings: USES('read-only-storage', 'read-only-storage', 'storage', 'read-only-storage'),
    uniforms,
    chainLength: kChunk,
    slices,
  };
  if (variant === 'registers') {
    const tileRows = tiling?.tileRows ?? 8;
    const tileCols4 = tiling?.tileCols4 || (n4 <= 8 ? 1 : 2);
    const wgY = tiling?.wgY ?? 1;
    const wgX = 8;
    if (tileRows % 4 !== 0 || tileRows > 8 || tileCols4 > 2) throw new RangeError(`matmul registers: bad tiling ${JSON.stringify(tiling)}`);
    const dispatch: [number, number, number] = [Math.ceil(n4 / (wgX * tileCols4)), Math.ceil(M / (tileRows * wgY)), slices];
    checkDispatch(dispatch);
    return {
      ...base,
      shader: SHADERS.matmul,
      constants: { TRANS_A: transA, TRANS_B: transB, BIAS_SIGMOID: !!spec.biasSigmoid, WG_X: wgX, WG_Y: wgY, TILE_ROWS: tileRows, TILE_COLS4: tileCols4 },
      workgroupSize: [wgX, wgY, 1],
      dispatch,
    };
  }
  if (variant === 'subgroups') {
    const tileRows = tiling?.tileRows ?? 16;
    const tileCols4 = tiling?.tileCols4 || 1;
    const wgY = tiling?.wgY ?? 1;
    if (tileRows % 4 !== 0 || tileRows % subgroupSize !== 0 || tileRows > 32 || tileCols4 > 2) {
      throw new RangeError(`matmul subgroups: bad tiling ${JSON.stringify(tiling)} for subgroup size ${subgroupSize}`);
    }
    const dispatch: [number, number, number] = [Math.ceil(n4 / (subgroupSize * tileCols4)), Math.ceil(M / (tileRows * wgY)), slices];
    checkDispatch(dispatch);
    return {
      ...base,
      shader: SHADERS.matmulSubgroups,
      constants: { TRANS_A: transA, TRANS_B: transB, BIAS_SIGMOID: !!spec.biasSigmoid, SG: subgroupSize, WG_Y: wgY, TILE_ROWS: tileRows, TILE_COLS4: tileCols4 },
      workgroupSize: [subgroupSize, wgY, 1],
      dispatch,
    };
  }
  if (variant === 'unrolled') {
    const t = tiling ?? UNROLLED_DEFAULT_TILING;
    const wgX = t.wgX ?? 4;
    const tileCols4 = Math.min(t.tileCols4 || 1, n4);
    const dispatch: [number, number, number] = [Math.ceil(n4 / (wgX * tileCols4)), Math.ceil(M / (t.tileRows * t.wgY)), slices];
    checkDispatch(dispatch);
    return {
      ...base,
      shader: unrolledMatmulSource({ transA, transB, biasSigmoid: !!spec.biasSigmoid, tileRows: t.tileRows, tileCols4, wgX, wgY: t.wgY, fused: t.fused }),
      constants: {},
      workgroupSize: [wgX, t.wgY, 1],
      dispatch,
    };
  }
  const wgX = 16;
  const wgY = 16;
  const dispatch: [number, number, number] = [Math.ceil(n4 / wgX), Math.ceil(M / (4 * wgY)), slices];
  checkDispatch(dispatch);
  return {
    ...base,
    shader: SHADERS.matmulTiled,
    constants: { TRANS_A: transA, TRANS_B: transB, BIAS_SIGMOID: !!spec.biasSigmoid, WG_X: wgX, WG_Y: wgY, TILE_K: 16 },
    workgroupSize: [wgX, wgY, 1],
    dispatch,
  };
}

// ---------------------------------------------------------------------------------------------
// Small kernels.

/** θ block (rows × cols at srcOffset, f32) → zero-padded outRows × roundUp4(cols) vec4 matrix. */
export function padMatrixProgram(spec: { rows: number; cols: number; outRows: number; srcOffset: number }): KernelProgram {
  const cols4 = roundUp4(spec.cols) / 4;
  const wg = 64;
  const { dispatch, gridWidth } = grid1d(spec.outRows * cols4, wg);
  return {
    name: 'pad matrix',
    shader: SHADERS.padMatrix,
    entryPoint: 'main',
    constants: { WG: wg },
    bindings: USES('read-only-storage', 'storage'),
    workgroupSize: [wg, 1, 1],
    dispatch,
    uniforms: packUniforms([
      ['u32', spec.rows],
      ['u32', spec.cols],
      ['u32', spec.outRows],
      ['u32', cols4],
      ['u32', spec.srcOffset],
      ['u32', gridWidth],
    ]),
    chainLength: 0,
  };
}

/** Rows of a chunk in the first level of the column reductions. */
export const CHUNK_ROWS = 64;

function columnGrid(rows: number, cols4: number, laneGroup: number): [number, number, number] {
  const dispatch: [number, number, number] = [Math.ceil(cols4 / laneGroup), Math.max(1, Math.ceil(rows / CHUNK_ROWS)), 1];
  checkDispatch(dispatch);
  return dispatch;
}

export function chunkCount(rows: number): number {
  return Math.max(1, Math.ceil(rows / CHUNK_ROWS));
}

/** Column-sum partials over chunks of CHUNK_ROWS rows. Bindings: src (vec4), partials (vec4). */
export function columnSumsProgram(spec: { rows: number; cols4: number; srcOffset?: number }, laneGroup: number): KernelProgram {
  return {
    name: 'column sums',
    shader: SHADERS.columnSums,
    entryPoint: 'main',
    constants: { WG: laneGroup, CHUNK_ROWS },
    bindings: USES('read-only-storage', 'storage'),
    workgroupSize: [laneGroup, 1, 1],
    dispatch: columnGrid(spec.rows, spec.cols4, laneGroup),
    uniforms: packUniforms([
      ['u32', spec.rows],
      ['u32', spec.cols4],
      ['u32', spec.srcOffset ?? 0],
    ]),
    chainLength: CHUNK_ROWS / 4 + 2,
  };
}

export interface FinalizeSpec {
  rows: number;
  cols: number;
  /** Row length of the partials (padded) and distance between slices, in f32s. */
  ld: number;
  sliceStride: number;
  slices: number;
  outOffset: number;
  wOffset?: number;
  scale: number;
  lambda?: number;
}

/** Sums partial slices in a fixed order: out = scale·Σ + λ·w. Bindings: partials (vec4), w, out (f32). */
export function finalizeProgram(spec: FinalizeSpec): KernelProgram {
  if (spec.ld % 4 !== 0 || spec.sliceStride % 4 !== 0) {
    throw new RangeError(`finalize: ld ${spec.ld} and slice stride ${spec.sliceStride} must be multiples of 4`);
  }
  const wg = 64;
  const { dispatch, gridWidth } = grid1d(spec.rows * Math.ceil(spec.cols / 4), wg);
  return {
    name: 'sum slices',
    shader: SHADERS.splitkFinalize,
    entryPoint: 'main',
    constants: { WG: wg },
    bindings: USES('read-only-storage', 'read-only-storage', 'storage'),
    workgroupSize: [wg, 1, 1],
    dispatch,
    uniforms: packUniforms([
      ['u32', spec.rows],
      ['u32', spec.cols],
      ['u32', spec.ld],
      ['u32', spec.sliceStride],
      ['u32', spec.slices],
      ['u32', spec.outOffset],
      ['u32', spec.wOffset ?? 0],
      ['u32', gridWidth],
      ['f32', spec.scale],
      ['f32', spec.lambda ?? 0],
    ]),
    chainLength: Math.ceil(spec.slices / 4) + 2,
  };
}

/** δ⁽³⁾ + squared-error and δ⁽³⁾ column partials. Bindings: a3, x, delta3, squaredError, deltaSum. */
export function outputDeltaProgram(spec: { rows: number; cols4: number; xOffset: number }, laneGroup: number): KernelProgram {
  return {
    name: 'output delta',
    shader: SHADERS.outputDelta,
    entryPoint: 'main',
    constants: { WG: laneGroup, CHUNK_ROWS },
    bindings: USES('read-only-storage', 'read-only-storage', 'storage', 'storage', 'storage'),
    workgroupSize: [laneGroup, 1, 1],
    dispatch: columnGrid(spec.rows, spec.cols4, laneGroup),
    uniforms: packUniforms([
      ['u32', spec.rows],
      ['u32', spec.cols4],
      ['u32', spec.xOffset],
    ]),
    chainLength: CHUNK_ROWS / 4 + 2,
  };
}

/** δ⁽²⁾ + its column partials. Bindings: backprop, a2, meanActivation, delta2, deltaSum. */
export function hiddenDeltaProgram(
  spec: { rows: number; hidden: number; sparsityParam: number; beta: number },
  laneGroup: number,
): KernelProgram {
  const cols4 = roundUp4(spec.hidden) / 4;
  return {
    name: 'hidden delta',
    shader: SHADERS.hiddenDelta,
    entryPoint: 'main',
    constants: { WG: laneGroup, CHUNK_ROWS },
    bindings: USES('read-only-storage', 'read-only-storage', 'read-only-storage', 'storage', 'storage'),
    workgroupSize: [laneGroup, 1, 1],
    dispatch: columnGrid(spec.rows, cols4, laneGroup),
    uniforms: packUniforms([
      ['u32', spec.rows],
      ['u32', cols4],
      ['u32', spec.hidden],
      ['f32', spec.sparsityParam],
      ['f32', spec.beta],
    ]),
    chainLength: CHUNK_ROWS / 4 + 2,
  };
}

export const SUM_SQUARES_CHUNK = 256;

export function sumSquaresPartialCount(count: number): number {
  return Math.max(1, Math.ceil(count / SUM_SQUARES_CHUNK));
}

/** Σv² partials over chunks of SUM_SQUARES_CHUNK. Bindings: src (f32), partials (f32). */
export function sumSquaresProgram(spec: { count: number; srcOffset: number }): KernelProgram {
  const wg = 64;
  const partials = sumSquaresPartialCount(spec.count);
  const dispatch: [number, number, number] = [Math.ceil(partials / wg), 1, 1];
  checkDispatch(dispatch);
  return {
    name: 'sum of squares',
    shader: SHADERS.sumSquares,
    entryPoint: 'main',
    constants: { WG: wg, CHUNK: SUM_SQUARES_CHUNK },
    bindings: USES('read-only-storage', 'storage'),
    workgroupSize: [wg, 1, 1],
    dispatch,
    uniforms: packUniforms([
      ['u32', spec.count],
      ['u32', spec.srcOffset],
    ]),
    chainLength: SUM_SQUARES_CHUNK / 4 + 2,
  };
}

export const COST_WORKGROUP = 64;

export interface CostSpec {
  squaredErrorCount: number;
  weightCount: number;
  hidden: number;
  examples: number;
  sparsityParam: number;
  beta: number;
  lambda: number;
}

/** The final combination. Bindings: squaredError, weightSquares, meanActivation (f32), out (4 × f32). */
export function costProgram(spec: CostSpec): KernelProgram {
  const longest = Math.max(spec.squaredErrorCount, spec.weightCount, spec.hidden);
  return {
    name: 'cost',
    shader: SHADERS.cost,
    entryPoint: 'main',
    constants: { WG: COST_WORKGROUP },
    bindings: USES('read-only-storage', 'read-only-storage', 'read-only-storage', 'storage'),
    workgroupSize: [COST_WORKGROUP, 1, 1],
    dispatch: [1, 1, 1],
    uniforms: packUniforms([
      ['u32', spec.squaredErrorCount],
      ['u32', spec.weightCount],
      ['u32', spec.hidden],
      ['u32', spec.examples],
      ['f32', spec.sparsityParam],
      ['f32', spec.beta],
      ['f32', spec.lambda],
    ]),
    chainLength: Math.ceil(longest / COST_WORKGROUP) + Math.log2(COST_WORKGROUP),
  };
}
