/**
 * A GPU lost in the middle of the work, on every command, end to end: Dawn's device is destroyed
 * after its N-th submission (src/gpu/node.ts, SAE_TEST_LOSE_DEVICE_AFTER_SUBMISSIONS), as a
 * driver reset would. Each command says so in one `error: the GPU failed…` line with exit code 1,
 * no stack trace; a training run keeps its last checkpoint, and resuming from it (on a healthy
 * device) finishes the run.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifierModelJson } from '../../src/classify/model-file';
import { LOSE_DEVICE_VARIABLE } from '../../src/gpu/node';
import { runCli, type CliRun } from './run-cli';

type Run = CliRun;

const cli = runCli;

const loseAfter = (submissions: number) => ({ [LOSE_DEVICE_VARIABLE]: String(submissions) });

/** The one `error:` line, with no stack trace. */
function errorLine(run: Run): string {
  const errors = run.stderr.split('\n').filter((line) => line.startsWith('error:'));
  expect(errors, run.stderr).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at |\.ts:\d+/);
  return errors[0];
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sae-gpu-failure-'));
});

describe('a GPU lost mid-run', () => {
  it('npm run train: exit 1 in one line naming the kept checkpoint, which resumes to the end', async () => {
    const out = join(dir, 'train');
    const small = ['--patches', '500', '--hidden', '4', '--iters', '40', '--checkpoint-every', '1', '--out', out];
    const run = await cli('train', small, loseAfter(15));
    expect(run.code, run.stderr).toBe(1);
    const line = errorLine(run);
    expect(line).toMatch(/^error: the GPU failed: /);
    const kept = /the last checkpoint is kept in (\S+checkpoint\.bin) \(continue with: npm run train -- --out (\S+) --resume\)/.exec(line);
    expect(kept, line).not.toBeNull();
    expect(existsSync(kept![1])).toBe(true);
    // No result files for a failed run.
    expect(existsSync(join(out, 'model.json'))).toBe(false);
    const resumed = await cli('train', ['--out', kept![2], '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming at iteration \d+/);
    expect(existsSync(join(kept![2], 'model.json'))).toBe(true);
  });

  it('npm run train --model topk: exit 1 in one line, no output folder left', async () => {
    const out = join(dir, 'topk');
    const tiny = ['--model', 'topk', '--k', '2', '--hidden', '16', '--data', 'synthetic', '--features', '16', '--dimensions', '8', '--examples', '300', '--iters', '200', '--out', out];
    const run = await cli('train', tiny, loseAfter(3));
    expect(run.code, run.stderr).toBe(1);
    expect(errorLine(run)).toMatch(/^error: the GPU failed: /);
    expect(existsSync(out)).toBe(false);
  });

  it('npm run classify: exit 1 in one line naming the kept checkpoint (its finished stages), which resumes to the end', async () => {
    const out = join(dir, 'classify');
    const tiny = ['--task', 'stl', '--digits', '300', '--hidden', '8', '--ae-iters', '5', '--softmax-iters', '40', '--out', out];
    // The autoencoder's few iterations finish; the device is lost in the softmax stage.
    const run = await cli('classify', tiny, loseAfter(25));
    expect(run.code, run.stderr).toBe(1);
    const line = errorLine(run);
    expect(line).toMatch(/^error: the GPU failed: /);
    const kept = /the last checkpoint is in (\S+checkpoint\.bin) \(continue with: npm run classify -- --out (\S+) --resume\)/.exec(line);
    expect(kept, line).not.toBeNull();
    expect(existsSync(join(out, 'report.json'))).toBe(false);
    const resumed = await cli('classify', ['--out', kept![2], '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(existsSync(join(kept![2], 'report.json'))).toBe(true);
  });

  it('npm run classify --predict: exit 1 in one line', async () => {
    const model = join(dir, 'model.json');
    await writeFile(model, JSON.stringify(classifierModelJson('softmax', { inputSize: 784, hiddenSizes: [], numClasses: 10 }, new Float64Array(7840), {})));
    // Three blank 28 × 28 digits, an idx image file (magic 0x803).
    const header = new DataView(new ArrayBuffer(16));
    [0x803, 3, 28, 28].forEach((value, i) => header.setUint32(4 * i, value));
    const images = join(dir, 'images.idx');
    await writeFile(images, Buffer.concat([new Uint8Array(header.buffer), new Uint8Array(3 * 784)]));
    const out = join(dir, 'predict');
    const run = await cli('classify', ['--predict', model, '--images', images, '--out', out], loseAfter(1));
    expect(run.code, run.stderr).toBe(1);
    expect(errorLine(run)).toMatch(/^error: the GPU failed: /);
  });

  it('npm run gradcheck --device gpu: exit 1 in one line', async () => {
    const run = await cli('gradcheck', ['--device', 'gpu'], loseAfter(1));
    expect(run.code, run.stderr).toBe(1);
    expect(errorLine(run)).toMatch(/^error: the GPU failed during the check: /);
  });
});
