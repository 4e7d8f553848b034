/**
 * The SAE page's finished runs, kept across reloads: each with its settings, its data and its
 * final metrics, for the L0–FVU plot that compares variants. Behind a small interface (RunStore):
 * the page uses IndexedDB through `idb`; the unit tests use the in-memory store, which behaves
 * the same (ids in order of saving, lists oldest first, copies in and out).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { SaeSettings } from './protocol';

export interface StoredRun {
  /** Given by the store, increasing with each run saved. */
  id: number;
  savedAt: number;
  settings: SaeSettings;
  /** The data, in words (synthetic sizes, or the file's name and shape). */
  data: string;
  device: string;
  steps: number;
  seconds: number;
  metrics: { l0: number; fvu: number; dead: number; latents: number; mmcs?: number };
  threshold?: number;
}

export type NewRun = Omit<StoredRun, 'id'>;

export interface RunStore {
  /** Every stored run, oldest first. */
  list(): Promise<StoredRun[]>;
  add(run: NewRun): Promise<StoredRun>;
  delete(id: number): Promise<void>;
  clear(): Promise<void>;
}

/** A store that lasts as long as the page: the tests', and the page's when IndexedDB is refused. */
export function memoryRunStore(): RunStore {
  const runs = new Map<number, StoredRun>();
  let next = 1;
  return {
    list: async () => [...runs.values()].map((run) => structuredClone(run)),
    async add(run) {
      const stored = { ...structuredClone(run), id: next++ };
      runs.set(stored.id, stored);
      return structuredClone(stored);
    },
    async delete(id) {
      runs.delete(id);
    },
    async clear() {
      runs.clear();
    },
  };
}

const DB_NAME = 'sae-runs';
const STORE = 'runs';

interface RunsSchema extends DBSchema {
  runs: { key: number; value: StoredRun };
}

/** The runs in IndexedDB (database 'sae-runs', one object store with auto-incremented ids). */
export function indexedDbRunStore(): RunStore {
  let opened: Promise<IDBPDatabase<RunsSchema>> | undefined;
  const db = () => {
    opened ??= openDB<RunsSchema>(DB_NAME, 1, {
      upgrade(database) {
        database.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
      },
    });
    // A failed open (private mode, quota) is tried again at the next call.
    opened.catch(() => (opened = undefined));
    return opened;
  };
  return {
    list: async () => (await db()).getAll(STORE),
    async add(run) {
      // The key path fills `id` in; a value without it is what autoIncrement expects.
      const id = await (await db()).add(STORE, run as StoredRun);
      return { ...run, id };
    },
    async delete(id) {
      await (await db()).delete(STORE, id);
    },
    async clear() {
      await (await db()).clear(STORE);
    },
  };
}
