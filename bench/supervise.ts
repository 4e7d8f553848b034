/**
 * The runner's side of the time box. A cell runs elsewhere (a child process, a page) and
 * announces each evaluation; if one runs past the box, or nothing at all happens for a long
 * while, the runner stops waiting, kills the cell, and records what it saw.
 */
import type { CellEvent, CellResult } from './config';
import type { TrainingEvent } from './training';

export type CellOutcome =
  | { kind: 'done'; result: CellResult }
  | {
      kind: 'over-box';
      /** Which evaluation ran past the box (0 = the warm-up). */
      index: number;
      setupMs?: number;
      firstMs?: number;
      samplesMs: number[];
    }
  | { kind: 'error'; message: string };

export interface RunningCell {
  result: Promise<CellResult>;
  /** Stop the cell now (kill the process, close the page). */
  abort(): Promise<void>;
}

export interface SuperviseOptions {
  boxMs: number;
  /** Longest wait outside an evaluation (setup, loading, the reference cost check). */
  idleMs: number;
  log?: (line: string) => void;
}

export async function supervise(
  start: (onEvent: (event: CellEvent) => void) => RunningCell,
  { boxMs, idleMs, log }: SuperviseOptions,
): Promise<CellOutcome> {
  let setupMs: number | undefined;
  let firstMs: number | undefined;
  const samplesMs: number[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expire: (outcome: CellOutcome) => void = () => {};
  const expired = new Promise<CellOutcome>((resolve) => (expire = resolve));

  const arm = (ms: number, outcome: () => CellOutcome): void => {
    clearTimeout(timer);
    timer = setTimeout(() => expire(outcome()), ms);
  };
  const idle = (): void =>
    arm(idleMs, () => ({ kind: 'error', message: `no progress for ${Math.round(idleMs / 1000)} s outside an evaluation` }));

  let decided = false;
  const onEvent = (event: CellEvent): void => {
    if (decided) return; // late news from a cell already given up on
    switch (event.type) {
      case 'setup':
        setupMs = event.ms;
        log?.(`setup ${event.ms.toFixed(0)} ms`);
        idle();
        break;
      case 'eval-start':
        arm(boxMs, () => ({ kind: 'over-box', index: event.index, setupMs, firstMs, samplesMs: [...samplesMs] }));
        break;
      case 'eval-end':
        if (event.index === 0) firstMs = event.ms;
        else samplesMs.push(event.ms);
        log?.(`${event.index === 0 ? 'warm-up' : `rep ${event.index}`} ${event.ms.toFixed(1)} ms`);
        if (event.ms > boxMs) {
          // Finished, but past the box (the timer lost a race with the event): still over.
          expire({ kind: 'over-box', index: event.index, setupMs, firstMs, samplesMs: [...samplesMs] });
        } else idle();
        break;
      case 'profile':
        log?.(`profile ${event.index + 1}: ${event.ms.toFixed(1)} ms in its kernels`);
        idle();
        break;
    }
  };

  idle();
  let cell: RunningCell;
  try {
    cell = start(onEvent);
  } catch (error) {
    clearTimeout(timer);
    return { kind: 'error', message: describe(error) };
  }
  const finished = cell.result.then(
    (result): CellOutcome => ({ kind: 'done', result }),
    (error: unknown): CellOutcome => ({ kind: 'error', message: describe(error) }),
  );
  const outcome = await Promise.race([finished, expired]);
  decided = true;
  clearTimeout(timer);
  if (outcome.kind !== 'done') {
    if (outcome.kind === 'over-box') log?.(`evaluation ${outcome.index} passed the ${boxMs / 1000} s box: stopping the cell`);
    await cell.abort().catch(() => {});
  }
  return outcome;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** How a training row ended, on the runner's side. */
export type TrainingOutcome<R> = { kind: 'done'; result: R } | { kind: 'error'; message: string };

export interface TrainingSuperviseOptions {
  /** One evaluation of the lower bound's timing longer than this stops the row. */
  boxMs: number;
  /** No news for this long (data loading, setup, between progress reports) stops the row. */
  idleMs: number;
  /** The whole row (data, evaluation timing, training) longer than this stops it. */
  totalMs: number;
  log?: (line: string) => void;
}

/**
 * The runner's side of a training row: it logs the row's progress and stops it (kills the
 * process, closes the page) when an evaluation of its timing runs past the box, when nothing is
 * heard for `idleMs`, or when the whole row passes `totalMs`.
 */
export async function superviseTraining<R>(
  start: (onEvent: (event: TrainingEvent) => void) => { result: Promise<R>; abort(): Promise<void> },
  { boxMs, idleMs, totalMs, log }: TrainingSuperviseOptions,
): Promise<TrainingOutcome<R>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expire: (outcome: TrainingOutcome<R>) => void = () => {};
  const expired = new Promise<TrainingOutcome<R>>((resolve) => (expire = resolve));
  const arm = (ms: number, message: string): void => {
    clearTimeout(timer);
    timer = setTimeout(() => expire({ kind: 'error', message }), ms);
  };
  const idle = (): void => arm(idleMs, `no progress for ${Math.round(idleMs / 1000)} s`);
  const total = setTimeout(() => expire({ kind: 'error', message: `the row ran past ${Math.round(totalMs / 1000)} s` }), totalMs);

  let decided = false;
  let lastLogged = -Infinity;
  const onEvent = (event: TrainingEvent): void => {
    if (decided) return;
    switch (event.type) {
      case 'phase':
        log?.(event.text);
        idle();
        break;
      case 'setup':
        log?.(`evaluation setup ${event.ms.toFixed(0)} ms`);
        idle();
        break;
      case 'eval-start':
        arm(boxMs, `evaluation ${event.index} of the timing ran past the ${boxMs / 1000} s box`);
        break;
      case 'eval-end':
        log?.(`${event.index === 0 ? 'warm-up' : `rep ${event.index}`} ${event.ms.toFixed(1)} ms`);
        idle();
        break;
      case 'progress': {
        const now = performance.now();
        if (now - lastLogged >= 10_000 || event.iteration === event.totalIterations) {
          lastLogged = now;
          log?.(
            `iteration ${event.iteration}/${event.totalIterations}, ${event.evaluations} evaluations, ` +
              `cost ${event.cost.toPrecision(6)}, ${event.elapsedSeconds.toFixed(1)} s`,
          );
        }
        idle();
        break;
      }
    }
  };

  idle();
  let row: { result: Promise<R>; abort(): Promise<void> };
  try {
    row = start(onEvent);
  } catch (error) {
    clearTimeout(timer);
    clearTimeout(total);
    return { kind: 'error', message: describe(error) };
  }
  const finished = row.result.then(
    (result): TrainingOutcome<R> => ({ kind: 'done', result }),
    (error: unknown): TrainingOutcome<R> => ({ kind: 'error', message: describe(error) }),
  );
  const outcome = await Promise.race([finished, expired]);
  decided = true;
  clearTimeout(timer);
  clearTimeout(total);
  if (outcome.kind !== 'done') {
    log?.(`stopping the row: ${outcome.message}`);
    await row.abort().catch(() => {});
  }
  return outcome;
}
