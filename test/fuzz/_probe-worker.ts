import { parentPort } from 'node:worker_threads';
import { readIdxLabels } from '../../src/data/idx';
import fc from 'fast-check';
const x: number = 3;
parentPort!.postMessage({ ok: typeof readIdxLabels, fc: typeof fc.assert, x });
