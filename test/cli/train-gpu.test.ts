/**
 * The main job as a user runs it: `npm run train` with no flags trains the UFLDL natural-image
 * preset on the GPU (Dawn in Node) and its features are oriented, localized edge detectors —
 * measured by their fit to a bank of Gabor functions (src/analysis/gabor.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { featureGaborFits, gaborBank } from '../../src/analysis/gabor';
import { thetaFromModelJson } from '../../src/train/model-files';
import { cliArgs } from './run-cli';

/** A feature "fits well" above this correlation; random initial weights stay below 0.6. */
const GOOD_FIT = 0.75;

it('npm run train: the natural preset on the GPU learns edge detectors', { timeout: 900_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'sae-train-'));
  const node = await cliArgs('train');
  const stderr = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [...node, '--out', out], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let text = '';
    child.stderr.on('data', (d) => (text += d));
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}:\n${text}`))));
  });
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  expect(report.device.backend, stderr).toBe('webgpu');
  // The suite sets SAE_NO_TUNE=1: the table's kernels, and the device line says so.
  expect(stderr).toMatch(/^device: webgpu — .*; kernels: .+, table default \(tuning off\)$/m);
  expect(report.device.kernels).toMatchObject({ source: 'table' });
  // minFunc's rules end the run at 400 iterations, or earlier once float32 costs can no longer
  // resolve the line search's decreases (|Δf| ~ 1e-6 of f: "Step size below progTol").
  expect(report.iterations).toBeGreaterThanOrEqual(300);
  expect(['max-iterations', 'step-size', 'function-change']).toContain(report.exitReason);
  expect(report.finalCost).toBeLessThan(0.5); // from ~52 at the start
  // The training loop's budget (counted at the device): one read-back per evaluation (plus one
  // per checkpoint) and a fixed handful of optimizer dispatches besides the model's 18.
  expect(report.work.readBacksPerEvaluation).toBeLessThanOrEqual(1.01);
  expect(report.work.perIteration.dispatches).toBeLessThanOrEqual(30);
  expect(existsSync(join(out, 'features.png'))).toBe(true);

  const { theta, shape } = thetaFromModelJson(JSON.parse(await readFile(join(out, 'model.json'), 'utf8')), 'model.json');
  expect(shape).toEqual({ visibleSize: 64, hiddenSize: 25 });
  const fits = featureGaborFits(theta, 25, { width: 8, height: 8 }, gaborBank({ width: 8, height: 8 }));
  const good = fits.filter((f) => f >= GOOD_FIT).length;
  console.log(`Gabor fits of the 25 features: ${fits.map((f) => f.toFixed(2)).join(' ')}; ${good} ≥ ${GOOD_FIT}`);
  expect(good).toBeGreaterThanOrEqual(20); // most: at least 80 %
});
