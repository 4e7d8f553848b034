/**
 * The gradient-check page's view of a comparison made by src/gpu/comparison.ts: a block's
 * measures and its worst entries, named as MATLAB names them: W1(j,i) is hidden unit j's weight
 * from input i (1-based).
 */
import type { CheckResult } from '../../gpu/comparison';
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

/** Each block's caption: "W1 · 25×64". */
export function blockLabels({ visibleSize: v, hiddenSize: h }: Shape): Record<BlockName, string> {
  return { W1: `W1 · ${h}×${v}`, W2: `W2 · ${v}×${h}`, b1: `b1 · ${h}`, b2: `b2 · ${v}` };
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

/** A vector comparison (compareVectors, compareGradient or one of its blocks) as the page shows it. */
export function blockView(result: CheckResult, block: BlockName | 'all', name: (index: number) => string): BlockComparison {
  const details = result.details ?? {};
  return {
    block,
    entries: details.entries,
    relativeDifference: details.relativeDifference,
    relativeError: details.relativeError,
    maxDifference: details.maxDifference,
    limit: result.bound,
    pass: result.pass,
    worst: result.worst.map((e) => ({ index: e.index, name: name(e.index), value: e.gpu, reference: e.reference, difference: e.error })),
  };
}
