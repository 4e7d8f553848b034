/**
 * Counts the typed-array memory a reader allocates, so that a fuzz case can fail when a reader
 * trusts a size field and allocates more than the file could possibly hold, even when the
 * allocation succeeds (zero-filled gigabytes are cheap to ask for) or its RangeError is
 * wrapped into a DataError by the reader.
 *
 * It replaces the global typed-array constructors and ArrayBuffer with subclasses that count
 * what they allocate. It must be installed before the readers and their libraries are loaded
 * (fflate keeps its own references to Uint8Array & co.), in a worker of its own: the fuzz
 * worker installs it first and imports everything else afterwards.
 */

export interface AllocationReport {
  /** The largest single allocation, in bytes. */
  largest: number;
  /** Everything allocated while measuring, in bytes. */
  total: number;
  /** What the largest one was, e.g. "Float64Array(1000)". */
  largestWhat: string;
}

let measuring = false;
let report: AllocationReport = { largest: 0, total: 0, largestWhat: '' };

function note(bytes: number, what: string): void {
  if (!measuring || !Number.isFinite(bytes) || bytes <= 0) return;
  report.total += bytes;
  if (bytes > report.largest) {
    report.largest = bytes;
    report.largestWhat = what;
  }
}

/** Bytes that `new C(arg0, …)` allocates: none for a view on an existing buffer. */
function bytesFor(arg0: unknown, bytesPerElement: number): number {
  if (typeof arg0 === 'number') return arg0 * bytesPerElement;
  if (arg0 === undefined || arg0 === null) return 0;
  if (arg0 instanceof OriginalArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && arg0 instanceof SharedArrayBuffer)) return 0;
  const length = (arg0 as { length?: unknown }).length;
  return typeof length === 'number' ? length * bytesPerElement : 0;
}

const OriginalArrayBuffer = ArrayBuffer;

const typedArrayNames = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

let installed = false;

/** Replaces the global constructors; idempotent. */
export function installAllocationTracker(): void {
  if (installed) return;
  installed = true;
  const global = globalThis as unknown as Record<string, unknown>;
  for (const name of typedArrayNames) {
    const Original = global[name] as { new (...args: unknown[]): object; BYTES_PER_ELEMENT: number };
    const bytesPerElement = Original.BYTES_PER_ELEMENT;
    const Counted = class extends Original {
      constructor(...args: unknown[]) {
        note(bytesFor(args[0], bytesPerElement), `${name}(${typeof args[0] === 'number' ? args[0] : 'copy'})`);
        super(...args);
      }
      // Arrays made by the original constructor (TextEncoder, Buffer…) still pass instanceof.
      static override [Symbol.hasInstance](value: unknown): boolean {
        return value instanceof Original;
      }
    };
    Object.defineProperty(Counted, 'name', { value: name });
    global[name] = Counted;
  }
  const Base = OriginalArrayBuffer as unknown as new (length: number, options?: unknown) => ArrayBuffer;
  const CountedArrayBuffer = class extends Base {
    constructor(length: number, options?: unknown) {
      note(length, `ArrayBuffer(${length})`);
      super(length, options); // options: a resizable buffer's maxByteLength
    }
    static override [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof OriginalArrayBuffer;
    }
  };
  Object.defineProperty(CountedArrayBuffer, 'name', { value: 'ArrayBuffer' });
  global.ArrayBuffer = CountedArrayBuffer;
}

/** Runs `fn`, counting its typed-array allocations. */
export function measureAllocations<T>(fn: () => T): { value?: T; error?: unknown; allocations: AllocationReport } {
  report = { largest: 0, total: 0, largestWhat: '' };
  measuring = true;
  try {
    return { value: fn(), allocations: report };
  } catch (error) {
    return { error, allocations: report };
  } finally {
    measuring = false;
  }
}
