/**
 * The kernel tuner's cache in the browser (src/gpu/tuner.ts TuningCache): one IndexedDB store,
 * entries by key. The core validates what it reads, so a stale or foreign entry is raced again.
 * Usable in workers (IndexedDB is there too).
 */
import { openDB, type IDBPDatabase } from 'idb';
import type { TuningCache } from '../../gpu/tuner';

const DATABASE = 'webgpu-sae-kernels';
const STORE = 'tuning';

let database: Promise<IDBPDatabase> | undefined;

function open(): Promise<IDBPDatabase> {
  database ??= openDB(DATABASE, 1, {
    upgrade(db) {
      db.createObjectStore(STORE);
    },
  });
  return database;
}

export const indexedDbTuningCache: TuningCache = {
  async read(key) {
    return (await open()).get(STORE, key);
  },
  async write(entry) {
    await (await open()).put(STORE, entry, entry.key);
  },
};
