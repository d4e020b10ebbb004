import type { PaymentEvent } from '../ingest/event.ts';
import type { FeatureValues, Reason } from '../rules/decision.ts';
import { isOrdinaryAmount, labelledPayment } from '../graph/labelled-payment.ts';

/** A fraud label fed back by the backtest: the entity, the payment it was found on, and that payment's features. */
export interface FedBackLabel {
  entity: string;
  label: 'fraud';
  at: number;
  by: string;
  reason: string;
  /** The labelled payment (a chargeback names its transaction). */
  payment: PaymentEvent;
  /** The features of the payment's decision (the card's usual amount then). */
  paymentFeatures?: FeatureValues;
}

export interface ReferenceGraphOptions {
  /** Hit when at least this many distinct cards had a counted fraud payment at the terminal in the window. Default 1. */
  minCards?: number;
  /** Window on the labelled payments' event time. Default 28 days. */
  windowMs?: number;
  /** Fraud payments above this multiple of the card's usual amount are not counted (0: all). Default 1.5. */
  ordinaryAmountRatio?: number;
}

/**
 * REFERENCE graph stage for backtests, the fast stand-in for the shipped `graph.terminal_fraud_payments` graph rule
 * (graph-rules/terminal-fraud-payments.yaml, kind fraud_payments, same parameters): a terminal where ≥ minCards
 * distinct cards had a fraud payment at an ordinary amount (≤ ordinaryAmountRatio × the card's usual amount) in the
 * last `windowMs` of event time. Score min(100, 30 + 5 · cards). Labels arrive through `applyLabel` when the backtest
 * feeds them back (after the delay), so the check only sees what analysts would know. No links, no replication.
 */
export interface ReferenceGraphStage {
  check(events: readonly PaymentEvent[], features: readonly FeatureValues[]): Reason[][];
  applyLabel(label: FedBackLabel): boolean;
  close(): Promise<void>;
}

export function createReferenceGraphStage(options: ReferenceGraphOptions = {}): ReferenceGraphStage {
  const minCards = options.minCards ?? 1;
  const windowMs = options.windowMs ?? 28 * 86_400_000;
  const ratio = options.ordinaryAmountRatio ?? 1.5;
  const frauds = new Map<string, { ts: number; card: string }[]>();
  return {
    applyLabel(label) {
      const payment = labelledPayment(label.payment, label.paymentFeatures);
      const card = label.payment.card;
      if (payment.terminal === undefined || card === undefined) return false;
      if (!isOrdinaryAmount(payment, ratio)) return false;
      let list = frauds.get(payment.terminal);
      if (!list) frauds.set(payment.terminal, (list = []));
      list.push({ ts: payment.ts, card });
      return true;
    },
    check(events, _features) {
      return events.map((e) => {
        const list = e.terminal === undefined ? undefined : frauds.get(e.terminal);
        if (!list) return [];
        while (list.length > 0 && list[0]!.ts <= e.ts - windowMs) list.shift();
        if (list.length < minCards) return [];
        const cards = new Set(list.map((x) => x.card)).size;
        if (cards < minCards) return [];
        return [{ rule: 'graph.terminal_fraud_payments', score: Math.min(100, 30 + 5 * cards), detail: `terminal:${e.terminal} had fraud payments at ordinary amounts from ${cards} cards in the last ${Math.round(windowMs / 86_400_000)} days` }];
      });
    },
    close: async () => {},
  };
}
