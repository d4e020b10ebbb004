import { DistinctCounts } from './distinct-counts.ts';
import { DISTINCT_FIELDS, type DistinctField } from './spec.ts';

/**
 * One entity's velocity state (card C1, pair C1+T9…) as this process holds it, and its stored form: the Redis hash
 * `<prefix>{<tag>}:s` with the fields
 *   v                          version token of the last write (compare-and-set: a writer must name the one it read)
 *   w                          watermark: highest effective event time counted
 *   x                          watermark at the last idle-TTL refresh
 *   ib                         indexes of the entity's id buckets, comma-separated
 *   b:<bucketMs>:<idx>         '<count>:<amount sum>' of bucket idx
 *   d:<bucketMs>:<idx>:<field>:<value>   occurrences of a distinct value in bucket idx
 * and the counted event ids in hashes by effective time, `<prefix>{<tag>}:s:i:<idx>` (idx = floor(t / idBucketMs)),
 * field event id, value '<effective time>,<o1>,…,<oN>': the outputs the event got when it was first counted. A whole
 * id bucket is deleted once it is older than the retention, so ids are never listed to be forgotten, and loading an
 * entity never reads them.
 */
export interface Bucket {
  /** Its size and index: its hash fields are `b:<ms>:<idx>` and `d:<ms>:<idx>:…`, built when written (most stored buckets never are again). */
  readonly ms: number;
  readonly idx: number;
  c: number;
  s: number;
  /** Occurrences of each distinct value in this bucket, by field. */
  d: DistinctCounts | undefined;
  /** The counting call that last changed c and s (its `b:` field is then written once, with the call's final values). */
  counted: number;
}

export interface FirstCount {
  readonly t: number;
  readonly outputs: readonly number[];
}

/** A window's running totals over buckets (head - buckets, head], so that an event in the newest bucket reads in O(1). */
export interface RunningWindow {
  head: number;
  c: number;
  s: number;
  /** Per distinct field of the window, in plan order: value -> occurrences in the window. */
  readonly distinct: Map<string, number>[];
}

/**
 * Pending writes of one entity: state hash fields to set (field, value…; the last value of a field wins) and to
 * delete; ids by id bucket (id, value…); id buckets to delete; ids to look up in Redis, with the buckets that may hold
 * them.
 */
export interface FieldWrites {
  readonly sets: string[];
  readonly deletes: string[];
  /** In the commit script's form: idx, n, then n pairs (id, value), per group; a bucket may head more than one group. */
  readonly ids: string[];
  readonly idBucketDeletes: number[];
  /** id bucket index -> ids to look up there; undefined when there are none (most calls). */
  checks: Map<number, string[]> | undefined;
}

export class EntityState {
  /** '' = not in Redis as far as this process knows. */
  version = '';
  wm: number | undefined;
  refreshed: number | undefined;
  /** bucketMs -> idx -> bucket */
  readonly buckets = new Map<number, Map<number, Bucket>>();
  /**
   * Ids this process counted recently (or found in Redis), in counting order. An event not here is new if its ts is
   * at least `vouchedFrom`; below it, it may have been counted before (by another process, or before this state was
   * loaded, or its id was dropped from here), and Redis is asked.
   */
  readonly ids = new Map<string, FirstCount>();
  oldestId: number | undefined;
  vouchedFrom = -Infinity;
  /** Indexes of the id buckets in Redis. */
  readonly idBuckets = new Set<number>();
  /** Watermark at which the next bucket can be dropped (-Infinity: check at the next write). */
  nextTrim: number | undefined;
  /** Derived from the buckets, built on first use; by plan window index. */
  readonly windows: (RunningWindow | undefined)[] = [];

  bucket(bucketMs: number, idx: number): Bucket | undefined {
    return this.buckets.get(bucketMs)?.get(idx);
  }

  bucketOrNew(bucketMs: number, idx: number): Bucket {
    let size = this.buckets.get(bucketMs);
    if (size === undefined) this.buckets.set(bucketMs, (size = new Map()));
    let bucket = size.get(idx);
    if (bucket === undefined) size.set(idx, (bucket = { ms: bucketMs, idx, c: 0, s: 0, d: undefined, counted: 0 }));
    return bucket;
  }

  /**
   * The state stored in a Redis hash, from its HGETALL reply (field, value, field, value…): the refused-write path,
   * rare; misses are read packed (`fromPacked`).
   */
  static fromHash(flat: readonly string[]): EntityState {
    return EntityState.fromPacked(packHash(flat));
  }

  /**
   * The state stored in a Redis hash, from the load script's packed reply: its HGETALL reply joined by the byte 0xFF
   * (src/features/lua/load-packed.lua). On the path of every cache miss, so it reads the bytes in place: numbers without
   * a string, field names matched against the interned ones, and only distinct values and the version decoded to
   * strings (each on its own: a string sliced out of a larger one would keep it alive while the state is cached).
   * Unknown fields are ignored; buckets are re-sorted only when the hash listed them out of time order.
   */
  static fromPacked(packed: Buffer): EntityState {
    const state = new EntityState();
    // bucketMs -> index of the newest bucket created so far, to tell whether the hash listed them in time order
    const newest = new Map<number, number>();
    let unordered = false;
    const bucketAt = (bucketMs: number, idx: number): Bucket => {
      const found = state.bucket(bucketMs, idx);
      if (found !== undefined) return found;
      const last = newest.get(bucketMs);
      if (last === undefined || idx > last) newest.set(bucketMs, idx);
      else unordered = true;
      return state.bucketOrNew(bucketMs, idx);
    };
    const end = packed.length;
    let field = 0;
    while (field < end) {
      const fieldEnd = byteIndex(packed, SEPARATOR_BYTE, field, end);
      const value = fieldEnd + 1;
      if (value > end) break;
      const valueEnd = byteIndex(packed, SEPARATOR_BYTE, value, end);
      const kind = packed[field];
      if (packed[field + 1] === COLON && (kind === B || kind === D) && fieldEnd > field + 2) {
        const a = byteIndex(packed, COLON, field + 2, fieldEnd);
        if (a < fieldEnd) {
          const bucketMs = integerAt(packed, field + 2, a);
          if (kind === B) {
            const bucket = bucketAt(bucketMs, integerAt(packed, a + 1, fieldEnd));
            const countEnd = byteIndex(packed, COLON, value, valueEnd);
            bucket.c = integerAt(packed, value, countEnd);
            bucket.s = countEnd === valueEnd ? 0 : integerAt(packed, countEnd + 1, valueEnd);
          } else {
            const b = byteIndex(packed, COLON, a + 1, fieldEnd);
            const c = b === fieldEnd ? fieldEnd : byteIndex(packed, COLON, b + 1, fieldEnd);
            const name = c === fieldEnd ? undefined : distinctFieldAt(packed, b + 1, c);
            if (name !== undefined) {
              const bucket = bucketAt(bucketMs, integerAt(packed, a + 1, b));
              const distinctValue = packed.toString('utf8', c + 1, fieldEnd);
              const occurrences = integerAt(packed, value, valueEnd);
              if (bucket.d === undefined) bucket.d = new DistinctCounts(name, distinctValue, occurrences);
              else bucket.d.add(name, distinctValue, occurrences);
            }
          }
        }
      } else if (fieldEnd === field + 1 && kind === V) state.version = packed.toString('utf8', value, valueEnd);
      else if (fieldEnd === field + 1 && kind === W) state.wm = integerAt(packed, value, valueEnd);
      else if (fieldEnd === field + 1 && kind === X) state.refreshed = integerAt(packed, value, valueEnd);
      else if (fieldEnd === field + 2 && kind === I && packed[field + 1] === B) {
        for (let from = value; from < valueEnd; ) {
          const to = byteIndex(packed, COMMA, from, valueEnd);
          if (to > from) state.idBuckets.add(integerAt(packed, from, to));
          from = to + 1;
        }
      }
      field = valueEnd + 1;
    }
    // every event counted so far has ts <= its effective time <= wm: only those may be in Redis and not here
    if (state.wm !== undefined) state.vouchedFrom = state.wm + 1;
    // in time order, as buckets are created live (trimBuckets relies on it)
    if (unordered) for (const [bucketMs, buckets] of state.buckets) state.buckets.set(bucketMs, new Map([...buckets].sort((a, b) => a[0] - b[0])));
    if (state.buckets.size > 0) state.nextTrim = -Infinity;
    return state;
  }

  /** An id's first counting found in Redis (value '<effective time>,<o1>,…'). */
  addFound(id: string, value: string): void {
    const parts = value.split(',').map(Number);
    this.remember(id, parts[0] as number, parts.slice(1));
  }

  /** Caches an id's first counting; deleted first, so the map stays in counting order (which trimming relies on). */
  remember(id: string, t: number, outputs: readonly number[]): void {
    this.ids.delete(id);
    this.ids.set(id, { t, outputs });
    if (this.oldestId === undefined || t < this.oldestId) this.oldestId = t;
  }
}

const SEPARATOR_BYTE = 0xff;
const SEPARATOR = Buffer.from([SEPARATOR_BYTE]);
const COLON = 58;
const COMMA = 44;
const MINUS = 45;
const ZERO = 48;
const B = 98;
const D = 100;
const I = 105;
const V = 118;
const W = 119;
const X = 120;
/** The distinct fields as bytes, to find the interned name of a `d:` field without decoding it. */
const FIELD_BYTES: readonly (readonly [DistinctField, Buffer])[] = DISTINCT_FIELDS.map((name) => [name, Buffer.from(name)]);

/** A hash's HGETALL reply (field, value…, as text or bytes) as the load script packs it: UTF-8 pieces joined by the byte 0xFF. */
export function packHash(flat: readonly (string | Buffer)[]): Buffer {
  const pieces: Buffer[] = [];
  flat.forEach((piece, i) => {
    if (i > 0) pieces.push(SEPARATOR);
    pieces.push(typeof piece === 'string' ? Buffer.from(piece) : piece);
  });
  return Buffer.concat(pieces);
}

/** The first position of `byte` in [from, to), or `to`: a loop, because Buffer#indexOf's argument checks cost more than scanning a short piece. */
function byteIndex(packed: Buffer, byte: number, from: number, to: number): number {
  let i = from;
  while (i < to && packed[i] !== byte) i++;
  return i;
}

/** The interned distinct field named by bytes [from, to), or undefined. */
function distinctFieldAt(packed: Buffer, from: number, to: number): DistinctField | undefined {
  for (const [name, bytes] of FIELD_BYTES) {
    if (bytes.length !== to - from) continue;
    let i = 0;
    while (i < bytes.length && bytes[i] === packed[from + i]) i++;
    if (i === bytes.length) return name;
  }
  return undefined;
}

/** The integer written in bytes [from, to), read without a string; parsed as text when it is not one (a decimal sum); NaN if empty. */
function integerAt(packed: Buffer, from: number, to: number): number {
  const negative = packed[from] === MINUS;
  let i = negative ? from + 1 : from;
  if (i >= to) return Number.NaN;
  let n = 0;
  for (; i < to; i++) {
    const digit = (packed[i] as number) - ZERO;
    if (digit < 0 || digit > 9) return Number(packed.toString('latin1', from, to));
    n = n * 10 + digit;
  }
  return negative ? -n : n;
}

export const bucketField = (bucket: Bucket): string => `b:${bucket.ms}:${bucket.idx}`;
/** The `d:` field of a value in a bucket. */
export const distinctField = (bucket: Bucket, field: string, value: string): string => `d:${bucket.ms}:${bucket.idx}:${field}:${value}`;
