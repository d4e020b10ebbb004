import type { MetricValueWithName, Registry } from 'prom-client';

/** One labelled series of a FixedHistogram: observing allocates nothing and hashes nothing. */
export interface HistogramCell {
  observe(value: number): void;
  /** Records `count` observations of the same value (e.g. one latency shared by a whole batch). */
  observeMany(value: number, count: number): void;
}

export interface FixedHistogramOptions<V extends string> {
  name: string;
  help: string;
  buckets: readonly number[];
  labelName: string;
  /** The closed set of label values; every series exists (at zero) from the start. */
  labelValues: readonly V[];
  registry: Registry;
}

/**
 * A Prometheus histogram for the per-event hot path. prom-client's `observe` builds a labels object
 * and hashes it on every call (~0.7 µs here); this one resolves the label once (`cell('ingest')`) and
 * then only finds the bucket and adds. It registers itself in a prom-client Registry through the
 * registry's public `registerMetric` (which only needs `name`, `help`, `type` and `get()`), so it is
 * exported with the rest of `/metrics` in the standard text format.
 */
export class FixedHistogram<V extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly bounds: Float64Array;
  private readonly labelName: string;
  private readonly cells = new Map<V, Cell>();

  constructor(options: FixedHistogramOptions<V>) {
    const sorted = [...options.buckets].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((b, i) => !Number.isFinite(b) || (i > 0 && b === sorted[i - 1]))) {
      throw new RangeError(`${options.name}: buckets must be distinct finite numbers`);
    }
    this.name = options.name;
    this.help = options.help;
    this.labelName = options.labelName;
    this.bounds = Float64Array.from(sorted);
    for (const value of options.labelValues) this.cells.set(value, new Cell(this.bounds));
    options.registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series for one label value; keep it and observe on it. */
  cell(labelValue: V): HistogramCell {
    const cell = this.cells.get(labelValue);
    if (cell === undefined) throw new RangeError(`${this.name}: unknown ${this.labelName} "${labelValue}"`);
    return cell;
  }

  reset(): void {
    for (const cell of this.cells.values()) cell.reset();
  }

  /** prom-client's collection interface: cumulative `_bucket` series, `_sum` and `_count`. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: MetricValueWithName<string>[] }> {
    const values: MetricValueWithName<string>[] = [];
    for (const [labelValue, cell] of this.cells) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += cell.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: this.bounds[i]!, [this.labelName]: labelValue }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', [this.labelName]: labelValue }, value: cell.count });
      values.push({ metricName: `${this.name}_sum`, labels: { [this.labelName]: labelValue }, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels: { [this.labelName]: labelValue }, value: cell.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}

class Cell implements HistogramCell {
  /** counts[i] observations fell in (bounds[i-1], bounds[i]]; the last slot is above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: Float64Array) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    this.observeMany(value, 1);
  }

  observeMany(value: number, n: number): void {
    if (!Number.isFinite(value) || n <= 0) return;
    const bounds = this.bounds;
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bounds[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo]! += n;
    this.sum += value * n;
    this.count += n;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
