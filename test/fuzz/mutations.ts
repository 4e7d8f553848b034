/**
 * Broken variants of valid files, as fast-check arbitraries: truncated at any length, 1–8 bits
 * flipped, and "length lies" (a size, count or dimension field overwritten with a huge, zero or
 * nearby value). A seed knows where its length fields are; formats with checksums (PNG's CRCs,
 * gzip's CRC-32, the zlib stream inside a MAT-file) also say how to make the checksums right
 * again, so that a lie reaches the code behind the checksum test instead of stopping there.
 */
import fc from 'fast-check';

/** A length, count or dimension field of a seed file. */
export interface Site {
  offset: number;
  width: 1 | 2 | 4 | 8;
  littleEndian: boolean;
  /** What the field is, for labels: "IHDR width", "dims[1]". */
  what: string;
  /** 'raw': in the bytes before `render` (default when the seed has one); 'final': in the file itself. */
  layer?: 'raw' | 'final';
}

/** One broken variant of a file. */
export interface FuzzCase {
  seed: string;
  /** truncate, flip, flip+fix, lie, lies, lie+truncate, or a seed's own kind (json-lie). */
  kind: string;
  /** Enough to reproduce it by hand. */
  label: string;
  input: Uint8Array;
}

export interface ByteSeed {
  name: string;
  /** The valid file. */
  bytes: Uint8Array;
  /** What `render` turns into `bytes` (the idx file before gzip, the PNG with stale CRCs…). */
  raw?: Uint8Array;
  render?: (raw: Uint8Array) => Uint8Array;
  sites: Site[];
  /** Mutations of the seed's own kind (structured lies in a JSON header, say). */
  extra?: fc.Arbitrary<Omit<FuzzCase, 'seed'>>;
}

/** Values a lie writes: the classic troublemakers, anything at all, and near the truth. */
const specialValues = [0n, 1n, 2n, 3n, 4n, 7n, 8n, 9n, 0x7fn, 0x80n, 0xffn, 0x100n, 0x7fffn, 0x8000n, 0xffffn, 0x10000n, 0xffffffn, 0x7fffffffn, 0x80000000n, 0xfffffff8n, 0xffffffffn, 0x100000000n, 2n ** 53n, 2n ** 63n, -1n, -2n, -8n];

type LieValue = { absolute: bigint } | { relative: number };

const lieValue: fc.Arbitrary<LieValue> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...specialValues).map((absolute) => ({ absolute })) },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((absolute) => ({ absolute })) },
  { weight: 2, arbitrary: fc.integer({ min: -64, max: 64 }).filter((d) => d !== 0).map((relative) => ({ relative })) },
);

function readField(bytes: Uint8Array, site: Site): bigint {
  let value = 0n;
  for (let i = 0; i < site.width; i++) {
    const b = BigInt(bytes[site.offset + (site.littleEndian ? site.width - 1 - i : i)] ?? 0);
    value = (value << 8n) | b;
  }
  return value;
}

function writeField(bytes: Uint8Array, site: Site, value: bigint): void {
  let v = BigInt.asUintN(site.width * 8, value);
  for (let i = 0; i < site.width; i++) {
    const index = site.offset + (site.littleEndian ? i : site.width - 1 - i);
    if (index < bytes.length) bytes[index] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function hex(value: bigint): string {
  return '0x' + value.toString(16);
}

/** The seed's broken variants. */
export function mutationsOf(seed: ByteSeed): fc.Arbitrary<FuzzCase> {
  const { bytes, sites } = seed;
  const raw = seed.raw ?? bytes;
  const render = seed.render;
  const n = bytes.length;
  const options: fc.WeightedArbitrary<Omit<FuzzCase, 'seed'>>[] = [];

  options.push({
    weight: 2,
    arbitrary: fc.integer({ min: 0, max: n - 1 }).map((at) => ({
      kind: 'truncate',
      label: `truncated to ${at} of ${n} bytes`,
      input: bytes.slice(0, at),
    })),
  });

  const flips = (length: number) => fc.uniqueArray(fc.integer({ min: 0, max: length * 8 - 1 }), { minLength: 1, maxLength: 8 });
  const flipped = (source: Uint8Array, bits: number[]) => {
    const out = source.slice();
    for (const bit of bits) out[bit >>> 3] ^= 1 << (bit & 7);
    return out;
  };
  const describeBits = (bits: number[]) => bits.map((b) => `${b >>> 3}.${b & 7}`).join(', ');
  options.push({
    weight: 2,
    arbitrary: flips(n).map((bits) => ({ kind: 'flip', label: `bits flipped at byte.bit ${describeBits(bits)}`, input: flipped(bytes, bits) })),
  });
  if (render) {
    options.push({
      weight: 2,
      arbitrary: flips(raw.length).map((bits) => ({
        kind: 'flip+fix',
        label: `bits flipped at byte.bit ${describeBits(bits)} before the checksums`,
        input: render(flipped(raw, bits)),
      })),
    });
  }

  if (sites.length > 0) {
    /** The file with each lie written: those behind the checksums before `render`, then the rest. */
    const lie = (lies: [Site, LieValue][]) => {
      const texts: string[] = [];
      const write = (out: Uint8Array, site: Site, value: LieValue) => {
        const truth = readField(out, site);
        const written = 'absolute' in value ? value.absolute : truth + BigInt(value.relative);
        writeField(out, site, written);
        texts.push(`${site.what} at byte ${site.offset} ${hex(truth)} → ${hex(BigInt.asUintN(site.width * 8, written))}`);
      };
      const inRaw = (site: Site) => render !== undefined && site.layer !== 'final';
      let out = bytes;
      if (lies.some(([site]) => inRaw(site))) {
        const r = raw.slice();
        for (const [site, value] of lies) if (inRaw(site)) write(r, site, value);
        out = render!(r);
      } else {
        out = bytes.slice();
      }
      for (const [site, value] of lies) if (!inRaw(site)) write(out, site, value);
      return { out, text: texts.join('; ') };
    };
    const siteIndex = fc.integer({ min: 0, max: sites.length - 1 });
    options.push({
      weight: 3,
      arbitrary: fc.tuple(siteIndex, lieValue).map(([i, value]) => {
        const { out, text } = lie([[sites[i], value]]);
        return { kind: 'lie', label: `lie: ${text}`, input: out };
      }),
    });
    // Two or three lies at once: a width and a height, a size and a count…
    if (sites.length >= 2) {
      options.push({
        weight: 2,
        arbitrary: fc
          .uniqueArray(fc.tuple(siteIndex, lieValue), { minLength: 2, maxLength: Math.min(3, sites.length), selector: ([i]) => i })
          .map((lies) => {
            const { out, text } = lie(lies.map(([i, value]) => [sites[i], value]));
            return { kind: 'lies', label: `lies: ${text}`, input: out };
          }),
      });
    }
    options.push({
      weight: 1,
      arbitrary: fc.tuple(siteIndex, lieValue, fc.double({ min: 0, max: 1, noNaN: true })).map(([i, value, fraction]) => {
        const { out, text } = lie([[sites[i], value]]);
        const at = Math.min(out.length - 1, Math.floor(fraction * out.length));
        return { kind: 'lie+truncate', label: `lie: ${text}, then truncated to ${at} of ${out.length} bytes`, input: out.slice(0, at) };
      }),
    });
  }

  if (seed.extra) options.push({ weight: 4, arbitrary: seed.extra });

  return fc.oneof(...options).map((c) => ({ seed: seed.name, ...c }));
}

/** Any seed's broken variants. */
export function casesOf(seeds: readonly ByteSeed[]): fc.Arbitrary<FuzzCase> {
  return fc.oneof(...seeds.map((seed) => mutationsOf(seed)));
}

/** The sites of big- or little-endian fields, for seeds that list them by hand. */
export function site(offset: number, width: Site['width'], littleEndian: boolean, what: string, layer?: Site['layer']): Site {
  return { offset, width, littleEndian, what, ...(layer ? { layer } : {}) };
}

/** A path into a JSON value: keys and indices. */
export type JsonPath = (string | number)[];

/** Every path in a JSON value, containers included (the root is []). */
export function jsonPaths(value: unknown, prefix: JsonPath = []): JsonPath[] {
  const paths: JsonPath[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => paths.push(...jsonPaths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths.push(...jsonPaths(v, [...prefix, k]));
  return paths;
}

/** A JSON text token written as is (1e400 parses to Infinity; JSON.stringify cannot write it). */
const RAW = '\u0000raw:';

/** What a JSON lie puts at a path. */
type JsonLie =
  | { put: unknown }
  | { raw: string }
  | { scale: number }
  | { add: number }
  | { op: 'delete' | 'drop-last' | 'push' | 'duplicate' | 'wrap' | 'rename' };

const jsonLie: fc.Arbitrary<JsonLie> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .constantFrom<unknown>(null, 0, -1, 1, 0.5, -0.5, 1e308, -1e308, 2 ** 31, 2 ** 32, 2 ** 53, 1e21, 1e-320, '7', '0.5', 'abc', '', true, false, [], {}, [1, 2], { length: 1e9 })
      .map((put) => ({ put })),
  },
  { weight: 1, arbitrary: fc.constantFrom('1e400', '-1e400', '1e-400', '123456789012345678901234567890', '-0').map((raw) => ({ raw })) },
  { weight: 1, arbitrary: fc.constantFrom(8, 1 / 8, 1000, -1).map((scale) => ({ scale })) },
  { weight: 1, arbitrary: fc.integer({ min: -9, max: 9 }).filter((d) => d !== 0).map((add) => ({ add })) },
  { weight: 2, arbitrary: fc.constantFrom('delete', 'drop-last', 'push', 'duplicate', 'wrap', 'rename').map((op) => ({ op }) as JsonLie) },
);

function describeLie(lie: JsonLie): string {
  if ('put' in lie) return `= ${JSON.stringify(lie.put)}`;
  if ('raw' in lie) return `= ${lie.raw}`;
  if ('scale' in lie) return `×= ${lie.scale}`;
  if ('add' in lie) return `+= ${lie.add}`;
  return lie.op;
}

/** `value` with the lie applied at `path` (a deep copy; the seed's value is untouched). */
function applyJsonLie(value: unknown, path: JsonPath, lie: JsonLie): unknown {
  const root = { value: structuredClone(value) } as Record<string | number, unknown>;
  const full: JsonPath = ['value', ...path];
  let parent = root as Record<string | number, unknown>;
  for (const key of full.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const key = full[full.length - 1];
  const current = parent[key];
  if ('put' in lie) parent[key] = structuredClone(lie.put);
  else if ('raw' in lie) parent[key] = RAW + lie.raw;
  else if ('scale' in lie || 'add' in lie) {
    if (typeof current === 'number') parent[key] = 'scale' in lie ? current * lie.scale : current + lie.add;
    else if (Array.isArray(current)) parent[key] = 'add' in lie && lie.add < 0 ? current.slice(0, lie.add) : [...current, ...current];
    else parent[key] = 'scale' in lie ? lie.scale : lie.add;
  } else if (lie.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else if (lie.op === 'drop-last') parent[key] = Array.isArray(current) ? current.slice(0, -1) : undefined;
  else if (lie.op === 'push') parent[key] = Array.isArray(current) ? [...current, Array.isArray(current[0]) ? current[0] : 0] : [current];
  else if (lie.op === 'duplicate') parent[key] = Array.isArray(current) ? [...current, ...current] : current;
  else if (lie.op === 'wrap') parent[key] = [current];
  else if (lie.op === 'rename' && !Array.isArray(parent) && path.length > 0) {
    delete parent[key];
    parent[`${String(key)}_`] = current;
    // An own key "__proto__", as JSON.parse makes one.
    Object.defineProperty(parent, '__proto__', { value: current, enumerable: true, writable: true, configurable: true });
  }
  return root.value;
}

/** JSON text for a value with lies in it, raw tokens written as they are. */
export function jsonText(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(/"\\u0000raw:([^"]*)"/g, '$1');
}

/**
 * Structured lies in a JSON document: one of its values (a size, an array, an entry…) replaced
 * with null, a string, a huge or fractional number, Infinity, a shorter or longer array, or
 * deleted; `assemble` writes the file around the lied-to JSON text.
 */
export function jsonLies(value: unknown, assemble: (json: string) => Uint8Array, where = 'JSON'): fc.Arbitrary<Omit<FuzzCase, 'seed'>> {
  const paths = jsonPaths(value);
  return fc.tuple(fc.integer({ min: 0, max: paths.length - 1 }), jsonLie).map(([i, lie]) => {
    const path = paths[i];
    const lied = applyJsonLie(value, path, lie);
    return {
      kind: 'json-lie',
      label: `${where} lie: ${path.length ? path.join('.') : '(root)'} ${describeLie(lie)}`,
      input: assemble(jsonText(lied)),
    };
  });
}
