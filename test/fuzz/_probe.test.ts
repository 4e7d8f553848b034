import { Worker } from 'node:worker_threads';
import { it, expect } from 'vitest';
it('probe', async () => {
  const w = new Worker(new URL('./_probe-boot.mjs', import.meta.url), { workerData: { entry: new URL('./_probe-worker.ts', import.meta.url).href } });
  const msg = await new Promise((res, rej) => { w.once('message', res); w.once('error', rej); });
  console.log(msg);
  await w.terminate();
});
