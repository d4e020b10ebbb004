import type { PaymentEvent } from '../ingest/event.ts';
import type { DistinctField, EntityField, FeatureSpec, FeatureSpecs } from './spec.ts';

/** How one feature is read from an entity's outputs: an output index, or sum/count for an average. */
export interface FeatureRead {
  readonly name: string;
  readonly output: number;
  /** For an average: the output holding the count (the sum is `output`). */
  readonly countOutput?: number;
}

/** A window: the last `buckets` event-time buckets of `bucketMs` each. */
export interface WindowPlan {
  readonly bucketMs: number;
  readonly buckets: number;
  /** Count and amount sum are read from it. */
  readonly counts: boolean;
  /** Distinct fields read over it. */
  readonly distinct: readonly DistinctField[];
}

export type OutputKind = 'c' | 's' | 'd';

export interface OutputPlan {
  readonly kind: OutputKind;
  /** Index into `windows`. */
  readonly window: number;
  /** For kind 'd'. */
  readonly field?: DistinctField;
}

/** What one bucket size keeps per bucket, and for how long. */
export interface BucketSizePlan {
  readonly bucketMs: number;
  /** Count and amount sum per bucket (some window of this size reads them). */
  readonly counts: boolean;
  /** Distinct fields kept per bucket (some window of this size reads them). */
  readonly distinct: readonly DistinctField[];
  /** Most buckets any window of this size reaches back: a bucket idx is dropped once wm >= (idx + keep) * bucketMs + lateness. */
  readonly keep: number;
}

/** Everything the stage needs for one entity kind (`card`, `card+terminal`), built once at start-up. */
export interface EntityPlan {
  readonly entity: string;
  readonly fields: readonly EntityField[];
  readonly distinctFields: readonly DistinctField[];
  readonly windows: readonly WindowPlan[];
  readonly bucketSizes: readonly BucketSizePlan[];
  readonly outputs: readonly OutputPlan[];
  readonly reads: readonly FeatureRead[];
  readonly latenessMs: number;
  /** Ids are remembered, and events counted, while they are no older than wm - lateness - retentionMs. */
  readonly retentionMs: number;
  /** Counted ids are kept in Redis by buckets of this much effective time (an eighth of the retention). */
  readonly idBucketMs: number;
  readonly idleTtlMs: number;
}

export interface PlanOptions {
  latenessMs: number;
  idleTtlMs: number;
  /** Ids (and the buckets' clamping horizon) are kept for max(longest window of the entity, this). */
  dedupRetentionMs: number;
}

/** Groups feature specs by entity and lays out their windows, buckets and outputs. */
export function planFeatures(specs: FeatureSpecs, options: PlanOptions): EntityPlan[] {
  const byEntity = new Map<string, FeatureSpec[]>();
  for (const spec of specs.features) {
    const list = byEntity.get(spec.entity) ?? [];
    list.push(spec);
    byEntity.set(spec.entity, list);
  }
  const plans: EntityPlan[] = [];
  for (const [entity, features] of byEntity) {
    const windows: { bucketMs: number; buckets: number; counts: boolean; distinct: DistinctField[] }[] = [];
    const outputs: OutputPlan[] = [];
    const distinctFields: DistinctField[] = [];
    const windowOf = (spec: FeatureSpec): number => {
      let index = windows.findIndex((w) => w.bucketMs === spec.bucketMs && w.buckets === spec.buckets);
      if (index < 0) index = windows.push({ bucketMs: spec.bucketMs, buckets: spec.buckets, counts: false, distinct: [] }) - 1;
      return index;
    };
    const outputOf = (kind: OutputKind, window: number, field?: DistinctField): number => {
      let index = outputs.findIndex((o) => o.kind === kind && o.window === window && o.field === field);
      if (index < 0) index = outputs.push(field === undefined ? { kind, window } : { kind, window, field }) - 1;
      const w = windows[window] as (typeof windows)[number];
      if (kind !== 'd') w.counts = true;
      else if (field !== undefined && !w.distinct.includes(field)) w.distinct.push(field);
      return index;
    };
    const reads: FeatureRead[] = features.map((spec) => {
      const window = windowOf(spec);
      switch (spec.aggregate) {
        case 'count':
          return { name: spec.name, output: outputOf('c', window) };
        case 'sum':
          return { name: spec.name, output: outputOf('s', window) };
        case 'avg':
          return { name: spec.name, output: outputOf('s', window), countOutput: outputOf('c', window) };
        case 'distinct': {
          const field = spec.distinctField as DistinctField;
          if (!distinctFields.includes(field)) distinctFields.push(field);
          return { name: spec.name, output: outputOf('d', window, field) };
        }
      }
    });
    const sizes = new Map<number, { bucketMs: number; counts: boolean; distinct: DistinctField[]; keep: number }>();
    for (const w of windows) {
      let size = sizes.get(w.bucketMs);
      if (size === undefined) sizes.set(w.bucketMs, (size = { bucketMs: w.bucketMs, counts: false, distinct: [], keep: 0 }));
      size.counts ||= w.counts;
      size.keep = Math.max(size.keep, w.buckets);
      for (const field of w.distinct) if (!size.distinct.includes(field)) size.distinct.push(field);
    }
    const retentionMs = Math.max(options.dedupRetentionMs, ...features.map((spec) => spec.windowMs));
    plans.push({
      entity,
      fields: (features[0] as FeatureSpec).entityFields,
      distinctFields,
      windows,
      bucketSizes: [...sizes.values()],
      outputs,
      reads,
      latenessMs: options.latenessMs,
      retentionMs,
      idBucketMs: Math.max(1000, Math.ceil(retentionMs / 8)),
      idleTtlMs: options.idleTtlMs,
    });
  }
  return plans;
}

/**
 * The hash tag naming one entity's keys, e.g. `card:1234`, or undefined when the event lacks one of its fields.
 * Pair values are length-prefixed so that distinct pairs never share a tag.
 */
export function entityTag(plan: EntityPlan, event: PaymentEvent): string | undefined {
  const fields = plan.fields;
  if (fields.length === 1) {
    const value = event[fields[0] as EntityField];
    return value === undefined || value === '' ? undefined : `${plan.entity}:${value}`;
  }
  let tag = `${plan.entity}:`;
  for (let i = 0; i < fields.length; i++) {
    const value = event[fields[i] as EntityField];
    if (value === undefined || value === '') return undefined;
    tag += i === fields.length - 1 ? value : `${value.length}.${value}|`;
  }
  return tag;
}
