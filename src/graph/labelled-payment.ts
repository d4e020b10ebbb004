import type { PaymentEvent } from '../ingest/event.ts';
import type { FeatureValues } from '../rules/decision.ts';
import type { LabelledPayment } from './entity.ts';

/** The feature a labeller reads the payer's usual amount from, when it has the payment's decision. */
export const USUAL_AMOUNT_FEATURE = 'card.avg_amount.30d';

/** The card's usual amount from the features of a payment's decision, when they have it. */
export function usualAmountOf(features: FeatureValues | undefined): number | undefined {
  const usual = features?.[USUAL_AMOUNT_FEATURE];
  return typeof usual === 'number' && Number.isFinite(usual) && usual >= 0 ? usual : undefined;
}

/**
 * What a fraud label says of the payment it was found on: where and when, how much, and (given the features of the
 * payment's decision) how much the card usually spent then.
 */
export function labelledPayment(event: PaymentEvent, features?: FeatureValues): LabelledPayment {
  const payment: LabelledPayment = { id: event.id, ts: event.ts, amount: event.amount };
  if (event.terminal !== undefined) payment.terminal = event.terminal;
  if (event.merchant !== undefined) payment.merchant = event.merchant;
  const usual = usualAmountOf(features);
  if (usual !== undefined) payment.usualAmount = usual;
  return payment;
}

/**
 * False when the payment was above `ratio` × its usual amount (an amount anomaly points at the card, not at the
 * place); true when either amount is unknown or `ratio` is 0 (no filter).
 */
export function isOrdinaryAmount(payment: { amount?: number | undefined; usualAmount?: number | undefined }, ratio: number): boolean {
  return ratio <= 0 || payment.amount === undefined || payment.usualAmount === undefined || payment.amount <= ratio * payment.usualAmount;
}
