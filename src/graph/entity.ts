/** Entity and edge vocabulary of the knowledge graph. Node keys are `type:id`, e.g. `account:acc-17`. */

export const ENTITY_TYPES = ['account', 'card', 'device', 'ip', 'terminal', 'merchant'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/**
 * Edge kinds. Undirected links are named after their non-account end: `card`, `device`, `ip` join the payer to
 * the entity; `terminal` joins a card (or the payer when the payment has no card) to the terminal; `merchant`
 * joins a terminal (or the payer when there is no terminal) to the merchant. `pay` is the only directed kind:
 * payer → beneficiary, carrying the summed amount.
 */
export const EDGE_KINDS = ['card', 'device', 'ip', 'terminal', 'merchant', 'pay'] as const;
export type EdgeKind = (typeof EDGE_KINDS)[number];

export const LABELS = ['fraud', 'suspect', 'legit'] as const;
export type LabelKind = (typeof LABELS)[number];

/** The label an entity carries: the latest by `at` wins. */
export interface LabelInfo {
  label: LabelKind;
  by: string;
  /** Epoch ms. */
  at: number;
  reason: string;
}

/**
 * The payment a fraud label was found on (a chargeback names its transaction): where and when the fraud happened.
 * `usualAmount` is what the payer usually spent then (e.g. the card's 30-day average from the payment's decision);
 * with it, rules can tell a fraud at an ordinary amount (the place was compromised) from an amount anomaly.
 */
export interface LabelledPayment {
  id?: string;
  /** Event time of the payment, epoch ms. */
  ts: number;
  terminal?: string;
  merchant?: string;
  /** Minor units. */
  amount?: number;
  usualAmount?: number;
}

export interface NodeAttributes {
  label?: LabelInfo;
}

export interface EdgeAttributes {
  kind: EdgeKind;
  /** First and last seen, event time (epoch ms). */
  first: number;
  last: number;
  count: number;
  /** Summed amount in minor units (`pay` edges only; 0 otherwise). */
  amount: number;
  /** Pruning bucket the edge is filed under (internal). */
  bucket: number;
}

const COLON = 0x3a;
export const EDGE_KIND_SET: ReadonlySet<string> = new Set(EDGE_KINDS);
export const LABEL_SET: ReadonlySet<string> = new Set(LABELS);

/** The type of a node key (`account:x` → `account`), or undefined when the key is not a typed entity key. */
export function entityTypeOf(key: string): EntityType | undefined {
  // a type's name followed by ':' and a non-empty id; no slice of the key (this runs for every edge added)
  for (const type of ENTITY_TYPES) if (key.length > type.length + 1 && key.charCodeAt(type.length) === COLON && key.startsWith(type)) return type;
  return undefined;
}

export function isAccountKey(key: string): boolean {
  return key.startsWith('account:');
}
