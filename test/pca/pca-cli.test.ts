/**
 * `npm run pca` at a tiny size (200 patches): the files it writes and its report, on the CPU
 * and on the GPU; --help; and bad flags refused in one line, nothing written.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../cli/run-cli';

type Run = CliRun;

const pcaCli = (args: string[]): Promise<Run> => runCli('pca', args);

const PICTURES = [
  'pca2d-data.png',
  'pca2d-rotated.png',
  'pca2d-reduced.png',
  'pca2d-pca-white.png',
  'pca2d-zca-white.png',
  'patches-raw.png',
  'patches-reduced-99.png',
  'patches-reduced-90.png',
  'patches-pca-white.png',
  'patches-zca-white.png',
  'covariance-raw.png',
  'covariance-rotated.png',
  'covariance-pca-white.png',
  'covariance-pca-white-epsilon.png',
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sae-pca-'));
});

describe('npm run pca', () => {
  it('--help names the flags', async () => {
    const help = await pcaCli(['--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--patches', '--seed', '--device gpu|cpu', '--out']) expect(help.stdout).toContain(flag);
  });

  // The GPU's float32 Σ needs more patches than the CPU's float64 one to whiten faint directions (see below).
  for (const [device, patches] of [['cpu', 200], ['gpu', 1000]] as const) {
    it(`--device ${device} --patches ${patches} writes the report and every picture, and passes`, async () => {
      const out = join(dir, device);
      const run = await pcaCli(['--device', device, '--patches', String(patches), '--seed', '2', '--out', out]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/k = \d+ components retain 99%/);
      expect((await readdir(out)).sort()).toEqual([...PICTURES, 'report.json'].sort());
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
      const p = report.patches;
      expect(report.pass).toBe(true);
      expect(p.count).toBe(patches);
      expect(p.eigenvalues).toHaveLength(144);
      expect(p.k90).toBeLessThan(p.k99);
      expect(p.k99).toBeLessThanOrEqual(143);
      expect(p.varianceRetained99).toBeGreaterThanOrEqual(0.99);
      expect(p.pcaWhiteWithoutEpsilon.largestOffDiagonal).toBeLessThan(1e-4);
      expect(p.pcaWhiteWithEpsilon.diagonal.max).toBeLessThan(1);
      expect(p.nullDirections).toBe(1);
      expect(p.gpuCovarianceCheck?.pass).toBe(device === 'gpu' ? true : undefined);
      // Its one product runs the table's kernels, and says so.
      if (device === 'gpu') expect(run.stdout).toMatch(/^kernels: .+, table default \(one product a run: not raced\)$/m);
      expect(report.kernels).toEqual(device === 'gpu' ? expect.stringMatching(/table default/) : undefined);
      expect(report.pca2d.eigenvectors).toHaveLength(2);
      const picture = decodePng(await readFile(join(out, 'covariance-pca-white.png')));
      expect([picture.width, picture.height]).toEqual([288, 288]);
    });
  }

  it('on the GPU with few patches, says that the float32 covariance cannot whiten directions that faint, and exits 1 with the files written', async () => {
    const out = join(dir, 'faint');
    const run = await pcaCli(['--device', 'gpu', '--patches', '200', '--seed', '2', '--out', out]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/largest off-diagonal \S+ \(limit 0\.0001\).* — FAIL/);
    expect(run.stdout).toMatch(/the float32 covariance cannot whiten directions this faint: .*use more patches \(--patches\) or the float64 covariance \(--device cpu\)/);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.pass).toBe(false);
    expect(report.patches.gpuCovarianceCheck.pass).toBe(true);
    expect(report.patches.pcaWhiteWithoutEpsilon.float32OffDiagonalBound).toBeGreaterThan(1e-4);
  });

  it('refuses bad flags in one line with the --help hint and exit code 2, writing nothing', async () => {
    for (const [args, message] of [
      [['--patches', '10'], /^error: --patches must be a whole number from 144 to 100000, got '10'$/],
      [['--device', 'tpu'], /^error: --device must be gpu or cpu, got 'tpu'$/],
      [['--hidden', '5'], /^error: Unknown option '--hidden'/],
    ] as const) {
      const out = join(dir, 'refused');
      const run = await pcaCli([...args, '--out', out]);
      expect(run.code, run.stderr).toBe(2);
      const lines = run.stderr.trim().split('\n');
      expect(lines[0]).toMatch(message);
      expect(lines[1]).toBe('(npm run pca -- --help lists the options)');
      await expect(readdir(out)).rejects.toThrow(/ENOENT/);
    }
  });
});
