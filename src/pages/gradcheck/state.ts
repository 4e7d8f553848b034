/**
 * What the gradient-check page shows, as one value changed only by reduce(state, message): the
 * worker's messages (./worker.ts). No DOM here (test/pages/gradcheck-state.test.ts); ./views.ts
 * draws it, and puts the state's facts into words.
 */
import type { CheckMessage, GpuResult, NumericRow } from './worker';

/** How one part of the page (the numerical check, the GPU check) stands, for its badge. */
export type PartStatus =
  /** At work; `text` the worker's words for what it is doing, if it said. */
  | { kind: 'running'; text?: string }
  /** Not started yet: the GPU part waits for the numerical one. */
  | { kind: 'waiting' }
  | { kind: 'pass' }
  | { kind: 'fail' }
  /** Not checked: no WebGPU here. */
  | { kind: 'skipped' }
  | { kind: 'error' };

/** The page's verdict: under way, every check passed (the GPU's too, or it was not checked), one failed, or the page itself failed. */
export type Overall = { kind: 'running' } | { kind: 'pass'; gpuChecked: boolean } | { kind: 'fail' } | { kind: 'error' };

export interface GradcheckState {
  state: 'running' | 'done' | 'error';
  overall: Overall;
  numeric: { badge: PartStatus; setup: string; rows: NumericRow[]; pass?: boolean };
  gpu: { badge: PartStatus; result?: GpuResult; pass?: boolean; skipped?: string; error?: string };
  /** The message of a failure of the whole page (the worker itself). */
  error: string;
}

export const initialState: GradcheckState = Object.freeze({
  state: 'running',
  overall: { kind: 'running' },
  numeric: { badge: { kind: 'running' }, setup: '', rows: [] },
  gpu: { badge: { kind: 'waiting' } },
  error: '',
}) as GradcheckState;

const verdict = (pass: boolean): PartStatus => (pass ? { kind: 'pass' } : { kind: 'fail' });

/** The GPU part has its answer (a result, skipped, or an error): the page is done. */
function finished(state: GradcheckState): GradcheckState {
  if (state.state === 'error') return state;
  const skipped = state.gpu.skipped !== undefined;
  const pass = state.numeric.pass === true && (skipped || state.gpu.pass === true);
  return { ...state, state: 'done', overall: pass ? { kind: 'pass', gpuChecked: !skipped } : { kind: 'fail' } };
}

export function reduce(state: GradcheckState, message: CheckMessage): GradcheckState {
  switch (message.type) {
    case 'status': {
      const badge: PartStatus = { kind: 'running', text: message.text };
      return message.part === 'numeric' ? { ...state, numeric: { ...state.numeric, badge } } : { ...state, gpu: { ...state.gpu, badge } };
    }
    case 'numeric-setup':
      return { ...state, numeric: { ...state.numeric, setup: message.text } };
    case 'numeric-row':
      return { ...state, numeric: { ...state.numeric, rows: [...state.numeric.rows, message.row] } };
    case 'numeric-done':
      return { ...state, numeric: { ...state.numeric, pass: message.pass, badge: verdict(message.pass) } };
    case 'gpu-result':
      return finished({ ...state, gpu: { ...state.gpu, result: message.result, pass: message.result.pass, badge: verdict(message.result.pass) } });
    case 'gpu-skipped':
      return finished({ ...state, gpu: { ...state.gpu, skipped: message.reason, badge: { kind: 'skipped' } } });
    case 'gpu-error':
      return finished({ ...state, gpu: { ...state.gpu, pass: false, error: message.message, badge: { kind: 'error' } } });
    case 'error':
      return { ...state, state: 'error', error: message.message, overall: { kind: 'error' }, gpu: { ...state.gpu, error: message.message } };
    default:
      return state;
  }
}

/** What tests read as window.gradcheck. */
export function summary(state: GradcheckState) {
  return {
    state: state.state,
    numericPass: state.numeric.pass,
    gpuPass: state.gpu.pass,
    gpuSkipped: state.gpu.skipped !== undefined,
    rows: state.numeric.rows.map((row) => ({ id: row.id, relativeDifference: row.result.relativeDifference, pass: row.result.pass })),
    gpu: state.gpu.result,
    error: state.error,
  };
}
