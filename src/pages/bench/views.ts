/** The benchmark page's views: the adapter, the kernel choice, the two tables. */
import { adapterLabel } from '../../gpu/adapter';
import { costCheckText, type BenchState } from './state';

const $ = (id: string) => document.getElementById(id)!;

function cells(row: HTMLTableRowElement, values: string[]): void {
  row.replaceChildren(
    ...values.map((v) => {
      const td = document.createElement('td');
      td.textContent = v;
      return td;
    }),
  );
}

function fill(tbody: HTMLElement, rows: string[][]): void {
  tbody.replaceChildren(
    ...rows.map((values) => {
      const tr = document.createElement('tr');
      cells(tr, values);
      return tr;
    }),
  );
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function render(state: BenchState): void {
  document.body.dataset.state = state.status;
  $('bench-status').textContent = state.status === 'running' ? state.phase : state.status === 'done' ? 'done' : 'failed';
  $('bench-status').className = `badge ${state.status === 'running' ? 'running' : state.status === 'done' ? 'done' : 'error'}`;
  $('bench-adapter').textContent = state.adapter ? adapterLabel(state.adapter) : '—';
  $('bench-kernels').textContent = state.kernels ? state.kernels.summary : '—';
  const raced = state.kernels?.raced ?? [];
  fill(
    $('race-rows'),
    raced.map((r) => [r.kernels, r.skipped ? 'not run (budget spent)' : r.passed ? `${ms(r.ms!)} ms` : 'failed the check']),
  );
  fill(
    $('evaluation-rows'),
    state.evaluations.map((r) => [`${r.size} (${r.examples}, ${r.visibleSize}, ${r.hiddenSize})`, ms(r.medianMs), ms(r.firstMs), r.gflops.toFixed(2), String(r.dispatches), String(r.samplesMs.length), costCheckText(r.costCheck)]),
  );
  fill(
    $('training-rows'),
    state.training.map((r) => [r.size, String(r.iterations), String(r.evaluations), r.warmupSeconds.toFixed(2), r.seconds.toFixed(2), r.lowerBoundSeconds.toFixed(2), `${r.overhead.toFixed(2)}×`, `${r.initialCost.toPrecision(5)} → ${r.finalCost.toPrecision(5)}`]),
  );
  const error = $('bench-error');
  error.hidden = !state.error;
  error.textContent = state.error ? `The benchmark failed: ${state.error}` : '';
  ($('copy-json') as HTMLButtonElement).disabled = state.status === 'running';
}
