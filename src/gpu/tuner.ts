/**
 * Kernels tuned on the adapter at hand (issue 21, item 3): the pure core. On first use of an
 * adapter for a model's matmul shapes, race the matmul variants the adapter offers and a small
 * set of tile shapes for a bounded time, keep the fastest among those that pass a quick check
 * against the float64 twin, and cache the choice. chooseKernelConfig (./adapter.ts) is the first
 * guess and the fallback: a challenger replaces it only when it is measurably faster.
 *
 * Everything that touches a GPU, a clock or storage comes in as a function (./tuning.ts builds
 * the GPU's timing and check; ./tuning-node.ts and the pages' tuning-store.ts the caches), so the
 * logic is tested with an injected clock and fake timings. Browser-safe.
 */
import { chooseKernelConfig, matmulVariantsFor, UNROLLED_DEFAULT_TILING, type AdapterSummary, type KernelConfig, type MatmulTiling } from './adapter';

/** Bumped whenever candidates, timing or the entry's format change: older cache entries are raced again. */
export const TUNER_VERSION = 1;

/** About 2 s of racing on first use of an adapter (issue 21). */
export const DEFAULT_TUNING_BUDGET_MS = 2000;

/** A challenger must beat the first guess by this fraction: less is within the timing's noise. */
export const DEFAULT_TUNING_MARGIN = 0.03;

/** One matmul of a model, as src/gpu/layers.ts dispatches it (C is M × N, N a multiple of 4; padded sizes). */
export interface MatmulShape {
  M: number;
  N: number;
  K: number;
  layout: 'NN' | 'NT' | 'TN';
  /** The dense layer's bias + activation epilogue (NN only). */
  bias?: boolean;
  /** Split-K slice length (the weight gradients' TN products). */
  kChunk?: number;
}

/** The limits a tile shape must fit (GPUSupportedLimits has them all). */
export interface TuningLimits {
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupSizeY: number;
  maxComputeWorkgroupStorageSize: number;
}

/** The 'workgroup' variant's defaults (matmul_tiled.wgsl): 16 × 16 threads, 16 k per barrier. */
export const WORKGROUP_DEFAULT_TILING = { tileRows: 4, tileCols4: 1, wgX: 16, wgY: 16, tileK: 16 } as const satisfies MatmulTiling;

/** Workgroup memory of matmul_tiled.wgsl's two tiles: TILE_K × (WG_Y + WG_X) vec4s. */
export function workgroupTileBytes(tiling: MatmulTiling): number {
  const wgX = tiling.wgX ?? WORKGROUP_DEFAULT_TILING.wgX;
  const tileK = tiling.tileK ?? WORKGROUP_DEFAULT_TILING.tileK;
  return tileK * (tiling.wgY + wgX) * 16;
}

/** Threads per workgroup of a configuration's matmul, as matmulProgram (./programs.ts) lays it out. */
function workgroupShape(config: KernelConfig): [number, number] {
  const t = config.tiling;
  switch (config.matmul) {
    case 'registers':
      return [8, t?.wgY ?? 1];
    case 'subgroups':
      return [config.subgroupSize, t?.wgY ?? 1];
    case 'unrolled':
      return [UNROLLED_DEFAULT_TILING.wgX, UNROLLED_DEFAULT_TILING.wgY];
    case 'workgroup':
      return [t?.wgX ?? WORKGROUP_DEFAULT_TILING.wgX, t?.wgY ?? WORKGROUP_DEFAULT_TILING.wgY];
  }
}

/** Whether a configuration's workgroups fit the adapter's limits (threads, each dimension, workgroup memory). */
export function fitsLimits(config: KernelConfig, limits: TuningLimits): boolean {
  const [x, y] = workgroupShape(config);
  if (x * y > limits.maxComputeInvocationsPerWorkgroup || x > limits.maxComputeWorkgroupSizeX || y > limits.maxComputeWorkgroupSizeY) return false;
  return config.matmul !== 'workgroup' || workgroupTileBytes(config.tiling ?? WORKGROUP_DEFAULT_TILING) <= limits.maxComputeWorkgroupStorageSize;
}

/**
 * The candidates, first guess first: chooseKernelConfig's choice, then every other variant the
 * adapter offers at its default tiles, then tile shapes around each default, the first guess's
 * variant first. Racing in this order under a budget tries the likeliest wins first. Only
 * configurations within the adapter's limits are listed; 'unrolled' has its one generated block.
 */
export function tuningCandidates(info: AdapterSummary, limits: TuningLimits): KernelConfig[] {
  const guess = chooseKernelConfig(info);
  const base = { subgroupSize: guess.subgroupSize, laneGroup: guess.laneGroup, splitK: guess.splitK };
  const variants = matmulVariantsFor(info);
  const defaults: KernelConfig[] = variants.map((matmul) => (matmul === guess.matmul ? guess : defaultConfig(matmul, base)));
  const tiles = (matmul: KernelConfig['matmul']): KernelConfig[] => tileShapes(matmul, guess.subgroupSize).map((tiling) => ({ matmul, ...base, tiling }));
  const others = [guess.matmul, ...variants.filter((v) => v !== guess.matmul)].flatMap(tiles);
  const out: KernelConfig[] = [guess];
  for (const config of [...defaults, ...others]) {
    if (fitsLimits(config, limits) && !out.some((c) => sameKernels(c, config))) out.push(config);
  }
  return out;
}

function defaultConfig(matmul: KernelConfig['matmul'], base: Omit<KernelConfig, 'matmul'>): KernelConfig {
  return matmul === 'unrolled' ? { matmul, ...base, tiling: { ...UNROLLED_DEFAULT_TILING } } : { matmul, ...base };
}

/** A small set of tile shapes per variant (the measured neighbourhoods of bench/tune/README.md, and the textbook tiles). */
function tileShapes(matmul: KernelConfig['matmul'], subgroupSize: number): MatmulTiling[] {
  switch (matmul) {
    case 'registers':
      return [
        { tileRows: 8, tileCols4: 2, wgY: 1 },
        { tileRows: 8, tileCols4: 1, wgY: 1 },
        { tileRows: 4, tileCols4: 2, wgY: 1 },
        { tileRows: 8, tileCols4: 2, wgY: 2 },
      ];
    case 'subgroups':
      return [
        { tileRows: 16, tileCols4: 1, wgY: 1 },
        { tileRows: 8, tileCols4: 2, wgY: 1 },
        { tileRows: 16, tileCols4: 2, wgY: 1 },
        { tileRows: 32, tileCols4: 1, wgY: 1 },
        { tileRows: 16, tileCols4: 1, wgY: 2 },
      ].filter((t) => t.tileRows % subgroupSize === 0);
    case 'workgroup':
      return [
        { tileRows: 4, tileCols4: 1, wgX: 16, wgY: 16, tileK: 16 },
        { tileRows: 4, tileCols4: 1, wgX: 16, wgY: 16, tileK: 8 },
        { tileRows: 4, tileCols4: 1, wgX: 16, wgY: 16, tileK: 32 },
        { tileRows: 4, tileCols4: 1, wgX: 8, wgY: 8, tileK: 16 },
        { tileRows: 4, tileCols4: 1, wgX: 16, wgY: 8, tileK: 16 },
        { tileRows: 4, tileCols4: 1, wgX: 8, wgY: 16, tileK: 32 },
        { tileRows: 4, tileCols4: 1, wgX: 32, wgY: 8, tileK: 16 },
      ];
    case 'unrolled':
      return [];
  }
}

/** A configuration's tiles with its variant's defaults filled in (tileCols4 0: 'registers' picks per shape). */
function effectiveTiling(config: KernelConfig): Required<Omit<MatmulTiling, 'fused'>> {
  const t = config.tiling;
  switch (config.matmul) {
    case 'registers':
      return { tileRows: t?.tileRows ?? 8, tileCols4: t?.tileCols4 ?? 0, wgX: 8, wgY: t?.wgY ?? 1, tileK: 0 };
    case 'subgroups':
      return { tileRows: t?.tileRows ?? 16, tileCols4: t?.tileCols4 || 1, wgX: config.subgroupSize, wgY: t?.wgY ?? 1, tileK: 0 };
    case 'unrolled':
      return { ...UNROLLED_DEFAULT_TILING, tileK: 0 };
    case 'workgroup':
      return { ...WORKGROUP_DEFAULT_TILING, ...t, tileRows: 4, tileCols4: 1 } as Required<Omit<MatmulTiling, 'fused'>>;
  }
}

/** The same kernels: variant, subgroup size where it matters, and tiles (absent = the variant's defaults). */
export function sameKernels(a: KernelConfig, b: KernelConfig): boolean {
  if (a.matmul !== b.matmul) return false;
  if (a.matmul === 'subgroups' && a.subgroupSize !== b.subgroupSize) return false;
  const ta = effectiveTiling(a);
  const tb = effectiveTiling(b);
  return ta.tileRows === tb.tileRows && ta.tileCols4 === tb.tileCols4 && ta.wgY === tb.wgY && ta.wgX === tb.wgX && ta.tileK === tb.tileK;
}

/**
 * The kernels in a few words: "subgroups 16×4" (C rows × columns per lane), "workgroup 64×64, k 16"
 * (C tile per workgroup, inner step per barrier), "registers 8×auto" (columns chosen per shape).
 */
export function describeKernelConfig(config: KernelConfig): string {
  const t = config.tiling;
  switch (config.matmul) {
    case 'registers': {
      const rows = t?.tileRows ?? 8;
      const cols = t?.tileCols4 ? `${t.tileCols4 * 4}` : 'auto';
      return `registers ${rows}×${cols}${(t?.wgY ?? 1) > 1 ? ` ×${t?.wgY} lanes` : ''}`;
    }
    case 'subgroups':
      return `subgroups ${t?.tileRows ?? 16}×${(t?.tileCols4 || 1) * 4}${(t?.wgY ?? 1) > 1 ? ` ×${t?.wgY} subgroups` : ''} (size ${config.subgroupSize})`;
    case 'unrolled': {
      const u = t ?? UNROLLED_DEFAULT_TILING;
      return `unrolled ${u.tileRows}×${u.tileCols4 * 4}`;
    }
    case 'workgroup': {
      const w = { ...WORKGROUP_DEFAULT_TILING, ...t };
      return `workgroup ${4 * w.wgY}×${4 * w.wgX}, k ${w.tileK}`;
    }
  }
}

/** What identifies an adapter and a model's products in the cache. */
export function tuningKey(info: AdapterSummary, shapes: readonly MatmulShape[]): string {
  const adapter = [info.vendor, info.architecture, info.device, info.description, info.driver ?? ''].join('|');
  const products = shapes.map((s) => `${s.layout}${s.bias ? '+b' : ''} ${s.M}×${s.N}×${s.K}${s.kChunk ? `/${s.kChunk}` : ''}`).join(', ');
  return `v${TUNER_VERSION} ${adapter} :: ${products}`;
}

// ---------------------------------------------------------------------------------------------
// The race.

/** One candidate's outcome. */
export interface RaceRecord {
  kernels: string;
  config: KernelConfig;
  /** Milliseconds for one pass over the model's products (median), when it was timed. */
  ms?: number;
  /** Passed the check against the twin (false: never chosen). */
  passed: boolean;
  /** Not run: the budget was spent. */
  skipped?: boolean;
  error?: string;
}

export interface RaceOptions {
  candidates: readonly KernelConfig[];
  budgetMs: number;
  /** A monotonic clock in milliseconds (performance.now). */
  now(): number;
  /** Whether the candidate's kernels agree with the float64 twin. Throwing counts as failing. */
  check(config: KernelConfig): Promise<boolean>;
  /** Milliseconds per pass over the model's products; may stop repeating at `deadline` (on now()'s clock). */
  time(config: KernelConfig, deadline: number): Promise<number>;
  /** A challenger must be faster than the first guess by this fraction (default DEFAULT_TUNING_MARGIN). */
  margin?: number;
  /**
   * Milliseconds the first guess's compiles took when they were made ahead of the race (a run's
   * warm-up, src/gpu/warm-up.ts), read once the first guess is done: a challenger's are not, so
   * they count in its expected cost. Absent or 0: nothing was compiled ahead.
   */
  compiledAheadMs?(): number;
}

export interface RaceResult {
  /** The choice: the first guess unless a checked challenger beat it by the margin. */
  config: KernelConfig;
  /** Index of the choice in the candidates; -1 when no candidate passed (config is then the first guess). */
  chosen: number;
  records: RaceRecord[];
  elapsedMs: number;
}

/**
 * Races the candidates in order. The first always runs; each further one starts only if it is
 * expected to finish within the budget, its expected cost being the dearest candidate's so far,
 * compiles included (on an adapter that compiles at the first dispatch, as lavapipe does, a
 * candidate costs its compiles: a fresh machine's first guess alone can take the whole budget,
 * and starting another would overshoot it by as much again; compiles made ahead of the race count
 * as the first guess's: compiledAheadMs). So a race ends within the budget,
 * or after the first guess when that alone takes longer. A candidate that fails its check, or
 * throws, is never chosen.
 */
export async function raceKernels(options: RaceOptions): Promise<RaceResult> {
  const { candidates, budgetMs, now } = options;
  if (candidates.length === 0) throw new RangeError('raceKernels: no candidates');
  const margin = options.margin ?? DEFAULT_TUNING_MARGIN;
  const start = now();
  const deadline = start + budgetMs;
  const records: RaceRecord[] = [];
  let dearest = 0;
  for (const [i, config] of candidates.entries()) {
    const record: RaceRecord = { kernels: describeKernelConfig(config), config, passed: false };
    records.push(record);
    const started = now();
    if (i > 0 && (started >= deadline || started + dearest > deadline)) {
      record.skipped = true;
      continue;
    }
    try {
      record.passed = await options.check(config);
      if (record.passed) record.ms = await options.time(config, deadline);
    } catch (error) {
      record.passed = false;
      record.error = error instanceof Error ? error.message : String(error);
    }
    if (record.passed && !(Number.isFinite(record.ms) && record.ms! >= 0)) {
      record.passed = false;
      record.error ??= `timing gave ${record.ms}`;
    }
    dearest = Math.max(dearest, now() - started + (i === 0 ? (options.compiledAheadMs?.() ?? 0) : 0));
  }
  const timed = records.map((r, i) => ({ r, i })).filter(({ r }) => r.passed);
  let chosen = -1;
  if (timed.length > 0) {
    const fastest = timed.reduce((best, x) => (x.r.ms! < best.r.ms! ? x : best));
    const guess = records[0];
    chosen = guess.passed && !(fastest.r.ms! < guess.ms! * (1 - margin)) ? 0 : fastest.i;
  }
  return { config: candidates[Math.max(chosen, 0)], chosen, records, elapsedMs: now() - start };
}

// ---------------------------------------------------------------------------------------------
// The choice, with its cache.

/** What the cache keeps per key. */
export interface TuningEntry {
  version: number;
  key: string;
  config: KernelConfig;
  /** When it was raced (Date.now()). */
  tunedAt: number;
  raceMs: number;
  raced: RaceRecord[];
}

/** Where choices are kept: a file in Node, IndexedDB in browsers. Reads of anything unusable return whatever is there; the core validates. */
export interface TuningCache {
  read(key: string): Promise<unknown>;
  write(entry: TuningEntry): Promise<void>;
}

/**
 * The kernels a model runs and where they came from: 'table' (chooseKernelConfig: tuning off, or
 * nothing passed), 'tuned' (raced now), 'cached' (raced earlier on this adapter and these shapes).
 */
export interface KernelChoice {
  config: KernelConfig;
  source: 'table' | 'tuned' | 'cached';
  kernels: string;
  tunedAt?: number;
  raceMs?: number;
  raced?: RaceRecord[];
  /** Why the table's choice runs although tuning was asked for, or why the choice was not cached. */
  note?: string;
}

export function tableChoice(info: AdapterSummary, note?: string): KernelChoice {
  const config = chooseKernelConfig(info);
  return { config, source: 'table', kernels: describeKernelConfig(config), ...(note ? { note } : {}) };
}

/** A cached value is used only if it is a current entry for this key whose configuration is still a candidate here. */
export function validEntry(value: unknown, key: string, candidates: readonly KernelConfig[]): TuningEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const entry = value as Partial<TuningEntry>;
  if (entry.version !== TUNER_VERSION || entry.key !== key) return undefined;
  if (typeof entry.tunedAt !== 'number' || !Number.isFinite(entry.tunedAt) || typeof entry.config !== 'object' || entry.config === null) return undefined;
  const match = candidates.find((c) => sameKernels(c, entry.config as KernelConfig));
  if (!match) return undefined;
  return { ...(entry as TuningEntry), config: match, raced: Array.isArray(entry.raced) ? entry.raced : [], raceMs: Number(entry.raceMs) || 0 };
}

export interface TuneOptions {
  info: AdapterSummary;
  limits: TuningLimits;
  shapes: readonly MatmulShape[];
  cache?: TuningCache;
  budgetMs?: number;
  margin?: number;
  now(): number;
  /** Wall-clock time for the entry's tunedAt (default Date.now). */
  date?(): number;
  check(config: KernelConfig): Promise<boolean>;
  time(config: KernelConfig, deadline: number): Promise<number>;
  /** See RaceOptions.compiledAheadMs. */
  compiledAheadMs?(): number;
}

/**
 * The kernels for this adapter and these products: the cached choice when there is a valid one,
 * else a race (cached when something passed). A cache that cannot be read or written costs a race,
 * never the run.
 */
export async function chooseTunedKernels(options: TuneOptions): Promise<KernelChoice> {
  const { info, cache } = options;
  const key = tuningKey(info, options.shapes);
  const candidates = tuningCandidates(info, options.limits);
  let stored: unknown;
  try {
    stored = await cache?.read(key);
  } catch {
    stored = undefined;
  }
  const entry = validEntry(stored, key, candidates);
  if (entry) return { config: entry.config, source: 'cached', kernels: describeKernelConfig(entry.config), tunedAt: entry.tunedAt, raceMs: entry.raceMs, raced: entry.raced };

  const race = await raceKernels({ candidates, budgetMs: options.budgetMs ?? DEFAULT_TUNING_BUDGET_MS, now: options.now, check: options.check, time: options.time, margin: options.margin, compiledAheadMs: options.compiledAheadMs });
  if (race.chosen < 0) return { ...tableChoice(info, 'no candidate passed the check against the twin'), raceMs: race.elapsedMs, raced: race.records };
  const tuned: TuningEntry = { version: TUNER_VERSION, key, config: race.config, tunedAt: (options.date ?? Date.now)(), raceMs: race.elapsedMs, raced: race.records };
  const choice: KernelChoice = { config: race.config, source: 'tuned', kernels: describeKernelConfig(race.config), tunedAt: tuned.tunedAt, raceMs: race.elapsedMs, raced: race.records };
  try {
    await cache?.write(tuned);
  } catch (error) {
    choice.note = `not cached: ${error instanceof Error ? error.message : String(error)}`;
  }
  return choice;
}

function ago(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/**
 * "subgroups 16×4 (size 8), tuned 1.9 s ago (raced 5 of 12 in 2.1 s)" (raced now), "…, cached: tuned
 * 3 min ago (…)" (an earlier race's choice), "unrolled 8×8, table default (tuning off)".
 */
export function describeKernelChoice(choice: KernelChoice, nowDate = Date.now()): string {
  if (choice.source === 'table') return `${choice.kernels}, table default${choice.note ? ` (${choice.note})` : ''}`;
  const raced = choice.raced ?? [];
  const ran = raced.filter((r) => !r.skipped).length;
  const race = raced.length > 0 ? ` (raced ${ran} of ${raced.length} in ${((choice.raceMs ?? 0) / 1000).toFixed(1)} s)` : '';
  return `${choice.kernels}, ${choice.source === 'cached' ? 'cached: ' : ''}tuned ${ago(nowDate - (choice.tunedAt ?? nowDate))} ago${race}`;
}

/** The matmuls of a dense stack's evaluation (src/gpu/layers.ts): per layer the forward NN with its epilogue, the weight gradient's split-K TN, and, after the first, the backward NT. */
export function denseMatmulShapes(examples: number, layerSizes: readonly number[], splitK: number): MatmulShape[] {
  const pad4 = (n: number) => Math.ceil(n / 4) * 4;
  const shapes: MatmulShape[] = [];
  for (let i = 0; i + 1 < layerSizes.length; i++) {
    const inputs4 = pad4(layerSizes[i]);
    const outputs4 = pad4(layerSizes[i + 1]);
    shapes.push({ M: examples, N: outputs4, K: inputs4, layout: 'NN', bias: true });
    shapes.push({ M: inputs4, N: outputs4, K: examples, layout: 'TN', kChunk: splitK });
    if (i > 0) shapes.push({ M: examples, N: inputs4, K: outputs4, layout: 'NT' });
  }
  return shapes;
}

/** The products of several models (a run's stages), each once, in first-seen order: one race serves them all. */
export function uniqueShapes(shapes: readonly MatmulShape[]): MatmulShape[] {
  const seen = new Map<string, MatmulShape>();
  for (const s of shapes) {
    const key = `${s.layout}${s.bias ? '+b' : ''} ${s.M}×${s.N}×${s.K}/${s.kChunk ?? 0}`;
    if (!seen.has(key)) seen.set(key, s);
  }
  return [...seen.values()];
}
