import { expect, test, type Page } from '@playwright/test';
import type { GpuChecksState } from './pages/gpu-checks';

/**
 * The GPU checks of src/gpu/checks.ts inside a page on Chromium's own WebGPU (SwiftShader in
 * headless mode): every kernel against its float64 CPU twin on awkward shapes, with the adapter's
 * chosen matmul variant and with each variant forced, and the whole cost + gradient against the
 * reference (cost relative error ≤ 1e-5, gradient relative norm ≤ 1e-4). A missing adapter fails.
 */

const SUITES = [
  'matmul-adapter',
  'matmul-registers',
  'matmul-subgroups',
  'matmul-workgroup',
  'matmul-unrolled',
  'reductions',
  'evaluation-adapter',
  'evaluation-registers',
  'evaluation-subgroups',
  'evaluation-workgroup',
  'evaluation-unrolled',
];

async function runSuite(page: Page, suite: string): Promise<GpuChecksState> {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.goto(`/e2e/pages/gpu-checks.html?suite=${suite}`);
  const handle = await page.waitForFunction(() => window.gpuChecks?.done && window.gpuChecks, null, { timeout: 300_000, polling: 250 });
  const state = (await handle.jsonValue()) as GpuChecksState;
  expect(problems, problems.join('\n')).toEqual([]);
  return state;
}

test.describe('GPU checks in Chromium (navigator.gpu)', () => {
  for (const suite of SUITES) {
    test(suite, async ({ page }) => {
      const state = await runSuite(page, suite);
      expect(state.adapter, 'no WebGPU adapter in Chromium: is --enable-unsafe-webgpu set?').not.toBeNull();
      expect(state.error, state.error).toBeUndefined();
      if (state.refused !== undefined) {
        // A variant this adapter does not offer (the subgroup one needs a fixed subgroup size):
        // forcing it was refused, by what the adapter offers.
        expect(state.variants).not.toContain(suite.split('-')[1]);
        expect(state.refused).toMatch(/subgroup/);
        return;
      }
      expect(state.results.length, 'no checks ran').toBeGreaterThan(0);
      // A forced suite must really have run that variant (the adapter's otherwise).
      const variant = suite.includes('-') && !suite.endsWith('-adapter') ? suite.split('-')[1] : state.config?.matmul;
      for (const { label, result, text } of state.results) {
        expect.soft(result.pass, `${label}: ${text}`).toBe(true);
        if ('variant' in result.shape) expect.soft(result.shape.variant, `${label}: variant`).toBe(variant);
      }
      const passed = state.results.filter((r) => r.result.pass).length;
      console.log(`${suite}: ${passed}/${state.results.length} checks pass on ${state.adapter?.vendor}/${state.adapter?.architecture} (adapter's matmul: ${state.config?.matmul}) in ${((state.ms ?? 0) / 1000).toFixed(1)} s`);
    });
  }
});
