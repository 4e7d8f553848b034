/**
 * `npm run classify` on WebGPU says which matmul kernels its stages run: --no-tune the table's,
 * else one race (SAE_TUNE_BUDGET_MS=1: the first guess alone is timed) for the products of every
 * stage, cached, so the next run reads it. Counts candidates and products, never times.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli';

let dir: string;
// stl: an autoencoder on the digits 5–9, softmax on its features, softmax on raw pixels (three stages: the autoencoder's five products and two per softmax, nine distinct).
const tiny = ['--task', 'stl', '--digits', '300', '--hidden', '8', '--ae-iters', '2', '--softmax-iters', '2'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sae-classify-kernels-'));
});

const report = async (out: string) => JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));

describe('npm run classify: the kernels', () => {
  it('--no-tune runs the table\'s kernels and says so in the device line and report.json', async () => {
    const out = join(dir, 'no-tune');
    const run = await runCli('classify', [...tiny, '--out', out, '--no-tune'], { SAE_NO_TUNE: '0', SAE_CACHE_DIR: join(dir, 'cache-unused') });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^device: webgpu — .*; kernels: .+, table default \(tuning off\)$/m);
    const { device } = await report(out);
    expect(device.kernels).toMatchObject({ source: 'table' });
    expect(device.kernels.raced).toBeUndefined();
  });

  it('races once for every stage\'s products, caches the choice, and the next run reads it', async () => {
    const cache = join(dir, 'cache');
    const env = { SAE_NO_TUNE: '0', SAE_TUNE_BUDGET_MS: '1', SAE_CACHE_DIR: cache };
    const first = await runCli('classify', [...tiny, '--out', join(dir, 'tuned')], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^device: webgpu — .*; kernels: .+, tuned [\d.]+ s ago \(raced 1 of \d+ in [\d.]+ s\)$/m);
    const tuned = (await report(join(dir, 'tuned'))).device.kernels;
    expect(tuned.source).toBe('tuned');
    expect(tuned.raced.filter((r: { skipped?: boolean }) => !r.skipped)).toEqual([expect.objectContaining({ passed: true })]);

    const file = JSON.parse(await readFile(join(cache, 'kernel-tuning.json'), 'utf8'));
    const keys = Object.keys(file.entries);
    expect(keys).toHaveLength(1); // one race for the run, not one per stage
    expect(keys[0].split(' :: ')[1].split(', ')).toHaveLength(9);

    const second = await runCli('classify', [...tiny, '--out', join(dir, 'cached')], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/^device: webgpu — .*; kernels: .+, cached: tuned [\d.]+ s ago \(raced 1 of \d+ in [\d.]+ s\)$/m);
    const cached = (await report(join(dir, 'cached'))).device.kernels;
    expect(cached).toMatchObject({ source: 'cached', kernels: tuned.kernels, tunedAt: tuned.tunedAt });
  });
});
