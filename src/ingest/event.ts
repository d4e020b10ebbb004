/** Event contract v1 (docs/events.md), after decoding and validation. */
export const EVENT_TYPES = ['card_auth', 'payment', 'transfer', 'cash_out', 'refund'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Optional string fields that name an entity or describe the context of a payment. */
export const OPTIONAL_STRING_FIELDS = ['beneficiary', 'card', 'device', 'ip', 'terminal', 'merchant', 'country', 'channel'] as const;
export type OptionalStringField = (typeof OPTIONAL_STRING_FIELDS)[number];

export interface PaymentEvent {
  /** Unique id: the idempotency key. */
  id: string;
  /** Event time, epoch milliseconds (ISO-8601 input is normalised). */
  ts: number;
  type: EventType;
  /** Integer minor units, >= 0. */
  amount: number;
  /** ISO 4217 code, upper case. */
  currency: string;
  /** The payer's account. */
  account: string;
  beneficiary?: string;
  card?: string;
  device?: string;
  ip?: string;
  terminal?: string;
  merchant?: string;
  country?: string;
  channel?: string;
}
