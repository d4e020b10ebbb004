/** Syntax tree of the rule expression language (docs/rules.md). Offsets are into the expression text. */
export type ValueType = 'number' | 'string' | 'bool';

export type Node =
  | { kind: 'num'; value: number; at: number }
  | { kind: 'str'; value: string; at: number }
  | { kind: 'bool'; value: boolean; at: number }
  | { kind: 'ref'; name: string; at: number }
  | { kind: 'neg'; arg: Node; at: number }
  | { kind: 'not'; arg: Node; at: number }
  | { kind: 'arith'; op: '+' | '-' | '*' | '/'; left: Node; right: Node; at: number }
  | { kind: 'cmp'; op: '>' | '>=' | '<' | '<=' | '==' | '!='; left: Node; right: Node; at: number }
  | { kind: 'logic'; op: 'and' | 'or'; left: Node; right: Node; at: number }
  | { kind: 'in'; negated: boolean; arg: Node; values: readonly (number | string)[]; at: number }
  | { kind: 'call'; fn: FunctionName; args: Node[]; at: number };

export const FUNCTIONS = {
  min: { min: 1, max: Infinity },
  max: { min: 1, max: Infinity },
  abs: { min: 1, max: 1 },
  log: { min: 1, max: 1 },
  sqrt: { min: 1, max: 1 },
  /** First argument that is present, e.g. `coalesce(card.count.24h, 0)`. */
  coalesce: { min: 2, max: Infinity },
  /** True when the value is present (a feature computed for this event, an optional field set, a graph hit). */
  exists: { min: 1, max: 1 },
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

/** Event fields a rule can read directly; every other dotted name is a feature or a graph hit. */
export const NUMBER_FIELDS = ['amount', 'ts', 'hour'] as const;
export const STRING_FIELDS = ['id', 'type', 'currency', 'account', 'beneficiary', 'card', 'device', 'ip', 'terminal', 'merchant', 'country', 'channel'] as const;

export type RefKind = 'field-number' | 'field-string' | 'feature' | 'graph';

/** Classifies a name: an event field, a graph hit (`graph.<rule>`), a feature (any other dotted name), or unknown. */
export function refKind(name: string): RefKind | undefined {
  if ((NUMBER_FIELDS as readonly string[]).includes(name)) return 'field-number';
  if ((STRING_FIELDS as readonly string[]).includes(name)) return 'field-string';
  if (name.startsWith('graph.') && name.length > 6) return 'graph';
  if (name.includes('.')) return 'feature';
  return undefined;
}
