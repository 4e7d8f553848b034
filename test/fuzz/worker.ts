/**
 * One reader's fuzz run, in a worker thread of its own so that the main thread can stop it
 * when a case hangs. It counts typed-array allocations (installed before anything else is
 * loaded), runs fast-check over broken variants of the reader's seed files, and posts each
 * case's label before running it, then a summary.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { installAllocationTracker, measureAllocations } from './allocations';

installAllocationTracker();

const { default: fc } = await import('fast-check');
const { targets } = await import('./targets/index');
const { casesOf } = await import('./mutations');
type FuzzCase = import('./mutations').FuzzCase;

export interface WorkerRequest {
  entry: string;
  target: string;
  runs: number;
  seed: number;
  caseLimitMs: number;
}

/** Per seed file and kind of mutation: how many cases ended as valid data, how many as the reader's error. */
export type Tally = Record<string, Record<string, { valid: number; error: number }>>;

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'case'; n: number; label: string }
  | { type: 'ended'; n: number }
  | {
      type: 'done';
      cases: number;
      valid: number;
      errors: number;
      tally: Tally;
      /** The most frequent error messages, digits replaced by #. */
      messages: [string, number][];
      /** The case that allocated the most for its size: bytes allocated in all per byte of file. */
      worst: { perByte: number; total: number; label: string };
      /** The slowest case, in milliseconds. */
      slowest: { ms: number; label: string };
      failure?: string;
    };

class Failure extends Error {
  override name = 'Failure';
}

const request = workerData as WorkerRequest;
const port = parentPort!;
const target = targets[request.target];
const seeds = target.seeds();
const seedByName = new Map(seeds.map((s) => [s.name, s]));

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `a non-Error ${typeof error}: ${String(error)}`;
  const frames = (error.stack ?? '')
    .split('\n')
    .slice(1, 4)
    .map((line) => line.trim().replace(/(?:file:\/\/)?\/\S*?\/(src|node_modules|test)\//, '$1/'));
  return `${error.name}: ${error.message.slice(0, 300)} [${frames.join(' ← ')}]`;
}

const sourceOf = (seed: string) => `fuzzed ${seed}`;

let worst = { perByte: 0, total: 0, label: '' };
let slowest = { ms: 0, label: '' };

/** Why a seed does not read as valid data (then the mutations would test nothing), if it does not. */
function seedProblem(): string | undefined {
  for (const seed of seeds) {
    try {
      seed.check(seed.read(seed.bytes, sourceOf(seed.name)), seed.bytes);
    } catch (error) {
      return `seed ${seed.name} does not read as valid: ${describeError(error)}`;
    }
  }
  return undefined;
}

let n = 0;
let valid = 0;
let errors = 0;
const tally: Tally = {};
const messages = new Map<string, number>();

function count(c: FuzzCase, outcome: 'valid' | 'error'): void {
  const kinds = (tally[c.seed] ??= {});
  const entry = (kinds[c.kind] ??= { valid: 0, error: 0 });
  entry[outcome]++;
  if (outcome === 'valid') valid++;
  else errors++;
}

const property = fc.property(casesOf(seeds), (c) => {
  try {
    runCase(c);
  } finally {
    port.postMessage({ type: 'ended', n } satisfies WorkerMessage);
  }
});

function runCase(c: FuzzCase): void {
  n++;
  port.postMessage({ type: 'case', n, label: `${c.seed}: ${c.label}` } satisfies WorkerMessage);
  const seed = seedByName.get(c.seed)!;
  const source = sourceOf(c.seed);
  const budget = target.budget(c.input);
  const started = performance.now();
  const { value, error, allocations } = measureAllocations(() => seed.read(c.input, source));
  const ms = performance.now() - started;
  const perByte = allocations.total / Math.max(1, c.input.length);
  if (perByte > worst.perByte) worst = { perByte, total: allocations.total, label: `${c.seed}: ${c.label}` };
  if (ms > slowest.ms) slowest = { ms, label: `${c.seed}: ${c.label}` };
  if (ms > request.caseLimitMs) throw new Failure(`took ${ms.toFixed(0)} ms (limit ${request.caseLimitMs} ms)`);
  if (allocations.largest > budget.largest) {
    throw new Failure(`allocated ${allocations.largestWhat}, ${allocations.largest} bytes, for a ${c.input.length}-byte file (at most ${budget.largest})`);
  }
  if (allocations.total > budget.total) {
    throw new Failure(`allocated ${allocations.total} bytes in all for a ${c.input.length}-byte file (at most ${budget.total})`);
  }
  if (error !== undefined) {
    if (!target.isOwnError(error)) throw new Failure(`threw ${describeError(error)}, not a ${target.errorName}`);
    const message = (error as Error).message;
    if (!message.startsWith(`${source}: `)) throw new Failure(`the ${target.errorName} does not start with the file's name: ${message}`);
    const problem = message.slice(source.length + 2).replace(/\d+/g, '#').slice(0, 120);
    messages.set(problem, (messages.get(problem) ?? 0) + 1);
    count(c, 'error');
    return;
  }
  try {
    seed.check(value, c.input);
  } catch (problem) {
    throw new Failure(`returned invalid data: ${describeError(problem)}`);
  }
  count(c, 'valid');
}

function fuzzCases(): WorkerMessage {
  const problem = seedProblem();
  if (problem) return { type: 'done', cases: 0, valid: 0, errors: 0, tally: {}, messages: [], worst, slowest, failure: `${target.name}: ${problem}` };
  port.postMessage({ type: 'ready' } satisfies WorkerMessage);
  const details = fc.check(property, { numRuns: request.runs, seed: request.seed });
  let failure: string | undefined;
  if (details.failed) {
    const c = details.counterexample?.[0] as FuzzCase | undefined;
    const why = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    failure =
      `${target.name}: ${c ? `${c.seed}, ${c.label}` : 'no counterexample'}: ${why}\n` +
      `(fast-check seed ${details.seed}, path "${details.counterexamplePath}", after ${details.numRuns} cases and ${details.numShrinks} shrinks)`;
  }
  return {
    type: 'done',
    cases: details.numRuns,
    valid,
    errors,
    tally,
    messages: [...messages].sort((a, b) => b[1] - a[1]).slice(0, 12),
    worst,
    slowest,
    failure,
  };
}

port.postMessage(fuzzCases());
