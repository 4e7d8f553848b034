/**
 * A cache of prepared images (decoded, halved, whitened…), so that the seconds a preparation
 * costs are paid once per machine, not once per run: the natural photos take about 3 s to
 * decode and whiten in Node, the same again in each page's worker.
 *
 * An entry is keyed by what it was made from and how: SHA-256 over the preparation's name,
 * PREPARATION_VERSION and every source file's bytes (not their names, which differ between
 * Node's paths and the pages' URLs). A change to the photos or to the preparation (bump the
 * version) misses the cache; nothing is trusted that the key does not name. An entry is a
 * container file (src/io/container.ts) holding the key again, each image's size, its pixels as
 * float64 and their SHA-256, so a hit gives back the same bits the preparation made, checked. A
 * truncated, corrupt or foreign entry is a miss: the images are prepared again and the entry rewritten. A cache that
 * cannot be read or written (a read-only folder, private browsing) only costs the time.
 *
 * Isomorphic: the store is Node's (prepared-cache-node.ts) or the browser's (IndexedDB,
 * src/pages/common/prepared-store.ts).
 */
import { CheckpointError, decodeContainer, encodeContainer, isCount, isRecord, type ContainerKind } from '../io/container';
import { messageOf } from './errors';

/** Bump when a preparation changes what it makes from the same bytes. */
export const PREPARATION_VERSION = 1;

/** Where entries live: named blobs of bytes. */
export interface PreparedStore {
  /** The entry's bytes, or undefined when there is none (or it cannot be read). */
  read(name: string): Promise<Uint8Array | undefined>;
  /** Keeps the bytes under `name`, replacing an older entry of the same preparation. */
  write(name: string, bytes: Uint8Array): Promise<void>;
  /** Where the entries are, for messages. */
  readonly where: string;
}

/** An image as the cache keeps it: any number of planes of width × height pixels. */
export interface PlanarImage {
  width: number;
  height: number;
  pixels: Float64Array;
  name?: string;
}

export const PREPARED_IMAGES: ContainerKind = { magic: 'SAEPREP1', version: 1, what: 'a prepared-images cache entry' };

/** What happened on a lookup, for the progress line and for tests. */
export type CacheOutcome = 'hit' | 'miss' | 'rebuilt';

export interface CachedResult<T> {
  images: T[];
  outcome: CacheOutcome;
  /** Why the cache was not used or not written, when that happened (never fatal). */
  warning?: string;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

const bytesOf = (values: Float64Array) => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

/** SHA-256 in hex over the preparation's name, the version and the files' bytes. */
export async function preparationKey(preparation: string, files: readonly { bytes: Uint8Array }[]): Promise<string> {
  const head = new TextEncoder().encode(`${preparation}\0v${PREPARATION_VERSION}\0${files.length}\0`);
  const sizes = new Float64Array(files.map((f) => f.bytes.length));
  let total = head.length + sizes.byteLength;
  for (const f of files) total += f.bytes.length;
  const all = new Uint8Array(total);
  all.set(head, 0);
  all.set(new Uint8Array(sizes.buffer), head.length);
  let at = head.length + sizes.byteLength;
  for (const f of files) {
    all.set(f.bytes, at);
    at += f.bytes.length;
  }
  return sha256(all);
}

export async function encodePrepared(key: string, images: readonly PlanarImage[]): Promise<Uint8Array> {
  const blobs: Record<string, Float64Array> = {};
  images.forEach((image, k) => (blobs[`image${k}`] = image.pixels));
  const list = await Promise.all(
    images.map(async ({ width, height, pixels, name }) => ({ width, height, values: pixels.length, sha256: await sha256(bytesOf(pixels)), name: name ?? null })),
  );
  return encodeContainer(PREPARED_IMAGES, { key, images: list }, blobs);
}

/** The images of an entry, or a CheckpointError when it is not an intact entry for `key`. */
export async function decodePrepared(bytes: Uint8Array, key: string, source: string): Promise<PlanarImage[]> {
  const file = decodeContainer(PREPARED_IMAGES, bytes, source);
  const { header } = file;
  if (header.key !== key) file.fail('an entry for other files or another preparation');
  if (!Array.isArray(header.images)) return file.corrupt('no image list');
  const entries: unknown[] = header.images;
  return Promise.all(
    entries.map(async (entry, k) => {
      if (!isRecord(entry) || !isCount(entry.width) || !isCount(entry.height) || !isCount(entry.values)) return file.corrupt(`image ${k} has no size`);
      const { width, height, values } = entry;
      if (width === 0 || height === 0 || values % (width * height) !== 0) return file.corrupt(`image ${k}: ${values} values do not fill ${width}×${height} planes`);
      const pixels = file.float64(`image${k}`, values, `image ${k}`);
      if ((await sha256(bytesOf(pixels))) !== entry.sha256) file.fail(`image ${k}'s pixels do not match their checksum`);
      const image: PlanarImage = { width, height, pixels };
      if (typeof entry.name === 'string') image.name = entry.name;
      return image;
    }),
  );
}

/**
 * The images `prepare` makes from `files`, from the store when it has them for exactly these
 * bytes and this preparation, else prepared now and stored.
 */
export async function cachedPreparation<T extends PlanarImage>(
  store: PreparedStore | undefined,
  preparation: string,
  files: readonly { bytes: Uint8Array }[],
  prepare: () => T[] | Promise<T[]>,
): Promise<CachedResult<T>> {
  if (!store) return { images: await prepare(), outcome: 'miss' };
  let key: string;
  try {
    key = await preparationKey(preparation, files);
  } catch (error) {
    return { images: await prepare(), outcome: 'miss', warning: `no cache (${messageOf(error)})` };
  }
  const entry = await store.read(preparation).catch(() => undefined);
  let outcome: CacheOutcome = 'miss';
  if (entry) {
    try {
      return { images: (await decodePrepared(entry, key, `${store.where}/${preparation}`)) as T[], outcome: 'hit' };
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      outcome = 'rebuilt';
    }
  }
  const images = await prepare();
  try {
    await store.write(preparation, await encodePrepared(key, images));
    return { images, outcome };
  } catch (error) {
    return { images, outcome, warning: `could not keep the prepared images in ${store.where} (${messageOf(error)})` };
  }
}
