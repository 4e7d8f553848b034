/**
 * Ctrl-C and SIGTERM the way a terminal sends them: to the whole process group of
 * `npm run train` (npm, the shell, tsx, node), at several points of a run. Each stop must leave a
 * checkpoint that --resume continues to exactly the uninterrupted run's θ (the float64 engine is
 * deterministic); one key press must not count as two although npm passes it on. (A stop before
 * the first iteration: test/train/trainer.test.ts.)
 */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeMat } from '../../src/data/mat';
import { patchesToMat } from '../../src/data/mat-layout';
import { Random } from '../../src/random';
import { npmRun } from './npm-run';

const npmTrain = (args: string[], when?: Parameters<typeof npmRun>[2]) => npmRun('train', args, when);

let dir: string;
let data: string;
// About 40 ms an iteration here: signals sent 50–900 ms after the run's start land at several
// points of it (before or inside an iteration, or its line search) and well before its end.
const ITERATIONS = 60;
let uninterrupted: string;

const common = () => ['--device', 'cpu', '--data', data, '--hidden', '25', '--iters', String(ITERATIONS)];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sae-signals-'));
  const rng = new Random(21);
  const patches = new Float64Array(2000 * 64).map(() => 0.1 + 0.8 * rng.uniform());
  data = join(dir, 'patches.mat');
  await writeFile(data, writeMat([patchesToMat({ data: patches, examples: 2000, visibleSize: 64 })]));
  const whole = await npmTrain([...common(), '--out', join(dir, 'whole')]);
  expect(whole.code, whole.stderr).toBe(0);
  uninterrupted = await readFile(join(dir, 'whole', 'model.json'), 'utf8');
}, 120_000);

describe('signals through npm and tsx', () => {
  const started = /^device: /m;
  const cases: { name: string; signal: NodeJS.Signals; delayMs: number; code: number; optimizer?: string }[] = [
    { name: 'Ctrl-C 150 ms in', signal: 'SIGINT', delayMs: 150, code: 130 },
    { name: 'Ctrl-C 400 ms in', signal: 'SIGINT', delayMs: 400, code: 130 },
    { name: 'Ctrl-C 900 ms in', signal: 'SIGINT', delayMs: 900, code: 130 },
    { name: 'SIGTERM 300 ms in', signal: 'SIGTERM', delayMs: 300, code: 143 },
    { name: 'Ctrl-C 300 ms into gradient descent', signal: 'SIGINT', delayMs: 300, code: 130, optimizer: 'gd' },
  ];
  for (const c of cases) {
    it(`${c.name}: a checkpoint that --resume continues to the uninterrupted result`, { timeout: 120_000 }, async () => {
      const out = join(dir, c.name.replace(/\W+/g, '-'));
      const extra = c.optimizer ? ['--optimizer', c.optimizer] : [];
      const stopped = await npmTrain([...common(), ...extra, '--out', out], { after: started, delayMs: c.delayMs, signal: c.signal });
      expect(stopped.code, stopped.stderr).toBe(c.code);
      expect(stopped.stderr).toMatch(/continue with: npm run train -- --out .* --resume/);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
      expect(report.exitReason).toBe('cancelled');
      expect(report.iterations).toBeLessThan(ITERATIONS);
      const resumed = await npmTrain(['--device', 'cpu', '--out', out, '--resume']);
      expect(resumed.code, resumed.stderr).toBe(0);
      if (!c.optimizer) expect(await readFile(join(out, 'model.json'), 'utf8')).toBe(uninterrupted);
      else expect(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')).iterations).toBe(ITERATIONS);
    });
  }
});

describe('signals while checkpoints are written', () => {
  // A checkpoint every iteration: a signal at any moment falls near or inside a write.
  const every = ['--checkpoint-every', '1'];

  it('Ctrl-C at six moments of a run that writes a checkpoint every iteration: each resumes to the uninterrupted result', { timeout: 300_000 }, async () => {
    for (const delayMs of [60, 170, 290, 430, 610, 800]) {
      const out = join(dir, `every-${delayMs}`);
      const stopped = await npmTrain([...common(), ...every, '--out', out], { after: /^device: /m, delayMs, signal: 'SIGINT' });
      expect(stopped.code, `${delayMs} ms: ${stopped.stderr}`).toBe(130);
      const resumed = await npmTrain(['--device', 'cpu', '--out', out, '--resume']);
      expect(resumed.code, `${delayMs} ms: ${resumed.stderr}`).toBe(0);
      expect(await readFile(join(out, 'model.json'), 'utf8'), `${delayMs} ms`).toBe(uninterrupted);
    }
  });

  it('SIGKILL at five moments leaves the last complete checkpoint, which resumes to the uninterrupted result', { timeout: 300_000 }, async () => {
    let resumedRuns = 0;
    for (const delayMs of [120, 260, 400, 550, 700]) {
      const out = join(dir, `killed-${delayMs}`);
      const killed = await npmTrain([...common(), ...every, '--out', out], { after: /^iteration [1-9]/m, delayMs, signal: 'SIGKILL' });
      expect(killed.code, `${delayMs} ms`).not.toBe(0);
      // checkpoint.bin is whole or absent (a write is a rename of a finished temporary file).
      if (!(await readdir(out)).includes('checkpoint.bin')) continue;
      const resumed = await npmTrain(['--device', 'cpu', '--out', out, '--resume']);
      expect(resumed.code, `${delayMs} ms: ${resumed.stderr}`).toBe(0);
      expect(await readFile(join(out, 'model.json'), 'utf8'), `${delayMs} ms`).toBe(uninterrupted);
      resumedRuns++;
    }
    // The kills come after the first iteration's checkpoint: most of them find one.
    expect(resumedRuns).toBeGreaterThanOrEqual(3);
  });
});
