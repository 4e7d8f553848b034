/**
 * The gradient-check page's drawing: render(state) brings the DOM up to date with a state from
 * ./state.ts — the badges, the numerical rows as they arrive, and the GPU's blocks and kernels.
 * The badges' words for the state's facts are pure functions (test/pages/gradcheck-views.test.ts).
 */
import { adapterLabel } from '../../gpu/adapter';
import { formatNumber } from '../common/charts';
import type { BlockComparison, Entry } from './compare';
import type { GradcheckState, Overall, PartStatus } from './state';
import type { GpuResult, NumericRow } from './worker';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export class GradcheckViews {
  private last: GradcheckState | undefined;
  private rowsShown = 0;

  render(state: GradcheckState): void {
    const last = this.last;
    this.last = state;
    if (state.state !== last?.state) document.body.dataset.state = state.state;
    if (state.overall !== last?.overall) showBadge($('overall'), overallBadge(state.overall));
    if (state.numeric !== last?.numeric) {
      const numeric = state.numeric;
      showBadge($('numeric-status'), partBadge(numeric.badge));
      $('numeric-setup').textContent = numeric.setup;
      for (; this.rowsShown < numeric.rows.length; this.rowsShown++) addNumericRow(numeric.rows[this.rowsShown]);
    }
    if (state.gpu !== last?.gpu) {
      const gpu = state.gpu;
      showBadge($('gpu-status'), partBadge(gpu.badge));
      if (gpu.result && gpu.result !== last?.gpu.result) showGpu(gpu.result);
      if (gpu.skipped !== undefined) {
        $('gpu-setup').textContent = `${gpu.skipped} The float64 reference above needs none. To check the GPU, open this page in a browser with WebGPU (see the trainer page for how).`;
        $('gpu-table').hidden = true;
      }
      $('gpu-error').textContent = gpu.error ?? '';
      $('gpu-error').hidden = !gpu.error;
    }
  }
}

type BadgeKind = 'pass' | 'fail' | 'running' | 'skip';

/** A badge's look and words. */
export interface Badge {
  kind: BadgeKind;
  text: string;
}

/** The badge of a part of the page (the numerical check, the GPU check). */
export function partBadge(status: PartStatus): Badge {
  switch (status.kind) {
    case 'running':
      return { kind: 'running', text: status.text ?? 'running…' };
    case 'waiting':
      return { kind: 'running', text: 'waiting…' };
    case 'pass':
      return { kind: 'pass', text: 'PASS' };
    case 'fail':
      return { kind: 'fail', text: 'FAIL' };
    case 'skipped':
      return { kind: 'skip', text: 'not available' };
    case 'error':
      return { kind: 'fail', text: 'error' };
  }
}

/** The page's badge. */
export function overallBadge(overall: Overall): Badge {
  switch (overall.kind) {
    case 'running':
      return { kind: 'running', text: 'running…' };
    case 'pass':
      return { kind: 'pass', text: overall.gpuChecked ? 'all checks pass' : 'reference passes · GPU not checked' };
    case 'fail':
      return { kind: 'fail', text: 'a check failed' };
    case 'error':
      return { kind: 'fail', text: 'error' };
  }
}

function showBadge(element: HTMLElement, { kind, text }: Badge): void {
  badge(element, kind, text);
}

function badge(element: HTMLElement, kind: BadgeKind, text: string): void {
  element.className = `badge ${kind}`;
  element.textContent = text;
}

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function verdict(pass: boolean, passText = 'PASS', failText = 'FAIL'): HTMLTableCellElement {
  const td = document.createElement('td');
  const b = document.createElement('span');
  badge(b, pass ? 'pass' : 'fail', pass ? passText : failText);
  td.append(b);
  return td;
}

const exp = (v: number) => (Number.isFinite(v) ? v.toExponential(2).replace('e', 'e') : String(v));

function worstTable(entries: Entry[], labels: { value: string; reference: string }): HTMLTableElement {
  const table = document.createElement('table');
  const head = document.createElement('tr');
  for (const text of ['entry', labels.value, labels.reference, '|difference|']) {
    const th = document.createElement('th');
    th.textContent = text;
    if (text !== 'entry') th.className = 'num';
    head.append(th);
  }
  table.append(head);
  for (const e of entries) {
    const tr = document.createElement('tr');
    tr.append(cell(e.name), cell(e.value.toPrecision(9), 'num'), cell(e.reference.toPrecision(9), 'num'), cell(exp(e.difference), 'num'));
    table.append(tr);
  }
  return table;
}

function worstDetails(result: BlockComparison, summary: string, labels: { value: string; reference: string }): HTMLDetailsElement {
  const details = document.createElement('details');
  const s = document.createElement('summary');
  s.textContent = summary;
  const box = document.createElement('div');
  box.className = 'worst';
  box.append(worstTable(result.worst, labels));
  details.append(s, box);
  return details;
}

function addNumericRow(row: NumericRow): void {
  const tbody = $('numeric-table').querySelector('tbody')!;
  const tr = document.createElement('tr');
  tr.dataset.check = row.id;
  if (!row.result.pass) tr.className = 'fail';
  const name = document.createElement('td');
  const title = document.createElement('strong');
  title.textContent = row.title;
  const detail = document.createElement('div');
  detail.className = 'hint';
  detail.textContent = row.detail;
  name.append(title, detail, worstDetails(row.result, 'largest differences', { value: 'numerical', reference: 'analytic' }));
  tr.append(
    name,
    cell(row.parameters.toLocaleString('en'), 'num'),
    cell(row.evaluations.toLocaleString('en'), 'num'),
    cell(exp(row.result.relativeDifference), 'num relative'),
    cell(exp(row.result.maxDifference), 'num'),
    cell(`${(row.seconds * 1000).toFixed(0)} ms`, 'num'),
    verdict(row.result.pass, `PASS < ${row.result.limit}`),
  );
  tbody.append(tr);
}

function showGpu(result: GpuResult): void {
  const { shape, examples, cost } = result;
  $('gpu-setup').textContent =
    `${examples.toLocaleString('en')} natural-image patches, a ${shape.visibleSize}-${shape.hiddenSize} autoencoder with the exercise's ρ = ${result.hyperparameters.sparsityParam}, ` +
    `λ = ${result.hyperparameters.lambda}, β = ${result.hyperparameters.beta}, θ from initializeParameters — on ${adapterLabel(result.adapter)}. ` +
    `GPU ${(result.seconds.gpu * 1000).toFixed(0)} ms (with pipeline set-up), reference ${(result.seconds.reference * 1000).toFixed(0)} ms; ` +
    `largest ρ̂ difference ${exp(result.meanActivation.maxDifference)}. Tolerance (src/gpu/tolerance.ts): ${result.policy}.`;
  const tbody = $('gpu-table').querySelector('tbody')!;
  tbody.replaceChildren();

  const costRow = document.createElement('tr');
  costRow.dataset.block = 'cost';
  if (!cost.pass) costRow.className = 'fail';
  const costName = document.createElement('td');
  const costTitle = document.createElement('strong');
  costTitle.textContent = 'J (the cost)';
  const costDetail = document.createElement('div');
  costDetail.className = 'hint';
  costDetail.textContent = `GPU ${cost.gpu.toPrecision(9)}, reference ${cost.reference.toPrecision(9)}`;
  costName.append(costTitle, costDetail);
  costRow.append(
    costName,
    cell('1', 'num'),
    cell(exp(cost.relativeError), 'num'),
    cell(exp(Math.abs(cost.gpu - cost.reference)), 'num'),
    cell(`≤ ${exp(cost.limit)}`, 'num'),
    verdict(cost.pass),
  );
  tbody.append(costRow);

  for (const block of result.blocks) {
    const tr = document.createElement('tr');
    tr.dataset.block = block.block;
    if (!block.pass) tr.className = 'fail';
    const name = document.createElement('td');
    const title = document.createElement('strong');
    title.textContent = block.block === 'all' ? 'whole gradient' : block.label;
    name.append(title);
    if (block.block !== 'all') {
      const details = worstDetails(block, `worst entries of ${block.block}`, { value: 'GPU (float32)', reference: 'reference (float64)' });
      details.open = true;
      name.append(details);
    }
    tr.append(
      name,
      cell(block.entries.toLocaleString('en'), 'num'),
      cell(exp(block.relativeError), 'num'),
      cell(exp(block.maxDifference), 'num'),
      cell(`≤ ${exp(block.limit)}`, 'num'),
      verdict(block.pass),
    );
    tbody.append(tr);
  }

  const kernels = $('kernel-table').querySelector('tbody')!;
  kernels.replaceChildren(
    ...result.kernels.map((k) => {
      const tr = document.createElement('tr');
      if (!k.pass) tr.className = 'fail';
      const name = document.createElement('td');
      const title = document.createElement('strong');
      title.textContent = k.name;
      const detail = document.createElement('div');
      detail.className = 'hint';
      detail.textContent = k.shape;
      name.append(title, detail);
      tr.append(name, cell(exp(k.maxError), 'num'), cell(formatNumber(k.worstRatio, 3), 'num'), verdict(k.pass));
      return tr;
    }),
  );
  $('kernels').hidden = false;
}
