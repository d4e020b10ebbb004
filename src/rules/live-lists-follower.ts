import { decodeListChange, decodeListTombstone, type ListChangeDecoding, type ParsedListChange } from './list-change.ts';
import type { LiveLists } from './live-lists.ts';

export interface ListsLogMessage {
  offset: string;
  key?: Uint8Array | null;
  value: Uint8Array | null;
}

/**
 * What the follower needs from a log: the partitions' offsets, and every partition consumed from the beginning.
 * The graph's `createKafkaReplicationLog` (src/graph) provides it over the shared Kafka seam.
 */
export interface ListsLog {
  offsets(topic: string): Promise<{ partition: number; low: number; high: number }[]>;
  consumeAll(topics: readonly string[], handler: (topic: string, partition: number, messages: readonly ListsLogMessage[]) => Promise<void> | void): Promise<void>;
  close(): Promise<void>;
}

export interface LiveListsFollowerOptions {
  log: ListsLog;
  topic: string;
  lists: LiveLists;
  /** Told about every change applied, with its position `topic/partition@offset`. */
  onApplied?: (change: ParsedListChange, where: string) => void;
  /** Told about every message refused (garbage, unknown field, list or op), with the reason. */
  onRejected?: (where: string, reason: string) => void;
}

export interface LiveListsStats {
  applied: number;
  rejected: number;
}

/**
 * Builds the live lists from the lists topic and keeps them current: every partition from the beginning (a
 * consumer group of this process's own), changes applied in offset order. Caught up once every partition is read
 * up to the end offsets of start(), so a fresh or restarted instance knows every earlier change before it scores.
 */
export class LiveListsFollower {
  private readonly pending = new Map<number, number>();
  private readonly counters: LiveListsStats = { applied: 0, rejected: 0 };
  private started = false;
  private markCaughtUp!: () => void;
  /** Resolves once caught up. */
  readonly caughtUp: Promise<void> = new Promise((resolve) => (this.markCaughtUp = resolve));
  private isCaught = false;

  constructor(private readonly options: LiveListsFollowerOptions) {}

  async start(): Promise<void> {
    if (this.started) throw new Error('LiveListsFollower already started');
    this.started = true;
    const { log, topic } = this.options;
    for (const p of await log.offsets(topic)) if (p.high > p.low) this.pending.set(p.partition, p.high);
    this.checkCaughtUp();
    await log.consumeAll([topic], (_topic, partition, messages) => this.onMessages(partition, messages));
  }

  isCaughtUp(): boolean {
    return this.isCaught;
  }

  /** Partitions not yet read up to their end offset of start(). */
  partitionsBehind(): number {
    return this.pending.size;
  }

  stats(): LiveListsStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    await this.options.log.close();
  }

  private onMessages(partition: number, messages: readonly ListsLogMessage[]): void {
    const { topic, lists } = this.options;
    for (const m of messages) {
      const where = `${topic}/${partition}@${m.offset}`;
      const decoded: ListChangeDecoding = m.value === null ? decodeListTombstone(m.key ?? null) : decodeListChange(m.value);
      if (!decoded.ok) {
        this.counters.rejected++;
        this.options.onRejected?.(where, decoded.reason);
        continue;
      }
      lists.apply(decoded.change);
      this.counters.applied++;
      this.options.onApplied?.(decoded.change, where);
    }
    const last = messages[messages.length - 1];
    if (last === undefined || this.isCaught) return;
    const target = this.pending.get(partition);
    if (target !== undefined && Number(last.offset) + 1 >= target) {
      this.pending.delete(partition);
      this.checkCaughtUp();
    }
  }

  private checkCaughtUp(): void {
    if (this.isCaught || this.pending.size > 0) return;
    this.isCaught = true;
    this.markCaughtUp();
  }
}
