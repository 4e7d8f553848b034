/**
 * A Node child process for one benchmark cell, one training row (bench/training-node.ts), or
 * the environment probe. The runner forks it with the same loaders (tsx, the WGSL hook), passes
 * the request as argv[2], and receives events and the result over IPC — so it can kill a cell
 * that runs past the time box, and Dawn's instance never keeps the runner alive. Exits once it
 * has answered.
 */
import { create, globals } from 'webgpu';
import type { CellRequest } from './config';
import type { TrainingCellResult, TrainingEvent, TrainingRequest } from './training';
import { runCell, type EvaluatorFactory } from './cell';
import { referenceEvaluator } from './impls/reference';
import { summarizeAdapter } from '../src/gpu/adapter';
import { createNodeGpuContext } from '../src/gpu/node';
import { gpuEvaluator } from './impls/gpu';

export type NodeChildMessage =
  | { type: 'event'; event: import('./config').CellEvent }
  | { type: 'result'; result: import('./config').CellResult }
  | { type: 'training-event'; event: TrainingEvent }
  | { type: 'training-result'; result: TrainingCellResult }
  | { type: 'probe'; adapter: import('./config').AdapterSummary | null; versions: NodeJS.ProcessVersions }
  | { type: 'error'; message: string };

function send(message: NodeChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      console.log(JSON.stringify(message));
      resolve();
      return;
    }
    process.send(message, undefined, undefined, (error) => (error ? reject(error) : resolve()));
  });
}

async function probe(): Promise<void> {
  Object.assign(globalThis, globals);
  const adapter = await create([]).requestAdapter();
  await send({ type: 'probe', adapter: adapter ? summarizeAdapter(adapter) : null, versions: process.versions });
}

const factory: EvaluatorFactory = async (impl, inputs) => {
  switch (impl) {
    case 'cpu-reference':
      return referenceEvaluator(inputs);
    case 'gpu':
      return gpuEvaluator(inputs, () => createNodeGpuContext());
    case 'numpy':
      return (await import('./impls/numpy')).numpyEvaluator(inputs);
    default:
      throw new Error(`${impl} does not run in Node`);
  }
};

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === 'probe') return probe();
  const request = JSON.parse(arg ?? '') as CellRequest | TrainingRequest;
  if ('kind' in request) {
    const { runNodeTraining } = await import('./training-node');
    const result = await runNodeTraining(request, (event) => send({ type: 'training-event', event }));
    await send({ type: 'training-result', result });
    return;
  }
  const result = await runCell(request, factory, (event) => send({ type: 'event', event }));
  await send({ type: 'result', result });
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }).catch(
      () => {},
    );
    process.exit(1);
  },
);
