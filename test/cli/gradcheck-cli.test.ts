import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function gradcheck(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', '--import', './scripts/register-wgsl.mjs', 'src/cli/gradcheck.ts', ...args], {
    encoding: 'utf8',
  });
}

describe('npm run gradcheck', () => {
  it('passes on the CPU below 1e-9 and prints the relative difference', () => {
    const run = gradcheck('--device', 'cpu');
    expect(run.status, run.stderr).toBe(0);
    const difference = Number(/autoencoder.*relative difference (\S+)/.exec(run.stdout)?.[1]);
    expect(difference).toBeGreaterThan(0);
    expect(difference).toBeLessThan(1e-9);
  });

  it('passes on the GPU within the float32 tolerance', () => {
    const run = gradcheck('--device', 'gpu');
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/PASS/);
  });

  it('refuses an unknown device with exit code 2', () => {
    const run = gradcheck('--device', 'tpu');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--device must be cpu or gpu/);
  });
});
