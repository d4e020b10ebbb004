/**
 * Batches waiting for a stage: one run at a time takes every batch waiting (up to `maxItems` items, always at least
 * one batch), concatenated in arrival order, and each caller gets its own slice of the result. Concurrent callers
 * (Kafka partitions) then share the run's round trips, and no two runs ever overlap.
 */
export class CoalescingRuns<T, R> {
  private waiting: { items: readonly T[]; resolve: (results: R[]) => void; reject: (error: unknown) => void }[] = [];
  private draining = false;

  constructor(
    private readonly run: (items: readonly T[]) => Promise<R[]>,
    private readonly maxItems: number,
    /** Maps a failed run's error to what every caller of that run is rejected with. */
    private readonly failure: (error: unknown) => unknown = (error) => error,
  ) {}

  submit(items: readonly T[]): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.waiting.length > 0) {
      let take = 1;
      let size = this.waiting[0]!.items.length;
      while (take < this.waiting.length && size + this.waiting[take]!.items.length <= this.maxItems) size += this.waiting[take++]!.items.length;
      const taken = this.waiting.splice(0, take);
      const items = taken.length === 1 ? taken[0]!.items : taken.flatMap((batch) => batch.items);
      try {
        const results = await this.run(items);
        let offset = 0;
        for (const batch of taken) {
          batch.resolve(results.slice(offset, offset + batch.items.length));
          offset += batch.items.length;
        }
      } catch (error) {
        const mapped = this.failure(error);
        for (const batch of taken) batch.reject(mapped);
      }
    }
    this.draining = false;
  }
}
