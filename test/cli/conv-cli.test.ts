/**
 * `npm run classify -- --task conv` (cnnExercise) at tiny sizes: the refusals of its flags (those
 * of the flags alone and of the data in this process, where they are thrown; one through the
 * command line for its exit code, its one line and nothing written), a WebGPU run's files and
 * report, --predict applying its model.json (the convolution with the softmax) to idx files,
 * Ctrl-C inside the softmax with --resume reaching the uninterrupted run's model (float64:
 * deterministic), and UFLDL's own data from .mat files of stlTrainSubset.mat's,
 * stlTestSubset.mat's and STL10Features.mat's layouts built here. Each command line is a process
 * that costs seconds on a loaded machine: 8 of them in all (12 before).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stlImagesFromMat } from '../../src/classify/conv';
import { cpuCompute } from '../../src/classify/compute';
import { readClassifierModelFile } from '../../src/classify/model-file';
import { defaultSettings, type ClassifyData } from '../../src/classify/pipeline';
import { checkConvGeometry, parseClassifyArguments } from '../../src/cli/classify-args';
import { readMat, writeMat } from '../../src/data/mat';
import { loadLabeledIdxFiles } from '../../src/data/labeled-node';
import { loadMnistDigits } from '../../src/data/mnist-node';
import { Random } from '../../src/random';
import { npmRun } from './npm-run';
import { runCli } from './run-cli';
import { idx } from '../data/idx-bytes';

let dir: string;
const classify = (args: string[], when?: Parameters<typeof npmRun>[2]) => npmRun('classify', args, when);
// 200 digits (100 train, 100 test), 8 features learned on 1,000 patches: about a second a stage on the CPU.
const tiny = ['--task', 'conv', '--digits', '200', '--hidden', '8', '--patches', '1000', '--ae-iters', '15', '--softmax-iters', '60'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sae-conv-'));
});

/** `count` embedded digits from `from` on as idx files (images, labels): their paths. */
async function digitFiles(name: string, from: number, count: number): Promise<[string, string]> {
  const digits = await loadMnistDigits();
  const pixels = Array.from(digits.data.subarray(from * 784, (from + count) * 784), (x) => Math.round(255 * x));
  const paths: [string, string] = [join(dir, `${name}-images.idx`), join(dir, `${name}-labels.idx`)];
  await writeFile(paths[0], idx(0x803, [count, 28, 28], pixels));
  await writeFile(paths[1], idx(0x801, [count], digits.labels.subarray(from, from + count)));
  return paths;
}

/**
 * cnnExercise's files, small: `n` color images of dim² in MATLAB's column-major dim × dim × 3 × n,
 * labels 1 … 4 (class k brighter in channel k − 1, so that they can be learned), and features of
 * p × p × 3 patches as the linear decoder saves them.
 */
async function stlFiles(n: number, dim: number, p: number, hidden: number): Promise<string[]> {
  const rng = new Random(5);
  const images = (prefix: string) => {
    const labels = Float64Array.from({ length: n }, (_, i) => 1 + (i % 4));
    const data = new Float64Array(dim * dim * 3 * n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) for (let k = 0; k < dim * dim; k++) data[((i * 3 + c) * dim * dim) + k] = 0.3 * rng.uniform() + (labels[i] - 1 === c ? 0.5 : 0);
    }
    return writeMat([
      { name: `${prefix}Images`, dims: [dim, dim, 3, n], data },
      { name: `${prefix}Labels`, dims: [n, 1], data: labels },
    ]);
  };
  const v = p * p * 3;
  const zca = new Float64Array(v * v);
  for (let i = 0; i < v; i++) zca[i * v + i] = 1 + 0.1 * rng.uniform();
  const features = writeMat([
    { name: 'optTheta', dims: [2 * hidden * v + hidden + v, 1], data: Float64Array.from({ length: 2 * hidden * v + hidden + v }, () => 0.2 * rng.normal()) },
    { name: 'ZCAWhite', dims: [v, v], data: zca },
    { name: 'meanPatch', dims: [v, 1], data: Float64Array.from({ length: v }, () => 0.4) },
  ]);
  const paths = ['train.mat', 'test.mat', 'features.mat'].map((name) => join(dir, name));
  await writeFile(paths[0], images('train'));
  await writeFile(paths[1], images('test'));
  await writeFile(paths[2], features);
  return paths;
}

describe('npm run classify -- --task conv', () => {
  it('refuses flags that do not go together, and sizes the data cannot hold, with a UsageError naming them', async () => {
    const parsed: [string[], RegExp][] = [
      [['--task', 'conv', '--train-mat', 'a.mat', '--test-mat', 'b.mat'], /--train-mat, --test-mat and --features go together/],
      [['--task', 'stacked', '--features', 'f.mat'], /for --task conv \(not --task stacked\)/],
      [['--task', 'softmax', '--pool', '3'], /--pool is a setting of --task conv/],
      [['--task', 'conv', '--pool', '0'], /--pool must be a positive integer/],
      [['--task', 'conv', '--train-mat', 'a.mat', '--test-mat', 'b.mat', '--features', 'f.mat', '--patches', '100'], /--features gives them/],
    ];
    for (const [args, message] of parsed) expect(() => parseClassifyArguments(args), args.join(' ')).toThrow(message);
    // conv's own defaults (the 97% settings) over the shared ones; the softmax task keeps softmaxExercise's.
    expect(parseClassifyArguments(['--task', 'conv']).settings).toMatchObject({ poolDim: 5, softmaxLambda: 1e-5, softmaxIterations: 400, hiddenSize: 200, patches: 20_000 });
    expect(parseClassifyArguments(['--task', 'softmax']).settings).toMatchObject({ softmaxLambda: 1e-4, softmaxIterations: 100 });
    expect(parseClassifyArguments(['--task', 'conv', '--softmax-lambda', '1e-4']).settings.softmaxLambda).toBe(1e-4);
    // The data's checks: 28×28 digits, 8×8 patches → 21×21 maps; 3 training digits hold 1,323 patch positions.
    const digits = (n: number) => ({ data: new Float64Array(n * 784), examples: n, visibleSize: 784, labels: new Uint8Array(n) });
    const data: ClassifyData = { train: digits(3), test: digits(2), numClasses: 10 };
    const settings = { ...defaultSettings, task: 'conv' as const };
    expect(() => checkConvGeometry({ ...settings, poolDim: 30 }, data)).toThrow(/--pool 30: pooling regions of 30 do not fit a 21×21 convolved feature/);
    expect(() => checkConvGeometry({ ...settings, patchDim: 29 }, data)).toThrow(/--patch 29: a 29×29 patch does not fit the 28×28 images/);
    expect(() => checkConvGeometry({ ...settings, patches: 1324 }, data)).toThrow(/--patches 1324: the 3 training images have only 1,323 positions for a 8×8 patch/);
    expect(() => checkConvGeometry({ ...settings, patches: 1323 }, data)).not.toThrow();
    const [, test] = await stlFiles(8, 12, 4, 3);
    const testMat = readMat(await readFile(test), test);
    expect(() => stlImagesFromMat(testMat, 'train', test)).toThrow(/test.mat: .*'trainImages'/);
  });

  it('--patches beyond the training digits’ positions: one error line, exit code 2, before any device, nothing written', async () => {
    const out = join(dir, 'refused');
    // --digits 4: 2 training digits, 882 positions of an 8×8 patch.
    const run = await runCli('classify', ['--task', 'conv', '--digits', '4', '--patches', '1000', '--out', out]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/^error: --patches 1000: the 2 training images have only 882 positions for a 8×8 patch/m);
    expect(run.stderr).not.toMatch(/device:|stage 1/);
    expect(existsSync(out)).toBe(false);
  }, 300_000);

  it('runs on WebGPU: three stages, report.json with the pooled size, features.png, pooled-maps.png, confusion.png', async () => {
    const out = join(dir, 'gpu');
    const run = await runCli('classify', [...tiny, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/stage 2\/3: convolution and pooling, 200 images/);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.device.backend).toBe('webgpu');
    expect(report.convolution).toEqual({ features: 8, patchDim: 8, poolDim: 5, pooledDim: 4, pooledFeatures: 128 });
    expect(report.stages.map((s: { kind: string }) => s.kind)).toEqual(['autoencoder', 'convolution', 'softmax']);
    expect(report.stages[1].iterations).toBe(200);
    // Far above chance (10%) even this small.
    expect(report.accuracies['pooled convolved features']).toBeGreaterThan(0.4);
    for (const name of ['model.json', 'confusion.png', 'features.png', 'pooled-maps.png']) expect((await readFile(join(out, name))).length, name).toBeGreaterThan(100);

    // --predict applies the convolution the model carries, then its softmax: the float64 CPU on
    // the GPU's model gives what this process computes from model.json (the same float64 code).
    const modelPath = join(out, 'model.json');
    const model = readClassifierModelFile(await readFile(modelPath), modelPath);
    expect(model.convolution).toMatchObject({ geometry: { channels: 1, imageDim: 28 }, features: 8, patchDim: 8, poolDim: 5 });
    expect(model.convolution!.weights).toHaveLength(8 * 64);
    const [images, labels] = await digitFiles('predict', 9000, 60);
    const predictedOut = join(dir, 'predicted');
    const predicted = await runCli('classify', ['--predict', modelPath, '--images', images, '--labels', labels, '--device', 'cpu', '--out', predictedOut]);
    expect(predicted.code, predicted.stderr).toBe(0);
    const file = JSON.parse(await readFile(join(predictedOut, 'predictions.json'), 'utf8'));
    const digits = await loadLabeledIdxFiles(images, labels);
    const cpu = cpuCompute();
    const pooled = (await cpu.convolvePool(model.convolution!, digits, model.convolution!.geometry, 5))!;
    const expected = await cpu.predict(model.shape, model.theta, { data: pooled, examples: 60, visibleSize: 128 });
    expect(file.predictions).toEqual(Array.from(expected));
    expect(file.accuracy).toBeGreaterThan(0.4);
    expect(file.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(60);
  }, 300_000);

  it('--predict refuses images its convolution does not fit, in one line with exit code 2, writing nothing', async () => {
    const model = join(dir, 'conv-model.json');
    // A conv model by hand: 2 features of 3×3 over 6×6 images pooled by 2 (4×4 → 2×2), softmax of 8 inputs into 2 classes.
    const json = {
      format: 'ufldl-classifier', version: 1, task: 'conv', shape: { inputSize: 8, hiddenSizes: [], numClasses: 2 }, theta: Array(16).fill(0.1), accuracies: {},
      convolution: { channels: 1, imageDim: 6, features: 2, patchDim: 3, poolDim: 2, weights: Array(18).fill(0.5), bias: [0, 0] },
    };
    await writeFile(model, JSON.stringify(json));
    const images = join(dir, 'images-5x5.idx');
    await writeFile(images, idx(0x803, [2, 5, 5], new Uint8Array(50)));
    const out = join(dir, 'predict-refused');
    const run = await runCli('classify', ['--predict', model, '--images', images, '--device', 'cpu', '--out', out]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/^error: .*images-5x5.idx: has 25 pixels per image; the model convolves 6×6 images \(36 pixels\)/m);
    expect(existsSync(out)).toBe(false);
    // The model's own checks, in this process: its convolution must give the softmax's input, in color too.
    const read = (change: object) => () => readClassifierModelFile(new TextEncoder().encode(JSON.stringify({ ...json, convolution: { ...json.convolution, ...change } })), 'm.json');
    expect(read({})().convolution?.weights).toHaveLength(18);
    expect(read({ poolDim: 1 })).toThrow(/m.json: convolution gives 2 × 4×4 = 32 pooled values an image; the classifier reads 8/);
    expect(read({ weights: Array(17).fill(0) })).toThrow(/convolution.weights has 17 values; 2 features of 1 × 3×3 need 18/);
    expect(read({ bias: [0, null] })).toThrow(/convolution.bias\[1\] is null, not a finite number/);
    expect(read({ patchDim: 7 })).toThrow(/convolution.patchDim 7 does not fit its 6×6 images/);
    expect(read({ channels: 0 })).toThrow(/convolution.channels is 0/);
  }, 300_000);

  it('SIGINT inside a stage: exit 130, and --resume reaches the uninterrupted model', async () => {
    const whole = join(dir, 'whole');
    const done = await runCli('classify', [...tiny, '--device', 'cpu', '--out', whole]);
    expect(done.code, done.stderr).toBe(0);
    const out = join(dir, 'stopped');
    // Early in the run: on a quiet machine the tiny softmax is over within 100 ms of its start.
    const stopped = await classify([...tiny, '--device', 'cpu', '--out', out], { after: /stage 1\/3/, delayMs: 100, signal: 'SIGINT' });
    expect(stopped.code, stopped.stderr).toBe(130);
    const resumed = await runCli('classify', ['--out', out, '--resume', '--device', 'cpu']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming after [0-2] finished stage\(s\)/);
    expect(await readFile(join(out, 'model.json'), 'utf8')).toBe(await readFile(join(whole, 'model.json'), 'utf8'));
  }, 300_000);

  it('reads cnnExercise’s .mat files: color images, the linear decoder’s features with their whitening, no autoencoder stage', async () => {
    const [train, test, features] = await stlFiles(24, 12, 4, 6);
    const out = join(dir, 'stl');
    const run = await runCli('classify', ['--task', 'conv', '--train-mat', train, '--test-mat', test, '--features', features, '--pool', '3', '--softmax-iters', '50', '--device', 'cpu', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/convolution and pooling → softmax on the pooled features/);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    // 12×12 images, 4×4 patches: 9×9 maps pooled by 3 → 3×3, 6 features: 54 values an image; 4 classes.
    expect(report.convolution).toEqual({ features: 6, patchDim: 4, poolDim: 3, pooledDim: 3, pooledFeatures: 54 });
    expect(report.classes).toBe(4);
    expect(report.counts).toEqual({ train: 24, test: 24 });
    expect(report.accuracies['pooled convolved features']).toBeGreaterThan(0.5);
  }, 300_000);
});
