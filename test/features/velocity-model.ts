import type { PaymentEvent } from '../../src/ingest/event.ts';
import type { FeatureValues } from '../../src/rules/decision.ts';
import type { FeatureSpec, FeatureSpecs } from '../../src/features/spec.ts';

/**
 * The reference semantics of the velocity features, kept deliberately naive: every counted event is kept in a list
 * and every feature is recomputed by filtering it. Per entity (e.g. card C1), in processing order:
 * - wm = highest effective time counted so far; L = lateness.
 * - R = max(longest window of the entity, dedupRetentionMs);
 * - an event whose id was counted with effective time >= wm - L - R gets the features of that first counting;
 * - otherwise its effective time t is ts, or wm - L when ts < wm - L (clamped); when ts < wm - L - R it is stale:
 *   not counted, features still computed at t;
 * - a feature with window of `buckets` buckets of b ms covers counted events x with
 *   floor(x.t / b) in (floor(t / b) - buckets, floor(t / b)], this event included.
 */
interface Counted {
  t: number;
  amount: number;
  event: PaymentEvent;
}

interface EntityState {
  wm: number | undefined;
  counted: Counted[];
  first: Map<string, { t: number; values: FeatureValues }>;
}

export class VelocityModel {
  private readonly byEntity = new Map<string, FeatureSpec[]>();
  private readonly states = new Map<string, EntityState>();

  /** How many times each (entity, event id) was counted: exactly-once means never more than 1. */
  readonly timesCounted = new Map<string, number>();

  constructor(
    specs: FeatureSpecs,
    private readonly latenessMs: number,
    private readonly dedupRetentionMs = 0,
  ) {
    for (const spec of specs.features) this.byEntity.set(spec.entity, [...(this.byEntity.get(spec.entity) ?? []), spec]);
  }

  process(events: readonly PaymentEvent[]): FeatureValues[] {
    return events.map((event) => {
      const out: FeatureValues = {};
      for (const [entity, specs] of this.byEntity) {
        const values = (specs[0] as FeatureSpec).entityFields.map((field) => event[field]);
        if (values.some((value) => value === undefined || value === '')) continue;
        const key = `${entity}=${JSON.stringify(values)}`;
        let state = this.states.get(key);
        if (state === undefined) this.states.set(key, (state = { wm: undefined, counted: [], first: new Map() }));
        Object.assign(out, this.entityFeatures(state, specs, event, key));
      }
      return out;
    });
  }

  private entityFeatures(state: EntityState, specs: FeatureSpec[], event: PaymentEvent, key: string): FeatureValues {
    const L = this.latenessMs;
    const R = Math.max(this.dedupRetentionMs, ...specs.map((spec) => spec.windowMs));
    const first = state.first.get(event.id);
    if (first !== undefined && (state.wm === undefined || first.t >= state.wm - L - R)) return first.values;
    let t = event.ts;
    let stale = false;
    if (state.wm !== undefined && event.ts < state.wm - L) {
      t = state.wm - L;
      stale = event.ts < t - R;
    }
    if (!stale) {
      state.counted.push({ t, amount: event.amount, event });
      const counted = `${key} ${event.id}`;
      this.timesCounted.set(counted, (this.timesCounted.get(counted) ?? 0) + 1);
      state.wm = state.wm === undefined ? t : Math.max(state.wm, t);
    }
    const values: FeatureValues = {};
    for (const spec of specs) {
      const hi = Math.floor(t / spec.bucketMs);
      const inWindow = state.counted.filter((x) => {
        const index = Math.floor(x.t / spec.bucketMs);
        return index > hi - spec.buckets && index <= hi;
      });
      const count = inWindow.length;
      const sum = inWindow.reduce((total, x) => total + x.amount, 0);
      switch (spec.aggregate) {
        case 'count':
          values[spec.name] = count;
          break;
        case 'sum':
          values[spec.name] = sum;
          break;
        case 'avg':
          values[spec.name] = count === 0 ? 0 : sum / count;
          break;
        case 'distinct': {
          const field = spec.distinctField as NonNullable<FeatureSpec['distinctField']>;
          values[spec.name] = new Set(inWindow.map((x) => x.event[field]).filter((v) => v !== undefined && v !== '')).size;
          break;
        }
      }
    }
    if (!stale) state.first.set(event.id, { t, values });
    return values;
  }
}
