/**
 * `npm run train -- --model topk|batchtopk|relu-l1`, the way a user runs it (tsx with the WGSL
 * hook), at a tiny size: activations from .npy (with their true directions beside, as
 * saveSuperposition writes them) and .safetensors, synthetic data, a sweep, and the one-line
 * refusals of bad flags and files.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveSuperposition } from '../../src/data/activations-node';
import { writeSafetensors } from '../../src/data/safetensors';
import { generateSuperposition } from '../../src/data/superposition';
import { cliArgs, runCli } from './run-cli';

const trainCli = (args: string[]) => runCli('train', args);

let dir: string;
let acts: string;
const made = generateSuperposition({ features: 32, dimensions: 16, examples: 1000, activePerExample: 3, seed: 5 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sae-cli-'));
  acts = join(dir, 'acts');
  await saveSuperposition(made, acts);
  const values = Float32Array.from(made.dataset.data);
  await writeFile(
    join(dir, 'two.safetensors'),
    writeSafetensors([
      { name: 'resid', shape: [1000, 16], data: values },
      { name: 'other', shape: [2, 3], data: new Float32Array(6) },
    ]),
  );
});

describe('npm run train -- --model …', () => {
  it('trains TopK on a .npy on the GPU and writes model.json and report.json with the metrics', async () => {
    const out = join(dir, 'topk');
    const run = await trainCli(['--model', 'topk', '--k', '3', '--hidden', '64', '--data', `${acts}.npy`, '--iters', '60', '--batch-size', '32', '--learning-rate', '0.01', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines.at(-2)).toMatch(/^done: topk k 3, 60 steps, .*L0 [\d.]+, FVU 0\.\d+, dead \d+\/64 \([\d.]+%\), MMCS 0\.\d+$/);
    const model = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'));
    expect(model).toMatchObject({ model: 'topk', visibleSize: 16, hiddenSize: 64, k: 3, preBias: true, auxK: 8 });
    expect([model.W1.length, model.W1[0].length, model.W2.length, model.W2[0].length, model.b1.length, model.b2.length]).toEqual([64, 16, 16, 64, 64, 16]);
    // The decoder's columns have unit norm after every step.
    const norm = Math.hypot(...model.W2.map((row: number[]) => row[7]));
    expect(norm).toBeCloseTo(1, 4);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.metrics.l0).toBeLessThanOrEqual(3);
    expect(report.metrics.fvu).toBeGreaterThan(0);
    expect(report.metrics.fvu).toBeLessThan(1);
    expect(report.metrics.mmcs).toBeGreaterThan(0.5);
    expect(report.metrics.densityHistogram.counts.reduce((a: number, b: number) => a + b, 0) + report.metrics.densityHistogram.dead).toBe(64);
    expect(report.device.backend).toBe('webgpu');
    // The suite sets SAE_NO_TUNE=1, as --no-tune: the table's kernels, said so.
    expect(run.stderr).toMatch(/^device: webgpu — .*; kernels: .+, table default \(tuning off\)$/m);
    expect(report.device.kernels).toMatchObject({ source: 'table' });
    // One read-back per group, θ's at the end, and the final checkpoint's (θ and Adam's moments in one).
    expect(report.work.readBacks).toBeLessThanOrEqual(report.history.length + 2);
  }, 120_000);

  it('tunes the kernels for the SAE\'s batch products unless --no-tune, and says which run', async () => {
    const env = { SAE_NO_TUNE: '0', SAE_TUNE_BUDGET_MS: '1', SAE_CACHE_DIR: join(dir, 'kernel-cache') };
    const args = ['--model', 'relu-l1', '--hidden', '32', '--data', `${acts}.npy`, '--iters', '4', '--batch-size', '32'];
    const tuned = await runCli('train', [...args, '--out', join(dir, 'tuned')], env);
    expect(tuned.code, tuned.stderr).toBe(0);
    expect(tuned.stderr).toMatch(/^device: webgpu — .*; kernels: .+, tuned [\d.]+ s ago \(raced 1 of \d+ in [\d.]+ s\)$/m);
    const report = JSON.parse(await readFile(join(dir, 'tuned', 'report.json'), 'utf8'));
    expect(report.device.kernels.source).toBe('tuned');
    const file = JSON.parse(await readFile(join(dir, 'kernel-cache', 'kernel-tuning.json'), 'utf8'));
    // One entry, for the five products of a 16-32-16 model over a batch of 32 rows.
    expect(Object.keys(file.entries)).toEqual([expect.stringMatching(/ :: NN\+b 32×32×16, TN 16×32×32\/\d+, NN\+b 32×16×32, TN 32×16×32\/\d+, NT 32×32×16$/)]);
    const off = await runCli('train', [...args, '--no-tune', '--out', join(dir, 'off')], env);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).toMatch(/^device: webgpu — .*; kernels: .+, table default \(tuning off\)$/m);
  }, 120_000);

  it('sweeps BatchTopK over k on the CPU twin from a named tensor of a .safetensors, writing the frontier', async () => {
    const out = join(dir, 'sweep');
    const run = await trainCli(['--model', 'batchtopk', '--data', join(dir, 'two.safetensors'), '--tensor', 'resid', '--hidden', '32', '--iters', '40', '--batch-size', '50', '--sweep', 'k=2,4', '--device', 'cpu', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.runs.map((r: { settings: { k: number } }) => r.settings.k)).toEqual([2, 4]);
    expect(report.runs[0].threshold).toBeGreaterThan(0);
    expect(report.runs[0].metrics.mmcs).toBeUndefined(); // no directions beside a .safetensors
    const table = await readFile(join(out, 'frontier.md'), 'utf8');
    expect(table.trim().split('\n')).toHaveLength(4);
    expect(existsSync(join(out, 'frontier.png'))).toBe(true);
    // The picture to read: titled axes, the variant named, each model labelled with its k.
    const svg = await readFile(join(out, 'frontier.svg'), 'utf8');
    expect(svg).toContain('>L0 (mean active latents per example)</text>');
    expect(svg).toContain('>FVU (fraction of variance unexplained, about the mean)</text>');
    expect(svg).toMatch(/<text class="title"[^>]*>L0–FVU frontier: BatchTopK, 1,000 × 16, 32 latents<\/text>/);
    expect(svg.match(/<polyline class="series" data-name="BatchTopK" points="[^"]*"/g)?.[0].match(/[\d.]+,[\d.]+/g)).toHaveLength(2);
    expect(svg.match(/class="point-label"[^>]*>k = \d</g)).toHaveLength(2);
    expect(run.stderr).toMatch(/^written: .*frontier\.png, .*frontier\.svg$/m);
  }, 120_000);

  it('refuses bad flags and files in one line, writing nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['--model', 'topk', '--l1', '1'], /^error: --l1 is for relu-l1/],
      [['--model', 'relu-l1', '--k', '3'], /^error: --k is for topk and batchtopk/],
      [['--model', 'sparse'], /^error: --model must be kl, topk, batchtopk, relu-l1; got 'sparse'/],
      [['--model', 'topk', '--optimizer', 'lbfgs'], /^error: --optimizer is for --model kl/],
      [['--model', 'topk', '--data', join(dir, 'missing.npy')], /missing\.npy.*no such file/],
      [['--model', 'topk', '--data', join(dir, 'two.safetensors'), '--tensor', 'nope'], /two\.safetensors.*nope/],
      [['--model', 'topk', '--hidden', '64', '--k', '65', '--data', `${acts}.npy`], /^error: --k must be an integer in \[1, 64\]/],
      [['--model', 'topk', '--sweep', 'l1=1,2'], /^error: --sweep must be k=/],
      [['--k', '3'], /^error: --k is for --model topk/],
    ];
    for (const [args, message] of cases) {
      const out = join(dir, 'refused');
      const run = await trainCli([...args, '--out', out]);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr.split('\n')[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  }, 120_000);

  it('--help lists the SAE flags', async () => {
    const node = await cliArgs('train');
    const run = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [...node, '--help'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.on('close', () => resolve(stdout));
    });
    for (const flag of ['--model NAME', '--k K', '--l1 L', '--aux-k N', '--tensor NAME', '--sweep', '--features N', 'synthetic']) expect(run).toContain(flag);
  });
});

describe('npm run train -- --model topk against hostile input, as the UFLDL model is (test/cli/train-errors.test.ts)', () => {
  const tiny = ['--model', 'topk', '--k', '2', '--hidden', '16', '--data', 'synthetic', '--features', '16', '--dimensions', '8', '--examples', '300', '--iters', '20'];

  it('sizes this machine or the GPU cannot hold: one line, exit 2, nothing written', async () => {
    for (const [args, message] of [
      [['--hidden', '1000000000', '--device', 'cpu'], /^error: a 8-1000000000 SAE has 17,000,000,008 parameters .*: use fewer hidden units \(--hidden\)$/],
      // On the GPU: a binding too small for the encoder's padded weights (8 × 300,000 float32 and more).
      [['--hidden', '3000000'], /^error: .* needs .* in one GPU buffer; this adapter's largest is .*: use fewer hidden units \(--hidden\)/],
    ] as const) {
      const out = join(dir, `too-large-${args[1]}`);
      const run = await trainCli([...tiny, ...args, '--out', out]);
      expect(run.code, run.stderr).toBe(2);
      const errors = run.stderr.split('\n').filter((line) => line.startsWith('error:'));
      expect(errors, run.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at |\.ts:\d+/);
      expect(existsSync(out), out).toBe(false);
    }
  });

  it('a diverging run: exit 3, its files in diverged/, the good run’s files kept', async () => {
    const out = join(dir, 'diverge');
    const good = await trainCli([...tiny, '--device', 'cpu', '--out', out]);
    expect(good.code, good.stderr).toBe(0);
    const before = await readFile(join(out, 'model.json'), 'utf8');
    const failed = await trainCli([...tiny, '--device', 'cpu', '--learning-rate', '1e300', '--out', out]);
    expect(failed.code, failed.stderr).toBe(3);
    expect(failed.stderr).toMatch(/diverged: the loss became non-finite .*keeps its previous results/);
    expect(await readFile(join(out, 'model.json'), 'utf8')).toBe(before);
    expect(existsSync(join(out, 'diverged', 'model.json'))).toBe(true);
  });
});

/** The run as runCli starts it, signalled once `after` appears on stderr. */
async function trainStopped(args: string[], after: RegExp, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string }> {
  const node = await cliArgs('train');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...node, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!sent && after.test(stderr)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('npm run train -- --model … --resume and --init', () => {
  // On the twin: 6,000 steps of a 16-32 ReLU-L1 are seconds, long enough for a signal to land.
  const run = ['--model', 'relu-l1', '--hidden', '32', '--iters', '6000', '--batch-size', '32', '--learning-rate', '0.01', '--device', 'cpu'];

  it('SIGTERM saves a checkpoint; --resume refuses other flags, models and data, then ends where the run never stopped did', async () => {
    const data = ['--data', `${acts}.npy`];
    const straight = join(dir, 'straight');
    expect((await trainCli([...run, ...data, '--out', straight])).code).toBe(0);
    const out = join(dir, 'stopped');
    // After the first progress line, so that the signal lands inside the run, not before its first step.
    const stopped = await trainStopped([...run, ...data, '--out', out], /^ {2}step \d+\//m, 'SIGTERM');
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stderr).toMatch(/^cancelled: relu-l1 λ 0.3, \d+ steps/m);
    expect(stopped.stderr).toMatch(/continue with: npm run train -- --model relu-l1 --out .* --resume/);
    expect(existsSync(join(out, 'checkpoint.bin'))).toBe(true);
    const partial = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(partial.steps).toBeLessThan(6000);

    const refusals: [string[], RegExp][] = [
      [['--model', 'relu-l1', '--iters', '7000', ...data], /^error: --resume: these flags contradict the checkpoint's run: --iters 7000 \(the run's: 6000\)/],
      [['--model', 'topk', ...data], /^error: --resume: .*checkpoint\.bin is a --model relu-l1 run; this command trains --model topk/],
      [['--model', 'relu-l1', '--data', 'synthetic'], /^error: --resume: .*checkpoint\.bin is a run on other data/],
      [['--model', 'relu-l1', '--sweep', 'l1=1,2', ...data], /^error: --resume continues one run/],
      // Without --model the command is UFLDL's, whose checkpoints these are not: it names the run and the flag.
      [[], /^error: --resume: .*checkpoint\.bin holds an SAE run \(λ 0\.3, 32 latents, step \d+ of 6000\), not a UFLDL one: continue it with npm run train -- --model relu-l1 --out .*stopped --resume$/],
    ];
    const checkpointBefore = await readFile(join(out, 'checkpoint.bin'));
    for (const [args, message] of refusals) {
      const refused = await trainCli([...args, '--device', 'cpu', '--out', out, '--resume']);
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr.split('\n')[0]).toMatch(message);
    }
    expect(await readFile(join(out, 'checkpoint.bin'))).toEqual(checkpointBefore);
    const nothing = await trainCli(['--model', 'relu-l1', ...data, '--out', join(dir, 'empty'), '--resume']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/^error: --resume: .*checkpoint\.bin does not exist/);

    const resumed = await trainCli(['--model', 'relu-l1', ...data, '--device', 'cpu', '--out', out, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`^resuming at step ${partial.steps} of 6000`, 'm'));
    expect(await readFile(join(out, 'model.json'), 'utf8')).toBe(await readFile(join(straight, 'model.json'), 'utf8'));
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.steps).toBe(6000);
    expect(report.history).toEqual(JSON.parse(await readFile(join(straight, 'report.json'), 'utf8')).history);
  }, 180_000);

  it('--init starts from a saved SAE of the same variant and sizes, and refuses any other', async () => {
    const first = join(dir, 'init-from');
    expect((await trainCli(['--model', 'batchtopk', '--k', '2', '--hidden', '32', '--iters', '40', '--batch-size', '32', '--device', 'cpu', '--data', `${acts}.npy`, '--out', first])).code).toBe(0);
    const saved = JSON.parse(await readFile(join(first, 'model.json'), 'utf8'));
    // model.json keeps the project's names, and its threshold is the encoder at inference: a
    // JumpReLU of W1·(x − b2) + b1 from the file alone gives the L0 the run reported.
    expect(saved).toMatchObject({ model: 'batchtopk', visibleSize: 16, hiddenSize: 32, k: 2, preBias: true, auxK: 8 });
    expect([saved.W1.length, saved.W1[0].length, saved.W2.length, saved.W2[0].length, saved.b1.length, saved.b2.length]).toEqual([32, 16, 16, 32, 32, 16]);
    expect(saved.threshold).toBeGreaterThan(0);
    const { data, examples } = made.dataset;
    let fired = 0;
    for (let r = 0; r < examples; r++) {
      for (let j = 0; j < 32; j++) {
        let pre = saved.b1[j];
        for (let c = 0; c < 16; c++) pre += saved.W1[j][c] * (data[r * 16 + c] - saved.b2[c]);
        if (pre > saved.threshold) fired++;
      }
    }
    const firstReport = JSON.parse(await readFile(join(first, 'report.json'), 'utf8'));
    expect(fired / examples).toBeCloseTo(firstReport.metrics.l0, 10);
    const again = join(dir, 'init-to');
    const zero = await trainCli(['--model', 'batchtopk', '--k', '2', '--hidden', '32', '--iters', '0', '--device', 'cpu', '--data', `${acts}.npy`, '--init', join(first, 'model.json'), '--out', again]);
    expect(zero.code, zero.stderr).toBe(0);
    const copy = JSON.parse(await readFile(join(again, 'model.json'), 'utf8'));
    // No step taken: the weights, biases and threshold are the saved model's.
    for (const key of ['W1', 'W2', 'b1', 'b2', 'threshold']) expect(copy[key], key).toEqual(saved[key]);
    const refusals: [string[], RegExp][] = [
      [['--model', 'batchtopk', '--hidden', '48'], /model\.json: is a 16-32 SAE; this run is 16-48 \(--hidden\)/],
      [['--model', 'topk', '--hidden', '32'], /model\.json: is a --model batchtopk model\.json; this run trains --model topk/],
    ];
    for (const [args, message] of refusals) {
      const out = join(dir, 'init-refused');
      const refused = await trainCli([...args, '--device', 'cpu', '--data', `${acts}.npy`, '--init', join(first, 'model.json'), '--out', out]);
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr.split('\n')[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  }, 120_000);
});
