import type { PaymentEvent } from '../ingest/event.ts';
import type { FeatureValues, Reason } from '../rules/decision.ts';

/** A fraud label fed back by the backtest: the entity, and the payment it was found on. */
export interface FedBackLabel {
  entity: string;
  label: 'fraud';
  at: number;
  by: string;
  reason: string;
  /** The labelled payment (a chargeback names its transaction). */
  payment: PaymentEvent;
}

export interface ReferenceGraphOptions {
  /** Hit when at least this many distinct cards had a fraud-labelled payment at the terminal in the window. Default 2. */
  minCards?: number;
  /** Window on the labelled payments' event time. Default 28 days. */
  windowMs?: number;
}

/**
 * REFERENCE graph stage for backtests: one check, `graph.terminal_fraud_payments` (a stand-in for a payment-level compromised-terminal rule):
 * a terminal where ≥ minCards distinct cards had a fraud-labelled payment in the last `windowMs` of event time.
 * Score min(100, 30 + 5 · cards). Labels arrive through `applyLabel` when the backtest feeds them back (after
 * the delay), so the check only sees what analysts would know. Not the graph stage: no links, no replication.
 */
export interface ReferenceGraphStage {
  check(events: readonly PaymentEvent[], features: readonly FeatureValues[]): Reason[][];
  applyLabel(label: FedBackLabel): boolean;
  close(): Promise<void>;
}

export function createReferenceGraphStage(options: ReferenceGraphOptions = {}): ReferenceGraphStage {
  const minCards = options.minCards ?? 2;
  const windowMs = options.windowMs ?? 28 * 86_400_000;
  const frauds = new Map<string, { ts: number; card: string }[]>();
  return {
    applyLabel(label) {
      const t = label.payment.terminal;
      const card = label.payment.card;
      if (t === undefined || card === undefined) return false;
      let list = frauds.get(t);
      if (!list) frauds.set(t, (list = []));
      list.push({ ts: label.payment.ts, card });
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
        return [{ rule: 'graph.terminal_fraud_payments', score: Math.min(100, 30 + 5 * cards), detail: `terminal:${e.terminal} had fraud-labelled payments from ${cards} cards in the last ${Math.round(windowMs / 86_400_000)} days` }];
      });
    },
    close: async () => {},
  };
}
