import type { LabelInfo, LabelKind } from './entity.ts';
import { LABEL_SET, entityTypeOf } from './entity.ts';

/** A message of the labels topic (JSON): `{ entity, label, by, at, reason }`. */
export interface LabelEvent extends LabelInfo {
  /** Typed node key, e.g. `account:acc-17`. */
  entity: string;
}

export type LabelDecoding = { ok: true; label: LabelEvent } | { ok: false; reason: string };

const MAX_ENTITY = 300;
const MAX_TEXT = 1_000;

export function encodeLabel(label: LabelEvent): string {
  return JSON.stringify({ entity: label.entity, label: label.label, by: label.by, at: label.at, reason: label.reason });
}

/** Parses and validates one label message; never throws. */
export function decodeLabel(text: string | Uint8Array): LabelDecoding {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  return validateLabel(raw);
}

/** Validates an already parsed label object; the reason names the offending field. */
export function validateLabel(raw: unknown): LabelDecoding {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'label must be a JSON object' };
  const o = raw as Record<string, unknown>;
  const { entity, label, by, at, reason } = o;
  if (typeof entity !== 'string' || entity.length > MAX_ENTITY || entityTypeOf(entity) === undefined) {
    return { ok: false, reason: `entity must be "type:id" with type one of account, card, device, ip, terminal, merchant (got ${short(entity)})` };
  }
  if (typeof label !== 'string' || !LABEL_SET.has(label)) return { ok: false, reason: `label must be fraud, suspect or legit (got ${short(label)})` };
  if (typeof by !== 'string' || by.length === 0 || by.length > MAX_TEXT) return { ok: false, reason: `by must be a non-empty string (got ${short(by)})` };
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) return { ok: false, reason: `at must be epoch milliseconds (got ${short(at)})` };
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_TEXT)) {
    return { ok: false, reason: `reason must be a string of at most ${MAX_TEXT} characters` };
  }
  return { ok: true, label: { entity, label: label as LabelKind, by, at, reason: (reason as string | undefined) ?? '' } };
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}
