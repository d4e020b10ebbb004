import type { EntityState } from './entity-state.ts';

/**
 * The entities this process holds, least recently used first. A cached state is only a guess of what Redis holds:
 * every write names the version it was computed from, and Redis refuses it when that is no longer the one stored.
 */
export class StateCache {
  private readonly states = new Map<string, EntityState>();

  constructor(private readonly maxEntities: number) {}

  get size(): number {
    return this.states.size;
  }

  /** Does not count as a use: the stage sets every state it used once the batch is written, which does. */
  get(tag: string): EntityState | undefined {
    return this.states.get(tag);
  }

  set(tag: string, state: EntityState): void {
    this.states.delete(tag);
    this.states.set(tag, state);
    if (this.states.size > this.maxEntities) {
      for (const oldest of this.states.keys()) {
        this.states.delete(oldest);
        if (this.states.size <= this.maxEntities) break;
      }
    }
  }

  delete(tag: string): void {
    this.states.delete(tag);
  }
}
