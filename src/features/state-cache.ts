import type { EntityState } from './entity-state.ts';
import { FrequencySketch } from './frequency-sketch.ts';

export interface StateCacheStats {
  /** Entities not cached that took the place of a less used one (or of none, while the cache was filling). */
  admitted: number;
  /** Entities not cached that were used less often than the one they would replace: not kept. */
  refused: number;
}

/**
 * The entities this process holds. A cached state is only a guess of what Redis holds: every write names the version
 * it was computed from, and Redis refuses it when that is no longer the one stored.
 *
 * When the active entities outnumber the cache, plain LRU would replace a cached state by every state read: each one
 * survives long enough to be promoted by the garbage collector, only to be dropped a moment later, for no gain in hits.
 * So a full cache admits an entity only if it was used more often recently than the least recently used one it would
 * replace (TinyLFU admission); the others are counted from Redis and dropped young, which costs the collector little.
 */
export class StateCache {
  private readonly states = new Map<string, EntityState>();
  private readonly sketch: FrequencySketch;
  private readonly counts: StateCacheStats = { admitted: 0, refused: 0 };

  constructor(private readonly maxEntities: number) {
    this.sketch = new FrequencySketch(maxEntities);
  }

  get size(): number {
    return this.states.size;
  }

  stats(): Readonly<StateCacheStats> {
    return this.counts;
  }

  /** Counts a use (for admission); does not refresh recency: the stage sets every state it used once the batch is written. */
  get(tag: string): EntityState | undefined {
    this.sketch.increment(tag);
    return this.states.get(tag);
  }

  set(tag: string, state: EntityState): void {
    if (this.states.delete(tag)) {
      this.states.set(tag, state);
      return;
    }
    if (this.states.size >= this.maxEntities) {
      const victim = this.states.keys().next();
      if (victim.done === true || this.sketch.frequency(tag) <= this.sketch.frequency(victim.value)) {
        this.counts.refused++;
        return;
      }
      this.states.delete(victim.value);
    }
    this.states.set(tag, state);
    this.counts.admitted++;
  }

  delete(tag: string): void {
    this.states.delete(tag);
  }
}
