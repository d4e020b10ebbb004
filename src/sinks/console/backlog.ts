/** The newest `capacity` items, oldest first on read: the alerts a console client gets on connecting. */
export class Backlog<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`backlog capacity must be an integer >= 0, got ${capacity}`);
    this.items = new Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.capacity === 0) return;
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = new Array(this.size);
    const start = (this.next - this.size + this.capacity) % Math.max(1, this.capacity);
    for (let i = 0; i < this.size; i++) out[i] = this.items[(start + i) % this.capacity]!;
    return out;
  }
}
