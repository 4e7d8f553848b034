import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliArgs } from './run-cli';

const node = await cliArgs('gradcheck');

function gradcheck(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [...node, ...args], {
    encoding: 'utf8',
    env,
  });
}

describe('npm run gradcheck', () => {
  it('passes on the CPU below 1e-9 and prints the relative difference', () => {
    const run = gradcheck(['--device', 'cpu']);
    expect(run.status, run.stderr).toBe(0);
    const difference = Number(/autoencoder.*relative difference (\S+)/.exec(run.stdout)?.[1]);
    expect(difference).toBeGreaterThan(0);
    expect(difference).toBeLessThan(1e-9);
  });

  it('passes on the GPU within the float32 tolerance', () => {
    const run = gradcheck(['--device', 'gpu']);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/PASS/);
  });

  it('refuses an unknown device or flag with one line, the --help hint and exit code 2', () => {
    for (const [args, message] of [
      [['--device', 'tpu'], /^error: --device must be cpu or gpu, got 'tpu'$/],
      [['--examples', '5'], /^error: Unknown option '--examples'/],
      [['extra'], /^error: Unexpected argument 'extra'/],
    ] as const) {
      const run = gradcheck([...args]);
      expect(run.status, run.stderr).toBe(2);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(message);
      expect(lines[1]).toBe('(npm run gradcheck -- --help lists the options)');
    }
  });

  it('without a Vulkan driver, says so in one line naming --device cpu, exit code 1, no stack trace', () => {
    const run = gradcheck(['--device', 'gpu'], { ...process.env, VK_ICD_FILENAMES: join(tmpdir(), 'no-such-icd.json') });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/^error: No WebGPU adapter is available: .*npm run gradcheck -- --device cpu$/m);
    expect(run.stderr).not.toMatch(/NoAdapterError|\.ts:\d+/); // ours is no stack trace (Dawn still prints its own lines)
  });
});
