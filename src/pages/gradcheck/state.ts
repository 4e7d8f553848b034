/**
 * What the gradient-check page shows, as one value changed only by reduce(state, message): the
 * worker's messages (./worker.ts). No DOM here (test/pages/gradcheck-state.test.ts); ./views.ts
 * draws it.
 */
import type { CheckMessage, GpuResult, NumericRow } from './worker';

export interface Badge {
  kind: 'pass' | 'fail' | 'running' | 'skip';
  text: string;
}

export interface GradcheckState {
  state: 'running' | 'done' | 'error';
  overall: Badge;
  numeric: { badge: Badge; setup: string; rows: NumericRow[]; pass?: boolean };
  gpu: { badge: Badge; result?: GpuResult; pass?: boolean; skipped?: string; error?: string };
  /** The message of a failure of the whole page (the worker itself). */
  error: string;
}

export const initialState: GradcheckState = Object.freeze({
  state: 'running',
  overall: { kind: 'running', text: 'running…' },
  numeric: { badge: { kind: 'running', text: 'running…' }, setup: '', rows: [] },
  gpu: { badge: { kind: 'running', text: 'waiting…' } },
  error: '',
}) as GradcheckState;

const verdict = (pass: boolean): Badge => (pass ? { kind: 'pass', text: 'PASS' } : { kind: 'fail', text: 'FAIL' });

/** The GPU part has its answer (a result, skipped, or an error): the page is done. */
function finished(state: GradcheckState): GradcheckState {
  if (state.state === 'error') return state;
  const skipped = state.gpu.skipped !== undefined;
  const pass = state.numeric.pass === true && (skipped || state.gpu.pass === true);
  const text = pass ? (skipped ? 'reference passes · GPU not checked' : 'all checks pass') : 'a check failed';
  return { ...state, state: 'done', overall: { kind: pass ? 'pass' : 'fail', text } };
}

export function reduce(state: GradcheckState, message: CheckMessage): GradcheckState {
  switch (message.type) {
    case 'status': {
      const badge: Badge = { kind: 'running', text: message.text };
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
      return finished({ ...state, gpu: { ...state.gpu, skipped: message.reason, badge: { kind: 'skip', text: 'not available' } } });
    case 'gpu-error':
      return finished({ ...state, gpu: { ...state.gpu, pass: false, error: message.message, badge: { kind: 'fail', text: 'error' } } });
    case 'error':
      return { ...state, state: 'error', error: message.message, overall: { kind: 'fail', text: 'error' }, gpu: { ...state.gpu, error: message.message } };
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
