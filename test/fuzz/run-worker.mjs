// Starts a fuzz worker: TypeScript through tsx (vitest's transform does not reach worker
// threads), then the worker module named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
