import type { PaymentEvent } from '../ingest/event.ts';
import type { DistinctField, EntityField, FeatureSpec, FeatureSpecs } from './spec.ts';

/** How one feature is read from a script reply: an output index, or sum/count for an average. */
export interface FeatureRead {
  readonly name: string;
  readonly output: number;
  /** For an average: the output holding the count (the sum is `output`). */
  readonly countOutput?: number;
}

/** Everything the script needs for one entity kind (`card`, `card+terminal`), built once at start-up. */
export interface EntityPlan {
  readonly entity: string;
  readonly fields: readonly EntityField[];
  readonly distinctFields: readonly DistinctField[];
  /** ARGV before the events: lateness, retention, TTL, windows, outputs, distinct slot count. */
  readonly header: readonly string[];
  readonly reads: readonly FeatureRead[];
  readonly outputs: number;
}

export interface PlanOptions {
  latenessMs: number;
  idleTtlMs: number;
  /** Ids (and the buckets' clamping horizon) are kept for max(longest window of the entity, this). */
  dedupRetentionMs: number;
}

/** Groups feature specs by entity and lays out the script's windows and outputs. */
export function planFeatures(specs: FeatureSpecs, options: PlanOptions): EntityPlan[] {
  const byEntity = new Map<string, FeatureSpec[]>();
  for (const spec of specs.features) {
    const list = byEntity.get(spec.entity) ?? [];
    list.push(spec);
    byEntity.set(spec.entity, list);
  }
  const plans: EntityPlan[] = [];
  for (const [entity, features] of byEntity) {
    const windows: string[] = [];
    const distinctFields: DistinctField[] = [];
    const outputs: string[] = [];
    const windowOf = (spec: FeatureSpec): number => {
      const key = `${spec.bucketMs}:${spec.buckets}`;
      let index = windows.indexOf(key);
      if (index < 0) index = windows.push(key) - 1;
      return index + 1;
    };
    const outputOf = (kind: 'c' | 's' | 'd', window: number, slot: number): number => {
      const key = `${kind}:${window}:${slot}`;
      let index = outputs.indexOf(key);
      if (index < 0) index = outputs.push(key) - 1;
      return index;
    };
    const reads: FeatureRead[] = features.map((spec) => {
      const window = windowOf(spec);
      switch (spec.aggregate) {
        case 'count':
          return { name: spec.name, output: outputOf('c', window, 0) };
        case 'sum':
          return { name: spec.name, output: outputOf('s', window, 0) };
        case 'avg':
          return { name: spec.name, output: outputOf('s', window, 0), countOutput: outputOf('c', window, 0) };
        case 'distinct': {
          const field = spec.distinctField as DistinctField;
          let slot = distinctFields.indexOf(field);
          if (slot < 0) slot = distinctFields.push(field) - 1;
          return { name: spec.name, output: outputOf('d', window, slot + 1) };
        }
      }
    });
    const retention = Math.max(options.dedupRetentionMs, ...features.map((spec) => spec.windowMs));
    const header = [String(options.latenessMs), String(retention), String(options.idleTtlMs), String(windows.length)];
    for (const window of windows) header.push(...window.split(':'));
    header.push(String(outputs.length));
    for (const output of outputs) header.push(...output.split(':'));
    header.push(String(distinctFields.length));
    plans.push({ entity, fields: (features[0] as FeatureSpec).entityFields, distinctFields, header, reads, outputs: outputs.length });
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
