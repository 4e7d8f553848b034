/**
 * A command-line tool as `npm run TOOL -- ARGS` runs it, without npm's own noise: node on the
 * tool's bundle (scripts/cli-bundle.mjs), as scripts/cli.mjs starts it, with `env` added to this
 * process's environment. Test helpers.
 */
import { spawn } from 'node:child_process';
import { bundleCommand } from '../../scripts/cli-bundle.mjs';

export type Tool = 'train' | 'classify' | 'gradcheck' | 'pca';

const bundles = new Map<Tool, Promise<string | undefined>>();

/** Node's arguments for the tool as scripts/cli.mjs runs it: its bundle, built once per test file. */
export async function cliArgs(tool: Tool): Promise<string[]> {
  if (!bundles.has(tool)) bundles.set(tool, bundleCommand(tool));
  const bundle = await bundles.get(tool);
  if (!bundle) throw new Error(`scripts/cli-bundle.mjs could not bundle src/cli/${tool}.ts`);
  return ['--enable-source-maps', bundle];
}

/** The tool run directly on its sources through tsx, as scripts/cli.mjs does when it has no bundle. */
export function tsxArgs(tool: Tool): string[] {
  return ['--import', 'tsx', '--import', './scripts/register-wgsl.mjs', `src/cli/${tool}.ts`];
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runCli(tool: Tool, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const node = await cliArgs(tool);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...node, ...args], {
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
