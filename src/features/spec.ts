import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { FeatureSpecError } from '../errors.ts';
import { parseDuration } from './duration.ts';

/** Event fields that name an entity whose history is counted. A pair such as `card+terminal` counts the combination. */
export const ENTITY_FIELDS = ['card', 'account', 'device', 'ip', 'terminal', 'merchant', 'beneficiary'] as const;
export type EntityField = (typeof ENTITY_FIELDS)[number];

/** Event fields whose distinct values can be counted per entity (`device.distinct_account.1h`). */
export const DISTINCT_FIELDS = ['account', 'beneficiary', 'card', 'device', 'ip', 'terminal', 'merchant', 'country', 'channel'] as const;
export type DistinctField = (typeof DISTINCT_FIELDS)[number];

export type Aggregate = 'count' | 'sum' | 'avg' | 'distinct';

/** One feature, `<entity>.<aggregate>.<window>`, e.g. `card.count.1m` or `device.distinct_account.1h`. */
export interface FeatureSpec {
  readonly name: string;
  /** As written: `card`, or a pair such as `card+terminal`. */
  readonly entity: string;
  readonly entityFields: readonly EntityField[];
  readonly aggregate: Aggregate;
  /** Set when aggregate is `distinct`. */
  readonly distinctField?: DistinctField;
  readonly windowMs: number;
  /** The window is counted as its last `buckets` buckets of `bucketMs` event-time milliseconds. */
  readonly bucketMs: number;
  readonly buckets: number;
}

export interface FeatureSpecs {
  /** Where the specs came from, for messages. */
  readonly source: string;
  readonly features: readonly FeatureSpec[];
}

export const DEFAULT_BUCKETS = 30;
const MAX_BUCKETS = 1000;
const TOP_KEYS = new Set(['version', 'buckets', 'features']);
const GROUP_KEYS = new Set(['entity', 'aggregates', 'windows', 'buckets']);

/** Reads and validates a feature spec file (rules/features.yaml); throws FeatureSpecError naming file, line and field. */
export async function loadFeatureSpecs(path: string): Promise<FeatureSpecs> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new FeatureSpecError(path, 0, '(file)', `cannot be read: ${(cause as Error).message}`);
  }
  return parseFeatureSpecs(text, path);
}

/** loadFeatureSpecs for start-up code that is synchronous. */
export function loadFeatureSpecsSync(path: string): FeatureSpecs {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new FeatureSpecError(path, 0, '(file)', `cannot be read: ${(cause as Error).message}`);
  }
  return parseFeatureSpecs(text, path);
}

/** Validates feature specs given as YAML text; `source` names the text in error messages. */
export function parseFeatureSpecs(text: string, source: string): FeatureSpecs {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const lineOf = (path: readonly (string | number)[]): number => {
    const node = path.length === 0 ? doc.contents : doc.getIn(path, true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    return range === undefined ? 0 : lines.linePos(range[0]).line;
  };
  const fail = (path: readonly (string | number)[], message: string): never => {
    throw new FeatureSpecError(source, lineOf(path), path.length === 0 ? '(document)' : path.join('.'), message);
  };
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    throw new FeatureSpecError(source, lines.linePos(yamlError.pos[0]).line, '(yaml)', yamlError.message.split('\n')[0] ?? 'invalid YAML');
  }
  if (!isMap(doc.contents)) fail([], 'must be a mapping with `version` and `features`');
  const top = doc.toJS() as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!TOP_KEYS.has(key)) fail([key], `unknown key (expected one of ${[...TOP_KEYS].join(', ')})`);
  if (top.version !== 1) fail(['version'], 'must be 1');
  const defaultBuckets = top.buckets === undefined ? DEFAULT_BUCKETS : readBuckets(top.buckets, ['buckets'], fail);
  if (!Array.isArray(top.features) || top.features.length === 0) fail(['features'], 'must be a non-empty list of feature groups');

  const features: FeatureSpec[] = [];
  const seen = new Set<string>();
  (top.features as unknown[]).forEach((raw, g) => {
    const at = ['features', g];
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(at, 'must be a mapping with entity, aggregates, windows');
    const group = raw as Record<string, unknown>;
    for (const key of Object.keys(group)) if (!GROUP_KEYS.has(key)) fail([...at, key], `unknown key (expected one of ${[...GROUP_KEYS].join(', ')})`);
    const entityFields = readEntity(group.entity, [...at, 'entity'], fail);
    const entity = group.entity as string;
    const buckets = group.buckets === undefined ? defaultBuckets : readBuckets(group.buckets, [...at, 'buckets'], fail);
    const aggregates = readList(group.aggregates, [...at, 'aggregates'], fail);
    const windows = readList(group.windows, [...at, 'windows'], fail);
    windows.forEach((window, w) => {
      const windowMs = typeof window === 'string' ? parseDuration(window) : undefined;
      if (windowMs === undefined) return fail([...at, 'windows', w], `${JSON.stringify(window)} is not a duration such as 1m, 24h or 30d`);
      if (windowMs % buckets !== 0) fail([...at, 'windows', w], `${window} does not split into ${buckets} whole-millisecond buckets`);
      aggregates.forEach((aggregate, a) => {
        const parsed = readAggregate(aggregate, entityFields, [...at, 'aggregates', a], fail);
        const name = `${entity}.${aggregate as string}.${window as string}`;
        const identity = `${entity}.${aggregate as string}.${windowMs}`;
        if (seen.has(identity)) fail([...at, 'windows', w], `feature ${name} is defined twice (same entity, aggregate and window as an earlier one)`);
        seen.add(identity);
        features.push({ name, entity, entityFields, ...parsed, windowMs, bucketMs: windowMs / buckets, buckets });
      });
    });
  });
  return { source, features };
}

type Fail = (path: readonly (string | number)[], message: string) => never;

function readBuckets(value: unknown, path: (string | number)[], fail: Fail): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_BUCKETS) fail(path, `must be an integer from 1 to ${MAX_BUCKETS}`);
  return value as number;
}

function readList(value: unknown, path: (string | number)[], fail: Fail): unknown[] {
  if (!Array.isArray(value) || value.length === 0) fail(path, 'must be a non-empty list');
  return value as unknown[];
}

function readEntity(value: unknown, path: (string | number)[], fail: Fail): EntityField[] {
  if (typeof value !== 'string' || value === '') return fail(path, `must be one of ${ENTITY_FIELDS.join(', ')} or a pair such as card+terminal`);
  const fields = value.split('+');
  for (const field of fields) {
    if (!(ENTITY_FIELDS as readonly string[]).includes(field)) fail(path, `${JSON.stringify(field)} is not an entity (expected ${ENTITY_FIELDS.join(', ')})`);
  }
  if (new Set(fields).size !== fields.length) fail(path, 'names the same field twice');
  return fields as EntityField[];
}

function readAggregate(
  value: unknown,
  entityFields: readonly EntityField[],
  path: (string | number)[],
  fail: Fail,
): { aggregate: Aggregate; distinctField?: DistinctField } {
  if (value === 'count') return { aggregate: 'count' };
  if (value === 'sum_amount') return { aggregate: 'sum' };
  if (value === 'avg_amount') return { aggregate: 'avg' };
  if (typeof value === 'string' && value.startsWith('distinct_')) {
    const field = value.slice('distinct_'.length);
    if (!(DISTINCT_FIELDS as readonly string[]).includes(field)) fail(path, `cannot count distinct ${JSON.stringify(field)} (expected one of ${DISTINCT_FIELDS.join(', ')})`);
    if ((entityFields as readonly string[]).includes(field)) fail(path, `distinct ${field} of an entity that includes ${field} is always 1`);
    return { aggregate: 'distinct', distinctField: field as DistinctField };
  }
  return fail(path, `${JSON.stringify(value)} is not an aggregate (expected count, sum_amount, avg_amount or distinct_<field>)`);
}

