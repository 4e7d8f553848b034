/**
 * A command-line tool as `npm run TOOL -- ARGS` runs it (tsx with the WGSL hook), without npm's
 * own noise: node --import tsx --import ./scripts/register-wgsl.mjs src/cli/TOOL.ts ARGS, with
 * `env` added to this process's environment. Test helper.
 */
import { spawn } from 'node:child_process';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(tool: 'train' | 'classify' | 'gradcheck' | 'pca', args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', './scripts/register-wgsl.mjs', `src/cli/${tool}.ts`, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
