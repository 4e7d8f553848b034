/**
 * The one file format of the state a run saves (training checkpoints, L-BFGS snapshots,
 * classification checkpoints):
 *
 *   bytes 0–7     magic: 8 ASCII characters naming what the file holds
 *   bytes 8–11    format version, little-endian uint32
 *   bytes 12–15   length of the JSON header in bytes, little-endian uint32
 *   bytes 16–     the JSON header, UTF-8: { "header": <the writer's fields>, "blobs": { name: { offset, bytes } } }
 *   then, from the next multiple of 8, the blobs, each at an 8-byte aligned offset from there
 *
 * Numbers that must round-trip exactly (θ, optimizer vectors) go in blobs as little-endian
 * float64, never through JSON; the header carries scalars and names. A blob may itself be a
 * container (a training checkpoint holds an L-BFGS snapshot).
 *
 * Reading checks everything before using it (magic, version, header, every blob's place in the
 * file), so that a truncated or corrupt file is a CheckpointError naming its source, never
 * another exception or an allocation the file does not back.
 */

/** A saved state that cannot be read: a wrong, truncated or corrupt file. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** What one kind of file is called and how it is marked. */
export interface ContainerKind {
  /** 8 ASCII characters. */
  magic: string;
  version: number;
  /** In messages: "not a checkpoint file". */
  what: string;
  /** Files of this kind written before this container, read into its terms. */
  older?: OlderFormats;
}

/**
 * Reading the layouts a kind had before this container, so that what was saved then still
 * resumes: `format` recognises one (its format number), `read` finds its header and blobs.
 */
export interface OlderFormats {
  format(bytes: Uint8Array): number | undefined;
  /** Blobs as views into `bytes`; `fail` throws the reader's CheckpointError. */
  read(bytes: Uint8Array, format: number, fail: (why: string) => never): { header: Record<string, unknown>; blobs: Map<string, Uint8Array> };
}

/** A blob's contents: bytes, float64s, or consecutive parts of them (written without joining them first). */
export type BlobValue = Uint8Array | Float64Array | readonly (Uint8Array | Float64Array)[];

const PREFIX = 16;
const ALIGN = 8;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

// Blobs are copied as the machine stores them; every platform this runs on is little-endian.
if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f) throw new Error('saved states are little-endian; this machine is not');

function partsOf(value: BlobValue): Uint8Array[] {
  const parts = Array.isArray(value) ? value : [value as Uint8Array | Float64Array];
  return parts.map((part) => (part instanceof Uint8Array ? part : new Uint8Array(part.buffer, part.byteOffset, part.byteLength)));
}

/** The prefix and JSON header of a file whose blob area will be `areaBytes` long, in a buffer for the whole file. */
function startFile(kind: ContainerKind, json: string, areaBytes: number, version: number): { out: Uint8Array; start: number } {
  if (kind.magic.length !== 8 || !/^[\x20-\x7e]+$/.test(kind.magic)) throw new RangeError(`a container magic is 8 ASCII characters, not ${JSON.stringify(kind.magic)}`);
  const text = new TextEncoder().encode(json);
  const start = align(PREFIX + text.length);
  const out = new Uint8Array(start + areaBytes);
  out.set(new TextEncoder().encode(kind.magic), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, version, true);
  view.setUint32(12, text.length, true);
  out.set(text, PREFIX);
  return { out, start };
}

/** A file of this kind around a header's JSON text and the blob area (for writers and for tests that forge headers). */
export function assembleContainer(kind: ContainerKind, json: string, blobArea: Uint8Array, version = kind.version): Uint8Array {
  const { out, start } = startFile(kind, json, blobArea.length, version);
  out.set(blobArea, start);
  return out;
}

/** The file: one allocation, each blob copied once (a checkpoint of a large model is hundreds of MB). */
export function encodeContainer(kind: ContainerKind, header: Record<string, unknown>, blobs: Record<string, BlobValue>): Uint8Array {
  const table: Record<string, { offset: number; bytes: number }> = {};
  const parts: [number, Uint8Array[]][] = [];
  let size = 0;
  for (const [name, value] of Object.entries(blobs)) {
    const pieces = partsOf(value);
    const bytes = pieces.reduce((sum, piece) => sum + piece.length, 0);
    table[name] = { offset: size, bytes };
    parts.push([size, pieces]);
    size += align(bytes);
  }
  const { out, start } = startFile(kind, JSON.stringify({ header, blobs: table }), size, kind.version);
  for (const [offset, pieces] of parts) {
    let at = start + offset;
    for (const piece of pieces) {
      out.set(piece, at);
      at += piece.length;
    }
  }
  return out;
}

/** The parts of a container, unchecked beyond the prefix: for tests that rewrite a header. */
export function containerParts(bytes: Uint8Array): { version: number; json: string; blobArea: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(12, true);
  return {
    version: view.getUint32(8, true),
    json: new TextDecoder().decode(bytes.subarray(PREFIX, PREFIX + length)),
    blobArea: bytes.subarray(align(PREFIX + length)),
  };
}

/** A container read and checked: its header and its blobs, copied out on request. */
export interface Container {
  header: Record<string, unknown>;
  /** Blob names, in the file's order. */
  names: string[];
  has(name: string): boolean;
  /** A copy of the blob's bytes; refused (CheckpointError) when absent. */
  bytes(name: string, what?: string): Uint8Array;
  /** The blob as float64s, refused unless it holds whole values (and `length` of them, if given). */
  float64(name: string, length?: number, what?: string): Float64Array;
  /** Throws a CheckpointError "source: corrupt header: why". */
  corrupt(why: string): never;
  /** Throws a CheckpointError "source: why". */
  fail(why: string): never;
}

export function decodeContainer(kind: ContainerKind, bytes: Uint8Array, source: string): Container {
  const fail = (why: string): never => {
    throw new CheckpointError(`${source}: ${why}`);
  };
  const older = kind.older?.format(bytes);
  if (older !== undefined) {
    const { header, blobs } = kind.older!.read(bytes, older, (why) => fail(`${why} (a format ${older} file, from an older version of this program)`));
    return contents(header, blobs, fail);
  }
  if (bytes.length < PREFIX || new TextDecoder().decode(bytes.subarray(0, 8)) !== kind.magic) fail(`not ${kind.what} (bad magic)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version > kind.version) fail(`written by a newer version of this program (format ${version}; this one reads format ${kind.version})`);
  if (version !== kind.version) fail(`format ${version} is not one this program wrote (it reads format ${kind.version})`);
  const { header: parsed, blobArea } = readFrame(bytes, 12, fail);
  const header = parsed.header;
  const table = parsed.blobs;
  if (!isRecord(header)) return fail('corrupt header: no header object');
  if (!isRecord(table)) return fail('corrupt header: no blob table');
  const blobs = new Map<string, Uint8Array>();
  for (const [name, entry] of Object.entries(table)) {
    if (!isRecord(entry) || !isCount(entry.offset) || !isCount(entry.bytes) || entry.offset % ALIGN !== 0) {
      return fail(`corrupt header: blob '${name}' has no whole-number, 8-byte aligned offset and length (${JSON.stringify(entry)})`);
    }
    blobs.set(name, within(blobArea, entry.offset, entry.bytes, `blob '${name}'`, bytes.length, fail));
  }
  return contents(header, blobs, fail);
}

/**
 * The frame every layout shares, old and new: a little-endian uint32 header length at
 * `lengthAt`, the JSON header after it, and the blob area from the next multiple of 8.
 */
export function readFrame(bytes: Uint8Array, lengthAt: number, fail: (why: string) => never): { header: Record<string, unknown>; blobArea: Uint8Array } {
  if (bytes.length < lengthAt + 4) fail('truncated header');
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(lengthAt, true);
  const jsonStart = lengthAt + 4;
  if (jsonLength > bytes.length - jsonStart) fail(`truncated header (it says ${jsonLength} bytes, ${bytes.length - jsonStart} follow)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(jsonStart, jsonStart + jsonLength)));
  } catch {
    return fail('corrupt header (not JSON)');
  }
  if (!isRecord(parsed)) return fail('corrupt header (not a JSON object)');
  return { header: parsed, blobArea: bytes.subarray(Math.min(bytes.length, align(jsonStart + jsonLength))) };
}

/** `length` bytes at `offset` of the blob area, refused when they run past the file's end. */
export function within(area: Uint8Array, offset: number, length: number, what: string, fileLength: number, fail: (why: string) => never): Uint8Array {
  if (offset + length > area.length) {
    const at = fileLength - area.length + offset;
    fail(`truncated: ${what} (${length} bytes at byte ${at}) runs past the end of the ${fileLength}-byte file`);
  }
  return area.subarray(offset, offset + length);
}

function contents(header: Record<string, unknown>, blobs: Map<string, Uint8Array>, fail: (why: string) => never): Container {
  const corrupt = (why: string): never => fail(`corrupt header: ${why}`);
  const blob = (name: string, what: string): Uint8Array => blobs.get(name)?.slice() ?? corrupt(`no ${what}`);
  return {
    header,
    names: [...blobs.keys()],
    has: (name) => blobs.has(name),
    bytes: (name, what = `blob '${name}'`) => blob(name, what),
    float64: (name, length, what = `blob '${name}'`) => {
      const found = blobs.get(name);
      if (found && found.length % 8 !== 0) corrupt(`${what} is not whole float64s (${found.length} bytes)`);
      if (found && length !== undefined && found.length !== length * 8) corrupt(`${what} has ${found.length / 8} values, not ${length}`);
      return new Float64Array(blob(name, what).buffer);
    },
    corrupt,
    fail,
  };
}

/** A JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** Recognises older files by the magic they begin with, as a format number. */
export function olderMagic(magics: Record<string, number>): (bytes: Uint8Array) => number | undefined {
  return (bytes) => {
    const head = new TextDecoder().decode(bytes.subarray(0, 8));
    return Object.hasOwn(magics, head) ? magics[head] : undefined;
  };
}
