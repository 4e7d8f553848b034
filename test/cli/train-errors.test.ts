/**
 * `npm run train` against hostile input, with the sparse autoencoder's flags and again with the
 * linear decoder's (`--output linear`, `--data natural-color`): every refusal is one `error:`
 * line naming the flag or file, exit code 2, with nothing written; a run that diverges leaves
 * the folder's previous run whole, its checkpoint included.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeMat } from '../../src/data/mat';
import { patchesToMat } from '../../src/data/mat-layout';
import { encodePng } from '../../src/display/png';
import { Random } from '../../src/random';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/train/checkpoint';
import { runCli, type CliRun } from './run-cli';

type Run = CliRun;

/** `npm run train -- …` as the user runs it. */
const trainCli = (args: string[]): Promise<Run> => runCli('train', args);

const escape = (text: string) => text.replace(/[/.()[\]+]/g, '\\$&');

/** One `error:` line, no stack trace. */
function expectOneLine(stderr: string, message: RegExp): void {
  const errors = stderr.split('\n').filter((line) => line.startsWith('error:'));
  expect(errors, stderr).toHaveLength(1);
  expect(errors[0]).toMatch(message);
  expect(stderr).not.toMatch(/\n\s+at |\.ts:\d+/);
}

let dir: string;
let patches: string;
let signed: string;

async function matFile(name: string, data: Float64Array, examples: number, visibleSize: number): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, writeMat([patchesToMat({ data, examples, visibleSize })]));
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sae-train-errors-'));
  const rng = new Random(3);
  patches = await matFile('patches.mat', new Float64Array(200 * 16).map(() => 0.1 + 0.8 * rng.uniform()), 200, 16);
  signed = await matFile('signed.mat', new Float64Array(200 * 16).map(() => 4 * rng.uniform() - 2), 200, 16);
});

// The same hostile cases for both kinds of model: a flag set, and the data file each accepts.
const models = [
  { name: 'sparse autoencoder', flags: () => ['--data', patches], file: () => patches },
  { name: 'linear decoder', flags: () => ['--output', 'linear', '--data', signed], file: () => signed },
] as const;

describe.each(models)('npm run train ($name) refuses in one line with exit code 2, writing nothing', (model) => {
  const slug = model.name.replace(/\W+/g, '-');

  it('a bad value, an absurd size on the CPU, and --resume where there is no checkpoint', async () => {
    const cases: [string[], RegExp][] = [
      [['--hidden', '0'], /^error: hidden size must be a positive integer, got 0$/],
      [['--hidden', '1000000000'], /^error: a 16-1000000000 model has .*: use fewer hidden units \(--hidden\)$/],
      [['--resume'], /^error: --resume: .*checkpoint\.bin does not exist: there is nothing to resume in /],
    ];
    for (const [args, message] of cases) {
      const out = join(dir, `${slug}-${args[0].slice(2)}`);
      const run = await trainCli([...model.flags(), '--device', 'cpu', '--iters', '1', ...args, '--out', out]);
      expect(run.code, run.stderr).toBe(2);
      expectOneLine(run.stderr, message);
      expect(existsSync(out), out).toBe(false);
    }
  });

  it('a 1-D column of patches: one example of every value, the file named', async () => {
    const column = await matFile(`${slug}-column.mat`, new Float64Array(4000).map((_, i) => (i % 7) / 10), 1, 4000);
    const out = join(dir, `${slug}-column`);
    const flags = model.flags().filter((f) => f !== model.file());
    const run = await trainCli([...flags, column, '--device', 'cpu', '--out', out]);
    expect(run.code, run.stderr).toBe(2);
    expectOneLine(run.stderr, new RegExp(`^error: ${escape(column)}: holds one example of 4000 values: patches are visible × m`));
    expect(existsSync(out)).toBe(false);
  });

  it('an image smaller than the patch: the image named', async () => {
    const image = join(dir, `${slug}-tiny.png`);
    await writeFile(image, encodePng({ width: 4, height: 4, values: new Float32Array(16).map((_, i) => i / 15) }, { scale: 1 }));
    const out = join(dir, `${slug}-tiny`);
    const run = await trainCli([...(model.name === 'linear decoder' ? ['--output', 'linear'] : []), '--data', image, '--patch', '8', '--device', 'cpu', '--out', out]);
    expect(run.code, run.stderr).toBe(2);
    expectOneLine(run.stderr, new RegExp(`^error: ${escape(image)}: no image is large enough for 8×8 patches \\(the largest is 4×4\\)$`));
    expect(existsSync(out)).toBe(false);
  });

  it('a diverging run: exit 3, its files and checkpoint in diverged/, the good run’s kept, --resume continues the good one', async () => {
    const out = join(dir, `${slug}-diverge`);
    const common = [...model.flags(), '--device', 'cpu', '--hidden', '3', '--optimizer', 'gd', '--checkpoint-every', '1'];
    const good = await trainCli([...common, '--iters', '3', '--out', out]);
    expect(good.code, good.stderr).toBe(0);
    const before = await readFile(join(out, 'checkpoint.bin'));
    const failed = await trainCli([...common, '--learning-rate', '1e30', '--iters', '20', '--out', out]);
    expect(failed.code, failed.stderr).toBe(3);
    expect(await readFile(join(out, 'checkpoint.bin'))).toEqual(before);
    expect(existsSync(join(out, 'diverged', 'checkpoint.bin'))).toBe(true);
    expect(existsSync(join(out, 'in-progress'))).toBe(false);
    const resumed = await trainCli(['--device', 'cpu', '--out', out, '--resume', '--iters', '4']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('resuming at iteration 3');
  });
});

describe('npm run train on the GPU refuses what float32 cannot hold, or what its buffers cannot', () => {
  it('a linear decoder’s data beyond float32’s range: refused on the GPU naming the file, evaluated on the CPU', async () => {
    const data = new Float64Array(50 * 16).map((_, i) => ((i % 5) - 2) * 1e20);
    data[17] = -1e39;
    const huge = await matFile('huge.mat', data, 50, 16);
    const out = join(dir, 'huge-gpu');
    const gpu = await trainCli(['--output', 'linear', '--data', huge, '--hidden', '3', '--iters', '0', '--out', out]);
    expect(gpu.code, gpu.stderr).toBe(2);
    expectOneLine(gpu.stderr, new RegExp(`^error: ${escape(huge)}: holds -1e\\+39, beyond float32's range .*--device cpu`));
    expect(existsSync(out)).toBe(false);
    const cpu = await trainCli(['--output', 'linear', '--data', huge, '--hidden', '3', '--iters', '0', '--device', 'cpu', '--out', out]);
    expect(cpu.code, cpu.stderr).toBe(0);
    expect(Number.isFinite(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')).finalCost)).toBe(true);
  });

  it('θ₀ (--init) or a checkpoint beyond float32’s range: refused on the GPU, naming the file', async () => {
    const out = join(dir, 'huge-theta');
    const first = await trainCli(['--output', 'linear', '--data', signed, '--hidden', '3', '--iters', '2', '--device', 'cpu', '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    const modelPath = join(out, 'model.json');
    const model = JSON.parse(await readFile(modelPath, 'utf8'));
    model.W1[0][0] = 1e39;
    const init = join(dir, 'huge-init.json');
    await writeFile(init, JSON.stringify(model));
    const fromInit = await trainCli(['--output', 'linear', '--data', signed, '--hidden', '3', '--iters', '1', '--init', init, '--out', join(dir, 'huge-init')]);
    expect(fromInit.code, fromInit.stderr).toBe(2);
    expectOneLine(fromInit.stderr, new RegExp(`^error: ${escape(init)}: holds 1e\\+39, beyond float32's range .*--device cpu`));
    expect(existsSync(join(dir, 'huge-init'))).toBe(false);

    const checkpointPath = join(out, 'checkpoint.bin');
    const saved = decodeCheckpoint(new Uint8Array(await readFile(checkpointPath)));
    const edited = encodeCheckpoint({ ...saved, theta: saved.theta.map((v, i) => (i === 2 ? -1e39 : v)) });
    await writeFile(checkpointPath, edited);
    const resumed = await trainCli(['--out', out, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(2);
    expectOneLine(resumed.stderr, new RegExp(`^error: ${escape(checkpointPath)}: θ holds -1e\\+39, beyond float32's range`));
    expect(new Uint8Array(await readFile(checkpointPath))).toEqual(edited);
  });

  it('an L-BFGS memory larger than one GPU buffer (--data natural-color): advice in train’s flags, before training, nothing written', async () => {
    const out = join(dir, 'ring', 'below');
    const run = await trainCli(['--preset', 'ufldl-linear-decoder', '--patches', '300', '--hidden', '1000', '--iters', '1', '--out', out]);
    expect(run.code, run.stderr).toBe(2);
    expectOneLine(run.stderr, /^error: L-BFGS's memory of 100 pairs of 385192 values needs .*: use fewer hidden units \(--hidden\), a first-order --optimizer \(gd, sgd or adam\), or --device cpu$/);
    expect(run.stderr).not.toMatch(/^(model|device):/m);
    expect(existsSync(join(dir, 'ring'))).toBe(false);
  });
});
