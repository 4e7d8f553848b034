/**
 * `npm run train -- --preset ufldl-linear-decoder` at a small size on the float64 reference:
 * the embedded photos in color, whitened by ZCA, a linear output, and the files it writes; and
 * what a linear output accepts of the user's data (any finite values) and what it refuses.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeMat } from '../../src/data/mat';
import { patchesToMat } from '../../src/data/mat-layout';
import { Random } from '../../src/random';
import { runCli, type CliRun } from './run-cli';

type Run = CliRun;

const trainCli = (args: string[]): Promise<Run> => runCli('train', args);

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sae-lindec-'));
});

describe('npm run train -- --preset ufldl-linear-decoder', () => {
  it('--help lists the preset, the color data and --output', async () => {
    const help = await trainCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('ufldl-linear-decoder');
    expect(help.stdout).toContain('natural-color');
    expect(help.stdout).toMatch(/--output KIND +sigmoid .* or linear/);
  });

  it('trains at a small size on the CPU and writes a linear model with its whitening and RGB pictures', async () => {
    const out = join(dir, 'small');
    const run = await trainCli(['--preset', 'ufldl-linear-decoder', '--device', 'cpu', '--patches', '300', '--hidden', '16', '--iters', '8', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^data: 300 color patches of 8×8×3 from the embedded photos in color .* ZCA-whitened \(ε = 0\.1\)$/m);
    expect(run.stderr).toMatch(/^model: 192-16, ρ = 0\.035, λ = 0\.003, β = 5; lbfgs, 8 iterations$/m);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.finalCost).toBeLessThan(report.initialCost);
    expect(report.config).toMatchObject({ data: 'natural-color', output: 'linear' });
    const model = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'));
    expect(model).toMatchObject({ visibleSize: 192, hiddenSize: 16, output: 'linear', imageWidth: 8, imageHeight: 8, imageChannels: 3, zcaEpsilon: 0.1 });
    expect(model.meanPatch).toHaveLength(192);
    expect(model.ZCAWhite).toHaveLength(192);
    expect(model.ZCAWhite.every((row: number[]) => row.length === 192)).toBe(true);
    for (const name of ['features.png', 'patches.png']) {
      const png = decodePng(await readFile(join(out, name)));
      expect(png.channels, name).toBe(3);
    }
  });

  it('--output: a linear output trains on values outside [0, 1]; non-finite values and unknown kinds are one line', async () => {
    const rng = new Random(5);
    const bytes = new Float64Array(200 * 16).map(() => Math.floor(256 * rng.uniform()) - 128);
    const bytesFile = join(dir, 'signed.mat');
    await writeFile(bytesFile, writeMat([patchesToMat({ data: bytes, examples: 200, visibleSize: 16 })]));
    const args = ['--device', 'cpu', '--data', bytesFile, '--hidden', '3', '--iters', '3'];
    const sigmoid = await trainCli([...args, '--out', join(dir, 'signed-sigmoid')]);
    expect(sigmoid.code).toBe(2);
    expect(sigmoid.stderr).toMatch(/values run from -128 to 127, but the sigmoid output can only reproduce \[0, 1\].*--output linear\)$/m);
    const linear = await trainCli([...args, '--output', 'linear', '--out', join(dir, 'signed-linear')]);
    expect(linear.code, linear.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'signed-linear', 'model.json'), 'utf8')).output).toBe('linear');

    const nan = bytes.slice();
    nan[37] = NaN;
    const nanFile = join(dir, 'nan.mat');
    await writeFile(nanFile, writeMat([patchesToMat({ data: nan, examples: 200, visibleSize: 16 })]));
    const bad = await trainCli(['--device', 'cpu', '--data', nanFile, '--hidden', '3', '--iters', '3', '--output', 'linear', '--out', join(dir, 'nan')]);
    expect(bad.code).toBe(2);
    const errors = bad.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^error: ${nanFile.replace(/[/.]/g, '\\$&')}: .*(not a finite number|NaN)`));

    const tanh = await trainCli([...args, '--output', 'tanh', '--out', join(dir, 'tanh')]);
    expect(tanh.code).toBe(2);
    expect(tanh.stderr.split('\n')[0]).toBe("error: --output must be sigmoid or linear, got 'tanh'");
  });
});
