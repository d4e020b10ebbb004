import type { PaymentEvent } from '../ingest/event.ts';
import type { FeatureValues } from '../rules/decision.ts';
import type { LabelledPayment } from './entity.ts';

/** The feature a labeller reads the payer's usual amount from, when it has the payment's decision. */
export const USUAL_AMOUNT_FEATURE = 'card.avg_amount.30d';

/**
 * What a fraud label says of the payment it was found on: where and when, how much, and (given the features of the
 * payment's decision) how much the card usually spent then.
 */
export function labelledPayment(event: PaymentEvent, features?: FeatureValues): LabelledPayment {
  const payment: LabelledPayment = { id: event.id, ts: event.ts, amount: event.amount };
  if (event.terminal !== undefined) payment.terminal = event.terminal;
  if (event.merchant !== undefined) payment.merchant = event.merchant;
  const usual = features?.[USUAL_AMOUNT_FEATURE];
  if (typeof usual === 'number' && Number.isFinite(usual) && usual >= 0) payment.usualAmount = usual;
  return payment;
}
