/**
 * The float64 twins of the sparse autoencoders of current practice: TopK (Gao et al. 2024, with
 * AuxK), BatchTopK (Bussmann et al. 2024, with its inference threshold, and AuxK as theirs has
 * it), ReLU-L1 with the decoder norms in the penalty (Anthropic, April 2024), and the decoder renormalisation step. One function
 * per GPU kernel (shaders/topk.wgsl, batch_topk.wgsl, sparse_decode.wgsl, decoder_norms.wgsl,
 * l1_penalty.wgsl), then the losses with their gradients built from them.
 *
 * Shapes. x is B × d (examples in rows), d inputs, h latents. θ has the model layer's packing
 * (thetaLayout of src/reference/params.ts, visibleSize d, hiddenSize h): [W_enc (d × h row-major,
 * inputs × outputs as the GPU's dense layers store it); W_dec (h × d); b_enc (h); b_dec (d)].
 * The decoder direction of latent i, the papers' column W_dec,i, is row i of the stored h × d
 * block: every "column norm" below is a norm of a stored row.
 *
 * Normalisation. L_rec = (1/B) Σ_b ‖x_b − x̂_b‖²: the batch mean of the per-example squared error,
 * summed over the d features (no ½). openai/sparse_autoencoder trains on the normalised MSE,
 * this divided by the batch's mean squared deviation from its mean; that divisor depends on the
 * data only, not on θ, so it is a per-batch constant a caller multiplies in (normalizedMseScale)
 * and keeps out of the kernels, where it would only add a reduction. EleutherAI's FVU is the same.
 *
 * Selection and ties. TopK keeps, per row, the k largest pre-activations, then applies ReLU (a
 * selected negative becomes 0). Among equal values the lower column index wins (BatchTopK: the
 * lower flat index b·h + i), so the set is always exactly k (k·B) entries. The backward pass
 * passes δ to the selected latents whose value is > 0 only: at z = 0 ReLU's derivative is taken as
 * 0, the same mask (z > 0) the GPU's ReLU hidden delta applies.
 */
import { thetaLayout, type ThetaLayout } from './params';

export interface SaeShape {
  /** d: values per example. */
  inputs: number;
  /** h: dictionary size. */
  latents: number;
}

export function saeLayout({ inputs, latents }: SaeShape): ThetaLayout {
  return thetaLayout({ visibleSize: inputs, hiddenSize: latents });
}

// ---------------------------------------------------------------------------------------------
// Selection: twins of shaders/topk.wgsl and shaders/batch_topk.wgsl.

/** Indices of `values[from … from + count)` in selection order: larger first, lower index first among equals. */
function rankOrder(values: ArrayLike<number>, from: number, count: number, eligible?: (i: number) => boolean): number[] {
  const order: number[] = [];
  for (let i = 0; i < count; i++) if (!eligible || eligible(i)) order.push(i);
  order.sort((a, b) => values[from + b] - values[from + a] || a - b);
  return order;
}

export interface Selection {
  /** ReLU of the selected entries, 0 elsewhere (rows × cols). */
  z: Float64Array;
  /** 1 where selected (before the ReLU), 0 elsewhere. */
  selected: Uint8Array;
}

/**
 * Row-wise TopK: in each row of the rows × cols matrix `pre`, the k largest entries (the lower
 * column wins a tie) keep max(v, 0); every other entry becomes 0. `eligible` restricts the
 * candidates (AuxK's dead latents); a row with fewer eligible entries than k selects all of them.
 */
export function rowTopK(pre: ArrayLike<number>, rows: number, cols: number, k: number, eligible?: (col: number) => boolean): Selection {
  if (!(Number.isInteger(k) && k >= 1 && k <= cols)) throw new RangeError(`top-k: k = ${k} must be in [1, ${cols}]`);
  const z = new Float64Array(rows * cols);
  const selected = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const order = rankOrder(pre, r * cols, cols, eligible);
    for (const c of order.slice(0, k)) {
      selected[r * cols + c] = 1;
      z[r * cols + c] = Math.max(pre[r * cols + c], 0);
    }
  }
  return { z, selected };
}

/**
 * The sparse form of a row-wise selection: per row, the k selected columns in increasing order
 * and their values (after the ReLU): rows × k each. The layout shaders/topk.wgsl writes; a row
 * with fewer selected (a restricted selection with fewer candidates than k) ends in (0, 0) pairs.
 */
export function sparseRows(sel: Selection, rows: number, cols: number, k: number): { indices: Uint32Array; values: Float64Array } {
  const indices = new Uint32Array(rows * k);
  const values = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    let j = 0;
    for (let c = 0; c < cols; c++) {
      if (!sel.selected[r * cols + c]) continue;
      indices[r * k + j] = c;
      values[r * k + j] = sel.z[r * cols + c];
      j++;
    }
    if (j > k) throw new RangeError(`row ${r} has ${j} selected entries, more than ${k}`);
  }
  return { indices, values };
}

export interface BatchSelection extends Selection {
  /** The value of the last entry selected (the k·B-th largest): the selection's threshold. */
  threshold: number;
  /** The smallest selected value that is > 0 (null when none is): the inference statistic's sample. */
  minPositive: number | null;
}

/**
 * BatchTopK: the k·B largest entries of the whole B × cols matrix (the lower flat index r·cols + c
 * wins a tie) keep max(v, 0); the rest become 0. Each example keeps k latents on average.
 */
export function batchTopK(pre: ArrayLike<number>, rows: number, cols: number, k: number): BatchSelection {
  const total = rows * k;
  if (!(Number.isInteger(k) && k >= 1 && k <= cols)) throw new RangeError(`batch top-k: k = ${k} must be in [1, ${cols}]`);
  const order = rankOrder(pre, 0, rows * cols).slice(0, total);
  const z = new Float64Array(rows * cols);
  const selected = new Uint8Array(rows * cols);
  let minPositive: number | null = null;
  for (const i of order) {
    selected[i] = 1;
    z[i] = Math.max(pre[i], 0);
    if (pre[i] > 0 && (minPositive === null || pre[i] < minPositive)) minPositive = pre[i];
  }
  return { z, selected, threshold: pre[order[total - 1]], minPositive };
}

/** SAELens's default rate for the running threshold of a BatchTopK model (topk_threshold_lr). */
export const THRESHOLD_RATE = 0.01;

/**
 * The inference threshold's running estimate (SAELens exports a trained BatchTopK SAE as a
 * JumpReLU with it): θ ← (1 − α)·θ + α·(smallest positive selected activation of the batch);
 * unchanged by a batch with no positive selected activation.
 */
export function updateThreshold(threshold: number, minPositive: number | null, rate = THRESHOLD_RATE): number {
  return minPositive === null ? threshold : (1 - rate) * threshold + rate * minPositive;
}

/** Inference with the threshold: z = pre where pre > θ, 0 elsewhere (JumpReLU). */
export function jumpRelu(pre: ArrayLike<number>, threshold: number): Float64Array {
  return Float64Array.from(pre, (v) => (v > threshold ? v : 0));
}

/** The backward pass of a selection (and its ReLU): δ where z > 0, 0 elsewhere. */
export function topKBackward(delta: ArrayLike<number>, z: ArrayLike<number>): Float64Array {
  return Float64Array.from(delta, (d, i) => (z[i] > 0 ? d : 0));
}

/**
 * The decoder on the sparse form (shaders/sparse_decode.wgsl): x̂_r = b + Σ_j values[r, j]·W_dec[indices[r, j], :],
 * a sum of k rows of the h × d decoder instead of an h-long product.
 */
export function sparseDecode(
  indices: ArrayLike<number>,
  values: ArrayLike<number>,
  rows: number,
  k: number,
  wDec: ArrayLike<number>,
  d: number,
  bias?: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < d; c++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += values[r * k + j] * wDec[indices[r * k + j] * d + c];
      out[r * d + c] = s + (bias ? bias[c] : 0);
    }
  }
  return out;
}

/** x − b row by row (shaders/center_rows.wgsl): the input a TopK SAE encodes. */
export function centerRows(x: ArrayLike<number>, b: ArrayLike<number>, rows: number, d: number): Float64Array {
  return Float64Array.from({ length: rows * d }, (_, j) => x[j] - b[j % d]);
}

/**
 * AuxK's output delta (shaders/auxk_delta.wgsl) at the model layer's half scale: with δ_out = x̂ − x,
 * ê − e = ê + δ_out; δ_aux = α·(ê + δ_out), and the column sums of (ê + δ_out)².
 */
export function auxKDelta(eHat: ArrayLike<number>, deltaOut: ArrayLike<number>, rows: number, d: number, coefficient: number): { delta: Float64Array; squaredError: Float64Array } {
  const delta = new Float64Array(rows * d);
  const squaredError = new Float64Array(d);
  for (let j = 0; j < rows * d; j++) {
    const e = eHat[j] + deltaOut[j];
    delta[j] = coefficient * e;
    squaredError[j % d] += e * e;
  }
  return { delta, squaredError };
}

// ---------------------------------------------------------------------------------------------
// The decoder's norms: twins of shaders/decoder_norms.wgsl.

/** ‖W_dec,i‖ for every latent i (row i of the stored h × d block). */
export function decoderNorms(wDec: ArrayLike<number>, h: number, d: number): Float64Array {
  const norms = new Float64Array(h);
  for (let i = 0; i < h; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += wDec[i * d + c] ** 2;
    norms[i] = Math.sqrt(s);
  }
  return norms;
}

/**
 * g_i ← g_i − (g_i·w_i / ‖w_i‖²)·w_i for each decoder direction: the part of the gradient that
 * would only change the norm, which the rescale after the step undoes anyway, is removed first
 * (openai/sparse_autoencoder's unit_norm_decoder_grad_adjustment_). A zero direction keeps g.
 */
export function removeParallelGradient(wDec: ArrayLike<number>, grad: ArrayLike<number>, h: number, d: number): Float64Array {
  const out = Float64Array.from(grad);
  for (let i = 0; i < h; i++) {
    let dot = 0;
    let sq = 0;
    for (let c = 0; c < d; c++) {
      dot += grad[i * d + c] * wDec[i * d + c];
      sq += wDec[i * d + c] ** 2;
    }
    if (sq === 0) continue;
    const f = dot / sq;
    for (let c = 0; c < d; c++) out[i * d + c] -= f * wDec[i * d + c];
  }
  return out;
}

/** w_i ← w_i/‖w_i‖ after the optimizer's step; a zero direction stays zero. */
export function renormalizeDecoder(wDec: ArrayLike<number>, h: number, d: number): Float64Array {
  const norms = decoderNorms(wDec, h, d);
  return Float64Array.from(wDec, (w, j) => {
    const n = norms[Math.floor(j / d)];
    return n > 0 ? w / n : 0;
  });
}

// ---------------------------------------------------------------------------------------------
// The L1 penalty with decoder norms: twins of shaders/l1_penalty.wgsl.

/** s_b = Σ_i z_bi·‖W_dec,i‖ for each example (the penalty is λ·mean_b s_b). */
export function l1PenaltyPerExample(z: ArrayLike<number>, norms: ArrayLike<number>, rows: number, h: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < h; i++) s += z[r * h + i] * norms[i];
    out[r] = s;
  }
  return out;
}

/**
 * δ_pre of the ReLU-L1 encoder from backprop = ∂L_rec/∂z (per example, unscaled by 1/B as the
 * GPU's deltas are): (backprop + λ·‖W_dec,i‖)·1[z > 0].
 */
export function l1Delta(backprop: ArrayLike<number>, z: ArrayLike<number>, norms: ArrayLike<number>, h: number, lambda: number): Float64Array {
  return Float64Array.from(backprop, (g, j) => (z[j] > 0 ? g + lambda * norms[j % h] : 0));
}

/**
 * The penalty's part of ∇W_dec: ∂/∂W_dec,i of λ·(1/B)Σ_b z_bi‖W_dec,i‖ = λ·(Σ_b z_bi / B)·W_dec,i/‖W_dec,i‖,
 * added to `grad` (h × d): `zSums` are the column sums of z, `scale` is 1/B.
 */
export function l1DecoderGradient(grad: ArrayLike<number>, wDec: ArrayLike<number>, zSums: ArrayLike<number>, norms: ArrayLike<number>, h: number, d: number, lambda: number, scale: number): Float64Array {
  return Float64Array.from(grad, (g, j) => {
    const i = Math.floor(j / d);
    return norms[i] > 0 ? g + (lambda * scale * zSums[i] * wDec[j]) / norms[i] : g;
  });
}

// ---------------------------------------------------------------------------------------------
// The losses and their gradients.

/** 1 / (mean squared deviation of x from its batch mean, per value): turns L_rec/d into openai's normalised MSE. */
export function normalizedMseScale(x: ArrayLike<number>, rows: number, d: number): number {
  const mean = new Float64Array(d);
  for (let r = 0; r < rows; r++) for (let c = 0; c < d; c++) mean[c] += x[r * d + c] / rows;
  let s = 0;
  for (let r = 0; r < rows; r++) for (let c = 0; c < d; c++) s += (x[r * d + c] - mean[c]) ** 2;
  return (rows * d) / s;
}

/** Gao et al.'s weight of the auxiliary loss. */
export const AUXK_COEFFICIENT = 1 / 32;

export type SaeActivation =
  | { kind: 'topk'; k: number }
  | { kind: 'batchtopk'; k: number }
  | { kind: 'relu' };

export interface SaeOptions {
  activation: SaeActivation;
  /** Subtract b_dec from x before the encoder (TopK, BatchTopK as openai's pre_bias); ReLU-L1 does not. */
  subtractDecoderBias: boolean;
  /** λ of the penalty λ·(1/B)Σ_b Σ_i z_bi‖W_dec,i‖ (0: none). */
  l1?: number;
  /**
   * AuxK (TopK and BatchTopK): the top kAux pre-activations among the dead latents (dead[i] true)
   * of each row, after ReLU (row-wise for BatchTopK too, as Bussmann et al.'s code selects them), reconstruct the residual e = x − x̂ through the decoder without its bias:
   * L_aux = (1/B)Σ_b ‖e_b − W_decᵀz_aux,b‖², weighted by `coefficient` (1/32). e is a constant
   * (no gradient flows through it into the main path: openai detaches x̂ and b_pre there);
   * gradients do flow through z_aux into W_enc, b_enc, b_dec (via x − b_dec) and into W_dec.
   * `residual` fixes e (B × d), as a central-difference check must; default: x − x̂ of this θ.
   */
  auxK?: { kAux: number; dead: ArrayLike<boolean>; coefficient?: number; residual?: ArrayLike<number> };
}

export interface SaeEvaluation {
  cost: number;
  parts: { reconstruction: number; l1: number; auxK: number };
  grad: Float64Array;
  /** Latents after the activation (B × h), the reconstruction (B × d), the pre-activations. */
  z: Float64Array;
  reconstruction: Float64Array;
  pre: Float64Array;
  /** BatchTopK only: the batch's selection statistics. */
  batch?: { threshold: number; minPositive: number | null };
  /** AuxK: the residual it reconstructed. */
  residual?: Float64Array;
}

/** Loss and gradient of one batch (see SaeOptions and the header for the formulation). */
export function saeCost(theta: ArrayLike<number>, x: ArrayLike<number>, rows: number, shape: SaeShape, options: SaeOptions): SaeEvaluation {
  const { inputs: d, latents: h } = shape;
  const L = saeLayout(shape);
  if (theta.length !== L.length) throw new RangeError(`θ has ${theta.length} values; a ${d}-${h} SAE needs ${L.length}`);
  if (x.length !== rows * d) throw new RangeError(`x holds ${x.length} values, expected ${rows} × ${d}`);
  const wEnc = (c: number, i: number) => theta[L.W1 + c * h + i];
  const wDec = (i: number, c: number) => theta[L.W2 + i * d + c];
  const bEnc = (i: number) => theta[L.b1 + i];
  const bDec = (c: number) => theta[L.b2 + c];
  const scale = 1 / rows;

  // Forward.
  const xIn = Float64Array.from(x, (v, j) => (options.subtractDecoderBias ? v - bDec(j % d) : v));
  const pre = new Float64Array(rows * h);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < h; i++) {
      let s = bEnc(i);
      for (let c = 0; c < d; c++) s += xIn[r * d + c] * wEnc(c, i);
      pre[r * h + i] = s;
    }
  }
  const act = options.activation;
  let z: Float64Array;
  let batch: SaeEvaluation['batch'];
  if (act.kind === 'topk') z = rowTopK(pre, rows, h, act.k).z;
  else if (act.kind === 'batchtopk') {
    const sel = batchTopK(pre, rows, h, act.k);
    z = sel.z;
    batch = { threshold: sel.threshold, minPositive: sel.minPositive };
  } else z = Float64Array.from(pre, (v) => Math.max(v, 0));
  const decode = (latents: Float64Array, withBias: boolean) => {
    const out = new Float64Array(rows * d);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < d; c++) {
        let s = withBias ? bDec(c) : 0;
        for (let i = 0; i < h; i++) s += latents[r * h + i] * wDec(i, c);
        out[r * d + c] = s;
      }
    }
    return out;
  };
  const xHat = decode(z, true);
  let reconstruction = 0;
  for (let j = 0; j < rows * d; j++) reconstruction += (xHat[j] - x[j]) ** 2;
  reconstruction *= scale;

  // Backward: dx̂ = ∂L/∂x̂, dz, then dpre through the activation's mask.
  const grad = new Float64Array(L.length);
  const dXHat = Float64Array.from(xHat, (v, j) => 2 * scale * (v - x[j]));
  const dz = new Float64Array(rows * h);
  const addDecoderBackward = (latents: Float64Array, dOut: Float64Array, intoDz: Float64Array) => {
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < h; i++) {
        const zi = latents[r * h + i];
        let s = 0;
        for (let c = 0; c < d; c++) {
          s += dOut[r * d + c] * wDec(i, c);
          grad[L.W2 + i * d + c] += zi * dOut[r * d + c];
        }
        intoDz[r * h + i] += s;
      }
    }
  };
  addDecoderBackward(z, dXHat, dz);
  for (let r = 0; r < rows; r++) for (let c = 0; c < d; c++) grad[L.b2 + c] += dXHat[r * d + c];

  let l1 = 0;
  const lambda = options.l1 ?? 0;
  if (lambda !== 0) {
    const norms = decoderNorms(Float64Array.from({ length: h * d }, (_, j) => theta[L.W2 + j]), h, d);
    l1 = lambda * scale * l1PenaltyPerExample(z, norms, rows, h).reduce((a, b) => a + b, 0);
    const zSums = new Float64Array(h);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < h; i++) {
        zSums[i] += z[r * h + i];
        dz[r * h + i] += lambda * scale * norms[i];
      }
    }
    for (let i = 0; i < h; i++) {
      if (norms[i] === 0) continue;
      for (let c = 0; c < d; c++) grad[L.W2 + i * d + c] += (lambda * scale * zSums[i] * wDec(i, c)) / norms[i];
    }
  }
  const dPre = topKBackward(dz, z);

  let auxK = 0;
  let residual: Float64Array | undefined;
  if (options.auxK) {
    if (act.kind === 'relu') throw new RangeError('AuxK is defined for the TopK and BatchTopK activations');
    const { kAux, dead } = options.auxK;
    const coefficient = options.auxK.coefficient ?? AUXK_COEFFICIENT;
    const deadCount = Array.from({ length: h }, (_, i) => dead[i]).filter(Boolean).length;
    residual = options.auxK.residual ? Float64Array.from(options.auxK.residual) : Float64Array.from(x, (v, j) => v - xHat[j]);
    if (deadCount > 0) {
      const zAux = rowTopK(pre, rows, h, Math.min(kAux, deadCount), (i) => Boolean(dead[i])).z;
      const eHat = decode(zAux, false);
      for (let j = 0; j < rows * d; j++) auxK += (eHat[j] - residual[j]) ** 2;
      auxK *= coefficient * scale;
      const dEHat = Float64Array.from(eHat, (v, j) => 2 * coefficient * scale * (v - residual![j]));
      const dzAux = new Float64Array(rows * h);
      addDecoderBackward(zAux, dEHat, dzAux);
      const dPreAux = topKBackward(dzAux, zAux);
      for (let j = 0; j < rows * h; j++) dPre[j] += dPreAux[j];
    }
  }

  // The encoder: ∇W_enc = xInᵀ·dpre, ∇b_enc = Σ_b dpre; with x − b_dec, ∇b_dec −= Σ_b dpre·W_encᵀ.
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < h; i++) {
      const g = dPre[r * h + i];
      if (g === 0) continue;
      grad[L.b1 + i] += g;
      for (let c = 0; c < d; c++) {
        grad[L.W1 + c * h + i] += xIn[r * d + c] * g;
        if (options.subtractDecoderBias) grad[L.b2 + c] -= g * wEnc(c, i);
      }
    }
  }
  return {
    cost: reconstruction + l1 + auxK,
    parts: { reconstruction, l1, auxK },
    grad,
    z,
    reconstruction: xHat,
    pre,
    ...(batch ? { batch } : {}),
    ...(residual ? { residual } : {}),
  };
}
