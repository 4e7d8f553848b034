/**
 * The WebGPU side of ./compute.ts: autoencoders train on the trainer's GPU engine, classifiers
 * on GpuClassifier with the GPU L-BFGS backend (one submission and one small read-back per
 * evaluation), features and predictions come from one evaluation and one read-back each.
 */
import { GpuSparseAutoencoder } from '../gpu/autoencoder';
import { GpuClassifier } from '../gpu/classifier';
import { convBatchImages, GpuConvolvePool } from '../gpu/conv-pool';
import type { GpuContext } from '../gpu/device';
import { formatBytes, ResourceLimitError } from '../gpu/errors';
import { checkLbfgsFits, GpuLbfgsBackend } from '../gpu/lbfgs';
import type { LbfgsBackend } from '../optim/lbfgs';
import { UFLDL_HYPERPARAMETERS } from '../reference/autoencoder';
import { tableChoice } from '../gpu/tuner';
import { createGpuTrainingEngine, describeAdapter, kernelReport } from '../train/gpu-engine';
import type { ClassifyCompute } from './compute';

export function gpuCompute(ctx: GpuContext): ClassifyCompute {
  return {
    // Read when asked: the kernels are tuned (ctx.kernels) after the compute is made.
    get device() {
      return { backend: 'webgpu' as const, adapter: describeAdapter(ctx), kernels: kernelReport(ctx.kernels ?? tableChoice(ctx.adapterInfo)) };
    },
    autoencoderEngine: (shape, hyperparameters, dataset) => createGpuTrainingEngine(ctx, shape, hyperparameters, dataset),
    async classifierBackend(shape, lambda, data, corrections): Promise<LbfgsBackend> {
      const model = await GpuClassifier.create(ctx, shape, lambda, data);
      let backend: GpuLbfgsBackend;
      try {
        backend = await GpuLbfgsBackend.create(
          ctx,
          {
            length: model.layout.length,
            costBuffer: model.costBuffer,
            encode: (pass, theta, grad) => model.encodeEvaluation(pass, theta, grad),
            decode: (values) => ({ cost: values[0] }),
          },
          corrections,
        );
      } catch (error) {
        model.destroy();
        throw error;
      }
      // The model lives as long as its backend.
      const dispose = backend.dispose.bind(backend);
      backend.dispose = () => {
        dispose();
        model.destroy();
      };
      return backend;
    },
    async predict(shape, theta, data) {
      const labels = new Uint8Array(data.examples);
      const model = await GpuClassifier.create(ctx, shape, 0, { ...data, labels });
      try {
        return await model.predict(theta);
      } finally {
        model.destroy();
      }
    },
    async probabilities(shape, theta, data) {
      const labels = new Uint8Array(data.examples);
      const model = await GpuClassifier.create(ctx, shape, 0, { ...data, labels });
      try {
        return await model.probabilities(theta);
      } finally {
        model.destroy();
      }
    },
    async features(theta, shape, data) {
      // The hyperparameters do not change a⁽²⁾.
      const model = await GpuSparseAutoencoder.create(ctx, shape, UFLDL_HYPERPARAMETERS, data, { theta });
      try {
        await model.evaluate();
        return Float64Array.from(await model.readHiddenActivations());
      } finally {
        model.destroy();
      }
    },
    async convolvePool(features, images, geometry, poolDim, onBatch) {
      const shape = { ...geometry, features: features.features, patchDim: features.patchDim, poolDim };
      const stage = GpuConvolvePool.create(ctx, shape, features.weights, features.bias);
      try {
        const pooled = await stage.run(images.data, images.examples, (done) => onBatch?.(done, images.examples));
        return pooled && Float64Array.from(pooled);
      } finally {
        stage.destroy();
      }
    },
    checkFits(stages, corrections) {
      const { maxBufferSize } = ctx.device.limits;
      for (const stage of stages) {
        checkLbfgsFits(ctx.device, stage.thetaLength, corrections);
        // Every buffer the stage's model will make, as its constructor checks them.
        if (stage.autoencoder) GpuSparseAutoencoder.checkFits(ctx, stage.autoencoder, stage.examples);
        if (stage.classifier) GpuClassifier.checkFits(ctx, stage.classifier, stage.examples);
        if (stage.convolution) convBatchImages(ctx, stage.convolution);
        const dataBytes = stage.examples * Math.ceil(stage.width / 4) * 16;
        if (dataBytes > maxBufferSize) {
          throw new ResourceLimitError(
            `the stage '${stage.name}' trains on ${stage.examples} × ${stage.width} float32 (${formatBytes(dataBytes)}) in one GPU buffer; this adapter's largest is ${formatBytes(maxBufferSize)}`,
            ['examples', 'cpu'],
          );
        }
      }
    },
    destroy() {},
  };
}
