/**
 * The linear decoder through the whole CPU path, small: color patches of synthetic photos,
 * ZCA-whitened, prepared by prepareRun (which must hand the linear output to the engine),
 * trained with L-BFGS on the float64 reference, then written as a model file and an RGB
 * features.png.
 */
import { decode as decodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/data/images';
import { sparseAutoencoderCost } from '../../src/reference/autoencoder';
import { Random } from '../../src/random';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/train/checkpoint';
import { presets, type TrainConfig } from '../../src/train/config';
import { resolveTrainingData, type DataLoaders } from '../../src/train/data';
import { featuresPng, modelJson, thetaFromModelJson } from '../../src/train/model-files';
import { prepareRun } from '../../src/train/prepare';
import { train } from '../../src/train/trainer';

/** Colored stripes at an angle, plus a little noise: structure a linear decoder can find. */
function photo(seed: number, side = 40): RgbImage {
  const rng = new Random(seed);
  const n = side * side;
  const pixels = new Float64Array(3 * n);
  const angle = rng.uniform() * Math.PI;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const t = Math.sin((x * Math.cos(angle) + y * Math.sin(angle)) / 2);
      for (let c = 0; c < 3; c++) pixels[c * n + y * side + x] = 0.5 + 0.3 * t * (c === seed % 3 ? 1 : -0.5) + 0.05 * rng.normal();
    }
  }
  return { width: side, height: side, pixels, name: `photo ${seed}` };
}

const loaders: DataLoaders = {
  naturalImages: () => Promise.reject(new Error('not used')),
  naturalColorImages: async () => [photo(1), photo(2), photo(3)],
  mnistDigits: () => Promise.reject(new Error('not used')),
  userData: () => Promise.reject(new Error('not used')),
};

const config: TrainConfig = { ...presets['ufldl-linear-decoder'], patchSize: 4, patches: 400, hiddenSize: 12, iterations: 25 };

describe('the linear decoder on the float64 reference', () => {
  it('trains on whitened color patches with a linear output: the cost falls, features.png is RGB', async () => {
    const prepared = await prepareRun({ config, device: 'cpu' }, { loadData: (c) => resolveTrainingData(c, loaders), createGpuContext: () => Promise.reject(new Error('no GPU')), isGpuUnavailable: () => true });
    const { shape, data, engine, initialTheta } = prepared;
    expect(shape).toEqual({ visibleSize: 48, hiddenSize: 12, output: 'linear' });
    expect(engine.shape.output).toBe('linear');
    let last: Checkpoint | undefined;
    const result = await train(engine, { config, initialTheta, onCheckpoint: (c) => void (last = c) });
    prepared.close();
    expect(result.iterations).toBe(25);
    expect(result.finalCost).toBeLessThan(0.5 * result.initialCost);
    // The engine's cost is the linear decoder's, not the sigmoid autoencoder's, on these data.
    const linear = sparseAutoencoderCost(result.theta, shape, config, data.dataset).cost;
    const sigmoid = sparseAutoencoderCost(result.theta, { ...shape, output: 'sigmoid' }, config, data.dataset).cost;
    expect(result.finalCost).toBeCloseTo(linear, 10);
    expect(Math.abs(sigmoid - linear)).toBeGreaterThan(0.01);

    // A checkpoint keeps the output layer for --resume.
    const saved = decodeCheckpoint(encodeCheckpoint(last!), 'checkpoint.bin');
    expect(saved.shape.output).toBe('linear');
    expect(saved.config.output).toBe('linear');

    const png = decodePng(featuresPng(result.theta, shape, data.geometry, 1, data.whitening));
    expect(png.channels).toBe(3);
    // 12 features of 4×4: round(√12) = 3 columns, 4 rows, 1 pixel apart.
    expect([png.width, png.height]).toEqual([3 * 5 - 1, 4 * 5 - 1]);
    let colored = 0;
    for (let i = 0; i < png.width * png.height; i++) {
      const [r, g, b] = [png.data[3 * i], png.data[3 * i + 1], png.data[3 * i + 2]];
      if (r !== g && g !== b && r !== b) colored++;
    }
    expect(colored).toBeGreaterThan(100);

    // model.json carries what whitens a new patch: ZCAWhite·(x − meanPatch) is the training data.
    const model = thetaFromModelJson(JSON.parse(JSON.stringify(modelJson(result.theta, shape, config, data.geometry, data.whitening))), 'model.json');
    expect(model.shape.output).toBe('linear');
    expect(model.whitening!.zca).toEqual(data.whitening!.zca);
    expect(model.whitening!.meanPatch).toEqual(data.whitening!.meanPatch);
  });
});
