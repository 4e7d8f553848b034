/**
 * The prepared-images cache in the browser (src/data/prepared-cache.ts): entries in IndexedDB,
 * shared by every page of the site (and their workers) on one origin. Without IndexedDB
 * (private windows of some browsers) there is no cache, only the time it would save.
 */
import { openDB, type IDBPDatabase } from 'idb';
import type { PreparedStore } from '../../data/prepared-cache';

const DB_NAME = 'sparse-autoencoder-prepared';
const STORE = 'entries';

let opened: Promise<IDBPDatabase> | undefined;

function database(): Promise<IDBPDatabase> {
  opened ??= openDB(DB_NAME, 1, { upgrade: (db) => void db.createObjectStore(STORE) });
  opened.catch(() => (opened = undefined));
  return opened;
}

export function browserPreparedStore(): PreparedStore | undefined {
  if (typeof indexedDB === 'undefined') return undefined;
  return {
    where: `IndexedDB ${DB_NAME}`,
    async read(name) {
      const value: unknown = await (await database()).get(STORE, name);
      return value instanceof Uint8Array ? value : undefined;
    },
    async write(name, bytes) {
      await (await database()).put(STORE, bytes, name);
    },
  };
}
