/**
 * The Node environment: each cell in its own child process (bench/node-cell.ts) on Dawn, so a
 * cell past the time box is killed outright and no Dawn instance outlives its cell.
 */
import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DAWN_WARNINGS } from '../scripts/dawn-stderr-filter.mjs';
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

// Dawn's notes on every device creation (the lines npm run train drops too), not worth repeating per cell.
const quiet = (line: string) => DAWN_WARNINGS.some((pattern) => pattern.test(line));

function spawn(arg: string, onMessage: (message: NodeChildMessage) => void) {
  // fork() reuses process.execArgv: tsx's loader and the WGSL import hook come along.
  const child = fork(childScript, [arg], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (!quiet(line)) process.stderr.write(`  [node child] ${line}\n`);
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

/**
 * One child process for one request: its events go to `onEvent`, its result settles the promise,
 * and an exit without a result rejects it with the child's own error message if it sent one.
 */
function runChild<E, R>(request: unknown, kinds: { event: string; result: string }, what: string, onEvent: (event: E) => void) {
  let settle: { resolve(result: R): void; reject(error: Error): void } | undefined;
  const result = new Promise<R>((resolve, reject) => (settle = { resolve, reject }));
  let failure = '';
  const { child, exited } = spawn(JSON.stringify(request), (message) => {
    const m = message as { type: string; event?: E; result?: R; message?: string };
    if (m.type === kinds.event) onEvent(m.event!);
    else if (m.type === kinds.result) settle!.resolve(m.result!);
    else if (m.type === 'error') failure = m.message ?? '';
  });
  void exited.then((code) => settle!.reject(new Error(failure || `${what} exited with code ${code}`)));
  return {
    result,
    async abort() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export function runNodeCell(request: CellRequest, options: SuperviseOptions): Promise<CellOutcome> {
  return supervise(
    (onEvent: (event: CellEvent) => void) => runChild<CellEvent, CellResult>(request, { event: 'event', result: 'result' }, "the cell's process", onEvent),
    options,
  );
}

/** One training row (bench/training-node.ts) in its own child process. */
export function runNodeTrainingRow(
  request: TrainingRequest,
  options: TrainingSuperviseOptions,
): Promise<TrainingOutcome<TrainingCellResult>> {
  return superviseTraining(
    (onEvent: (event: TrainingEvent) => void) =>
      runChild<TrainingEvent, TrainingCellResult>(request, { event: 'training-event', result: 'training-result' }, "the training row's process", onEvent),
    options,
  );
}
