/**
 * `npm run classify -- --task conv` (cnnExercise) at tiny sizes: the refusals of its flags, a
 * WebGPU run's files and report, Ctrl-C inside the softmax with --resume reaching the
 * uninterrupted run's model (float64: deterministic), and UFLDL's own data from .mat files of
 * stlTrainSubset.mat's, stlTestSubset.mat's and STL10Features.mat's layouts built here.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeMat } from '../../src/data/mat';
import { Random } from '../../src/random';
import { npmRun } from './npm-run';
import { runCli } from './run-cli';

let dir: string;
const classify = (args: string[], when?: Parameters<typeof npmRun>[2]) => npmRun('classify', args, when);
// 200 digits (100 train, 100 test), 8 features learned on 1,000 patches: about a second a stage on the CPU.
const tiny = ['--task', 'conv', '--digits', '200', '--hidden', '8', '--patches', '1000', '--ae-iters', '15', '--softmax-iters', '60'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sae-conv-'));
});

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
  it('refuses flags that do not go together with one error line and exit code 2', async () => {
    const [train, test, features] = await stlFiles(8, 12, 4, 3);
    const cases: [string[], RegExp][] = [
      [['--task', 'conv', '--train-mat', train, '--test-mat', test], /--train-mat, --test-mat and --features go together/],
      [['--task', 'stacked', '--features', features], /for --task conv \(not --task stacked\)/],
      [['--task', 'softmax', '--pool', '3'], /--pool is a setting of --task conv/],
      [['--task', 'conv', '--pool', '0'], /--pool must be a positive integer/],
      [['--task', 'conv', '--train-mat', train, '--test-mat', test, '--features', features, '--patches', '100'], /--features gives them/],
      [['--task', 'conv', '--pool', '30'], /pooling regions of 30 do not fit a 21×21 convolved feature/],
      [['--task', 'conv', '--train-mat', test, '--test-mat', test, '--features', features], /test.mat: .*'trainImages'/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli('classify', [...args, '--device', 'cpu', '--out', join(dir, 'refused')]);
      expect(run.code, `${args.join(' ')}\n${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(/^error: /m);
      expect(run.stderr).toMatch(message);
    }
  }, 300_000);

  it('runs on WebGPU: three stages, report.json with the pooled size, features.png, pooled-maps.png, confusion.png', async () => {
    const out = join(dir, 'gpu');
    const run = await runCli('classify', [...tiny, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/stage 2\/3: convolution and pooling, 200 images/);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.device.backend).toBe('webgpu');
    expect(report.convolution).toEqual({ features: 8, patchDim: 8, poolDim: 7, pooledDim: 3, pooledFeatures: 72 });
    expect(report.stages.map((s: { kind: string }) => s.kind)).toEqual(['autoencoder', 'convolution', 'softmax']);
    expect(report.stages[1].iterations).toBe(200);
    // Far above chance (10%) even this small.
    expect(report.accuracies['pooled convolved features']).toBeGreaterThan(0.4);
    for (const name of ['model.json', 'confusion.png', 'features.png', 'pooled-maps.png']) expect((await readFile(join(out, name))).length, name).toBeGreaterThan(100);
  }, 300_000);

  it('SIGINT inside the softmax: exit 130, and --resume reaches the uninterrupted model', async () => {
    const whole = join(dir, 'whole');
    const done = await classify([...tiny, '--device', 'cpu', '--out', whole]);
    expect(done.code, done.stderr).toBe(0);
    const out = join(dir, 'stopped');
    const stopped = await classify([...tiny, '--device', 'cpu', '--out', out], { after: /stage 3\/3/, delayMs: 100, signal: 'SIGINT' });
    expect(stopped.code, stopped.stderr).toBe(130);
    const resumed = await classify(['--out', out, '--resume', '--device', 'cpu']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming after 2 finished stage\(s\), inside 'softmax on the pooled features'/);
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
