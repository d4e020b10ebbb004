import type { EdgeKind, EntityType, LabelKind } from './entity.ts';

/** The rule kinds of the graph-rule language (docs/graph-rules.md). */
export const RULE_KINDS = ['near_label', 'shared_entity', 'fan_in', 'cycle', 'linked_labels', 'fraud_payments'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export interface NearLabelParams {
  kind: 'near_label';
  /** Maximum path length in edges (0 = the payer itself is labelled). */
  maxHops: number;
  via: readonly EdgeKind[];
  labels: readonly LabelKind[];
  /** Only edges seen within this window before the event count; undefined = the whole horizon. */
  windowMs: number | undefined;
  /** Node budget of the search (early termination). */
  maxVisited: number;
}

export interface SharedEntityParams {
  kind: 'shared_entity';
  via: readonly EdgeKind[];
  labels: readonly LabelKind[];
  minAccounts: number;
  windowMs: number | undefined;
}

export interface FanInParams {
  kind: 'fan_in';
  minPayers: number;
  windowMs: number;
}

export interface CycleParams {
  kind: 'cycle';
  /** Maximum cycle length in payments, the event's own payment included. */
  maxHops: number;
  windowMs: number;
  maxVisited: number;
}

export interface LinkedLabelsParams {
  kind: 'linked_labels';
  /** The event field whose entity is checked, e.g. `terminal`. */
  anchor: Exclude<EntityType, 'account'>;
  /** The type of the labelled neighbours counted, e.g. `card`. */
  neighbour: EntityType;
  labels: readonly LabelKind[];
  minCount: number;
  windowMs: number;
}

export interface FraudPaymentsParams {
  kind: 'fraud_payments';
  /** The event field whose entity is checked: the place where fraud payments were made. */
  anchor: 'terminal' | 'merchant';
  /** Hit when at least this many distinct labelled entities (cards) had a fraud payment there within the window. */
  minCount: number;
  windowMs: number;
  /** Fraud payments above this multiple of their usual amount are not counted (0: all are counted). */
  ordinaryAmountRatio: number;
  /** Added to the rule's score per entity counted; the sum is capped at 100. */
  scorePerCount: number;
}

export type RuleParams = NearLabelParams | SharedEntityParams | FanInParams | CycleParams | LinkedLabelsParams | FraudPaymentsParams;

export interface GraphRule {
  id: string;
  score: number;
  shadow: boolean;
  /** Reason template: `{name}` placeholders, see TEMPLATE_VARS. */
  reason: string;
  params: RuleParams;
  /** `file:line` of the rule, for messages. */
  source: string;
}

/** Placeholders each kind fills in its reason template. */
export const TEMPLATE_VARS: Readonly<Record<RuleKind, readonly string[]>> = {
  near_label: ['payer', 'path', 'hops', 'entity', 'label'],
  shared_entity: ['payer', 'count', 'paths', 'path', 'entity'],
  fan_in: ['payer', 'count', 'window', 'payers', 'beneficiary'],
  cycle: ['payer', 'path', 'hops', 'window'],
  linked_labels: ['payer', 'anchor', 'count', 'window', 'paths'],
  fraud_payments: ['payer', 'anchor', 'count', 'window', 'paths'],
};
