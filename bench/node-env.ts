/**
 * The Node environment: each cell in its own child process (bench/node-cell.ts) on Dawn, so a
 * cell past the time box is killed outright and no Dawn instance outlives its cell.
 */
import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AdapterSummary, CellEvent, CellRequest, CellResult } from './config';
import type { NodeChildMessage } from './node-cell';
import {
  supervise,
  superviseTraining,
  type CellOutcome,
  type SuperviseOptions,
  type TrainingOutcome,
  type TrainingSuperviseOptions,
} from './supervise';
import type { TrainingCellResult, TrainingEvent, TrainingRequest } from './training';

const childScript = fileURLToPath(new URL('./node-cell.ts', import.meta.url));

// Dawn's notes on every device creation, not worth repeating per cell.
const quiet = /artificially reduced from .* to fit dynamic offset allocation limit/;

function spawn(arg: string, onMessage: (message: NodeChildMessage) => void) {
  // fork() reuses process.execArgv: tsx's loader and the WGSL import hook come along.
  const child = fork(childScript, [arg], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (!quiet.test(line)) process.stderr.write(`  [node child] ${line}\n`);
  });
  child.on('message', (message) => onMessage(message as NodeChildMessage));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited };
}

export interface NodeEnvironment {
  versions: NodeJS.ProcessVersions;
  adapter: AdapterSummary | null;
}

export async function probeNode(timeoutMs = 120_000): Promise<NodeEnvironment> {
  let found: NodeEnvironment | undefined;
  let failure = '';
  const { child, exited } = spawn('probe', (message) => {
    if (message.type === 'probe') found = { versions: message.versions, adapter: message.adapter };
    if (message.type === 'error') failure = message.message;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
  if (!found) throw new Error(`the Node WebGPU probe failed${failure ? `: ${failure}` : ''}`);
  return found;
}

export function runNodeCell(request: CellRequest, options: SuperviseOptions): Promise<CellOutcome> {
  return supervise((onEvent: (event: CellEvent) => void) => {
    let settle: { resolve(result: CellResult): void; reject(error: Error): void } | undefined;
    const result = new Promise<CellResult>((resolve, reject) => (settle = { resolve, reject }));
    let failure = '';
    const { child, exited } = spawn(JSON.stringify(request), (message) => {
      if (message.type === 'event') onEvent(message.event);
      else if (message.type === 'result') settle!.resolve(message.result);
      else if (message.type === 'error') failure = message.message;
    });
    void exited.then((code) => settle!.reject(new Error(failure || `the cell's process exited with code ${code}`)));
    return {
      result,
      async abort() {
        child.kill('SIGKILL');
        await exited;
      },
    };
  }, options);
}

/** One training row (bench/training-node.ts) in its own child process. */
export function runNodeTrainingRow(
  request: TrainingRequest,
  options: TrainingSuperviseOptions,
): Promise<TrainingOutcome<TrainingCellResult>> {
  return superviseTraining((onEvent: (event: TrainingEvent) => void) => {
    let settle: { resolve(result: TrainingCellResult): void; reject(error: Error): void } | undefined;
    const result = new Promise<TrainingCellResult>((resolve, reject) => (settle = { resolve, reject }));
    let failure = '';
    const { child, exited } = spawn(JSON.stringify(request), (message) => {
      if (message.type === 'training-event') onEvent(message.event);
      else if (message.type === 'training-result') settle!.resolve(message.result);
      else if (message.type === 'error') failure = message.message;
    });
    void exited.then((code) => settle!.reject(new Error(failure || `the training row's process exited with code ${code}`)));
    return {
      result,
      async abort() {
        child.kill('SIGKILL');
        await exited;
      },
    };
  }, options);
}
