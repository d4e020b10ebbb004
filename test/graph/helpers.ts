import type { PaymentEvent } from '../../src/ingest/event.ts';
import type { LabelEvent } from '../../src/graph/index.ts';

export const DAY = 86_400_000;
export const T0 = Date.UTC(2026, 10, 20);

let seq = 0;

/** A payment with defaults; only the fields a test names matter. */
export function pay(fields: Partial<PaymentEvent> & { account: string }): PaymentEvent {
  seq++;
  return { id: `e${seq}`, ts: T0, type: 'payment', amount: 1_000, currency: 'EUR', ...fields };
}

export function label(entity: string, kind: LabelEvent['label'], at = T0, by = 'analyst x', reason = 'chargeback'): LabelEvent {
  return { entity, label: kind, by, at, reason };
}
