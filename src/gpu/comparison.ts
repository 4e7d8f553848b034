/**
 * GPU results against the float64 reference: the one comparison that the kernel checks
 * (./checks.ts), `npm run gradcheck`, the gradient-check page and the tests all use. Pure: no
 * GPU here, so a page or the CLI can compare without loading any GPU code.
 *
 * Two kinds of comparison:
 * - elementwise (a kernel's output): every entry within its own round-off bound from
 *   ./tolerance.ts, the entries furthest past (or closest to) their bounds reported;
 * - a whole evaluation: J by its relative error, ∇J by its relative 2-norm error as a whole and
 *   block by block (W1, W2, b1, b2, or a classifier's layers), each block with its largest
 *   differences.
 */
import { relativeDifference } from '../reference/gradcheck';
import { thetaLayout, type Shape } from '../reference/params';
import { MODEL_TOLERANCE } from './tolerance';

export interface WorstEntry {
  index: number;
  gpu: number;
  reference: number;
  error: number;
  /** The entry's own bound; NaN where the comparison holds a whole vector to one limit. */
  bound: number;
}

export interface CheckResult {
  name: string;
  shape: Record<string, number | string | boolean>;
  /** Largest |gpu − reference| (for the model checks: the relative error). */
  maxError: number;
  /** The bound at the entry closest to (or furthest past) its bound. */
  bound: number;
  pass: boolean;
  /** The entries with the largest error/bound ratios (for a vector: the largest errors). */
  worst: WorstEntry[];
  details?: Record<string, number>;
  /** A gradient's blocks, each compared as the whole is (compareGradient). */
  blocks?: CheckResult[];
}

/** How many worst entries a result lists. */
export const WORST_COUNT = 5;

/** A block of θ by name: [from, to). */
export type ThetaBlocks = Record<string, readonly [number, number]>;

/** The autoencoder's blocks of θ in UFLDL's packing: W1, W2, b1, b2. */
export function autoencoderBlocks(shape: Shape): ThetaBlocks {
  const L = thetaLayout(shape);
  return { W1: [L.W1, L.W2], W2: [L.W2, L.b1], b1: [L.b1, L.b2], b2: [L.b2, L.length] };
}

/** [from, to) of a typed array as a view, of another array-like as a copy. */
function range(a: ArrayLike<number>, from: number, to: number): ArrayLike<number> {
  if (from === 0 && to === a.length) return a;
  return ArrayBuffer.isView(a) ? (a as Float64Array).subarray(from, to) : (Array.prototype.slice.call(a, from, to) as number[]);
}

/** The `count` indices in [from, to) with the largest scores, largest first (no sort of millions). */
function largest(count: number, from: number, to: number, score: (i: number) => number): number[] {
  const top: Array<{ index: number; score: number }> = [];
  for (let i = from; i < to; i++) {
    const s = score(i);
    if (top.length < count || s > top[top.length - 1].score) {
      let at = top.length < count ? top.length : top.length - 1;
      while (at > 0 && top[at - 1].score < s) at--;
      top.splice(at, 0, { index: i, score: s });
      if (top.length > count) top.pop();
    }
  }
  return top.map((t) => t.index);
}

/** Elementwise comparison: every entry must be finite and within its own bound. */
export function compareElementwise(
  name: string,
  shape: CheckResult['shape'],
  gpu: ArrayLike<number>,
  reference: ArrayLike<number>,
  bounds: ArrayLike<number>,
): CheckResult {
  if (gpu.length !== reference.length) throw new RangeError(`${name}: ${gpu.length} GPU values vs ${reference.length} reference values`);
  let maxError = 0;
  let pass = true;
  for (let i = 0; i < gpu.length; i++) {
    const error = Math.abs(gpu[i] - reference[i]);
    const finite = Number.isFinite(gpu[i]) && Number.isFinite(error);
    if (!(finite && error <= bounds[i])) pass = false;
    maxError = finite ? Math.max(maxError, error) : Infinity;
  }
  const ratio = (i: number) => {
    const error = Math.abs(gpu[i] - reference[i]);
    if (!(Number.isFinite(gpu[i]) && Number.isFinite(error))) return Infinity;
    return bounds[i] > 0 ? error / bounds[i] : error > 0 ? Infinity : 0;
  };
  const worst = largest(WORST_COUNT, 0, gpu.length, ratio).map((index) => ({
    index,
    gpu: gpu[index],
    reference: reference[index],
    error: Math.abs(gpu[index] - reference[index]),
    bound: bounds[index],
  }));
  return { name, shape, maxError, bound: worst[0]?.bound ?? 0, pass, worst };
}

/** ‖a − b‖₂ / ‖b‖₂ over [from, to), b the reference: the measure the policy states for gradients. */
export function relativeNorm(a: ArrayLike<number>, b: ArrayLike<number>, from = 0, to = b.length): number {
  if (a.length !== b.length) throw new RangeError(`${a.length} values vs ${b.length} reference values`);
  let d = 0;
  let s = 0;
  for (let i = from; i < to; i++) {
    d += (a[i] - b[i]) ** 2;
    s += b[i] ** 2;
  }
  return s > 0 ? Math.sqrt(d / s) : d === 0 ? 0 : Infinity;
}

/**
 * What a vector comparison holds its values to: the relative 2-norm error ‖a − b‖/‖b‖ (the GPU
 * against the reference), or UFLDL's relative difference ‖a − b‖/‖a + b‖ (central differences
 * against backpropagation).
 */
export interface VectorCriterion {
  measure: 'relativeNorm' | 'relativeDifference';
  limit: number;
  /** How many of the largest differences to list (WORST_COUNT). */
  count?: number;
}

/** The GPU's criterion for a gradient: MODEL_TOLERANCE's relative norm. */
export const GRADIENT_CRITERION: VectorCriterion = { measure: 'relativeNorm', limit: MODEL_TOLERANCE.gradientRelativeNorm };

/**
 * `values` against `reference` over [from, to) as one vector: maxError is the criterion's
 * measure, the worst entries are the largest |differences|, and the details hold both measures
 * and the largest difference.
 */
export function compareVectors(
  name: string,
  shape: CheckResult['shape'],
  values: ArrayLike<number>,
  reference: ArrayLike<number>,
  criterion: VectorCriterion,
  from = 0,
  to = reference.length,
): CheckResult {
  if (values.length !== reference.length) throw new RangeError(`${name}: ${values.length} values vs ${reference.length} reference values`);
  let finite = true;
  let maxDifference = 0;
  for (let i = from; i < to; i++) {
    if (!Number.isFinite(values[i])) finite = false;
    maxDifference = Math.max(maxDifference, Math.abs(values[i] - reference[i]));
  }
  const difference = (i: number) => {
    const d = Math.abs(values[i] - reference[i]);
    return Number.isNaN(d) ? Infinity : d;
  };
  const worst = largest(criterion.count ?? WORST_COUNT, from, to, difference).map((index) => ({
    index,
    gpu: values[index],
    reference: reference[index],
    error: Math.abs(values[index] - reference[index]),
    bound: NaN,
  }));
  const relativeError = relativeNorm(values, reference, from, to);
  const ufldl = relativeDifference(range(values, from, to), range(reference, from, to));
  const measured = criterion.measure === 'relativeNorm' ? relativeError : ufldl;
  // UFLDL's check passes strictly below its threshold; the policy's bounds are inclusive.
  const within = criterion.measure === 'relativeNorm' ? measured <= criterion.limit : measured < criterion.limit;
  return {
    name,
    shape,
    maxError: finite ? measured : Infinity,
    bound: criterion.limit,
    pass: finite && within,
    worst,
    details: { relativeError, relativeDifference: ufldl, maxDifference, entries: to - from },
  };
}

/**
 * A whole gradient against the reference's under `criterion` (by default the policy's relative
 * 2-norm), the largest entries' errors, and each block (name → [from, to) in θ) compared the
 * same way, its relative error also in the details. `pass` is the whole gradient's; each block
 * carries its own.
 */
export function compareGradient(
  shape: CheckResult['shape'],
  gpu: ArrayLike<number>,
  reference: ArrayLike<number>,
  blocks: ThetaBlocks,
  criterion: VectorCriterion = GRADIENT_CRITERION,
): CheckResult & { blocks: CheckResult[] } {
  if (gpu.length !== reference.length) throw new RangeError(`gradient: ${gpu.length} GPU values vs ${reference.length} reference values`);
  const measureName = criterion.measure === 'relativeNorm' ? 'relative 2-norm error' : 'relative difference';
  const whole = compareVectors(`evaluation gradient (${measureName})`, shape, gpu, reference, criterion);
  const blockResults = Object.entries(blocks).map(([name, [from, to]]) => compareVectors(name, shape, gpu, reference, criterion, from, to));
  const details = { ...whole.details };
  for (const b of blockResults) details[b.name] = b.details!.relativeError;
  return { ...whole, details, blocks: blockResults };
}

/**
 * A whole evaluation's cost against the reference's, its relative error under `limit`
 * (MODEL_TOLERANCE), with each part's relative error in the details.
 */
export function compareCost(
  shape: CheckResult['shape'],
  gpu: { cost: number; parts: object },
  reference: { cost: number; parts: object },
  limit: number = MODEL_TOLERANCE.costRelative,
): CheckResult {
  const error = Math.abs(gpu.cost - reference.cost);
  const costError = error / Math.abs(reference.cost);
  const details: Record<string, number> = {};
  const gpuParts = gpu.parts as Record<string, number>;
  for (const [part, value] of Object.entries(reference.parts as Record<string, number>)) {
    details[`${part}Relative`] = Math.abs(gpuParts[part] - value) / Math.abs(value);
  }
  return {
    name: 'evaluation cost (relative error)',
    shape,
    maxError: Number.isFinite(gpu.cost) ? costError : Infinity,
    bound: limit,
    pass: Number.isFinite(gpu.cost) && costError <= limit,
    worst: [{ index: 0, gpu: gpu.cost, reference: reference.cost, error, bound: limit * Math.abs(reference.cost) }],
    details,
  };
}

/** J and ∇J of one evaluation, GPU against reference: [cost, gradient (with its blocks)]. */
export function compareEvaluation(
  shape: CheckResult['shape'],
  gpu: { cost: number; parts: object; grad: ArrayLike<number> },
  reference: { cost: number; parts: object; grad: ArrayLike<number> },
  blocks: ThetaBlocks,
): CheckResult[] {
  return [compareCost(shape, gpu, reference), compareGradient(shape, gpu.grad, reference.grad, blocks)];
}

const exp2 = (v: number) => (Number.isNaN(v) ? 'NaN' : v.toExponential(2));

/** One line per result (and one per block), for logs and failure messages. */
export function formatCheck(r: CheckResult): string {
  const shape = Object.entries(r.shape)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const worst = r.worst[0];
  const at = worst ? ` worst #${worst.index}: gpu ${worst.gpu} ref ${worst.reference} err ${exp2(worst.error)}${Number.isNaN(worst.bound) ? '' : ` bound ${exp2(worst.bound)}`}` : '';
  const line = `${r.pass ? 'PASS' : 'FAIL'} ${r.name} [${shape}] max error ${exp2(r.maxError)} bound ${exp2(r.bound)}${at}`;
  const blocks = (r.blocks ?? []).map((b) => {
    const w = b.worst[0];
    const bw = w ? `, worst #${w.index}: gpu ${w.gpu} ref ${w.reference} err ${exp2(w.error)}` : '';
    return `\n  ${b.pass ? 'pass' : 'FAIL'} ${b.name}: ${exp2(b.maxError)} (≤ ${exp2(b.bound)}) over ${b.details?.entries ?? 0} entries${bw}`;
  });
  return line + blocks.join('');
}
