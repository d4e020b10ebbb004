/** Decision contract v1 (docs/decisions.md). */
export type DecisionKind = 'allow' | 'review' | 'block';

export interface Reason {
  /** Rule id, e.g. `amount.over_limit` or `graph.shared_device_with_fraud`. */
  rule: string;
  /** Score contributed (0-100). */
  score: number;
  /** Human-readable explanation an analyst can act on. */
  detail: string;
  /** Present and true when the rule is in shadow mode: recorded, never changes the decision. */
  shadow?: boolean;
}

export type FeatureValues = Record<string, number>;

/** The payment's entities (raw ids, as on the event), so an alert can be drawn without the graph. */
export interface DecisionEntities {
  account: string;
  card?: string;
  device?: string;
  ip?: string;
  terminal?: string;
  merchant?: string;
  beneficiary?: string;
}

export interface Decision {
  eventId: string;
  /** Event time of the payment, epoch ms. */
  ts: number;
  decision: DecisionKind;
  score: number;
  reasons: Reason[];
  features: FeatureValues;
  rulesVersion: string;
  /** Milliseconds from the batch's ingest to the decision being ready to produce. */
  latencyMs: number;
  /** The payment's entities (optional: decisions before this field lack it). */
  entities?: DecisionEntities;
}
