// The processor's own histograms, scraped from its /metrics: where a load test's latency goes inside `vigil run`
// (per stage, per Redis operation, batch sizes), taken as the difference of two scrapes so only the measured
// window counts.

/** One histogram series: cumulative bucket counts by upper bound (seconds or messages), sum and count. */
interface Series {
  buckets: [number, number][];
  sum: number;
  count: number;
}

export type Scrape = Map<string, Series>;

const LINE = /^(\w+?)(_bucket|_sum|_count)(?:\{([^}]*)\})? (\S+)$/;

/** Histogram series of the metrics text, keyed `name{labels without le}`. */
export function parseHistograms(text: string, names: readonly string[]): Scrape {
  const out: Scrape = new Map();
  for (const line of text.split('\n')) {
    const match = LINE.exec(line);
    if (match === null || !names.includes(match[1]!)) continue;
    const [, name, suffix, labelText, valueText] = match;
    const labels = (labelText ?? '').split(',').filter((pair) => pair !== '' && !pair.startsWith('le='));
    const key = `${name}{${labels.join(',')}}`;
    let series = out.get(key);
    if (series === undefined) out.set(key, (series = { buckets: [], sum: 0, count: 0 }));
    const value = Number(valueText);
    if (suffix === '_sum') series.sum = value;
    else if (suffix === '_count') series.count = value;
    else {
      const le = /le="([^"]+)"/.exec(labelText!)![1]!;
      series.buckets.push([le === '+Inf' ? Infinity : Number(le), value]);
    }
  }
  return out;
}

export interface SeriesSummary {
  /** Observations in the window (batches, for the stage and batch-size histograms). */
  count: number;
  mean: number;
  /** Upper bound of the bucket holding the 50th / 99th percentile (a histogram gives no finer answer). */
  p50AtMost: number;
  p99AtMost: number;
}

function quantileBound(buckets: [number, number][], count: number, q: number): number {
  const rank = q * count;
  for (const [le, cumulative] of buckets) if (cumulative >= rank) return le;
  return Infinity;
}

/** `after` minus `before`, per series, summarised; series without observations in the window are left out. */
export function summariseWindow(before: Scrape, after: Scrape): Record<string, SeriesSummary> {
  const out: Record<string, SeriesSummary> = {};
  for (const [key, end] of after) {
    const start = before.get(key);
    const count = end.count - (start?.count ?? 0);
    if (count <= 0) continue;
    const startBuckets = new Map(start?.buckets ?? []);
    const buckets = end.buckets.map(([le, c]) => [le, c - (startBuckets.get(le) ?? 0)] as [number, number]);
    out[key] = {
      count,
      mean: (end.sum - (start?.sum ?? 0)) / count,
      p50AtMost: quantileBound(buckets, count, 0.5),
      p99AtMost: quantileBound(buckets, count, 0.99),
    };
  }
  return out;
}

export const PROCESSOR_HISTOGRAMS = ['vigil_stage_duration_seconds', 'vigil_decision_latency_seconds', 'vigil_redis_round_trip_seconds', 'vigil_batch_size_messages'] as const;

export async function scrapeProcessor(adminPort: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  return parseHistograms(await res.text(), PROCESSOR_HISTOGRAMS);
}
