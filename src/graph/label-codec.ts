import type { LabelInfo, LabelKind, LabelledPayment } from './entity.ts';
import { LABEL_SET, entityTypeOf } from './entity.ts';

/** A message of the labels topic (JSON): `{ entity, label, by, at, reason, payment? }`. */
export interface LabelEvent extends LabelInfo {
  /** Typed node key, e.g. `account:acc-17`. */
  entity: string;
  /** The payment the label was found on, when it names one (fraud labels from chargebacks or from an alert). */
  payment?: LabelledPayment;
}

export type LabelDecoding = { ok: true; label: LabelEvent } | { ok: false; reason: string };

const MAX_ENTITY = 300;
const MAX_TEXT = 1_000;

export function encodeLabel(label: LabelEvent): string {
  const base = { entity: label.entity, label: label.label, by: label.by, at: label.at, reason: label.reason };
  return JSON.stringify(label.payment === undefined ? base : { ...base, payment: label.payment });
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
  const decoded: LabelEvent = { entity, label: label as LabelKind, by, at, reason: (reason as string | undefined) ?? '' };
  if (o.payment !== undefined) {
    const payment = validatePayment(o.payment);
    if (typeof payment === 'string') return { ok: false, reason: `payment.${payment}` };
    decoded.payment = payment;
  }
  return { ok: true, label: decoded };
}

/** The labelled payment, or the name of its offending field with what is wrong. */
function validatePayment(raw: unknown): LabelledPayment | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return ' must be an object { ts, terminal?, merchant?, amount?, usualAmount?, id? }';
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!PAYMENT_KEYS.has(key)) return `${key} is not a field of a labelled payment (ts, terminal, merchant, amount, usualAmount, id)`;
  if (typeof o.ts !== 'number' || !Number.isSafeInteger(o.ts) || o.ts < 0) return `ts must be epoch milliseconds (got ${short(o.ts)})`;
  const payment: LabelledPayment = { ts: o.ts };
  for (const key of ['id', 'terminal', 'merchant'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ENTITY) return `${key} must be a non-empty string of at most ${MAX_ENTITY} characters (got ${short(v)})`;
    payment[key] = v;
  }
  for (const key of ['amount', 'usualAmount'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return `${key} must be a number >= 0 in minor units (got ${short(v)})`;
    payment[key] = v;
  }
  return payment;
}

const PAYMENT_KEYS: ReadonlySet<string> = new Set(['id', 'ts', 'terminal', 'merchant', 'amount', 'usualAmount']);

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}
