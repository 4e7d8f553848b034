import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors';
import { IDX_IMAGES_MAGIC } from '../../src/data/idx';
import type { GrayImage, RgbImage } from '../../src/data/images';
import { writeMat } from '../../src/data/mat';
import { writeNpy } from '../../src/data/npy';
import type { LabeledDataset } from '../../src/data/mnist';
import { encodePng } from '../../src/display/png';
import { Random } from '../../src/random';
import { presets, type TrainConfig } from '../../src/train/config';
import { learnable, resolveTrainingData, trainingDataFromFiles, userFileKind, type DataLoaders } from '../../src/train/data';

const config: TrainConfig = { ...presets['ufldl-natural'], patches: 50, patchSize: 4 };

function noise(width: number, height: number, seed: number): GrayImage {
  const rng = new Random(seed);
  return { width, height, pixels: Float64Array.from({ length: width * height }, () => rng.uniform()) };
}

function colorNoise(width: number, height: number, seed: number): RgbImage {
  const rng = new Random(seed);
  return { width, height, pixels: Float64Array.from({ length: 3 * width * height }, () => rng.uniform()) };
}

function idxBytes(count: number, rows: number, cols: number): Uint8Array {
  const bytes = new Uint8Array(16 + count * rows * cols);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, IDX_IMAGES_MAGIC, false);
  view.setUint32(4, count, false);
  view.setUint32(8, rows, false);
  view.setUint32(12, cols, false);
  for (let i = 16; i < bytes.length; i++) bytes[i] = i % 251;
  return bytes;
}

describe('userFileKind', () => {
  it('goes by the name first, as the command line does', () => {
    expect(userFileKind('IMAGES.MAT')).toBe('mat');
    expect(userFileKind('photo.jpeg')).toBe('image');
    expect(userFileKind('t10k-images-idx3-ubyte')).toBe('idx');
    expect(userFileKind('data.bin')).toBeUndefined();
  });

  it('then by the first bytes', () => {
    expect(userFileKind('x', new TextEncoder().encode('MATLAB 5.0 MAT-file'))).toBe('mat');
    expect(userFileKind('x', Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toBe('image');
    expect(userFileKind('x', idxBytes(1, 2, 2))).toBe('idx');
    expect(userFileKind('x', Uint8Array.of(0x1f, 0x8b, 8, 0))).toBe('idx');
    expect(userFileKind('x', new TextEncoder().encode('hello'))).toBeUndefined();
  });
});

describe('trainingDataFromFiles', () => {
  it('samples patches from a MAT-file’s IMAGES', () => {
    const image = noise(12, 10, 1);
    const data = new Float64Array(120);
    for (let y = 0; y < 10; y++) for (let x = 0; x < 12; x++) data[x * 10 + y] = image.pixels[y * 12 + x];
    const bytes = writeMat([{ name: 'IMAGES', dims: [10, 12, 1], data }]);
    const result = trainingDataFromFiles([{ name: 'IMAGES.mat', bytes }], config);
    expect(result.dataset).toMatchObject({ examples: 50, visibleSize: 16 });
    expect(result.geometry).toEqual({ width: 4, height: 4 });
    expect(result.description).toBe('50 patches of 4×4 from IMAGES in IMAGES.mat');
  });

  it('takes a MAT-file’s patches as they are', () => {
    const bytes = writeMat([{ name: 'patches', dims: [9, 7], data: Float64Array.from({ length: 63 }, (_, i) => i / 63) }]);
    const result = trainingDataFromFiles([{ name: 'p.mat', bytes }], config);
    expect(result.dataset).toMatchObject({ examples: 7, visibleSize: 9 });
    expect(result.geometry).toEqual({ width: 3, height: 3 });
  });

  it('reads an idx images file, recognized by its bytes when the name says nothing', () => {
    const result = trainingDataFromFiles([{ name: 'digits', bytes: idxBytes(3, 5, 4) }], config);
    expect(result.dataset).toMatchObject({ examples: 3, visibleSize: 20 });
    expect(result.geometry).toEqual({ width: 4, height: 5 });
  });

  it('whitens PNG photos together and cuts patches from them', () => {
    const png = (seed: number) => encodePng({ width: 16, height: 16, values: Float32Array.from(noise(16, 16, seed).pixels, (v) => 2 * v - 1) }, { scale: 1 });
    const result = trainingDataFromFiles(
      [
        { name: 'a.png', bytes: png(2) },
        { name: 'b.png', bytes: png(3) },
      ],
      config,
    );
    expect(result.dataset).toMatchObject({ examples: 50, visibleSize: 16 });
    expect(result.description).toBe('50 patches of 4×4 from 2 images (a.png, b.png), whitened');
  });

  it('names the file in every error', () => {
    const truncated = writeMat([{ name: 'IMAGES', dims: [4, 4, 1], data: new Float64Array(16) }]).subarray(0, 140);
    expect(() => trainingDataFromFiles([{ name: 'cut.mat', bytes: truncated }], config)).toThrow(DataError);
    expect(() => trainingDataFromFiles([{ name: 'cut.mat', bytes: truncated }], config)).toThrow(/^cut\.mat: /);
    expect(() => trainingDataFromFiles([{ name: 'notes.txt', bytes: new TextEncoder().encode('hi') }], config)).toThrow(/notes\.txt: unknown kind of data/);
    const mat = writeMat([{ name: 'other', dims: [1, 1], data: Float64Array.of(1) }]);
    expect(() => trainingDataFromFiles([{ name: 'o.mat', bytes: mat }], config)).toThrow(/holds neither IMAGES nor patches \(variables: other\)/);
    expect(() =>
      trainingDataFromFiles(
        [
          { name: 'o.mat', bytes: mat },
          { name: 'p.mat', bytes: mat },
        ],
        config,
      ),
    ).toThrow(/one \.mat or idx file at a time/);
  });
});

describe('resolveTrainingData', () => {
  const digits: LabeledDataset = {
    data: Float64Array.from({ length: 6 * 784 }, (_, i) => Math.floor(i / 784) / 10),
    examples: 6,
    visibleSize: 784,
    labels: Uint8Array.of(0, 1, 2, 3, 4, 5),
  };
  const loaders: DataLoaders = {
    naturalImages: async () => [noise(20, 20, 4)],
    naturalColorImages: async () => [colorNoise(30, 30, 5)],
    mnistDigits: async () => ({ ...digits, data: digits.data.slice() }),
    userData: async (c) => {
      throw new DataError(c.data, 'no such file or folder');
    },
  };

  it('cuts patches from the natural images and takes the digits whole', async () => {
    const natural = await resolveTrainingData(config, loaders);
    expect(natural.description).toBe('50 patches of 4×4 from the embedded whitened natural images');
    const mnist = await resolveTrainingData({ ...presets['ufldl-mnist'] }, loaders);
    expect(mnist.dataset.examples).toBe(6);
    expect(mnist.geometry).toEqual({ width: 28, height: 28 });
    expect(Array.from(mnist.dataset.data.subarray(0, 784 * 6).filter((_, i) => i % 784 === 0))).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
  });

  it('cuts color patches for the linear decoder, mean removed and ZCA-whitened, with the whitening kept', async () => {
    const color = await resolveTrainingData({ ...presets['ufldl-linear-decoder'], patches: 300, patchSize: 4 }, loaders);
    expect(color.dataset.visibleSize).toBe(48);
    expect(color.dataset.examples).toBe(300);
    expect(color.geometry).toEqual({ width: 4, height: 4, channels: 3 });
    expect(color.description).toMatch(/^300 color patches of 4×4×3 from the embedded photos in color .*ZCA-whitened \(ε = 0.1\)$/);
    expect(color.whitening!.zca.length).toBe(48 * 48);
    expect(color.whitening!.epsilon).toBe(0.1);
    // Whitened: each value's mean over the patches is 0, and values leave [0, 1].
    const { data } = color.dataset;
    for (let i = 0; i < 48; i++) {
      let mean = 0;
      for (let k = 0; k < 300; k++) mean += data[k * 48 + i] / 300;
      expect(Math.abs(mean)).toBeLessThan(1e-12);
    }
    expect(Math.min(...data)).toBeLessThan(0);
    // A sigmoid output cannot reproduce them: refused in one line that names the remedy.
    await expect(resolveTrainingData({ ...presets['ufldl-linear-decoder'], patches: 300, patchSize: 4, output: 'sigmoid' }, loaders)).rejects.toThrow(
      /^natural-color: values run from -?[\d.e-]+ to [\d.e-]+, but the sigmoid output can only reproduce \[0, 1\].*--output linear\)$/,
    );
  });

  it('mixes the examples once, seeded, for mini-batch methods', async () => {
    const a = await resolveTrainingData({ ...presets['ufldl-mnist'], optimizer: 'sgd' }, loaders);
    const b = await resolveTrainingData({ ...presets['ufldl-mnist'], optimizer: 'sgd' }, loaders);
    const firsts = (d: typeof a) => Array.from({ length: 6 }, (_, k) => d.dataset.data[k * 784]);
    expect(firsts(a)).toEqual(firsts(b));
    expect(firsts(a)).not.toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
    expect([...firsts(a)].sort()).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
  });

  it('hands anything else to the environment’s loader', async () => {
    await expect(resolveTrainingData({ ...config, data: 'missing.mat' }, loaders)).rejects.toThrow('missing.mat: no such file or folder');
  });
});

describe('data a model can learn', () => {
  const source = 'my-patches.mat';
  const config = { data: source };
  const data = (values: number[], visibleSize = 2) => ({
    dataset: { data: Float64Array.from(values), examples: values.length / visibleSize, visibleSize },
    geometry: undefined,
    description: 'test data',
  });
  const refused = (values: number[], pattern: RegExp, visibleSize = 2) => {
    let error: unknown;
    try {
      learnable(data(values, visibleSize), config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toContain(source);
    expect((error as Error).message).toMatch(pattern);
  };

  it('refuses values outside [0, 1], non-finite values, constant data and one value per example', () => {
    refused([0, 255, 17, 3], /values run from 0 to 255, .*--normalize/);
    refused([-0.5, 0.5, 0.2, 0.1], /values run from -0.5 to 0.5/);
    refused([0.1, NaN, 0.2, 0.3], /not a finite number/);
    refused([0.3, 0.3, 0.3, 0.3], /every value is 0.3/);
    refused([0.1, 0.2, 0.3, 0.4], /1 value per example/, 1);
    expect(learnable(data([0, 1, 0.5, 0.25]), config).dataset.examples).toBe(2);
  });

  it('takes any finite values for a linear output, and still refuses non-finite ones naming the file', () => {
    const linear = { ...config, output: 'linear' as const };
    expect(learnable(data([0, 255, -17, 3]), linear).dataset.data).toEqual(Float64Array.of(0, 255, -17, 3));
    for (const bad of [NaN, Infinity]) {
      let error: unknown;
      try {
        learnable(data([0.1, bad, 0.2, 0.3]), linear);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DataError);
      expect((error as Error).message).toBe(`${source}: holds a value that is not a finite number (${bad})`);
    }
  });

  it('rescales bytes into [0.1, 0.9] as normalizeData does, when asked', () => {
    const rng = new Random(3);
    const bytes = Array.from({ length: 64 * 50 }, () => Math.floor(256 * rng.uniform()));
    const result = learnable(data(bytes, 64), { ...config, normalize: true });
    expect(Math.min(...result.dataset.data)).toBeGreaterThanOrEqual(0.1);
    expect(Math.max(...result.dataset.data)).toBeLessThanOrEqual(0.9);
    expect(result.description).toMatch(/normalizeData/);
  });
});

describe('activation matrices as training data', () => {
  it('reads a .npy dropped in the page as examples without pixels', () => {
    const values = Float32Array.from({ length: 6 * 4 }, (_, i) => (i % 7) / 7);
    const data = trainingDataFromFiles([{ name: 'acts.npy', bytes: writeNpy(values, 6, 4) }], { ...presets['ufldl-natural'], data: 'acts.npy' });
    expect([data.dataset.examples, data.dataset.visibleSize, data.geometry]).toEqual([6, 4, undefined]);
    expect(data.dataset.data[5]).toBeCloseTo(5 / 7, 6);
  });
});
