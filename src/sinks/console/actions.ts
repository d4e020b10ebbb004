import type { OutgoingRecord } from '../../ingest/kafka.ts';
import type { Principal } from './auth.ts';
import { encodeListChange, listChangeKey } from '../../rules/index.ts';
import type { Decision } from '../../rules/decision.ts';
import type { LabelledPayment } from '../../graph/entity.ts';
import { usualAmountOf } from '../../graph/labelled-payment.ts';

export interface ActionTopics {
  labels: string;
  lists: string;
  audit: string;
}

/** A message a client sends: a request for the backlog, or an analyst action. */
export type ClientMessage =
  | { t: 'resync' }
  | { t: 'action'; req: number; action: 'ack'; eventId: string; reason: string }
  | { t: 'action'; req: number; action: 'label'; eventId: string; entity: string; label: 'fraud' | 'suspect' | 'legit'; reason: string }
  | { t: 'action'; req: number; action: 'list'; eventId: string; entity: string; list: 'allow' | 'block'; op: 'add' | 'remove'; reason: string };

export type ActionMessage = Extract<ClientMessage, { t: 'action' }>;

/** Entity keys as the graph names them: `type:id`. */
const ENTITY = /^(account|card|device|ip|terminal|merchant):[^\s]{1,200}$/;
const LABELS = new Set(['fraud', 'suspect', 'legit']);
const LISTS = new Set(['allow', 'block']);
const OPS = new Set(['add', 'remove']);
const MAX_REASON = 500;

/** Parses and validates a client message; the error names what is wrong. */
export function parseClientMessage(text: string): { ok: true; message: ClientMessage } | { ok: false; error: string; req?: number } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: 'message is not JSON' };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, error: 'message must be an object' };
  const m = raw as Record<string, unknown>;
  if (m.t === 'resync') return { ok: true, message: { t: 'resync' } };
  if (m.t !== 'action') return { ok: false, error: 'unknown message type' };
  const req = typeof m.req === 'number' && Number.isSafeInteger(m.req) ? m.req : undefined;
  if (req === undefined) return { ok: false, error: 'req must be an integer' };
  const fail = (error: string) => ({ ok: false as const, error, req });
  if (typeof m.eventId !== 'string' || m.eventId.length === 0 || m.eventId.length > 200) return fail('eventId must be a string of 1-200 characters');
  const reason = m.reason === undefined ? '' : m.reason;
  if (typeof reason !== 'string' || reason.length > MAX_REASON) return fail(`reason must be a string of at most ${MAX_REASON} characters`);
  if (m.action === 'ack') return { ok: true, message: { t: 'action', req, action: 'ack', eventId: m.eventId, reason } };
  if (typeof m.entity !== 'string' || !ENTITY.test(m.entity)) return fail('entity must be type:id with type account, card, device, ip, terminal or merchant');
  if (m.action === 'label') {
    if (typeof m.label !== 'string' || !LABELS.has(m.label)) return fail('label must be fraud, suspect or legit');
    return { ok: true, message: { t: 'action', req, action: 'label', eventId: m.eventId, entity: m.entity, label: m.label as 'fraud', reason } };
  }
  if (m.action === 'list') {
    if (typeof m.list !== 'string' || !LISTS.has(m.list)) return fail('list must be allow or block');
    const op = m.op === undefined ? 'add' : m.op;
    if (typeof op !== 'string' || !OPS.has(op)) return fail('op must be add or remove');
    return { ok: true, message: { t: 'action', req, action: 'list', eventId: m.eventId, entity: m.entity, list: m.list as 'allow', op: op as 'add', reason } };
  }
  return fail('action must be ack, label or list');
}

/** The audit record of an action (also written for refused ones): who, what, when, and the outcome. */
export interface AuditRecord {
  at: number;
  by: string;
  role: string;
  action: string;
  outcome: 'ok' | 'denied' | 'invalid' | 'failed';
  eventId?: string;
  entity?: string;
  label?: string;
  list?: string;
  op?: string;
  reason?: string;
  error?: string;
}

export function auditRecordOf(message: ActionMessage, who: Principal, at: number, outcome: AuditRecord['outcome'], error?: string): AuditRecord {
  const record: AuditRecord = { at, by: who.name, role: who.role, action: message.action, outcome, eventId: message.eventId };
  if (message.action !== 'ack') record.entity = message.entity;
  if (message.action === 'label') record.label = message.label;
  if (message.action === 'list') {
    record.list = message.list;
    record.op = message.op;
  }
  if (message.reason !== '') record.reason = message.reason;
  if (error !== undefined) record.error = error;
  return record;
}

/**
 * The payment a fraud label from an alert names: where and when it was made, and the card's usual amount then, so
 * that the graph counts it at its terminal and merchant (graph rule kind fraud_payments). Decisions carry no amount.
 */
export function paymentOfAlert(alert: Decision): LabelledPayment {
  const payment: LabelledPayment = { id: alert.eventId, ts: alert.ts };
  if (alert.entities?.terminal !== undefined) payment.terminal = alert.entities.terminal;
  if (alert.entities?.merchant !== undefined) payment.merchant = alert.entities.merchant;
  const usual = usualAmountOf(alert.features);
  if (usual !== undefined) payment.usualAmount = usual;
  return payment;
}

/**
 * The records an allowed action produces: a label event on the labels topic (
 * `{entity, label, by, at, reason, payment?}`, the graph's contract; a fraud label names the alert's payment when the
 * alert is known), or a list change on the lists topic (keyed
 * `list|entity`, the rules' contract: src/rules/list-change.ts).
 * An acknowledgement produces only its audit record.
 */
export function actionRecords(message: ActionMessage, who: Principal, at: number, topics: ActionTopics, alert?: Decision): OutgoingRecord[] {
  const headers = { 'content-type': 'application/json' };
  const out: OutgoingRecord[] = [];
  if (message.action === 'label') {
    const label = { entity: message.entity, label: message.label, by: who.name, at, reason: message.reason };
    const payment = message.label === 'fraud' && alert !== undefined && alert.eventId === message.eventId ? paymentOfAlert(alert) : undefined;
    out.push({ topic: topics.labels, key: message.entity, value: JSON.stringify(payment === undefined ? label : { ...label, payment }), headers });
  } else if (message.action === 'list') {
    const change = { list: message.list, entity: message.entity, op: message.op, by: who.name, at, reason: message.reason };
    out.push({ topic: topics.lists, key: listChangeKey(change.list, change.entity), value: encodeListChange(change), headers });
  }
  out.push(auditRecord(auditRecordOf(message, who, at, 'ok'), topics.audit));
  return out;
}

export function auditRecord(record: AuditRecord, topic: string): OutgoingRecord {
  return { topic, key: record.by, value: JSON.stringify(record), headers: { 'content-type': 'application/json' } };
}
