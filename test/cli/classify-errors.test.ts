/**
 * `npm run classify` against hostile input: every refusal is one `error:` line naming the flag or
 * file, exit code 2, found before the first stage and with nothing written; a run that diverges
 * in a later stage leaves the folder's previous run whole, checkpoint included; a model beyond
 * float32's range is refused on the GPU and predicted right on the CPU.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeClassifyCheckpoint } from '../../src/classify/checkpoint';
import { classifierModelJson } from '../../src/classify/model-file';
import { defaultSettings, type ClassifyCheckpoint } from '../../src/classify/pipeline';
import { thetaLayout } from '../../src/reference/params';
import { npmRun } from './npm-run';
import { idx } from '../data/idx-bytes';

let dir: string;
const classify = (args: string[]) => npmRun('classify', args);
const escape = (text: string) => text.replace(/[/.()[\]]/g, '\\$&');

/** One `error:` line (a UsageError adds the --help hint), no stack trace. */
function expectOneLine(stderr: string, message: RegExp): void {
  const errors = stderr.split('\n').filter((line) => line.startsWith('error:'));
  expect(errors, stderr).toHaveLength(1);
  expect(errors[0]).toMatch(message);
  expect(stderr).not.toMatch(/\n\s+at |\.ts:\d+/);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sae-classify-errors-'));
});

describe('npm run classify refuses before work, in one line with exit code 2', () => {
  it('--out with an empty name, and empty file names', async () => {
    for (const args of [['--out', ''], ['--task', 'stl', '--train-images', '', '--train-labels', 'x']]) {
      const run = await classify([...args, '--device', 'cpu']);
      expect(run.code, run.stderr).toBe(2);
      expectOneLine(run.stderr, /^error: --(out needs a folder|train-images needs a file) name$/);
    }
  });

  it('a hidden size too large for one GPU buffer: advice in classify’s flags (no --optimizer), nothing written', async () => {
    const out = join(dir, 'gpu-400');
    const run = await classify(['--task', 'stl', '--hidden', '400', '--digits', '100', '--out', out]);
    expect(run.code, run.stderr).toBe(2);
    expectOneLine(run.stderr, /^error: L-BFGS's memory of 100 pairs of 628384 values needs .* in one GPU buffer; this adapter's largest is .*: use fewer hidden units \(--hidden\) or --device cpu$/);
    expect(run.stderr).not.toMatch(/--optimizer|^stage/m);
    expect(existsSync(out)).toBe(false);
  });

  it('an absurd hidden size on the CPU: the stage and the memory named, before any allocation', async () => {
    const out = join(dir, 'cpu-huge');
    const run = await classify(['--task', 'stacked', '--device', 'cpu', '--hidden', '100000000', '--digits', '100', '--out', out]);
    expect(run.code, run.stderr).toBe(2);
    expectOneLine(run.stderr, /^error: the stage 'sparse autoencoder, layer 1' has 156,900,000,784 parameters, .* this machine can spare .*: use fewer hidden units \(--hidden\) or fewer digits \(--digits\)$/);
    expect(existsSync(out)).toBe(false);
  });

  it('test images of another size than the training images: the test file named', async () => {
    const trainImages = join(dir, 'train-2x2.idx');
    const trainLabels = join(dir, 'train-labels.idx');
    const testImages = join(dir, 'test-3x3.idx');
    const testLabels = join(dir, 'test-labels.idx');
    await writeFile(trainImages, idx(0x803, [4, 2, 2], new Uint8Array(16).map((_, i) => i * 9)));
    await writeFile(trainLabels, idx(0x801, [4], [0, 1, 0, 1]));
    await writeFile(testImages, idx(0x803, [4, 3, 3], new Uint8Array(36)));
    await writeFile(testLabels, idx(0x801, [4], [0, 1, 1, 0]));
    const out = join(dir, 'sizes');
    const run = await classify(['--device', 'cpu', '--train-images', trainImages, '--train-labels', trainLabels, '--test-images', testImages, '--test-labels', testLabels, '--out', out]);
    expect(run.code, run.stderr).toBe(2);
    expectOneLine(run.stderr, new RegExp(`^error: ${escape(testImages)}: holds images of 9 pixels, the training images \\(${escape(trainImages)}\\) 4`));
    expect(existsSync(out)).toBe(false);
  });

  it('splits left empty by the labels (stl on the digits 0–4 alone) or by --digits, before the autoencoder trains', async () => {
    const images = join(dir, 'low-images.idx');
    const labels = join(dir, 'low-labels.idx');
    await writeFile(images, idx(0x803, [6, 2, 2], new Uint8Array(24).map((_, i) => (i * 37) % 256)));
    await writeFile(labels, idx(0x801, [6], [0, 1, 2, 3, 4, 0]));
    const out = join(dir, 'splits');
    const low = await classify(['--task', 'stl', '--device', 'cpu', '--train-images', images, '--train-labels', labels, '--out', out]);
    expect(low.code, low.stderr).toBe(2);
    expectOneLine(low.stderr, new RegExp(`^error: ${escape(labels)}: leaves the unlabeled \\(digits 5–9\\) set empty for --task stl \\(0 unlabeled, 3 training, 3 test\\)`));
    const few = await classify(['--task', 'stl', '--device', 'cpu', '--digits', '4', '--hidden', '4', '--out', out]);
    expect(few.code, few.stderr).toBe(2);
    expectOneLine(few.stderr, /^error: the mnist package's digits .*: leaves the .* empty for --task stl with --digits 4/);
    expect(few.stderr).not.toMatch(/^stage/m);
    expect(existsSync(out)).toBe(false);
  });

  it('a checkpoint whose stage state is corrupt, or whose header claims another hidden size: the checkpoint named, left as it was', async () => {
    const digits = { description: 'the first 40 digits', options: { digits: 40 } };
    const corrupt: ClassifyCheckpoint = {
      settings: { ...defaultSettings, task: 'softmax', softmaxIterations: 5 },
      data: digits,
      completed: [],
      current: { name: 'softmax on raw pixels', kind: 'softmax', state: new Uint8Array([1, 2, 3, 4]), seconds: 1 },
    };
    const layer1 = thetaLayout({ visibleSize: 784, hiddenSize: 16 }).length;
    const edited: ClassifyCheckpoint = {
      settings: { ...defaultSettings, task: 'stacked', hiddenSize: 20 },
      data: digits,
      completed: [
        {
          name: 'sparse autoencoder, layer 1',
          kind: 'autoencoder',
          theta: new Float64Array(layer1).fill(0.01),
          iterations: 1,
          evaluations: 1,
          initialCost: 1,
          finalCost: 1,
          seconds: 1,
          exitReason: 'maxIter',
        },
      ],
    };
    for (const [name, checkpoint, why] of [
      ['corrupt', corrupt, /the state of 'softmax on raw pixels'/],
      ['edited', edited, new RegExp(`stage 1's θ has ${layer1} values; its model \\(hidden size 20, these data\\) has ${thetaLayout({ visibleSize: 784, hiddenSize: 20 }).length}`)],
    ] as const) {
      const out = join(dir, `checkpoint-${name}`);
      await mkdir(out);
      const path = join(out, 'checkpoint.bin');
      const bytes = encodeClassifyCheckpoint(checkpoint);
      await writeFile(path, bytes);
      const run = await classify(['--out', out, '--resume', '--device', 'cpu']);
      expect(run.code, run.stderr).toBe(2);
      expectOneLine(run.stderr, new RegExp(`^error: ${escape(path)}: `));
      expect(run.stderr).toMatch(why);
      expect(run.stderr).not.toMatch(/^stage/m);
      expect(new Uint8Array(await readFile(path))).toEqual(bytes);
      expect(existsSync(join(out, 'report.json'))).toBe(false);
    }
  });
});

describe('npm run classify keeps a good run when a later one fails', () => {
  const small = ['--task', 'stacked', '--device', 'cpu', '--digits', '200', '--hidden', '8', '--ae-iters', '5', '--softmax-iters', '5', '--finetune-iters', '5'];
  // A λ this large makes the fine-tuning cost overflow at its first step: the last stage diverges.
  const diverging = [...small, '--finetune-lambda', '1e300'];

  it('a run diverging in its last stage: exit 3, its checkpoint in diverged/, the good run’s files and checkpoint untouched, --resume continues the good run', async () => {
    const out = join(dir, 'diverge');
    const good = await classify([...small, '--out', out]);
    expect(good.code, good.stderr).toBe(0);
    const before = { checkpoint: await readFile(join(out, 'checkpoint.bin')), model: await readFile(join(out, 'model.json'), 'utf8') };
    const failed = await classify([...diverging, '--out', out]);
    expect(failed.code, failed.stderr).toBe(3);
    expectOneLine(failed.stderr, new RegExp(`^error: fine-tuning the stack: the cost became non-finite at iteration \\d+; ${escape(out)} keeps its previous results, and this run's checkpoint \\(its finished stages\\) is in ${escape(join(out, 'diverged', 'checkpoint.bin'))}`));
    expect(await readFile(join(out, 'checkpoint.bin'))).toEqual(before.checkpoint);
    expect(await readFile(join(out, 'model.json'), 'utf8')).toBe(before.model);
    expect(existsSync(join(out, 'diverged', 'checkpoint.bin'))).toBe(true);
    expect(existsSync(join(out, 'in-progress'))).toBe(false);
    const resumed = await classify(['--out', out, '--resume', '--device', 'cpu']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming after 4 finished stage\(s\)/);
    expect(await readFile(join(out, 'model.json'), 'utf8')).toBe(before.model);
  });

  it('a run diverging in a fresh folder: --resume there says there is nothing to resume', async () => {
    const out = join(dir, 'diverge-fresh');
    const failed = await classify([...diverging, '--out', out]);
    expect(failed.code, failed.stderr).toBe(3);
    expect(existsSync(join(out, 'checkpoint.bin'))).toBe(false);
    const resumed = await classify(['--out', out, '--resume', '--device', 'cpu']);
    expect(resumed.code, resumed.stderr).toBe(2);
    expectOneLine(resumed.stderr, /checkpoint\.bin does not exist: there is nothing to resume in /);
  });
});

describe('npm run classify without a Vulkan driver', () => {
  it('says so in one line naming --device cpu, exit code 1, and writes nothing (a run and --predict)', async () => {
    const model = join(dir, 'small-model.json');
    await writeFile(model, JSON.stringify(classifierModelJson('softmax', { inputSize: 4, hiddenSizes: [], numClasses: 2 }, new Float64Array(8), {})));
    const images = join(dir, 'no-gpu-images.idx');
    await writeFile(images, idx(0x803, [2, 2, 2], new Uint8Array(8)));
    const icd = process.env.VK_ICD_FILENAMES;
    process.env.VK_ICD_FILENAMES = join(dir, 'no-such-icd.json'); // the spawned npm inherits it
    try {
      for (const args of [['--digits', '50', '--softmax-iters', '2'], ['--predict', model, '--images', images]]) {
        const out = join(dir, `no-gpu-${args[0].slice(2)}`);
        const run = await classify([...args, '--out', out]);
        expect(run.code, run.stderr).toBe(1);
        expect(run.stderr).toMatch(/^error: No WebGPU adapter is available: .*add --device cpu$/m);
        expect(run.stderr).not.toMatch(/NoAdapterError|\.ts:\d+/); // ours is no stack trace (Dawn prints its own lines)
        expect(existsSync(out)).toBe(false);
      }
    } finally {
      if (icd === undefined) delete process.env.VK_ICD_FILENAMES;
      else process.env.VK_ICD_FILENAMES = icd;
    }
  });
});

describe('npm run classify --predict with values float32 cannot hold', () => {
  it('refuses such a model on the GPU with the reason, and predicts it right on the CPU', async () => {
    // Class 1 wins wherever the first pixel is lit: 1e39 · x₀ against 0, beyond float32's 3.4e38.
    const theta = new Float64Array(8);
    theta[1] = 1e39; // row-major inputSize × numClasses: pixel 0, class 1
    const model = join(dir, 'huge-model.json');
    await writeFile(model, JSON.stringify(classifierModelJson('softmax', { inputSize: 4, hiddenSizes: [], numClasses: 2 }, theta, {})));
    const images = join(dir, 'predict-images.idx');
    const labels = join(dir, 'predict-labels.idx');
    await writeFile(images, idx(0x803, [4, 2, 2], [255, 0, 0, 0, 0, 255, 0, 0, 200, 9, 9, 9, 0, 0, 0, 255]));
    await writeFile(labels, idx(0x801, [4], [1, 0, 1, 0]));
    const out = join(dir, 'predicted-huge');
    const gpu = await classify(['--predict', model, '--images', images, '--labels', labels, '--out', out]);
    expect(gpu.code, gpu.stderr).toBe(2);
    expectOneLine(gpu.stderr, new RegExp(`^error: ${escape(model)}: holds θ values beyond float32's range \\(1e\\+39\\), which the GPU computes in: .*--device cpu$`));
    expect(existsSync(out)).toBe(false);
    const cpu = await classify(['--predict', model, '--images', images, '--labels', labels, '--device', 'cpu', '--out', out]);
    expect(cpu.code, cpu.stderr).toBe(0);
    const predictions = JSON.parse(await readFile(join(out, 'predictions.json'), 'utf8'));
    expect(predictions.predictions).toEqual([1, 0, 1, 0]);
    expect(predictions.accuracy).toBe(1);
  });
});
