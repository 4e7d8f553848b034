/**
 * The trainer's memory across reloads, in IndexedDB: the last run (an unfinished run's latest
 * checkpoint, or a finished run's model) with its cost history, and the user's data files
 * when the run trained on them.
 */
import type { TileSize } from '../../display/network';
import type { CostParts } from '../../reference/autoencoder';
import type { Shape } from '../../reference/params';
import type { TrainConfig } from '../../train/config';
import type { UserFile } from '../../train/data';
import type { PixelGeometry } from '../../train/model-files';
import type { DeviceChoice } from './protocol';

export interface CostHistory {
  x: number[];
  /** total, reconstruction, weight decay, sparsity */
  y: number[][];
}

interface SavedRunBase {
  config: TrainConfig;
  device: DeviceChoice;
  description: string;
  history: CostHistory;
  savedAt: number;
  /** Wall-clock seconds spent training so far. */
  elapsedSeconds: number;
  evaluations: number;
  /** The run trained on a random subset of this many examples. */
  maxExamples?: number;
}

export interface SavedCheckpoint extends SavedRunBase {
  kind: 'checkpoint';
  iteration: number;
  totalIterations: number;
  cost: number;
  /** encodeCheckpoint's bytes. */
  bytes: Uint8Array;
  keptCorrections?: { kept: number; of: number };
}

export interface SavedModel extends SavedRunBase {
  kind: 'model';
  shape: Shape;
  pixelGeometry: PixelGeometry;
  geometry: TileSize;
  theta: Float64Array;
  iterations: number;
  finalCost: number;
  parts: CostParts;
  meanActivation: Float64Array;
  exitReason: string;
  /** The run diverged at this iteration; θ is from the last iteration with a finite cost. */
  divergedAt?: number;
  sample: Float64Array;
  sampleCount: number;
}

export type SavedRun = SavedCheckpoint | SavedModel;

const DB_NAME = 'sparse-autoencoder-trainer';
const STORE = 'runs';
const RUN_KEY = 'last-run';
const FILES_KEY = 'files';

let opened: Promise<IDBDatabase> | undefined;

function database(): Promise<IDBDatabase> {
  opened ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
    request.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
  opened.catch(() => (opened = undefined));
  return opened;
}

async function transact<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  const db = await database();
  return new Promise<T | undefined>((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = work(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export async function loadRun(): Promise<SavedRun | undefined> {
  return (await transact<SavedRun>('readonly', (store) => store.get(RUN_KEY))) ?? undefined;
}

/**
 * Saves the run. With `data`, also the files it trains on (none: the stored ones are removed), in
 * the same transaction: a run's files replace the previous run's only with its first record, so a
 * run that fails before it has one leaves the saved run resumable.
 */
export async function saveRun(run: SavedRun, data?: { files: readonly UserFile[] | undefined }): Promise<void> {
  await transact('readwrite', (store) => {
    store.put(run, RUN_KEY);
    if (data?.files) store.put(data.files, FILES_KEY);
    else if (data) store.delete(FILES_KEY);
  });
}

export async function clearRun(): Promise<void> {
  await transact('readwrite', (store) => {
    store.delete(RUN_KEY);
    store.delete(FILES_KEY);
  });
}

export async function loadFiles(): Promise<UserFile[] | undefined> {
  return (await transact<UserFile[]>('readonly', (store) => store.get(FILES_KEY))) ?? undefined;
}
