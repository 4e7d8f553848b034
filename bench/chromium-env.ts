/**
 * The Chromium environment: headless Chromium (the system's, with WebGPU on SwiftShader via
 * --enable-unsafe-webgpu, as in playwright.config.ts) loading e2e/pages/bench.html from a
 * Vite dev server started here, so TypeScript and `?raw` WGSL imports work as in development.
 * Each cell gets a fresh page; a cell past the time box has its page closed and the browser
 * relaunched (the GPU process may still be working through what the page queued). Training
 * rows load bench/pages/training.html instead, which trains through the trainer page's worker.
 */
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';
import { chromiumArgs, chromiumExecutable } from '../playwright.config';
import type { AdapterSummary, CellEvent, CellRequest, CellResult } from './config';
import {
  describe,
  supervise,
  superviseTraining,
  type CellOutcome,
  type SuperviseOptions,
  type TrainingOutcome,
  type TrainingSuperviseOptions,
} from './supervise';
import type { TrainingCellResult, TrainingEvent, TrainingRequest } from './training';

const root = fileURLToPath(new URL('..', import.meta.url));
const pagePath = '/e2e/pages/bench.html';
const trainingPagePath = '/bench/pages/training.html';

export interface ChromiumEnvironment {
  browserVersion: string;
  userAgent: string;
  adapter: AdapterSummary | null;
  executable: string;
  args: string[];
}

export class ChromiumBench {
  private browser: Browser | null = null;
  relaunches = 0;

  private constructor(
    private readonly server: ViteDevServer,
    private readonly origin: string,
    private readonly log: (line: string) => void,
  ) {}

  static async start(log: (line: string) => void): Promise<ChromiumBench> {
    const server = await createServer({
      root,
      configFile: false,
      logLevel: 'warn',
      clearScreen: false,
      // Its own dependency cache, away from the one the tests and `npm run dev` use.
      cacheDir: 'node_modules/.vite-bench',
      // Other engineers edit files while a run goes on: no watching, no reloads mid-cell.
      server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
      optimizeDeps: {
        // The workers too: a dependency found only when a page is already running would
        // make Vite optimize anew and invalidate what that page has loaded.
        entries: [
          pagePath.slice(1),
          trainingPagePath.slice(1),
          'bench/pages/evaluation-worker.ts',
          'src/pages/trainer/worker.ts',
        ],
        include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgpu'],
      },
    });
    await server.listen();
    const address = server.httpServer?.address();
    if (!address || typeof address === 'string') throw new Error('the Vite server has no TCP address');
    const bench = new ChromiumBench(server, `http://127.0.0.1:${address.port}`, log);
    await bench.launch();
    return bench;
  }

  private async launch(): Promise<Browser> {
    this.browser = await chromium.launch({ executablePath: chromiumExecutable, args: chromiumArgs });
    return this.browser;
  }

  private async openPage(): Promise<Page> {
    const browser = this.browser ?? (await this.launch());
    const page = await browser.newPage();
    page.on('pageerror', (error) => this.log(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') this.log(`page ${message.type()}: ${message.text()}`);
    });
    return page;
  }

  private async load(page: Page, path = pagePath): Promise<void> {
    await page.goto(`${this.origin}${path}`, { timeout: 300_000 });
    await page.waitForFunction(() => window.benchReady === true, undefined, { timeout: 300_000 });
  }

  async environment(): Promise<ChromiumEnvironment> {
    const page = await this.openPage();
    try {
      await this.load(page);
      return {
        browserVersion: this.browser!.version(),
        userAgent: await page.evaluate(() => navigator.userAgent),
        adapter: await page.evaluate(() => window.benchAdapter()),
        executable: chromiumExecutable,
        args: chromiumArgs,
      };
    } finally {
      await page.close();
    }
  }

  async runCell(request: CellRequest, options: SuperviseOptions): Promise<CellOutcome> {
    let page: Page | null = null;
    const outcome = await supervise((onEvent: (event: CellEvent) => void) => {
      const result = (async (): Promise<CellResult> => {
        page = await this.openPage();
        await page.exposeBinding('benchReport', (_source, event: CellEvent) => onEvent(event));
        await this.load(page);
        return page.evaluate((req) => window.benchCell(req), request);
      })();
      return { result, abort: () => this.closePage(page) };
    }, options);
    if (outcome.kind === 'done') await this.closePage(page);
    // The GPU process may still be working through what the stopped page queued: start afresh.
    else if (outcome.kind === 'over-box') await this.relaunch();
    return outcome;
  }

  /** One training row on bench/pages/training.html; a row that is stopped relaunches the browser. */
  async runTraining(
    request: TrainingRequest,
    options: TrainingSuperviseOptions,
  ): Promise<TrainingOutcome<TrainingCellResult>> {
    let page: Page | null = null;
    const outcome = await superviseTraining((onEvent: (event: TrainingEvent) => void) => {
      const result = (async (): Promise<TrainingCellResult> => {
        page = await this.openPage();
        await page.exposeBinding('benchTrainingReport', (_source, event: TrainingEvent) => onEvent(event));
        await this.load(page, trainingPagePath);
        return page.evaluate((req) => window.benchTraining(req), request);
      })();
      return { result, abort: () => this.closePage(page) };
    }, options);
    if (outcome.kind === 'done') await this.closePage(page);
    else await this.relaunch();
    return outcome;
  }

  private async closePage(page: Page | null): Promise<void> {
    if (!page) return;
    try {
      await withTimeout(page.close({ runBeforeUnload: false }), 15_000);
    } catch (error) {
      this.log(`closing the page: ${describe(error)}`);
      await this.relaunch();
    }
  }

  /** Close the browser; the next cell launches a fresh one (same executable, flags, adapter). */
  private async relaunch(): Promise<void> {
    const browser = this.browser;
    if (!browser) return;
    this.browser = null;
    await withTimeout(browser.close(), 30_000).catch((error) => this.log(`closing the browser: ${describe(error)}`));
    this.relaunches++;
    this.log('browser closed; the next cell starts a fresh one');
  }

  async close(): Promise<void> {
    await withTimeout(this.browser?.close() ?? Promise.resolve(), 30_000).catch(() => {});
    await this.server.close();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}
