import { LIST_FIELDS, type ListField } from './rule-set.ts';

/**
 * A message of the lists topic (JSON), as the analyst console writes it:
 * `{"list":"block","entity":"card:c-9","op":"add","by":"ana","at":1764…,"reason":"stolen"}`,
 * keyed `block|card:c-9` (see `listChangeKey`).
 */
export interface ListChange {
  list: 'allow' | 'block';
  /** `<field>:<value>`, field one of LIST_FIELDS. */
  entity: string;
  op: 'add' | 'remove';
  by: string;
  /** Epoch ms. */
  at: number;
  reason: string;
}

/** A change whose entity is split into the event field it matches and the value. */
export interface ParsedListChange extends ListChange {
  field: ListField;
  value: string;
}

export type ListChangeDecoding = { ok: true; change: ParsedListChange } | { ok: false; reason: string };

const FIELDS: ReadonlySet<string> = new Set(LIST_FIELDS);
const MAX_VALUE = 300;
const MAX_TEXT = 1_000;

/**
 * The record key: one key per (list, entity), so that on a compacted topic the latest change of an entity's
 * allow entry and of its block entry are both kept (a bare entity key would let one overwrite the other).
 */
export function listChangeKey(list: ListChange['list'], entity: string): string {
  return `${list}|${entity}`;
}

export function encodeListChange(change: ListChange): string {
  return JSON.stringify({ list: change.list, entity: change.entity, op: change.op, by: change.by, at: change.at, reason: change.reason });
}

/** Parses and validates one lists-topic message; never throws. The reason names the offending field. */
export function decodeListChange(value: Uint8Array | string): ListChangeDecoding {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'a list change must be a JSON object' };
  const { list, entity, op, by, at, reason } = raw as Record<string, unknown>;
  if (list !== 'allow' && list !== 'block') return { ok: false, reason: `list must be allow or block (got ${short(list)})` };
  if (op !== 'add' && op !== 'remove') return { ok: false, reason: `op must be add or remove (got ${short(op)})` };
  const parsed = typeof entity === 'string' ? splitEntity(entity) : undefined;
  if (parsed === undefined) return { ok: false, reason: `entity must be "field:value" with field one of ${LIST_FIELDS.join(', ')} (got ${short(entity)})` };
  if (typeof by !== 'string' || by.length === 0 || by.length > MAX_TEXT) return { ok: false, reason: `by must be a non-empty string (got ${short(by)})` };
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) return { ok: false, reason: `at must be epoch milliseconds (got ${short(at)})` };
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_TEXT)) return { ok: false, reason: `reason must be a string of at most ${MAX_TEXT} characters` };
  return { ok: true, change: { list, entity: entity as string, op, by, at, reason: (reason as string | undefined) ?? '', ...parsed } };
}

/**
 * A tombstone (null value) keyed `list|entity` removes that entry: on a compacted topic it is how an entry is
 * deleted for good, so it must mean the same before and after compaction.
 */
export function decodeListTombstone(key: Uint8Array | string | null): ListChangeDecoding {
  const text = key === null ? '' : typeof key === 'string' ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8');
  const bar = text.indexOf('|');
  const list = text.slice(0, bar);
  const parsed = bar > 0 ? splitEntity(text.slice(bar + 1)) : undefined;
  if ((list !== 'allow' && list !== 'block') || parsed === undefined) return { ok: false, reason: `empty message whose key is not "allow|field:value" or "block|field:value" (got ${short(text)})` };
  return { ok: true, change: { list, entity: text.slice(bar + 1), op: 'remove', by: '(tombstone)', at: 0, reason: '', ...parsed } };
}

function splitEntity(entity: string): { field: ListField; value: string } | undefined {
  const colon = entity.indexOf(':');
  if (colon <= 0) return undefined;
  const field = entity.slice(0, colon);
  const value = entity.slice(colon + 1);
  if (!FIELDS.has(field) || value.length === 0 || value.length > MAX_VALUE) return undefined;
  return { field: field as ListField, value };
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}
