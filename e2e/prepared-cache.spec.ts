/**
 * The photos are decoded and whitened once per browser: the
 * prepared images are kept in IndexedDB, the next visit reads them from there, and an entry that
 * is damaged is prepared again rather than trusted.
 */
import type { Page } from '@playwright/test';
import { canvasPixels, expect, test } from './page-helpers';

const ENTRY = 'natural-gray';

async function ready(page: Page) {
  await page.waitForFunction(() => (window as unknown as { patchesPage?: { state: string } }).patchesPage?.state === 'ready', null, { timeout: 180_000 });
  return page.evaluate(() => (window as unknown as { patchesPage: { imagesFrom: string; images: number } }).patchesPage);
}

/** The cache entry's length in bytes (0 when absent), or `replace` written in its place. */
function entry(page: Page, replace?: number[]): Promise<number> {
  return page.evaluate(
    ([name, replacement]) =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('sparse-autoencoder-prepared');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('entries', 'readwrite');
          const store = tx.objectStore('entries');
          if (replacement) store.put(new Uint8Array(replacement), name);
          const get = store.get(name);
          tx.oncomplete = () => {
            open.result.close();
            resolve((get.result as Uint8Array | undefined)?.length ?? 0);
          };
        };
      }),
    [ENTRY, replace] as const,
  );
}

test('the prepared photos come from IndexedDB on the next visit, and a damaged entry is prepared again', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/patches.html?patches=200');
  expect(await ready(page)).toMatchObject({ imagesFrom: 'prepared', images: 9 });
  const images = (await canvasPixels(page, '#images figure canvas')).fingerprint;
  const stored = await entry(page);
  expect(stored).toBeGreaterThan(9 * 200 * 200 * 8); // nine images of float64 pixels

  await page.reload();
  expect(await ready(page)).toMatchObject({ imagesFrom: 'cache', images: 9 });
  await expect(page.locator('#images-status')).toContainText('from this browser’s cache');
  expect((await canvasPixels(page, '#images figure canvas')).fingerprint).toEqual(images);

  await entry(page, [83, 65, 69, 80, 82, 69, 80, 49, 1, 0, 0, 0, 200, 0, 0, 0]); // the magic, then a header that is not there
  await page.reload();
  expect(await ready(page)).toMatchObject({ imagesFrom: 'prepared', images: 9 });
  expect((await canvasPixels(page, '#images figure canvas')).fingerprint).toEqual(images);
  expect(await entry(page)).toBe(stored);
});
