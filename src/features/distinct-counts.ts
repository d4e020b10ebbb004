import type { DistinctField } from './spec.ts';

/** Entries kept in the flat array before switching to a map per field. */
const SMALL_ENTRIES = 12;

/**
 * Occurrences of distinct values (a card's terminals, a device's accounts…) in one bucket, per field. Most buckets hold
 * one to a few values: a flat array of (field, value, occurrences) triples is a fraction of the heap of a map per field
 * inside a map per bucket (~200 bytes per map), and of the work of building them when a state is read from Redis. A
 * bucket that outgrows SMALL_ENTRIES (a busy terminal's cards) switches to a map per field, so lookups stay O(1).
 */
export class DistinctCounts {
  /** field, value, occurrences, field, value, occurrences… while small; undefined once maps are used */
  private flat: (string | number)[] | undefined;
  private byField: Map<DistinctField, Map<string, number>> | undefined;
  private entries: number;

  /** The first entry: most buckets hold one value (an array literal of 3 is allocated at its size; `[]` then push is not). */
  constructor(field: DistinctField, value: string, occurrences: number) {
    this.flat = [field, value, occurrences];
    this.entries = 1;
  }

  /** Distinct (field, value) entries. */
  get size(): number {
    return this.entries;
  }

  /** Whether the entries are in maps (for the heap estimate). */
  get large(): boolean {
    return this.byField !== undefined;
  }

  /** Adds `by` occurrences of a value (a value not there yet starts at `by`); returns its occurrences now. */
  add(field: DistinctField, value: string, by: number): number {
    const flat = this.flat;
    if (flat !== undefined) {
      for (let i = 0; i < flat.length; i += 3) {
        if (flat[i + 1] === value && flat[i] === field) return (flat[i + 2] = (flat[i + 2] as number) + by);
      }
      if (flat.length < SMALL_ENTRIES * 3) {
        flat.push(field, value, by);
        this.entries++;
        return by;
      }
      this.toMaps(flat);
    }
    const byField = this.byField as Map<DistinctField, Map<string, number>>;
    let values = byField.get(field);
    if (values === undefined) byField.set(field, (values = new Map()));
    const before = values.get(value);
    if (before === undefined) this.entries++;
    const now = (before ?? 0) + by;
    values.set(value, now);
    return now;
  }

  /** Adds (sign 1) or subtracts (sign -1) this bucket's occurrences of the field's values to a window's totals. */
  addTo(field: DistinctField, totals: Map<string, number>, sign: 1 | -1): void {
    const flat = this.flat;
    if (flat !== undefined) {
      for (let i = 0; i < flat.length; i += 3) if (flat[i] === field) addTotal(totals, flat[i + 1] as string, sign * (flat[i + 2] as number));
      return;
    }
    const values = this.byField?.get(field);
    if (values !== undefined) for (const [value, occurrences] of values) addTotal(totals, value, sign * occurrences);
  }

  /** Adds the field's values to `seen`. */
  collect(field: DistinctField, seen: Set<string>): void {
    const flat = this.flat;
    if (flat !== undefined) {
      for (let i = 0; i < flat.length; i += 3) if (flat[i] === field) seen.add(flat[i + 1] as string);
      return;
    }
    const values = this.byField?.get(field);
    if (values !== undefined) for (const value of values.keys()) seen.add(value);
  }

  forEach(visit: (field: DistinctField, value: string, occurrences: number) => void): void {
    const flat = this.flat;
    if (flat !== undefined) {
      for (let i = 0; i < flat.length; i += 3) visit(flat[i] as DistinctField, flat[i + 1] as string, flat[i + 2] as number);
      return;
    }
    for (const [field, values] of this.byField as Map<DistinctField, Map<string, number>>) for (const [value, occurrences] of values) visit(field, value, occurrences);
  }

  private toMaps(flat: readonly (string | number)[]): void {
    const byField = new Map<DistinctField, Map<string, number>>();
    for (let i = 0; i < flat.length; i += 3) {
      const field = flat[i] as DistinctField;
      let values = byField.get(field);
      if (values === undefined) byField.set(field, (values = new Map()));
      values.set(flat[i + 1] as string, flat[i + 2] as number);
    }
    this.byField = byField;
    this.flat = undefined;
  }
}

function addTotal(totals: Map<string, number>, value: string, occurrences: number): void {
  const total = (totals.get(value) ?? 0) + occurrences;
  if (total > 0) totals.set(value, total);
  else totals.delete(value);
}
