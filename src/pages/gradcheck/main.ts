/**
 * The gradient-check page: runs ./worker.ts and tabulates what it finds. Query parameters set
 * the sizes: ?hidden=5&examples=10 (numerical check), ?gpuExamples=10000&gpuHidden=25&seed=1.
 */
import { adapterLabel } from '../../gpu/adapter';
import { formatNumber } from '../common/charts';
import { probeWebGpu } from '../common/webgpu';
import type { BlockComparison, Entry } from './compare';
import type { CheckMessage, CheckRequest, GpuResult, NumericRow } from './worker';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const query = new URLSearchParams(location.search);
const int = (name: string, fallback: number, min = 1) => {
  const v = Number(query.get(name));
  return query.has(name) && Number.isInteger(v) && v >= min ? v : fallback;
};

const page = {
  state: 'running' as 'running' | 'done' | 'error',
  numericPass: undefined as boolean | undefined,
  gpuPass: undefined as boolean | undefined,
  gpuSkipped: false,
  rows: [] as { id: string; relativeDifference: number; pass: boolean }[],
  gpu: undefined as GpuResult | undefined,
  error: '',
};
(window as unknown as { gradcheck: typeof page }).gradcheck = page;

function badge(element: HTMLElement, kind: 'pass' | 'fail' | 'running' | 'skip', text: string): void {
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
  page.rows.push({ id: row.id, relativeDifference: row.result.relativeDifference, pass: row.result.pass });
}

function showGpu(result: GpuResult): void {
  page.gpu = result;
  page.gpuPass = result.pass;
  badge($('gpu-status'), result.pass ? 'pass' : 'fail', result.pass ? 'PASS' : 'FAIL');
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

function finish(): void {
  if (page.state === 'error') return;
  page.state = 'done';
  document.body.dataset.state = 'done';
  const pass = page.numericPass === true && (page.gpuSkipped || page.gpuPass === true);
  badge($('overall'), pass ? 'pass' : 'fail', pass ? (page.gpuSkipped ? 'reference passes · GPU not checked' : 'all checks pass') : 'a check failed');
}

function onMessage(message: CheckMessage): void {
  switch (message.type) {
    case 'status':
      badge($(message.part === 'numeric' ? 'numeric-status' : 'gpu-status'), 'running', message.text);
      return;
    case 'numeric-setup':
      $('numeric-setup').textContent = message.text;
      return;
    case 'numeric-row':
      addNumericRow(message.row);
      return;
    case 'numeric-done':
      page.numericPass = message.pass;
      badge($('numeric-status'), message.pass ? 'pass' : 'fail', message.pass ? 'PASS' : 'FAIL');
      return;
    case 'gpu-result':
      showGpu(message.result);
      finish();
      return;
    case 'gpu-skipped':
      page.gpuSkipped = true;
      badge($('gpu-status'), 'skip', 'not available');
      $('gpu-setup').textContent = `${message.reason} The float64 reference above needs none. To check the GPU, open this page in a browser with WebGPU (see the trainer page for how).`;
      $('gpu-table').hidden = true;
      finish();
      return;
    case 'gpu-error':
      page.gpuPass = false;
      badge($('gpu-status'), 'fail', 'error');
      $('gpu-error').textContent = message.message;
      $('gpu-error').hidden = false;
      finish();
      return;
    case 'error':
      page.state = 'error';
      page.error = message.message;
      document.body.dataset.state = 'error';
      badge($('overall'), 'fail', 'error');
      $('gpu-error').textContent = message.message;
      $('gpu-error').hidden = false;
      return;
  }
}

async function main(): Promise<void> {
  const status = await probeWebGpu();
  const adapter = $('adapter');
  if (status.available) {
    adapter.dataset.kind = 'gpu';
    $('adapter-text').textContent = `WebGPU · ${adapterLabel(status.adapter)}`;
  } else {
    adapter.dataset.kind = 'cpu';
    $('adapter-text').textContent = 'No WebGPU · float64 reference only';
  }
  const seed = int('seed', 1, -2_147_483_648);
  const request: CheckRequest = {
    type: 'run',
    numeric: { hiddenSize: int('hidden', 5), examples: int('examples', 10), patchSize: int('patchSize', 8, 2), seed },
    gpu: status.available ? { hiddenSize: int('gpuHidden', 25), examples: int('gpuExamples', 10_000), seed } : undefined,
  };
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'gradcheck' });
  worker.onmessage = (event: MessageEvent<CheckMessage>) => onMessage(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    onMessage({ type: 'error', message: `the worker failed: ${event.message || 'unknown error'}` });
  };
  worker.postMessage(request);
}

void main();
