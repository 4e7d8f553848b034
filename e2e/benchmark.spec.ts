/** The benchmark page at tiny sizes: the tables fill, the kernel choice shows, the copied JSON parses and holds the fields. */
import { expect, screenshot, test } from './page-helpers';

test('the benchmark page measures this adapter and copies its results as JSON', async ({ page, context, consoleErrors }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/bench.html?sizes=small:256x16x8,large:256x32x12&reps=2&iters=3&tune=1');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'done', { timeout: 300_000 });
  await expect(page.locator('#evaluation-rows tr')).toHaveCount(2);
  await expect(page.locator('#training-rows tr')).toHaveCount(2);
  await expect(page.locator('#bench-kernels')).toContainText(/tuned .* ago|table default/);
  await expect(page.locator('#bench-adapter')).toContainText(/swiftshader/);

  await page.locator('#copy-json').click();
  await expect(page.locator('#copy-status')).toHaveText('copied');
  const json = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
  expect(json.status).toBe('done');
  expect(json.adapter.architecture).toBe('swiftshader');
  expect(json.kernels.source).toBe('tuned');
  expect(json.kernels.raced[0]).toMatchObject({ passed: true });
  expect(json.kernels.raced.filter((r: { skipped?: boolean }) => !r.skipped)).toHaveLength(1); // a 1 ms budget races the first guess only
  expect(json.evaluations.map((r: { size: string }) => r.size)).toEqual(['small', 'large']);
  for (const row of json.evaluations) {
    expect(row.medianMs).toBeGreaterThan(0);
    expect(row.gflops).toBeGreaterThan(0);
    expect(row.samplesMs).toHaveLength(2);
    expect(Number.isFinite(row.cost)).toBe(true);
    // The same data and θ on the float64 reference: the GPU's cost within bench/config.ts's tolerance.
    expect(row.costCheck).toMatchObject({ cost: row.cost, ok: true });
    expect(row.costCheck.relativeError).toBeLessThanOrEqual(row.costCheck.tolerance);
  }
  await expect(page.locator('#evaluation-rows tr').first()).toContainText(/ok \(\d\.\de-\d+\)/);
  for (const row of json.training) {
    expect(row.iterations).toBe(3);
    expect(row.finalCost).toBeLessThan(row.initialCost);
    expect(row.overhead).toBeGreaterThan(0);
    expect(row.warmupSeconds).toBeGreaterThan(0);
  }
  await screenshot(page, 'benchmark');

  // A second visit reads the kernels from IndexedDB instead of racing again.
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-state', 'done', { timeout: 300_000 });
  const again = await page.evaluate(() => (window as unknown as { benchPage: { state: { kernels: { source: string } } } }).benchPage.state.kernels.source);
  expect(again).toBe('cached');
  expect(consoleErrors).toEqual([]);
});
