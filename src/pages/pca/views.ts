/**
 * The PCA page's drawing: render(state) brings the DOM up to date with a state from ./state.ts,
 * touching only what changed since the last call (a slider move redraws the projected pictures
 * and their lines, nothing else), and the words for the state's facts, as pure functions
 * (test/pages/pca-views.test.ts).
 */
import { WHITENED_OFF_DIAGONAL_LIMIT } from '../../data/pca';
import { drawNetwork } from '../../display/canvas';
import type { NetworkImage } from '../../display/network';
import { formatNumber } from '../common/charts';
import { integerScale } from '../common/draw';
import { currentLoad, settingFields, type LinkProblem, type PcaState, type Status } from './state';
import type { Loaded, Projected } from './worker';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export class PcaViews {
  private readonly el = {
    status: $('pca-status'),
    error: $('error'),
    deviceBadge: $('device-badge'),
    cloudSummary: $('cloud-summary'),
    patchesSummary: $('patches-summary'),
    kSummary: $('k-summary'),
    whiteSummary: $('white-summary'),
    varianceValue: $('variance-value'),
    epsilonValue: $('epsilon-value'),
    reducedCaption: $('reduced-caption'),
  };
  private last: PcaState | undefined;

  render(state: PcaState): void {
    const last = this.last;
    this.last = state;
    const el = this.el;
    if (state.phase !== last?.phase) document.body.dataset.state = state.phase;
    if (state.status !== last?.status) {
      const badge = statusBadge(state.status);
      el.status.className = `badge ${badge.kind}`;
      el.status.textContent = badge.text;
    }
    if (state.error !== (last?.error ?? '')) {
      el.error.textContent = state.error;
      el.error.hidden = !state.error;
    }
    if (state.settings.variance !== last?.settings.variance) el.varianceValue.textContent = formatPercent(state.settings.variance);
    if (state.settings.epsilon !== last?.settings.epsilon) el.epsilonValue.textContent = formatEpsilon(state.settings.epsilon);
    if (state.loaded && state.loaded !== last?.loaded) this.showLoaded(state.loaded);
    if (state.projected && state.projected !== last?.projected) this.showProjected(state.projected, currentLoad(state) ?? state.loaded);
  }

  private showLoaded(loaded: Loaded): void {
    const { cloud, rawPatches, rawCovariance } = loaded.pictures;
    for (const [name, picture] of Object.entries(cloud)) draw(`cloud-${name}`, picture, 1);
    draw('patches-raw', rawPatches, integerScale(rawPatches.width, 400, 4));
    draw('covariance-raw', rawCovariance, integerScale(rawCovariance.width, 300, 4));
    this.el.cloudSummary.textContent = describeCloud(loaded.cloud);
    this.el.patchesSummary.textContent = describePatches(loaded);
    const badge = deviceBadge(loaded);
    this.el.deviceBadge.className = `badge ${badge.kind}`;
    this.el.deviceBadge.textContent = badge.text;
  }

  private showProjected(projected: Projected, loaded: Loaded | undefined): void {
    const { reduced, pcaWhite, zcaWhite, whiteCovariance } = projected.pictures;
    const scale = integerScale(reduced.width, 400, 4);
    draw('patches-reduced', reduced, scale);
    draw('patches-pca-white', pcaWhite, scale);
    draw('patches-zca-white', zcaWhite, scale);
    draw('covariance-white', whiteCovariance, integerScale(whiteCovariance.width, 300, 4));
    const size = loaded?.eigenvalues.length ?? 0;
    this.el.kSummary.textContent = describeK(projected, size);
    this.el.reducedCaption.textContent = `x̂ = U_k·U_kᵀ·x with k = ${projected.k}: the patches reduced to ${projected.k} components and recovered`;
    this.el.whiteSummary.textContent = describeWhitened(projected, loaded?.nullDirections ?? 0);
  }
}

function draw(id: string, picture: NetworkImage, scale: number): void {
  drawNetwork($<HTMLCanvasElement>(id), picture, { scale });
}

export function formatPercent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)}%`;
}

/** ε as the slider's label shows it: 0 is whitening without ε. */
export function formatEpsilon(epsilon: number): string {
  if (epsilon === 0) return '0 (none)';
  return epsilon >= 1e-3 ? String(Number(epsilon.toPrecision(2))) : epsilon.toExponential(1);
}

/** The badge for a status: its look (running, pass, fail) and its words. */
export function statusBadge(status: Status): { kind: 'running' | 'pass' | 'fail'; text: string } {
  switch (status.kind) {
    case 'loading':
      return { kind: 'running', text: 'loading…' };
    case 'worker':
      return { kind: 'running', text: status.text };
    case 'loaded':
      return { kind: 'pass', text: `${status.patches.toLocaleString('en')} patches · ${status.device === 'gpu' ? 'WebGPU' : 'float64'} · ${status.seconds.toFixed(1)} s` };
    case 'failed':
      return { kind: 'fail', text: 'failed' };
  }
}

/** Where Σ was formed, and whether the GPU's agreed with float64's. */
export function deviceBadge(loaded: Loaded): { kind: 'pass' | 'fail' | 'skip'; text: string } {
  if (loaded.device.kind === 'cpu') return { kind: 'skip', text: 'Σ in float64 (no WebGPU)' };
  return loaded.covarianceCheck?.pass ? { kind: 'pass', text: 'Σ on the GPU · matches float64' } : { kind: 'fail', text: 'Σ on the GPU · differs from float64' };
}

export function describeCloud(cloud: Loaded['cloud']): string {
  const [l1, l2] = cloud.eigenvalues;
  return (
    `${cloud.points} points; Σ's eigenvalues λ₁ = ${formatNumber(l1)} and λ₂ = ${formatNumber(l2)}: the first component holds ` +
    `${formatPercent(cloud.varianceRetainedBy1)} of the variance, which is what reducing to 1-D keeps. Whitened with ε = ${formatEpsilon(cloud.epsilon)}.`
  );
}

export function describePatches(loaded: Loaded): string {
  const { request, device, covarianceCheck: check, k99, k90, nullDirections } = loaded;
  const where =
    device.kind === 'gpu'
      ? `Σ formed on the GPU (${device.label})${check ? `, within float32's bound of the float64 Σ (largest error ${formatNumber(check.maxError)}, bound ${formatNumber(check.bound)})` : ''}`
      : 'Σ formed in float64 on the CPU';
  return (
    `${request.patches.toLocaleString('en')} patches of 12×12 (seed ${request.seed}). k = ${k99} components retain 99% of the variance and k = ${k90} retain 90%. ` +
    `${where}; eigendecomposition in float64. ${nullDirections} null direction${nullDirections === 1 ? '' : 's'} (eigenvalue ≤ ${formatNumber(loaded.nullLimit)}: the removed patch mean's${nullDirections > 1 ? ' and those within the covariance\'s error' : ''}).`
  );
}

export function describeK(projected: Projected, size: number): string {
  return `k = ${projected.k} of ${size} components retain ${(100 * projected.retained).toFixed(2)}% of the variance (asked: at least ${formatPercent(projected.request.variance)}).`;
}

export function describeWhitened({ request, whitened }: Projected, nullDirections: number): string {
  const { largestOffDiagonal, diagonal } = whitened;
  const base = `Covariance of all the PCA-whitened patches: largest off-diagonal ${formatNumber(largestOffDiagonal)}, diagonal ${formatNumber(diagonal.min)} … ${formatNumber(diagonal.max)}`;
  if (request.epsilon === 0) {
    const pass = largestOffDiagonal < WHITENED_OFF_DIAGONAL_LIMIT;
    return (
      `${base} (the identity but for ${nullDirections} null direction${nullDirections === 1 ? '' : 's'} left at 0). UFLDL's check, off-diagonal below ${formatNumber(WHITENED_OFF_DIAGONAL_LIMIT)}: ` +
      `${pass ? 'passes' : 'fails'}.`
    );
  }
  return `${base}: λ/(λ + ε) on the diagonal, so ε damps the faint directions (the noise) instead of blowing them up.`;
}

export function linkProblemsText(problems: readonly LinkProblem[]): string {
  const parts = problems.map(({ field, value }) => {
    const { query, min, max } = settingFields[field];
    return `${query}=${value} (must be ${field === 'epsilon' ? `0 or from 1e-8 to ${max}` : `from ${min} to ${max}`})`;
  });
  return `The link's ${parts.join(', ')} could not be used; the default is in its place.`;
}
