/** Commits the given offsets (the next offset to read, per partition of one topic) to the consumer group. */
export type CommitOffsets = (topic: string, offsets: ReadonlyMap<number, string>) => Promise<void>;

/**
 * Group commit of consumed offsets: a batch's offset is queued once its decisions are acknowledged, and one
 * OffsetCommit request at a time carries every partition queued since the previous one, at most one per `intervalMs`.
 * The batch does not wait for it, so the partition's next fetch does not wait for a commit round trip, and the
 * batches of many fetches share one request instead of one each (at a few events per fetch, a commit per fetch was
 * nearly half of the processor's broker requests). A crash before the commit lands repeats those batches (at least once, as before);
 * `flush` (a stop, a rebalance) commits at once.
 */
export class OffsetCommitter {
  private pending = new Map<number, string>();
  private inFlight: Promise<void> | undefined;
  private commit: CommitOffsets | undefined;
  private lastCommitAt = Number.NEGATIVE_INFINITY;
  /** Ends the wait for the interval early (a flush). */
  private wake: (() => void) | undefined;
  private flushing = 0;

  constructor(
    private readonly topic: string,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = 0,
  ) {
    if (!(intervalMs >= 0)) throw new RangeError(`intervalMs must be >= 0, got ${intervalMs}`);
  }

  /** Queues `next` as the partition's committed position and sends it with the next commit. */
  queue(partition: number, next: string, commit: CommitOffsets): void {
    this.pending.set(partition, next);
    // kafkajs' commit of the newest batch: it stays usable while the consumer stops (its consumer.commitOffsets does not)
    this.commit = commit;
    if (this.inFlight === undefined) this.inFlight = this.drain();
  }

  /** Resolves once everything queued so far is committed (or its commit failed and was reported). */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      this.wake?.();
      while (this.inFlight !== undefined) await this.inFlight;
      // A commit that failed is tried once more.
      if (this.pending.size > 0 && this.commit !== undefined) await (this.inFlight = this.drain());
    } finally {
      this.flushing--;
    }
  }

  /** Forgets what is queued: after a rebalance the group's committed offsets are the truth again. */
  forget(): void {
    this.pending.clear();
  }

  private async drain(): Promise<void> {
    // Batches of one fetch finish within a few ticks of each other: wait for the rest of this turn of the event loop.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.pending.size > 0 && this.commit !== undefined) {
      const wait = this.lastCommitAt + this.intervalMs - Date.now();
      if (wait > 0 && this.flushing === 0) {
        await this.sleep(wait);
        // a rebalance meanwhile forgot what was queued
        if (this.pending.size === 0) continue;
      }
      this.lastCommitAt = Date.now();
      const offsets = this.pending;
      this.pending = new Map();
      try {
        await this.commit(this.topic, offsets);
      } catch (error) {
        // Newer offsets queued meanwhile supersede these; otherwise they go with the next commit.
        for (const [partition, next] of offsets) if (!this.pending.has(partition)) this.pending.set(partition, next);
        this.onError(error);
        break;
      }
    }
    this.inFlight = undefined;
  }

  /** Waits `ms`, or until a flush. Unref'd: a queued commit alone does not keep the process up (a stop flushes it). */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.wake = done;
    });
  }
}
