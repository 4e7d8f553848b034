/**
 * The convolution and pooling kernels (cnnConvolve, cnnPool) as program objects; their float64
 * twins are src/reference/conv.ts, their checks ./conv-checks.ts.
 */
import convolveSource from '../../shaders/convolve.wgsl?raw';
import im2colSource from '../../shaders/im2col.wgsl?raw';
import meanPoolSource from '../../shaders/mean_pool.wgsl?raw';
import { convolvedDim, pooledDim, type ConvShape } from '../reference/conv';
import type { ShaderSource } from './pipelines';
import { chooseKernelConfig, type AdapterSummary } from './adapter';
import { grid1d, matmulProgram, namedUniforms, roundUp4, USES, type KernelProgram } from './programs';

export const CONV_SHADERS = {
  convolve: { file: 'shaders/convolve.wgsl', code: convolveSource },
  meanPool: { file: 'shaders/mean_pool.wgsl', code: meanPoolSource },
  im2col: { file: 'shaders/im2col.wgsl', code: im2colSource },
} as const satisfies Record<string, ShaderSource>;

const WG = 64;

/** σ(W′·x + b′) of F features over n images. Bindings: images, weights, bias (f32), out (f32). */
export function convolveProgram(shape: ConvShape): KernelProgram {
  const cd = convolvedDim(shape);
  const { dispatch, gridWidth } = grid1d(shape.images * shape.features * cd * cd, WG);
  return {
    name: 'convolve features',
    shader: CONV_SHADERS.convolve,
    entryPoint: 'main',
    constants: { WG },
    ...USES({ images: 'read-only-storage', weights: 'read-only-storage', bias: 'read-only-storage', out: 'storage' }),
    workgroupSize: [WG, 1, 1],
    dispatch,
    ...namedUniforms([
      ['images', 'u32', shape.images],
      ['channels', 'u32', shape.channels],
      ['imageDim', 'u32', shape.imageDim],
      ['features', 'u32', shape.features],
      ['patchDim', 'u32', shape.patchDim],
      ['convDim', 'u32', cd],
      ['gridWidth', 'u32', gridWidth],
    ]),
    chainLength: shape.channels * shape.patchDim * shape.patchDim + 1,
  };
}

/**
 * Mean pooling of `maps` convolved maps (images × features), feature-major as convolveProgram
 * writes them, or position-major as im2col + matmul does (`positionMajor`: F features per image,
 * rows of `ld`). Bindings: convolved, pooled (f32).
 */
export function meanPoolProgram(spec: { maps: number; convDim: number; poolDim: number; positionMajor?: { features: number; ld: number } }): KernelProgram {
  const pd = pooledDim(spec.convDim, spec.poolDim);
  const { dispatch, gridWidth } = grid1d(spec.maps * pd * pd, WG);
  const layout = spec.positionMajor;
  if (layout && (spec.maps % layout.features !== 0 || layout.ld < layout.features)) {
    throw new RangeError(`mean pool: ${spec.maps} maps are not whole images of ${layout.features} features in rows of ${layout.ld}`);
  }
  return {
    name: layout ? 'mean pool (position-major)' : 'mean pool',
    shader: CONV_SHADERS.meanPool,
    entryPoint: 'main',
    constants: { WG, POSITION_MAJOR: layout !== undefined },
    ...USES({ convolved: 'read-only-storage', pooled: 'storage' }),
    workgroupSize: [WG, 1, 1],
    dispatch,
    ...namedUniforms([
      ['maps', 'u32', spec.maps],
      ['convDim', 'u32', spec.convDim],
      ['poolDim', 'u32', spec.poolDim],
      ['pooledDim', 'u32', pd],
      ['gridWidth', 'u32', gridWidth],
      ['scale', 'f32', 1 / (spec.poolDim * spec.poolDim)],
      ['features', 'u32', layout?.features ?? 0],
      ['ld', 'u32', layout?.ld ?? 0],
    ]),
    // poolDim² − 1 additions after the first value, the product by the scale, and the scale's own rounding.
    chainLength: spec.poolDim * spec.poolDim + 1,
  };
}

/**
 * The patches of every valid position as rows of an (n·convDim²) × roundUp4(C·p²) matrix, for
 * the convolution as one matmul (cols·W′ᵀ + b′, σ). Bindings: images, cols (f32).
 */
export function im2colProgram(shape: Omit<ConvShape, 'features'>): KernelProgram & { rows: number; ld: number } {
  const cd = convolvedDim(shape);
  const ld = roundUp4(shape.channels * shape.patchDim * shape.patchDim);
  const rows = shape.images * cd * cd;
  const { dispatch, gridWidth } = grid1d(rows * ld, WG);
  return {
    name: 'im2col',
    shader: CONV_SHADERS.im2col,
    entryPoint: 'main',
    constants: { WG },
    ...USES({ images: 'read-only-storage', cols: 'storage' }),
    workgroupSize: [WG, 1, 1],
    dispatch,
    ...namedUniforms([
      ['images', 'u32', shape.images],
      ['channels', 'u32', shape.channels],
      ['imageDim', 'u32', shape.imageDim],
      ['patchDim', 'u32', shape.patchDim],
      ['convDim', 'u32', cd],
      ['ld', 'u32', ld],
      ['gridWidth', 'u32', gridWidth],
    ]),
    chainLength: 0,
    rows,
    ld,
  };
}

/**
 * The convolution the other way: im2col, then σ(cols·W′ᵀ + b′) with the matmul's NN bias + sigmoid
 * epilogue, giving (n·convDim²) × F (position-major, where the direct kernel is feature-major):
 * the stage GpuConvolvePool runs, on the adapter's table-default matmul.
 */
export function convolutionAsMatmul(adapter: AdapterSummary, shape: ConvShape) {
  const config = chooseKernelConfig(adapter);
  const im2col = im2colProgram(shape);
  const F4 = roundUp4(shape.features);
  const product = matmulProgram(
    { M: im2col.rows, N: F4, K: im2col.ld, transA: false, transB: false, activation: 'sigmoid', biasOffset: 0, nValid: shape.features },
    config.matmul,
    config.subgroupSize,
    config.tiling,
  );
  return { im2col, product, F4 };
}
