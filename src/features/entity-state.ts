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
  readonly ids: Map<number, string[]>;
  readonly idBucketDeletes: number[];
  /** id bucket index -> ids to look up there */
  readonly checks: Map<number, string[]>;
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
    if (bucket === undefined) size.set(idx, (bucket = { ms: bucketMs, idx, c: 0, s: 0, d: undefined }));
    return bucket;
  }

  /**
   * The state stored in a Redis hash, from its HGETALL reply (field, value, field, value…). Unknown fields are ignored.
   * On the path of every cache miss: numbers are read from the field in place (no slices), field names interned, and
   * buckets re-sorted only when the hash listed them out of time order.
   */
  static fromHash(flat: readonly string[]): EntityState {
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
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const field = flat[i] as string;
      const value = flat[i + 1] as string;
      const kind = field.charCodeAt(0);
      if (field.charCodeAt(1) === COLON && (kind === B || kind === D)) {
        const a = field.indexOf(':', 2);
        const b = a < 0 ? -1 : field.indexOf(':', a + 1);
        if (a < 0) continue;
        const bucketMs = integerIn(field, 2, a);
        if (kind === B) {
          const idx = integerIn(field, a + 1, field.length);
          const bucket = bucketAt(bucketMs, idx);
          const colon = value.indexOf(':');
          bucket.c = integerIn(value, 0, colon < 0 ? value.length : colon);
          bucket.s = colon < 0 ? 0 : integerIn(value, colon + 1, value.length);
        } else {
          const c = b < 0 ? -1 : field.indexOf(':', b + 1);
          const name = c < 0 ? undefined : FIELD_NAMES.get(field.slice(b + 1, c));
          if (name === undefined) continue;
          const bucket = bucketAt(bucketMs, integerIn(field, a + 1, b));
          const occurrences = integerIn(value, 0, value.length);
          if (bucket.d === undefined) bucket.d = new DistinctCounts(name, field.slice(c + 1), occurrences);
          else bucket.d.add(name, field.slice(c + 1), occurrences);
        }
      } else if (field === 'v') state.version = value;
      else if (field === 'w') state.wm = Number(value);
      else if (field === 'x') state.refreshed = Number(value);
      else if (field === 'ib') {
        for (const idx of value.split(',')) if (idx !== '') state.idBuckets.add(Number(idx));
      }
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

const COLON = 58;
const B = 98;
const D = 100;
const MINUS = 45;
const ZERO = 48;
/** Interned: a bucket's entries hold the constant, not a copy sliced from each field. */
const FIELD_NAMES: ReadonlyMap<string, DistinctField> = new Map(DISTINCT_FIELDS.map((field) => [field, field]));

/** The integer written in text[from, to), read without slicing it out; NaN if it is not one. */
function integerIn(text: string, from: number, to: number): number {
  const negative = text.charCodeAt(from) === MINUS;
  let i = negative ? from + 1 : from;
  if (i >= to) return Number.NaN;
  let n = 0;
  for (; i < to; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return Number(text.slice(from, to));
    n = n * 10 + digit;
  }
  return negative ? -n : n;
}

export const bucketField = (bucket: Bucket): string => `b:${bucket.ms}:${bucket.idx}`;
/** The `d:` field of a value in a bucket. */
export const distinctField = (bucket: Bucket, field: string, value: string): string => `d:${bucket.ms}:${bucket.idx}:${field}:${value}`;
