import type { FeatureStage } from '../features/index.ts';
import type { PaymentEvent } from '../ingest/event.ts';
import type { FeatureValues } from '../rules/decision.ts';

const UNIT: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const ENTITIES = new Set(['card', 'account', 'device', 'ip', 'terminal', 'merchant', 'beneficiary']);

interface Spec { name: string; entity: keyof PaymentEvent; agg: 'count' | 'sum_amount' | 'avg_amount'; windowMs: number }

/**
 * REFERENCE feature stage for backtests run before (or beside) the Redis velocity stage: in memory, exact
 * sliding windows in event time, same names and meaning as src/features (`<entity>.<count|sum_amount|avg_amount>.<window>`,
 * value over the entity's events with ts in (e.ts − window, e.ts], the event itself included; an event without
 * the entity gets no value). The Redis stage buckets its windows, so values may differ slightly at window edges.
 * Not a production stage: memory grows with entities × events in the longest window.
 */
export function createReferenceFeatureStage(featureNames: readonly string[]): FeatureStage {
  const specs: Spec[] = [];
  for (const name of featureNames) {
    const m = /^([a-z]+)\.(count|sum_amount|avg_amount)\.(\d+)([smhd])$/.exec(name);
    if (!m || !ENTITIES.has(m[1]!)) continue; // other features (distinct, pairs) are not in the reference
    specs.push({ name, entity: m[1] as keyof PaymentEvent, agg: m[2] as Spec['agg'], windowMs: Number(m[3]) * UNIT[m[4]!]! });
  }
  const longest = Math.max(0, ...specs.map((s) => s.windowMs));
  const entities = [...new Set(specs.map((s) => s.entity))];
  const history = new Map<string, { ts: number[]; amount: number[]; head: number }>();
  const seen = new Set<string>();

  return {
    featureNames: specs.map((s) => s.name),
    async compute(events) {
      const out: FeatureValues[] = [];
      for (const e of events) {
        const values: FeatureValues = {};
        const fresh = !seen.has(e.id);
        if (fresh) seen.add(e.id);
        for (const entity of entities) {
          const v = e[entity];
          if (v === undefined) continue;
          const key = `${entity}:${v}`;
          let h = history.get(key);
          if (!h) history.set(key, (h = { ts: [], amount: [], head: 0 }));
          if (fresh) { h.ts.push(e.ts); h.amount.push(e.amount); }
          while (h.head < h.ts.length && h.ts[h.head]! <= e.ts - longest) h.head++;
          if (h.head > 1024 && h.head * 2 > h.ts.length) { h.ts = h.ts.slice(h.head); h.amount = h.amount.slice(h.head); h.head = 0; }
          for (const s of specs) {
            if (s.entity !== entity) continue;
            let count = 0;
            let sum = 0;
            for (let i = h.ts.length - 1; i >= h.head; i--) {
              const t = h.ts[i]!;
              if (t > e.ts) continue;
              if (t <= e.ts - s.windowMs) break;
              count++;
              sum += h.amount[i]!;
            }
            values[s.name] = s.agg === 'count' ? count : s.agg === 'sum_amount' ? sum : count === 0 ? 0 : sum / count;
          }
        }
        out.push(values);
      }
      return out;
    },
    close: async () => {},
  };
}
