/**
 * bench.json's rows from cell outcomes, and the printed tables: evaluations with ratios to the
 * GPU pipeline, and the training rows with their lower bound and overhead.
 */
import { sizes, type AdapterSummary, type BenchRow, type EnvName, type ImplName, type SizeName } from './config';
import type { CellOutcome, TrainingOutcome } from './supervise';
import { trainingConfigs, type TrainingCellResult, type TrainingName, type TrainingRow } from './training';

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
        ...(r.profile ? { profile: r.profile } : {}),
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

/** "26.5 ms", "1,259 ms". */
export function formatMilliseconds(ms: number): string {
  return `${formatNumber(ms)} ms`;
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

/** bench.json's training row from a training cell's outcome. */
export function toTrainingRow(
  name: TrainingName,
  env: EnvName,
  path: string,
  outcome: TrainingOutcome<TrainingCellResult>,
  envAdapter: AdapterSummary | null,
): TrainingRow {
  const preset = trainingConfigs[name].preset;
  if (outcome.kind === 'error') return { name, env, preset, path, adapter: envAdapter, error: outcome.message };
  const r = outcome.result;
  const t = r.training;
  const e = r.evaluation;
  const lowerBoundSeconds = (t.evaluations * e.medianMs) / 1000;
  const per = (key: string): number | undefined =>
    t.counters?.[key] !== undefined && t.iterations > 0 ? round(t.counters[key] / t.iterations) : undefined;
  const perIteration = { readBacks: per('readBacks'), dispatches: per('dispatches'), submissions: per('submissions') };
  const hasPerIteration = Object.values(perIteration).some((v) => v !== undefined);
  return {
    name,
    env,
    preset: r.preset,
    path: r.path,
    data: r.data,
    m: r.examples,
    visible: r.visibleSize,
    hidden: r.hiddenSize,
    iterations: t.iterations,
    evaluations: t.evaluations,
    trainingSeconds: round(t.seconds),
    wallSeconds: round(t.wallSeconds),
    evaluationMedianMs: round(e.medianMs),
    evaluationReps: e.samplesMs.length,
    evaluationFirstMs: round(e.firstMs),
    evaluationSamplesMs: e.samplesMs.map(round),
    ...(e.beforeMedianMs !== undefined ? { evaluationMedianBeforeMs: round(e.beforeMedianMs) } : {}),
    ...(e.afterMedianMs !== undefined ? { evaluationMedianAfterMs: round(e.afterMedianMs) } : {}),
    evaluationMinMs: round(Math.min(...e.samplesMs)),
    lowerBoundSeconds: round(lowerBoundSeconds),
    overhead: lowerBoundSeconds > 0 ? round(t.seconds / lowerBoundSeconds) : undefined,
    ...(hasPerIteration ? { perIteration } : {}),
    ...(t.counters ? { counters: t.counters } : {}),
    initialCost: t.initialCost,
    finalCost: t.finalCost,
    evaluationCost: e.cost,
    exitReason: t.exitReason,
    dataSeconds: round(r.dataMs / 1000),
    engineSetupSeconds: round(t.setupMs / 1000),
    adapter: r.adapter ?? envAdapter,
    ...(t.device ? { device: t.device } : {}),
    ...(r.peer ? { peer: r.peer } : {}),
    ...([...(e.notes ?? []), ...(r.notes ?? [])].length ? { notes: [...(e.notes ?? []), ...(r.notes ?? [])] } : {}),
  };
}

function formatSeconds(s: number): string {
  return s >= 100 ? Math.round(s).toLocaleString('en-US') : s >= 10 ? s.toFixed(1) : s.toFixed(2);
}

/** One table of training rows: wall time, evaluations, the lower bound and the overhead. */
export function formatTrainingTable(rows: readonly TrainingRow[], envAdapters: Partial<Record<EnvName, AdapterSummary | null>>): string {
  if (rows.length === 0) return '';
  const lines: string[] = [''];
  lines.push('training — train() on the GPU engine; lower bound = evaluations × median evaluation (GPU pipeline, same data, same run)');
  const header = ['env', 'run', '(m, visible, hidden)', 'iterations', 'training s', 'evaluations', 'median eval ms', '(before / after)', 'lower bound s', 'overhead', 'GPU busy', 'per iteration: read-backs, dispatches, submissions'];
  const body = rows.map((r) => {
    if (r.error) return [r.env, r.name, '', '', 'failed', '', '', '', '', '', '', `error: ${r.error.split('\n')[0].slice(0, 80)}`];
    const p = r.perIteration;
    const fmt = (v: number | undefined) => (v === undefined ? '—' : formatRatio(v));
    return [
      r.env,
      r.name,
      `(${r.m}, ${r.visible}, ${r.hidden})`,
      String(r.iterations),
      formatSeconds(r.trainingSeconds!),
      String(r.evaluations),
      formatNumber(r.evaluationMedianMs!),
      r.evaluationMedianBeforeMs !== undefined && r.evaluationMedianAfterMs !== undefined
        ? `(${formatNumber(r.evaluationMedianBeforeMs)} / ${formatNumber(r.evaluationMedianAfterMs)})`
        : '',
      formatSeconds(r.lowerBoundSeconds!),
      r.overhead !== undefined ? `${formatRatio(r.overhead)}×` : '—',
      // The share of train()'s time the GPU was busy, where the adapter has timestamp queries.
      r.counters?.gpuShare !== undefined ? `${(100 * r.counters.gpuShare).toFixed(0)}%` : '—',
      p ? `${fmt(p.readBacks)}, ${fmt(p.dispatches)}, ${fmt(p.submissions)}` : 'not reported',
    ];
  });
  const table = [header, ...body];
  const widths = header.map((_, c) => Math.max(...table.map((line) => line[c].length)));
  const numeric = new Set([3, 4, 5, 6, 8, 9, 10]);
  for (const [i, line] of table.entries()) {
    lines.push('  ' + line.map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
    if (i === 0) lines.push('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  }
  const envs = [...new Set(rows.map((r) => r.env))];
  for (const env of envs) {
    const adapter = rows.find((r) => r.env === env && r.adapter)?.adapter ?? envAdapters[env] ?? null;
    lines.push(`  ${env}: ${adapterLine(adapter)}`);
  }
  for (const r of rows) if (r.peer) lines.push(`  ${r.env} ${r.name}: ${peerLine(r)}`);
  return lines.join('\n');
}

/** The peer's whole run beside ours: its time, evaluations and final cost, and the ratios. */
function peerLine(r: TrainingRow): string {
  const peer = r.peer!;
  if ('skipped' in peer) return `no numpy + scipy row (${peer.skipped})`;
  const ours = r.trainingSeconds !== undefined && r.finalCost !== undefined ? `; this pipeline ${formatSeconds(r.trainingSeconds)} s = ${formatRatio(r.trainingSeconds / peer.seconds)}× its time, final cost ${((100 * (r.finalCost - peer.finalCost)) / peer.finalCost).toFixed(2)}% from its` : '';
  return `${peer.what}: ${peer.iterations} iterations, ${peer.evaluations} evaluations, ${formatSeconds(peer.seconds)} s, final cost ${peer.finalCost.toPrecision(6)} (${peer.message})${ours}`;
}
