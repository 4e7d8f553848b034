/**
 * Runs one reader's fuzz worker and watches it: a case that takes over a second fails in the
 * worker; one that never returns (an endless loop) is stopped from here after HANG_MS.
 *
 * FUZZ_RUNS sets the cases per reader (default DEFAULT_RUNS, a few seconds in all);
 * FUZZ_SEED fixes fast-check's seed (default a constant, so CI runs the same cases every time).
 */
import { Worker } from 'node:worker_threads';
import type { WorkerMessage, WorkerRequest } from './worker';

export const DEFAULT_RUNS = 500;
export const CASE_LIMIT_MS = 1000;
/** A case still running after this long is taken to hang. */
const HANG_MS = 3000;

function positiveInteger(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`FUZZ_RUNS / FUZZ_SEED must be positive integers, got '${text}'`);
  return n;
}

export const fuzzRuns = positiveInteger(process.env.FUZZ_RUNS) ?? DEFAULT_RUNS;
export const fuzzSeed = positiveInteger(process.env.FUZZ_SEED) ?? 0x5eed;
/** Print each reader's counts (when FUZZ_RUNS or FUZZ_REPORT is set). */
export const reportCounts = Boolean(process.env.FUZZ_RUNS || process.env.FUZZ_REPORT);

export type FuzzSummary = Omit<Extract<WorkerMessage, { type: 'done' }>, 'type'> & { target: string; seconds: number };

export function fuzz(target: string, runs = fuzzRuns, seed = fuzzSeed): Promise<FuzzSummary> {
  const started = Date.now();
  const request: WorkerRequest = { entry: new URL('./worker.ts', import.meta.url).href, target, runs, seed, caseLimitMs: CASE_LIMIT_MS };
  const worker = new Worker(new URL('./run-worker.mjs', import.meta.url), { workerData: request, resourceLimits: { maxOldGenerationSizeMb: 2048 } });
  return new Promise((resolve) => {
    let last = { n: 0, label: '(starting)', at: Date.now(), running: false };
    let watching = false;
    let finished = false;
    const finish = (summary: Omit<FuzzSummary, 'target' | 'seconds'>) => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      void worker.terminate();
      resolve({ target, seconds: (Date.now() - started) / 1000, ...summary });
    };
    const failed = (failure: string) => finish({ cases: last.n, valid: 0, errors: 0, tally: {}, messages: [], worst: { perByte: 0, total: 0, label: '' }, slowest: { ms: 0, label: '' }, failure });
    const watchdog = setInterval(() => {
      if (watching && Date.now() - last.at > HANG_MS) {
        failed(
          last.running
            ? `${target}: case ${last.n} hangs (no result after ${HANG_MS / 1000} s): ${last.label}`
            : `${target}: the fuzzer itself hangs making case ${last.n + 1} (after ${last.label})`,
        );
      }
    }, 100);
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        watching = true;
        last = { ...last, at: Date.now() };
      } else if (message.type === 'case') {
        last = { n: message.n, label: message.label, at: Date.now(), running: true };
      } else if (message.type === 'ended') {
        last = { ...last, at: Date.now(), running: false };
      } else {
        const { type: _, ...summary } = message;
        finish(summary);
      }
    });
    worker.on('error', (error: Error) => failed(`${target}: the worker failed at case ${last.n} (${last.label}): ${error.stack ?? error}`));
    worker.on('exit', (code) => failed(`${target}: the worker exited (code ${code}) at case ${last.n} (${last.label})`));
  });
}

/** One line per reader, then one per seed file, for FUZZ_RUNS runs. */
export function formatSummary(s: FuzzSummary): string {
  const lines = [`${s.target}: ${s.cases} cases in ${s.seconds.toFixed(1)} s: ${s.valid} valid data, ${s.errors} the reader's own error`];
  for (const [seed, kinds] of Object.entries(s.tally)) {
    const parts = Object.entries(kinds).map(([kind, { valid, error }]) => `${kind} ${valid}/${error}`);
    lines.push(`  ${seed}: ${parts.join(', ')} (valid/error)`);
  }
  lines.push(`  slowest case ${s.slowest.ms.toFixed(1)} ms: ${s.slowest.label}`);
  lines.push(`  most memory: ${s.worst.total} bytes of typed arrays, ${s.worst.perByte.toFixed(0)} per byte of file: ${s.worst.label}`);
  for (const [message, n] of s.messages) lines.push(`  ${String(n).padStart(6)} × ${message}`);
  return lines.join('\n');
}
