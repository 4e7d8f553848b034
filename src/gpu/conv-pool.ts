/**
 * cnnExercise's convolution and pooling stage on the GPU: every feature over every image, as
 * im2col + the matmul with its bias + σ epilogue (bench/conv.ts measured it 7–12× faster than the
 * direct kernel on lavapipe), then mean pooling where the product lies (position-major). Images
 * go through in batches sized so that the largest buffer (the patches or the convolved maps of a
 * batch) fits one storage binding, as cnnExercise goes 50 features at a time: each batch is one
 * upload, one submission of the three programs and the copy of its pooled features, and one
 * read-back. The float64 twin is convolveFeatures + meanPool (src/reference/conv.ts).
 */
import { convolvedDim, pooledDim, type ConvShape } from '../reference/conv';
import { convolutionAsMatmul, meanPoolProgram } from './conv-programs';
import type { GpuContext } from './device';
import { formatBytes, ResourceLimitError, withErrorScopes } from './errors';
import { roundUp4, type KernelProgram } from './programs';
import { bindStep, createStorageBuffer, encodeStep, mapForReading, uploadF32, type BoundStep } from './runtime';

/** The stage's geometry: images of C channels, dim × dim, and F features of C × p × p, pooled by poolDim. */
export interface ConvPoolShape extends Omit<ConvShape, 'images'> {
  poolDim: number;
}

/** The largest buffer of a batch of this many images, in bytes. */
function batchBytes(shape: ConvPoolShape, images: number): number {
  const cd = convolvedDim(shape);
  const ld = roundUp4(shape.channels * shape.patchDim * shape.patchDim);
  return images * cd * cd * Math.max(ld, roundUp4(shape.features)) * 4;
}

/** At most this many images a batch, so that a run reports progress and can stop between batches. */
const MOST_IMAGES = 500;

/** Images per batch on this device; a ResourceLimitError when not even one image fits a binding. */
export function convBatchImages(ctx: GpuContext, shape: ConvPoolShape): number {
  const limit = Math.min(ctx.device.limits.maxStorageBufferBindingSize, ctx.device.limits.maxBufferSize);
  const one = batchBytes(shape, 1);
  if (one > limit) {
    throw new ResourceLimitError(
      `one ${shape.imageDim}×${shape.imageDim} image's ${shape.features} convolved features take ${formatBytes(one)} in one GPU buffer; this adapter binds at most ${formatBytes(limit)}`,
      ['hidden', 'cpu'],
    );
  }
  return Math.min(MOST_IMAGES, Math.floor(limit / one));
}

interface Batch {
  images: number;
  steps: BoundStep[];
}

export class GpuConvolvePool {
  private readonly buffers: Record<'images' | 'cols' | 'weights' | 'bias' | 'convolved' | 'pooled', GPUBuffer>;
  private readonly staging: GPUBuffer;
  private readonly batches = new Map<number, Batch>();
  /** Values per image: the image, and its pooled features (F × pooledDim², the softmax's input). */
  readonly imageSize: number;
  readonly pooledSize: number;
  /** Submissions made (one per batch): counted, for the tests. */
  submissions = 0;

  private constructor(
    private readonly ctx: GpuContext,
    readonly shape: ConvPoolShape,
    readonly batchImages: number,
    weights: ArrayLike<number>,
    bias: ArrayLike<number>,
  ) {
    const { channels: C, imageDim: dim, features: F, patchDim: p } = shape;
    const v = C * p * p;
    const ld = roundUp4(v);
    const F4 = roundUp4(F);
    const cd = convolvedDim(shape);
    const pd = pooledDim(cd, shape.poolDim);
    if (weights.length !== F * v || bias.length !== F) throw new RangeError(`convolution: ${weights.length} weights and ${bias.length} biases do not fit ${F} features of ${v} values`);
    this.imageSize = C * dim * dim;
    this.pooledSize = F * pd * pd;
    // W′ as the matmul's B: W′ᵀ, ld × F4, zero-padded.
    const b = new Float32Array(ld * F4);
    for (let f = 0; f < F; f++) for (let k = 0; k < v; k++) b[k * F4 + f] = weights[f * v + k];
    const device = ctx.device;
    const n = batchImages;
    this.buffers = {
      images: createStorageBuffer(device, n * this.imageSize * 4, 'images (batch)'),
      cols: createStorageBuffer(device, n * cd * cd * ld * 4, 'im2col (batch)'),
      weights: uploadF32(device, b, 'W′ᵀ'),
      bias: uploadF32(device, bias, 'b′', F4),
      convolved: createStorageBuffer(device, n * cd * cd * F4 * 4, 'convolved (position-major, batch)'),
      pooled: createStorageBuffer(device, n * this.pooledSize * 4, 'pooled (batch)'),
    };
    this.staging = device.createBuffer({ label: 'read pooled', size: Math.max(16, Math.ceil((n * this.pooledSize * 4) / 16) * 16), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /** `weights` F × (C·p·p) and `bias` F: the features with their whitening folded in (foldWhitening). */
  static create(ctx: GpuContext, shape: ConvPoolShape, weights: ArrayLike<number>, bias: ArrayLike<number>, batchImages = convBatchImages(ctx, shape)): GpuConvolvePool {
    return new GpuConvolvePool(ctx, shape, Math.max(1, Math.min(batchImages, convBatchImages(ctx, shape))), weights, bias);
  }

  /** The programs of a batch of `images` (the last batch may be smaller), bound once. */
  private async batch(images: number): Promise<Batch> {
    const made = this.batches.get(images);
    if (made) return made;
    const { shape, ctx, buffers } = this;
    const { im2col, product, F4 } = convolutionAsMatmul(ctx.adapterInfo, { ...shape, images });
    const pool = meanPoolProgram({ maps: images * shape.features, convDim: convolvedDim(shape), poolDim: shape.poolDim, positionMajor: { features: shape.features, ld: F4 } });
    const runs: [KernelProgram, Record<string, GPUBuffer>][] = [
      [im2col, { images: buffers.images, cols: buffers.cols }],
      [product, { a: buffers.cols, b: buffers.weights, c: buffers.convolved, bias: buffers.bias }],
      [pool, { convolved: buffers.convolved, pooled: buffers.pooled }],
    ];
    const steps: BoundStep[] = [];
    for (const [program, bound] of runs) steps.push(await bindStep(ctx, program, bound));
    const batch = { images, steps };
    this.batches.set(images, batch);
    return batch;
  }

  /**
   * The pooled features of `count` images (count × imageSize values, channel planes row-major),
   * count × pooledSize; `onBatch` after each batch (images done so far), and a stop between
   * batches when it returns false.
   */
  async run(images: ArrayLike<number>, count: number, onBatch?: (done: number) => boolean | void | Promise<boolean | void>): Promise<Float32Array | null> {
    if (images.length !== count * this.imageSize) throw new RangeError(`convolution: ${images.length} values are not ${count} images of ${this.imageSize}`);
    const { ctx, buffers } = this;
    const device = ctx.device;
    const out = new Float32Array(count * this.pooledSize);
    for (let start = 0; start < count; start += this.batchImages) {
      const n = Math.min(this.batchImages, count - start);
      const batch = await this.batch(n);
      ctx.assertAlive();
      const slice = Float32Array.from({ length: n * this.imageSize }, (_, k) => images[start * this.imageSize + k]);
      const bytes = n * this.pooledSize * 4;
      await withErrorScopes(device, `convolving and pooling images ${start + 1}–${start + n}`, () => {
        device.queue.writeBuffer(buffers.images, 0, slice.buffer, slice.byteOffset, slice.byteLength);
        const encoder = device.createCommandEncoder({ label: 'convolve and pool' });
        const pass = encoder.beginComputePass();
        for (const step of batch.steps) encodeStep(pass, step);
        pass.end();
        encoder.copyBufferToBuffer(buffers.pooled, 0, this.staging, 0, Math.ceil(bytes / 4) * 4);
        device.queue.submit([encoder.finish()]);
      });
      this.submissions++;
      await mapForReading(ctx, this.staging);
      out.set(new Float32Array(this.staging.getMappedRange(0, bytes).slice(0)), start * this.pooledSize);
      this.staging.unmap();
      if ((await onBatch?.(start + n)) === false) return null;
    }
    return out;
  }

  destroy(): void {
    for (const batch of this.batches.values()) for (const step of batch.steps) step.uniformBuffer.destroy();
    for (const buffer of Object.values(this.buffers)) buffer.destroy();
    this.staging.destroy();
  }
}
