/**
 * The runner's side of the time box. A cell runs elsewhere (a child process, a page) and
 * announces each evaluation; if one runs past the box, or nothing at all happens for a long
 * while, the runner stops waiting, kills the cell, and records what it saw.
 */
import type { CellEvent, CellResult } from './config';

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
