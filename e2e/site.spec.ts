/**
 * The built site served under a sub-path, as GitHub Pages serves a project (/REPO/): the site is
 * built once (vite build into test-results/), a small static server on a free loopback port maps
 * /a/b/ onto it, and the trainer and the classification page each run a short job there. Every
 * request must stay under /a/b/: one that escapes it (an asset linked from the server root) is a
 * page that would break on Pages, even when it happens to be answered here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { expect, test, waitForTrainer } from './page-helpers';

test.describe.configure({ mode: 'serial' });

const PREFIX = '/a/b/';
const distDir = resolve('test-results', 'site-dist');

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
};

let server: Server;
let origin: string;
/** Requests outside PREFIX, or for files the build does not have. */
const misses: string[] = [];

test.beforeAll(async () => {
  // The same command as `npm run build`, into a folder of the tests' own.
  execFileSync('npx', ['vite', 'build', '--outDir', distDir, '--emptyOutDir', '--logLevel', 'error'], { stdio: 'inherit', timeout: 180_000 });
  server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    let file: string | undefined;
    if (path.startsWith(PREFIX)) {
      const relative = normalize(path.slice(PREFIX.length)).replace(/^(\.\.[/\\])+/, '');
      const candidate = join(distDir, relative === '.' || relative === '' ? 'index.html' : relative);
      if (candidate.startsWith(distDir) && existsSync(candidate) && statSync(candidate).isFile()) file = candidate;
    }
    if (!file) {
      misses.push(path);
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': mimeTypes[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((done) => server?.close(done));
});

test.afterEach(() => {
  expect(misses, 'requests outside the sub-path or for missing files').toEqual([]);
});

test('the built trainer runs from a sub-path: photos fetched, worker started, run finished', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto(`${origin}${PREFIX}?patches=2000&iterations=5`);
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  await page.click('#start');
  const done = await waitForTrainer(page, "t.state === 'finished' || t.state === 'error'");
  expect(done.lastError).toBe('');
  expect(done.state).toBe('finished');
  expect(done.iteration).toBe(5);
  expect(done.cost).toBeLessThan(done.initialCost);
  // The tabs lead to the other pages under the same sub-path.
  expect(await page.locator('nav.tabs a', { hasText: 'Classification' }).evaluate((a) => (a as HTMLAnchorElement).href)).toBe(
    `${origin}${PREFIX}classify.html`,
  );
});

test('the built classification page runs softmax from a sub-path: the MNIST digits fetched', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto(`${origin}${PREFIX}classify.html?task=softmax&digits=1000&softmax=30`);
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  await page.click('#start');
  await page.waitForFunction(
    `(() => { const s = window.classify?.(); return !!s && (s.phase === 'finished' || s.phase === 'error'); })()`,
    null,
    { timeout: 180_000, polling: 100 },
  );
  const done = await page.evaluate(() => (window as unknown as { classify: () => { phase: string; accuracies: Record<string, number> } }).classify());
  expect(done.phase, (await page.locator('#run-error').textContent()) ?? '').toBe('finished');
  expect(done.accuracies['raw pixels']).toBeGreaterThan(0.5);
});
