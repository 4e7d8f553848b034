/**
 * The whole convolution-and-pooling stage as `classify --task conv` runs it (GpuConvolvePool:
 * uploads, one submission per batch of images, read-backs), in images per second, beside its
 * float64 twin (convolveFeatures + meanPool) on fewer images: at cnnExercise's size (64×64×3
 * images, 400 features of 8×8×3, pool 19) and at the digits' (28×28, the task's 200 features of
 * 8×8, pool 7). Median of 3 after a warm-up. Shared by Node (bench/conv.ts) and Chromium
 * (bench/pages/conv.ts): imports nothing that needs either.
 */
import { makeConvFixture } from '../src/gpu/conv-checks';
import { GpuConvolvePool } from '../src/gpu/conv-pool';
import type { GpuContext } from '../src/gpu/device';
import { convolvedDim, convolveFeatures, meanPool } from '../src/reference/conv';

export interface ConvStageRow {
  name: string;
  imageDim: number;
  channels: number;
  features: number;
  patchDim: number;
  poolDim: number;
  batchImages: number;
  gpuImages: number;
  gpuImagesPerSecond: number;
  cpuImages: number;
  cpuImagesPerSecond: number;
}

export const convStages = [
  { name: "cnnExercise's size", images: 48, cpuImages: 2, channels: 3, imageDim: 64, features: 400, patchDim: 8, poolDim: 19 },
  { name: "the digits' size", images: 1000, cpuImages: 20, channels: 1, imageDim: 28, features: 200, patchDim: 8, poolDim: 7 },
] as const;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function describeConvStage(r: ConvStageRow): string {
  return (
    `convolution + pooling stage, ${r.name} (${r.imageDim}×${r.imageDim}×${r.channels}, ${r.features} features of ${r.patchDim}×${r.patchDim}, pool ${r.poolDim}; batches of ${r.batchImages}): ` +
    `WebGPU ${r.gpuImagesPerSecond.toFixed(1)} images/s over ${r.gpuImages}, float64 CPU ${r.cpuImagesPerSecond.toFixed(2)} images/s over ${r.cpuImages} (${(r.gpuImagesPerSecond / r.cpuImagesPerSecond).toFixed(1)}×)`
  );
}

export async function timeConvStages(ctx: GpuContext, log: (line: string) => void = () => {}): Promise<ConvStageRow[]> {
  const rows: ConvStageRow[] = [];
  for (const s of convStages) {
    const { images, weights, bias } = makeConvFixture(s);
    const stage = GpuConvolvePool.create(ctx, s, weights, bias);
    let gpuImagesPerSecond: number;
    const batchImages = stage.batchImages;
    try {
      await stage.run(images, s.images); // warm-up: pipelines compiled
      const times: number[] = [];
      for (let r = 0; r < 3; r++) {
        const start = performance.now();
        await stage.run(images, s.images);
        times.push(performance.now() - start);
      }
      gpuImagesPerSecond = (1000 * s.images) / median(times);
    } finally {
      stage.destroy();
    }
    const cd = convolvedDim(s);
    const few = images.subarray(0, s.cpuImages * s.channels * s.imageDim * s.imageDim);
    const cpuTimes: number[] = [];
    for (let r = 0; r < 3; r++) {
      const start = performance.now();
      meanPool(convolveFeatures(few, weights, bias, { ...s, images: s.cpuImages }), s.cpuImages * s.features, cd, s.poolDim);
      cpuTimes.push(performance.now() - start);
    }
    const row: ConvStageRow = {
      name: s.name,
      imageDim: s.imageDim,
      channels: s.channels,
      features: s.features,
      patchDim: s.patchDim,
      poolDim: s.poolDim,
      batchImages,
      gpuImages: s.images,
      gpuImagesPerSecond,
      cpuImages: s.cpuImages,
      cpuImagesPerSecond: (1000 * s.cpuImages) / median(cpuTimes),
    };
    log(describeConvStage(row));
    rows.push(row);
  }
  return rows;
}
