// Not committed: the benchmark page once at its default (full) sizes, for the report.
import { writeFileSync } from 'node:fs';
import { expect, test } from './page-helpers';

test('benchmark page at full sizes', async ({ page }) => {
  test.setTimeout(1_200_000);
  await page.goto('/bench.html');
  await expect(page.locator('body')).toHaveAttribute('data-state', /done|failed/, { timeout: 1_150_000 });
  const json = await page.evaluate(() => (window as unknown as { benchPage: { json: string } }).benchPage.json);
  writeFileSync('/tmp/tw-bench-full.json', json);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: '/tmp/tw-bench-full.png', fullPage: true });
});
