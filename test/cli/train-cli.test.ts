import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeMat } from '../../src/data/mat';
import { patchesToMat } from '../../src/data/mat-layout';
import { Random } from '../../src/random';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/train/checkpoint';
import { cliArgs } from './run-cli';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run train -- …` the way a user does (the command's bundle), without npm's noise. */
async function trainCli(args: string[], onStderr?: (text: string, kill: () => void) => void, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const node = await cliArgs('train');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...node, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr, () => child.kill('SIGINT'));
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
let patchesFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sae-cli-'));
  const rng = new Random(11);
  const examples = 300;
  const data = new Float64Array(examples * 16).map(() => 0.1 + 0.8 * rng.uniform());
  patchesFile = join(dir, 'patches.mat');
  await writeFile(patchesFile, writeMat([patchesToMat({ data, examples, visibleSize: 16 })]));
});

const small = () => ['--device', 'cpu', '--data', patchesFile, '--hidden', '3', '--sparsity', '0.1'];

describe('npm run train', () => {
  it('without a Vulkan driver, says so in one line and names --device cpu, which still trains', async () => {
    const env = { ...process.env, VK_ICD_FILENAMES: join(dir, 'no-such-icd.json') };
    const gpu = await trainCli(['--data', patchesFile, '--hidden', '3', '--iters', '2', '--out', join(dir, 'no-gpu')], undefined, env);
    expect(gpu.code).toBe(1);
    expect(gpu.stderr).toMatch(/^error: No WebGPU adapter is available: .*npm run train -- --device cpu$/m);
    expect(gpu.stderr).toContain(`Likely cause: VK_ICD_FILENAMES points at ${env.VK_ICD_FILENAMES}, which does not exist`);
    expect(gpu.stderr).not.toMatch(/NoAdapterError|\.ts:\d+/); // ours is no stack trace (Dawn still prints its own lines)
    const cpu = await trainCli([...small(), '--iters', '2', '--out', join(dir, 'no-gpu-cpu')], undefined, env);
    expect(cpu.code, cpu.stderr).toBe(0);
  });

  it('ends a diverging run with exit code 3, its files in diverged/, the previous run’s untouched', async () => {
    const out = join(dir, 'diverged');
    const good = await trainCli([...small(), '--iters', '3', '--out', out]);
    expect(good.code, good.stderr).toBe(0);
    const before = await readFile(join(out, 'model.json'), 'utf8');
    const run = await trainCli([...small(), '--optimizer', 'gd', '--learning-rate', '1e30', '--iters', '20', '--out', out]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/diverged: the cost is not finite at iteration \d+; .*diverged holds this run's files, with θ from iteration \d+/);
    expect(await readFile(join(out, 'model.json'), 'utf8')).toBe(before);
    const report = JSON.parse(await readFile(join(out, 'diverged', 'report.json'), 'utf8'));
    expect(report.exitReason).toBe('non-finite');
    expect(report.divergedAt).toBe(report.iterations + 1);
    expect(Number.isFinite(report.finalCost)).toBe(true);
    const model = JSON.parse(await readFile(join(out, 'diverged', 'model.json'), 'utf8'));
    expect(model.W1.flat().every((v: unknown) => typeof v === 'number' && Number.isFinite(v))).toBe(true);
  });

  it('refuses byte-valued patches naming the file, and trains on them with --normalize', async () => {
    const rng = new Random(5);
    const data = new Float64Array(200 * 16).map(() => Math.floor(256 * rng.uniform()));
    const bytesFile = join(dir, 'bytes.mat');
    await writeFile(bytesFile, writeMat([patchesToMat({ data, examples: 200, visibleSize: 16 })]));
    const args = ['--device', 'cpu', '--data', bytesFile, '--hidden', '3', '--iters', '3'];
    const refused = await trainCli([...args, '--out', join(dir, 'bytes')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`^error: ${bytesFile.replace(/[/.]/g, '\\$&')}: values run from 0 to 255`, 'm'));
    const rescaled = await trainCli([...args, '--normalize', '--out', join(dir, 'bytes')]);
    expect(rescaled.code, rescaled.stderr).toBe(0);
    const report = JSON.parse(await readFile(join(dir, 'bytes', 'report.json'), 'utf8'));
    expect(Number.isFinite(report.finalCost)).toBe(true);
  });

  it('refuses a model too large for this machine in one line, before allocating it', async () => {
    const run = await trainCli([...small(), '--hidden', '1000000000', '--iters', '1', '--out', join(dir, 'huge')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: a 16-1000000000 model has 33,000,000,016 parameters, and lbfgs keeps 208 vectors of them \(.* TB\); this machine can spare .*: use fewer hidden units \(--hidden\)$/m);
  });

  it('refuses an output folder it cannot use before training, in one line, without hanging', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const cases: [string, RegExp][] = [
      [file, /exists and is not a folder/],
      [join(file, 'below'), /is a file, not a folder/],
      ['/proc/sae-out', /cannot be created there|permission denied/],
      ['/sys/sae-out', /cannot be created there|permission denied/],
    ];
    for (const [out, reason] of cases) {
      const started = Date.now();
      const run = await trainCli([...small(), '--iters', '2', '--out', out]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trim().split('\n')[0]).toMatch(new RegExp(`^error: --out ${out.replace(/[/.]/g, '\\$&')}: `));
      expect(run.stderr).toMatch(reason);
      expect(run.stderr).not.toMatch(/^data:/m); // found before training started
      expect(Date.now() - started).toBeLessThan(30_000);
    }
  });

  it('refuses a bad value with one line and exit code 2, writing nothing', async () => {
    const out = join(dir, 'bad');
    const run = await trainCli([...small(), '--hidden', '0', '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: hidden size must be a positive integer, got 0$/m);
    expect(existsSync(out)).toBe(false);
  });

  it('names unreadable data and an --init of the wrong size', async () => {
    const missing = await trainCli(['--device', 'cpu', '--data', join(dir, 'nope.mat'), '--out', join(dir, 'x')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.mat: no such file');
    const wrongInit = join(dir, 'wrong.json');
    await writeFile(wrongInit, JSON.stringify({ visibleSize: 16, hiddenSize: 5, W1: [], W2: [], b1: [], b2: [] }));
    const mismatch = await trainCli([...small(), '--init', wrongInit, '--out', join(dir, 'y')]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/wrong.json/);
    expect(existsSync(join(dir, 'y'))).toBe(false);
  });

  it('trains, writes its four files, and resumes from its checkpoint', async () => {
    const out = join(dir, 'run');
    const first = await trainCli([...small(), '--iters', '4', '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.iterations).toBe(4);
    expect(report.finalCost).toBeLessThan(report.initialCost);
    expect(report.device.backend).toBe('cpu');
    expect(report.meanActivation).toHaveLength(3);
    // The hidden layer as SAE tools describe it, from a float64 pass of the final θ.
    const { units } = report;
    expect(units.thresholds).toEqual({ dead: 1e-4, alwaysOn: 0.5, active: 0.5 });
    for (const list of [units.deadUnits, units.alwaysOnUnits]) {
      expect(Array.isArray(list)).toBe(true);
      for (const j of list) expect(j >= 0 && j < 3 && Number.isInteger(j)).toBe(true);
    }
    expect(units.meanL0).toBeGreaterThanOrEqual(0);
    expect(units.meanL0).toBeLessThanOrEqual(3);
    // The patches are independent uniform noise: 3 hidden units barely beat answering x̄, so
    // the fraction of variance explained sits near 0, on either side.
    expect(units.varianceExplained).toBeGreaterThan(-0.1);
    expect(units.varianceExplained).toBeLessThan(0.5);
    const unitLine = first.stderr.split('\n').find((line) => line.startsWith('hidden units: '));
    expect(unitLine, first.stderr).toMatch(/^hidden units: \d+ dead \(ρ̂ < 1e-4\), \d+ always on \(ρ̂ > 0\.5\); mean L0 \d+\.\d+ of 3; variance explained -?\d+\.\d%$/);
    const model = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'));
    expect([model.W1.length, model.W1[0].length]).toEqual([3, 16]);
    expect(existsSync(join(out, 'theta.mat')) && existsSync(join(out, 'features.png'))).toBe(true);

    const resumed = await trainCli(['--device', 'cpu', '--out', out, '--resume', '--iters', '8']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('resuming at iteration 4');
    const after = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(after.iterations).toBe(8);
    expect(after.initialCost).toBe(report.initialCost);
    expect(after.finalCost).toBeLessThanOrEqual(report.finalCost);

    // Flags that contradict the checkpoint's run are refused, listed; the same flags are not.
    const conflicting = await trainCli([...small(), '--out', out, '--resume', '--hidden', '5', '--optimizer', 'adam']);
    expect(conflicting.code).toBe(2);
    expect(conflicting.stderr).toMatch(/^error: --resume: these flags contradict the checkpoint's run: --hidden 5 \(the run has 3\), --optimizer adam \(the run has lbfgs\)/m);
    // An SAE command given this UFLDL run's folder says which run it holds and how to go on with it.
    const asSae = await trainCli(['--model', 'topk', '--device', 'cpu', '--out', out, '--resume']);
    expect(asSae.code, asSae.stderr).toBe(2);
    expect(asSae.stderr.split('\n')[0]).toMatch(/^error: --resume: .*checkpoint\.bin holds a UFLDL run \(--model kl\), not an SAE of --model topk: continue it with npm run train -- --out .* --resume$/);
    // A checkpoint whose θ does not fit, or is not finite, is refused with its path.
    const checkpointPath = join(out, 'checkpoint.bin');
    const saved = decodeCheckpoint(new Uint8Array(await readFile(checkpointPath)));
    for (const [theta, why] of [[saved.theta.slice(1), /θ has \d+ values; this model has \d+/], [saved.theta.map((v, i) => (i === 3 ? NaN : v)), /not a finite number/]] as const) {
      await writeFile(checkpointPath, encodeCheckpoint({ ...saved, theta }));
      const bad = await trainCli(['--device', 'cpu', '--out', out, '--resume']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(checkpointPath);
      expect(bad.stderr).toMatch(why);
    }
    await writeFile(checkpointPath, encodeCheckpoint(saved));

    // --init from the model it wrote: the cost-only evaluation reproduces its final cost.
    const again = await trainCli([...small(), '--init', join(out, 'model.json'), '--iters', '0', '--out', join(dir, 'eval')]);
    expect(again.code, again.stderr).toBe(0);
    const evaluated = JSON.parse(await readFile(join(dir, 'eval', 'report.json'), 'utf8'));
    expect(evaluated.finalCost).toBeCloseTo(after.finalCost, 12);
    // The unit statistics are those of the final θ: the same model gives the same ones.
    expect(evaluated.units.deadUnits).toEqual(after.units.deadUnits);
    expect(evaluated.units.alwaysOnUnits).toEqual(after.units.alwaysOnUnits);
    expect(evaluated.units.meanL0).toBe(after.units.meanL0);
    expect(evaluated.units.varianceExplained).toBeCloseTo(after.units.varianceExplained, 12);
  });

  it('Ctrl-C stops with exit code 130 and a checkpoint that --resume continues', async () => {
    const out = join(dir, 'interrupted');
    let sent = false;
    const run = await trainCli([...small(), '--optimizer', 'gd', '--iters', '100000', '--checkpoint-every', '0', '--out', out], (text, kill) => {
      if (!sent && /iteration \d+\/100000/.test(text)) {
        sent = true;
        kill();
      }
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('--resume');
    expect(existsSync(join(out, 'checkpoint.bin'))).toBe(true);
    const stopped = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(stopped.exitReason).toBe('cancelled');
    const resumed = await trainCli(['--device', 'cpu', '--out', out, '--resume', '--iters', String(stopped.iterations + 5)]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')).iterations).toBe(stopped.iterations + 5);
  });
});
