import type { EntityState } from './entity-state.ts';
import { FrequencySketch } from './frequency-sketch.ts';

export interface StateCacheStats {
  /** Entities not cached that took the place of a less used one (or of none, while the cache was filling). */
  admitted: number;
  /** Entities not cached that were used less often than the one they would replace, or larger than the whole bound: not kept. */
  refused: number;
  /** Approximate heap bytes of the states held (see `approximateStateBytes`). */
  bytes: number;
}

interface Entry {
  state: EntityState;
  bytes: number;
}

/**
 * The entities this process holds, bounded by count and by approximate heap bytes (a card with a day of history
 * holds a few KB, a busy terminal's distinct cards far more). A cached state is only a guess of what Redis holds:
 * every write names the version it was computed from, and Redis refuses it when that is no longer the one stored.
 *
 * When the active entities outnumber the cache, plain LRU would replace a cached state by every state read: each one
 * survives long enough to be promoted by the garbage collector, only to be dropped a moment later, for no gain in hits.
 * So a full cache admits an entity only if it was used more often recently than the least recently used one it would
 * replace (TinyLFU admission); the others are counted from Redis and dropped young, which costs the collector little.
 */
export class StateCache {
  private readonly entries = new Map<string, Entry>();
  private readonly sketch: FrequencySketch;
  private readonly counts = { admitted: 0, refused: 0 };
  private bytes = 0;

  constructor(
    private readonly maxEntities: number,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    this.sketch = new FrequencySketch(maxEntities);
  }

  get size(): number {
    return this.entries.size;
  }

  stats(): Readonly<StateCacheStats> {
    return { ...this.counts, bytes: this.bytes };
  }

  /** Counts a use (for admission); does not refresh recency: the stage sets every state it used once the batch is written. */
  get(tag: string): EntityState | undefined {
    this.sketch.increment(tag);
    return this.entries.get(tag)?.state;
  }

  set(tag: string, state: EntityState): void {
    const cached = this.entries.get(tag);
    if (cached !== undefined) {
      const bytes = approximateStateBytes(state);
      this.entries.delete(tag);
      this.bytes += bytes - cached.bytes;
      cached.state = state;
      cached.bytes = bytes;
      this.entries.set(tag, cached);
      this.shrink(tag);
      return;
    }
    if (this.maxEntities === 0) {
      this.counts.refused++;
      return;
    }
    // a full cache refuses most of the states read for a batch: asked first, the sketch spares estimating their size
    const victim = this.entries.keys().next().value;
    if (this.isFull(MIN_STATE_BYTES) && this.usedLessThan(tag, victim)) {
      this.counts.refused++;
      return;
    }
    const bytes = approximateStateBytes(state);
    if (bytes > this.maxBytes || (this.isFull(bytes) && this.usedLessThan(tag, victim))) {
      this.counts.refused++;
      return;
    }
    if (this.isFull(bytes)) this.evict(victim as string);
    this.entries.set(tag, { state, bytes });
    this.bytes += bytes;
    this.counts.admitted++;
    this.shrink(tag);
  }

  delete(tag: string): void {
    this.evict(tag);
  }

  /** Whether a state of `bytes` would take the cache past either bound. */
  private isFull(bytes: number): boolean {
    return this.entries.size >= this.maxEntities || this.bytes + bytes > this.maxBytes;
  }

  /** Whether `tag` was used no more often recently than `victim` (the least recently used entry; none: true). */
  private usedLessThan(tag: string, victim: string | undefined): boolean {
    return victim === undefined || this.sketch.frequency(tag) <= this.sketch.frequency(victim);
  }

  /** Drops the least recently used states (never `keep`, the one just set) until both bounds hold. */
  private shrink(keep: string): void {
    while (this.entries.size > this.maxEntities || this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true || oldest.value === keep) return;
      this.evict(oldest.value);
    }
  }

  private evict(tag: string): void {
    const entry = this.entries.get(tag);
    if (entry === undefined) return;
    this.entries.delete(tag);
    this.bytes -= entry.bytes;
  }
}

// Heap bytes of the parts of a state, measured with bench/features.bench.ts --expose-gc (2026-12-02); buckets and small
// distinct sets re-measured on 10,000 states of each kind read from a Redis prefilled by load-tests/prefill-history.ts
const STATE_BYTES = 800;
/** No state is estimated below it. */
const MIN_STATE_BYTES = STATE_BYTES;
const MAP_BYTES = 190;
const BUCKET_BYTES = 140;
const DISTINCT_VALUE_BYTES = 100;
const SMALL_DISTINCT_BYTES = 80;
const SMALL_DISTINCT_ENTRY_BYTES = 50;
const ID_BYTES = 230;

/**
 * The heap a state holds, approximately: its maps, buckets, distinct values and cached ids. O(buckets), not
 * O(values): map sizes are read, not iterated.
 */
export function approximateStateBytes(state: EntityState): number {
  let bytes = STATE_BYTES + state.ids.size * ID_BYTES;
  for (const buckets of state.buckets.values()) {
    bytes += MAP_BYTES + buckets.size * BUCKET_BYTES;
    for (const bucket of buckets.values()) {
      if (bucket.d === undefined) continue;
      bytes += bucket.d.large ? MAP_BYTES * 2 + bucket.d.size * DISTINCT_VALUE_BYTES : SMALL_DISTINCT_BYTES + bucket.d.size * SMALL_DISTINCT_ENTRY_BYTES;
    }
  }
  for (const window of state.windows) {
    if (window === undefined) continue;
    for (const values of window.distinct) bytes += MAP_BYTES + values.size * DISTINCT_VALUE_BYTES;
  }
  return bytes;
}
