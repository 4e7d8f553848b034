/**
 * The PCA page: loads 2,000 raw patches (fewer than pca_gen's 10,000, to stay quick), forms Σ on
 * the GPU, and its numbers must be float64's on the same patches (src/data/pca.ts, computed here
 * in Node): k for 99% and 90%, k for a variance set on the slider, and with ε at 0 the whitened
 * covariance's off-diagonal below UFLDL's 1e-4. Slider moves only project: no second
 * eigendecomposition, and a burst of moves is answered by fewer projections, the last one's.
 */
import type { Page } from '@playwright/test';
import { loadRawNaturalImages } from '../src/data/natural-node';
import { sampleRawPatches } from '../src/data/patches';
import { componentsToRetain, covarianceOf, covarianceSummary, pcaBasis, pcaWhiten, PCA_PATCH_SIZE, removeExampleMeans, WHITENED_OFF_DIAGONAL_LIMIT } from '../src/data/pca';
import { canvasPixels, expect, screenshot, test } from './page-helpers';

const PATCHES = 2000;
test.setTimeout(240_000);

type PcaSummary = {
  phase: string;
  settled: boolean;
  device?: string;
  covarianceCheckPass?: boolean;
  k99?: number;
  k90?: number;
  k?: number;
  projectedVariance?: number;
  projectedEpsilon?: number;
  largestOffDiagonal?: number;
  diagonal?: { min: number; max: number };
  decompositions: number;
  projections: number;
  error: string;
};

const pcaPage = (page: Page) => page.evaluate(() => (window as unknown as { pcaPage: PcaSummary }).pcaPage);

/** Waits until the page has drawn the projection of its current settings (or failed). */
async function settled(page: Page): Promise<PcaSummary> {
  await page.waitForFunction(
    () => {
      const s = (window as unknown as { pcaPage?: PcaSummary }).pcaPage;
      return !!s && (s.settled || s.phase === 'error');
    },
    null,
    { timeout: 180_000, polling: 50 },
  );
  const s = await pcaPage(page);
  expect(s.error).toBe('');
  return s;
}

/** The same patches as the page's, in float64 (the `npm run pca -- --device cpu` path). */
async function float64Basis(patches: number, seed: number) {
  const data = sampleRawPatches(await loadRawNaturalImages(), { patchSize: PCA_PATCH_SIZE, count: patches, seed });
  removeExampleMeans(data);
  return { data, basis: pcaBasis(covarianceOf(data), data.visibleSize) };
}

test('PCA page: k and the whitened covariance are float64\'s, sliders only project', async ({ page, consoleErrors }) => {
  void consoleErrors;
  // A variance the page cannot use: marked, the default (99%) in its place.
  await page.goto(`/pca.html?patches=${PATCHES}&variance=1.5`);
  await expect(page.locator('#variance')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#link-error')).toContainText('variance=1.5');
  const first = await settled(page);
  const { data, basis } = await float64Basis(PATCHES, 1);
  const eigenvalues = basis.eigenvalues;
  expect(first).toMatchObject({
    device: 'gpu',
    covarianceCheckPass: true,
    k99: componentsToRetain(eigenvalues, 0.99),
    k90: componentsToRetain(eigenvalues, 0.9),
    projectedVariance: 0.99,
    k: componentsToRetain(eigenvalues, 0.99),
    projectedEpsilon: 0.1,
    decompositions: 1,
  });
  await expect(page.locator('#patches-summary')).toContainText(`k = ${first.k99} components retain 99%`);
  for (const id of ['#cloud-data', '#patches-raw', '#covariance-raw', '#patches-reduced', '#patches-pca-white', '#patches-zca-white']) {
    expect((await canvasPixels(page, id)).std, id).toBeGreaterThan(10);
  }
  // With ε = 0.1 the whitened variances are λ/(λ + ε) < 1.
  expect(first.diagonal!.max).toBeLessThan(1);

  // The variance slider: k for 95% is float64's.
  const reducedBefore = await canvasPixels(page, '#patches-reduced');
  await page.locator('#variance').fill('95');
  let s = await settled(page);
  expect(s).toMatchObject({ projectedVariance: 0.95, k: componentsToRetain(eigenvalues, 0.95), decompositions: 1 });
  await expect(page.locator('#k-summary')).toContainText(`k = ${s.k} of 144 components`);
  expect((await canvasPixels(page, '#patches-reduced')).fingerprint).not.toEqual(reducedBefore.fingerprint);
  expect(new URL(page.url()).searchParams.get('variance')).toBe('0.95');

  // A burst of moves, as a drag makes: the last one is drawn, by fewer projections than moves.
  const before = s.projections;
  await page.evaluate(() => {
    const slider = document.getElementById('variance') as HTMLInputElement;
    for (let v = 60; v <= 90; v++) {
      slider.value = String(v);
      slider.dispatchEvent(new Event('input', { bubbles: true }));
    }
  });
  s = await settled(page);
  expect(s).toMatchObject({ projectedVariance: 0.9, k: first.k90, decompositions: 1 });
  expect(s.projections - before).toBeLessThan(31);

  // The ε slider at its leftmost: no ε, UFLDL's check of whitening.
  const whiteBefore = await canvasPixels(page, '#patches-pca-white');
  await page.locator('#epsilon').fill('-8');
  s = await settled(page);
  expect(s).toMatchObject({ projectedEpsilon: 0, decompositions: 1 });
  expect(s.largestOffDiagonal!).toBeLessThan(WHITENED_OFF_DIAGONAL_LIMIT);
  expect(s.diagonal!.max).toBeCloseTo(1, 4);
  expect(covarianceSummary(covarianceOf(pcaWhiten(data, basis, 0)), data.visibleSize).largestOffDiagonal).toBeLessThan(WHITENED_OFF_DIAGONAL_LIMIT);
  await expect(page.locator('#white-summary')).toContainText('passes');
  expect((await canvasPixels(page, '#patches-pca-white')).fingerprint).not.toEqual(whiteBefore.fingerprint);
  expect(new URL(page.url()).searchParams.get('epsilon')).toBe('0');
  // Without ε the whitened covariance is the identity: a white diagonal on mid-gray.
  expect((await canvasPixels(page, '#covariance-white')).std).toBeGreaterThan(10);
  await screenshot(page, 'pca');
});

test('PCA page without WebGPU: Σ in float64, the same k', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  await page.goto('/pca.html?patches=500&seed=3');
  const s = await settled(page);
  const { basis } = await float64Basis(500, 3);
  expect(s).toMatchObject({ device: 'cpu', k99: componentsToRetain(basis.eigenvalues, 0.99), k90: componentsToRetain(basis.eigenvalues, 0.9) });
  await expect(page.locator('#no-webgpu')).toBeVisible();
  await expect(page.locator('#device-badge')).toHaveText('Σ in float64 (no WebGPU)');
});
