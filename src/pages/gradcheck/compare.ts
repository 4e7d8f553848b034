/**
 * Gradients compared entry by entry and block by block (W1, W2, b1, b2), with the entries
 * named as MATLAB names them: W1(j,i) is hidden unit j's weight from input i (1-based).
 */
import { relativeDifference } from '../../reference/gradcheck';
import { thetaLayout, type Shape } from '../../reference/params';

export type BlockName = 'W1' | 'W2' | 'b1' | 'b2';

export interface Entry {
  /** Index in θ. */
  index: number;
  /** "W1(3,17)" */
  name: string;
  value: number;
  reference: number;
  difference: number;
}

export interface BlockComparison {
  block: BlockName | 'all';
  entries: number;
  /** UFLDL's ‖a − b‖ / ‖a + b‖. */
  relativeDifference: number;
  /** ‖a − b‖ / ‖b‖, b the reference. */
  relativeError: number;
  maxDifference: number;
  /** What the comparison is held to, and whether it is met. */
  limit: number;
  pass: boolean;
  /** The entries with the largest |a − b|, largest first. */
  worst: Entry[];
}

export function blockRanges(shape: Shape): { block: BlockName; start: number; end: number; label: string }[] {
  const L = thetaLayout(shape);
  const { visibleSize: v, hiddenSize: h } = shape;
  return [
    { block: 'W1', start: L.W1, end: L.W2, label: `W1 · ${h}×${v}` },
    { block: 'W2', start: L.W2, end: L.b1, label: `W2 · ${v}×${h}` },
    { block: 'b1', start: L.b1, end: L.b2, label: `b1 · ${h}` },
    { block: 'b2', start: L.b2, end: L.length, label: `b2 · ${v}` },
  ];
}

/** θ index → "W1(j,i)", "W2(i,j)", "b1(j)" or "b2(i)", 1-based as in MATLAB. */
export function entryName(index: number, shape: Shape): string {
  const L = thetaLayout(shape);
  const { visibleSize: v, hiddenSize: h } = shape;
  if (index < L.W2) return `W1(${(index % h) + 1},${Math.floor(index / h) + 1})`;
  if (index < L.b1) {
    const t = index - L.W2;
    return `W2(${(t % v) + 1},${Math.floor(t / v) + 1})`;
  }
  if (index < L.b2) return `b1(${index - L.b1 + 1})`;
  return `b2(${index - L.b2 + 1})`;
}

/**
 * Compares `values` with `reference` over [start, end). With `relativeNormLimit` it passes when
 * ‖values − reference‖ / ‖reference‖ is at most that (the GPU check); otherwise when UFLDL's
 * relative difference is below `threshold` (default 1e-9, the numerical check).
 */
export function compareRange(
  values: ArrayLike<number>,
  reference: ArrayLike<number>,
  shape: Shape,
  range: { start: number; end: number; block: BlockName | 'all' },
  options: { threshold?: number; relativeNormLimit?: number; count?: number } = {},
): BlockComparison {
  const { start, end } = range;
  const a = Array.prototype.slice.call(values, start, end) as number[];
  const b = Array.prototype.slice.call(reference, start, end) as number[];
  const rel = relativeDifference(a, b);
  let maxDifference = 0;
  let diff2 = 0;
  let ref2 = 0;
  let finite = true;
  const scored: { index: number; score: number }[] = [];
  for (let i = start; i < end; i++) {
    const difference = Math.abs(values[i] - reference[i]);
    if (!Number.isFinite(values[i])) finite = false;
    maxDifference = Math.max(maxDifference, difference);
    diff2 += difference * difference;
    ref2 += reference[i] * reference[i];
    scored.push({ index: i, score: Number.isNaN(difference) ? Infinity : difference });
  }
  scored.sort((x, y) => y.score - x.score);
  const worst = scored.slice(0, options.count ?? 5).map(({ index }) => ({
    index,
    name: entryName(index, shape),
    value: values[index],
    reference: reference[index],
    difference: Math.abs(values[index] - reference[index]),
  }));
  const relativeError = ref2 > 0 ? Math.sqrt(diff2 / ref2) : diff2 === 0 ? 0 : Infinity;
  const limit = options.relativeNormLimit ?? options.threshold ?? 1e-9;
  const pass = finite && (options.relativeNormLimit !== undefined ? relativeError <= limit : rel < limit);
  return { block: range.block, entries: end - start, relativeDifference: rel, relativeError, maxDifference, limit, pass, worst };
}
