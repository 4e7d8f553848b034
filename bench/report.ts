/** bench.json's rows from cell outcomes, and the printed table with ratios to the GPU pipeline. */
import { sizes, type AdapterSummary, type BenchRow, type EnvName, type ImplName, type SizeName } from './config';
import type { CellOutcome } from './supervise';

export function toRow(
  impl: ImplName,
  env: EnvName,
  sizeName: SizeName,
  outcome: CellOutcome,
  boxMs: number,
  envAdapter: AdapterSummary | null,
): BenchRow {
  const size = sizes[sizeName];
  const base = { impl, env, size: sizeName, m: size.examples, visible: size.visibleSize, hidden: size.hiddenSize };
  switch (outcome.kind) {
    case 'done': {
      const r = outcome.result;
      return {
        ...base,
        medianMs: round(r.medianMs),
        reps: r.samplesMs.length,
        firstMs: round(r.firstMs),
        samplesMs: r.samplesMs.map(round),
        setupMs: round(r.setupMs),
        adapter: r.adapter ?? envAdapter,
        costCheck: r.costCheck,
        ...(r.notes?.length ? { notes: r.notes } : {}),
      };
    }
    case 'over-box':
      return {
        ...base,
        overBoxMs: boxMs,
        reps: 0,
        ...(outcome.firstMs !== undefined ? { firstMs: round(outcome.firstMs) } : {}),
        ...(outcome.samplesMs.length ? { samplesMs: outcome.samplesMs.map(round) } : {}),
        ...(outcome.setupMs !== undefined ? { setupMs: round(outcome.setupMs) } : {}),
        adapter: envAdapter,
        costCheck: null,
        notes: [
          outcome.index === 0
            ? `the first evaluation ran past the ${boxMs / 1000} s box; stopped, not repeated`
            : `evaluation ${outcome.index} ran past the ${boxMs / 1000} s box; stopped`,
        ],
      };
    case 'error':
      return { ...base, reps: 0, adapter: envAdapter, costCheck: null, error: outcome.message };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function formatMs(row: BenchRow): string {
  if (row.medianMs !== undefined) return `${formatNumber(row.medianMs)} ms`;
  if (row.overBoxMs !== undefined) return `>${row.overBoxMs} ms`;
  return 'failed';
}

function formatNumber(ms: number): string {
  if (ms >= 100) return Math.round(ms).toLocaleString('en-US');
  if (ms >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}

function formatRatio(ratio: number): string {
  if (ratio >= 100) return Math.round(ratio).toLocaleString('en-US');
  if (ratio >= 10) return ratio.toFixed(1);
  return ratio.toFixed(2);
}

/** "tfjs-webgpu / gpu = 143×", or "> 143×" when the row ran past the box. */
export function ratioToGpu(row: BenchRow, gpu: BenchRow | undefined): string {
  if (row.impl === 'gpu') return row.medianMs !== undefined ? '1×' : '';
  if (!gpu || gpu.medianMs === undefined || !(gpu.medianMs > 0)) return '—';
  if (row.medianMs !== undefined) return `${row.impl} / gpu = ${formatRatio(row.medianMs / gpu.medianMs)}×`;
  if (row.overBoxMs !== undefined) return `${row.impl} / gpu > ${formatRatio(row.overBoxMs / gpu.medianMs)}×`;
  return '—';
}

function formatCheck(row: BenchRow): string {
  if (row.impl === 'cpu-reference') return row.medianMs !== undefined ? '(the reference)' : '';
  const c = row.costCheck;
  if (!c) return row.error ? `error: ${row.error.split('\n')[0].slice(0, 80)}` : 'not checked';
  return `${c.ok ? 'ok' : 'MISMATCH'} (rel. ${c.relativeError.toExponential(1)})`;
}

function adapterLine(adapter: AdapterSummary | null): string {
  if (!adapter) return 'no adapter';
  return [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' / ') || 'adapter with empty info';
}

export function formatTable(rows: readonly BenchRow[], envAdapters: Partial<Record<EnvName, AdapterSummary | null>>): string {
  const lines: string[] = [];
  const groups = new Map<string, BenchRow[]>();
  for (const row of rows) {
    const key = `${row.env}\u0000${row.size}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  for (const group of groups.values()) {
    const { env, m, visible, hidden } = group[0];
    lines.push('');
    lines.push(`${env} — (m, visible, hidden) = (${m}, ${visible}, ${hidden}) — adapter: ${adapterLine(envAdapters[env] ?? null)}`);
    const gpu = group.find((r) => r.impl === 'gpu');
    const table = [['implementation', 'median', 'reps', 'ratio to gpu', 'cost vs float64'], ...group.map((r) => [
      r.impl,
      formatMs(r),
      String(r.reps),
      ratioToGpu(r, gpu),
      formatCheck(r),
    ])];
    const widths = table[0].map((_, c) => Math.max(...table.map((line) => line[c].length)));
    for (const [i, line] of table.entries()) {
      lines.push('  ' + line.map((cell, c) => (c === 1 || c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
      if (i === 0) lines.push('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
    }
  }
  return lines.join('\n');
}
