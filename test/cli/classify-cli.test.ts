/**
 * `npm run classify` as a user runs it: help, one-line refusals with exit code 2, a small run's
 * files and report, --predict on its model, and Ctrl-C through npm with a checkpoint that
 * --resume continues to the uninterrupted run's model (the float64 compute is deterministic).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { npmRun } from './npm-run';
import { idx } from '../data/idx-bytes';

let dir: string;
const classify = (args: string[], when?: Parameters<typeof npmRun>[2]) => npmRun('classify', args, when);
// A small stacked run on the CPU: four stages, fine-tuning ~20 ms an iteration, ~3 s in all.
const small = ['--task', 'stacked', '--device', 'cpu', '--digits', '400', '--hidden', '16', '--ae-iters', '25', '--softmax-iters', '30', '--finetune-iters', '150'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sae-classify-'));
});

describe('npm run classify', () => {
  it('--help lists the tasks and exit codes', async () => {
    const run = await npmRun('classify', ['--help']);
    expect(run.code).toBe(0);
  });

  it('refuses bad flags and bad label files with one line naming the problem and exit code 2', async () => {
    const images = join(dir, 'images.idx');
    const labels = join(dir, 'labels.idx');
    const tooHigh = join(dir, 'labels-12.idx');
    await writeFile(images, idx(0x803, [3, 2, 2], new Uint8Array(12)));
    await writeFile(labels, idx(0x801, [2], [1, 2]));
    await writeFile(tooHigh, idx(0x801, [3], [1, 12, 2]));
    const cases: [string[], RegExp][] = [
      [['--task', 'deep'], /--task must be one of softmax, stl, stacked, conv, got 'deep'/],
      [['--hidden', '0'], /--hidden must be a positive integer/],
      [['--sparsity', '1'], /--sparsity must be a number strictly between 0 and 1/],
      [['--train-images', images], /--train-images and --train-labels go together/],
      [['--task', 'stl', '--train-images', images, '--train-labels', labels], new RegExp(`${labels}: 2 labels, but the images file ${images} holds 3 images`)],
      [['--task', 'stl', '--train-images', images, '--train-labels', tooHigh], new RegExp(`${tooHigh}: label 1 is 12`)],
      [['--task', 'stl', '--train-images', join(dir, 'missing'), '--train-labels', labels], /missing: no such file/],
      [['--predict', join(dir, 'none.json'), '--images', images], /none.json: no such file/],
      [['--predict', images, '--images', images], /images.idx: not UTF-8 text|images.idx: not readable as JSON/],
      [['--out', join(dir, 'nothing-here'), '--resume'], /checkpoint.bin/],
    ];
    for (const [args, message] of cases) {
      const run = await classify([...args, '--device', 'cpu']);
      expect(run.code, `${args.join(' ')}\n${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    }
  });

  it('runs the stacked task, writes its files, and --predict applies the model', async () => {
    const out = join(dir, 'whole');
    const run = await classify([...small, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/stage 4\/4: fine-tuning the stack/);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.stages).toHaveLength(4);
    expect(report.accuracies['after fine-tuning']).toBeGreaterThan(0.5);
    expect(report.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(report.counts.test);
    for (const name of ['model.json', 'confusion.png', 'features-layer1.png', 'features-layer2.png', 'checkpoint.bin']) {
      expect((await readFile(join(out, name))).length, name).toBeGreaterThan(100);
    }
    // --predict on the real MNIST test files when present, else on the model's own kind of data.
    const shared = join(process.cwd(), '..', 'shared', 'data', 'mnist');
    const predicted = await classify([
      '--predict', join(out, 'model.json'),
      '--images', join(shared, 't10k-images-idx3-ubyte.gz'),
      '--labels', join(shared, 't10k-labels-idx1-ubyte.gz'),
      '--device', 'cpu',
      '--out', join(dir, 'predicted'),
    ]);
    expect(predicted.code, predicted.stderr).toBe(0);
    const predictions = JSON.parse(await readFile(join(dir, 'predicted', 'predictions.json'), 'utf8'));
    expect(predictions.predictions).toHaveLength(10000);
    expect(predictions.accuracy).toBeGreaterThan(0.5);
  });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} during fine-tuning: exit ${code}, and --resume reaches the uninterrupted model`, async () => {
      const out = join(dir, signal);
      const stopped = await classify([...small, '--out', out], { after: /stage 4\/4/, delayMs: 250, signal });
      expect(stopped.code, stopped.stderr).toBe(code);
      expect(stopped.stderr).toMatch(/continue with: npm run classify -- --out .* --resume --device cpu/);
      const conflict = await classify(['--out', out, '--resume', '--device', 'cpu', '--hidden', '20']);
      expect(conflict.code).toBe(2);
      expect(conflict.stderr).toMatch(/contradict the checkpoint's run: hiddenSize 20/);
      const resumed = await classify(['--out', out, '--resume', '--device', 'cpu']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(/resuming after 3 finished stage\(s\), inside 'fine-tuning the stack'/);
      expect(await readFile(join(out, 'model.json'), 'utf8')).toBe(await readFile(join(dir, 'whole', 'model.json'), 'utf8'));
    });
  }
});
