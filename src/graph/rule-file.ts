import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { ErrorCodes, VigilError } from '../errors.ts';
import { EDGE_KIND_SET, ENTITY_TYPES, LABEL_SET, type EdgeKind, type EntityType, type LabelKind } from './entity.ts';
import { parseDuration } from './duration.ts';
import { RULE_KINDS, TEMPLATE_VARS, type GraphRule, type RuleKind, type RuleParams } from './rule-types.ts';

type Path = (string | number)[];

const RULE_KEYS = new Set(['id', 'kind', 'score', 'shadow', 'reason', 'params', 'description']);
const PARAM_KEYS: Readonly<Record<RuleKind, readonly string[]>> = {
  near_label: ['maxHops', 'via', 'labels', 'window', 'maxVisited'],
  shared_entity: ['via', 'labels', 'minAccounts', 'window'],
  fan_in: ['minPayers', 'window'],
  cycle: ['maxHops', 'window', 'maxVisited'],
  linked_labels: ['anchor', 'neighbour', 'labels', 'minCount', 'window'],
  fraud_payments: ['anchor', 'minCount', 'window', 'ordinaryAmountRatio', 'scorePerCount'],
};
const ID_PATTERN = /^graph\.[a-z][a-z0-9_]*$/;
const PLACEHOLDER = /\{([a-zA-Z_]+)\}/g;

/** Collects problems with their `file:line:col` so that one error lists every mistake of a file. */
class Checker {
  readonly problems: string[] = [];
  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  fail(path: Path, message: string): void {
    this.problems.push(`${this.where(path)}: ${render(path)} ${message}`);
  }

  where(path: Path): string {
    for (let p = path; ; p = p.slice(0, -1)) {
      const node = p.length === 0 ? this.doc.contents : this.doc.getIn(p, true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range !== undefined) {
        const pos = this.lines.linePos(range[0]);
        return `${this.file}:${pos.line}:${pos.col}`;
      }
      if (p.length === 0) return this.file;
    }
  }
}

function render(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Parses one rule file (YAML or JSON: a list of rules, or `{ rules: [...] }`); throws RULES_INVALID listing every problem. */
export function parseGraphRules(text: string, file: string): GraphRule[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new VigilError(ErrorCodes.RULES_INVALID, `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: syntax error: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const check = new Checker(file, doc, lines);
  const root: unknown = doc.toJS();
  let list: unknown;
  let base: Path;
  if (Array.isArray(root)) {
    list = root;
    base = [];
  } else if (isObject(root) && Array.isArray(root.rules)) {
    list = root.rules;
    base = ['rules'];
  } else {
    throw new VigilError(ErrorCodes.RULES_INVALID, `${check.where([])}: a rule file is a list of rules or a map with a "rules" list`);
  }
  const rules: GraphRule[] = [];
  (list as unknown[]).forEach((raw, i) => {
    const rule = checkRule(check, [...base, i], raw);
    if (rule !== undefined) rules.push(rule);
  });
  const seen = new Map<string, number>();
  rules.forEach((rule, i) => {
    if (seen.has(rule.id)) check.fail([...base, i, 'id'], `duplicates the id ${rule.id} of rules[${seen.get(rule.id)}]`);
    seen.set(rule.id, i);
  });
  if (check.problems.length > 0) {
    throw new VigilError(ErrorCodes.RULES_INVALID, `invalid graph rules:\n  ${check.problems.join('\n  ')}`);
  }
  return rules;
}

/** Loads a rule file, or every `.yaml`/`.yml`/`.json` file of a directory (sorted by name). Ids must be unique. */
export function loadGraphRules(path: string): GraphRule[] {
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((f) => join(path, f))
    : [path];
  const rules: GraphRule[] = [];
  const owner = new Map<string, string>();
  for (const file of files) {
    for (const rule of parseGraphRules(readFileSync(file, 'utf8'), file)) {
      const other = owner.get(rule.id);
      if (other !== undefined) throw new VigilError(ErrorCodes.RULES_INVALID, `${rule.source}: rule id ${rule.id} is already defined at ${other}`);
      owner.set(rule.id, rule.source);
      rules.push(rule);
    }
  }
  return rules;
}

function checkRule(check: Checker, at: Path, raw: unknown): GraphRule | undefined {
  if (!isObject(raw)) {
    check.fail(at, 'must be a map with id, kind, score, reason and params');
    return undefined;
  }
  const before = check.problems.length;
  for (const key of Object.keys(raw)) if (!RULE_KEYS.has(key)) check.fail([...at, key], `is not a rule field (expected one of ${[...RULE_KEYS].join(', ')})`);
  const { id, kind, score, shadow, reason, params } = raw;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) check.fail([...at, 'id'], `must look like graph.snake_case (got ${show(id)})`);
  if (typeof kind !== 'string' || !(RULE_KINDS as readonly string[]).includes(kind)) {
    check.fail([...at, 'kind'], `must be one of ${RULE_KINDS.join(', ')} (got ${show(kind)})`);
    return undefined;
  }
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 100) check.fail([...at, 'score'], `must be a number from 0 to 100 (got ${show(score)})`);
  if (shadow !== undefined && typeof shadow !== 'boolean') check.fail([...at, 'shadow'], `must be true or false (got ${show(shadow)})`);
  const k = kind as RuleKind;
  if (typeof reason !== 'string' || reason.trim() === '') {
    check.fail([...at, 'reason'], 'must be a non-empty template string');
  } else {
    for (const m of reason.matchAll(PLACEHOLDER)) {
      if (!TEMPLATE_VARS[k].includes(m[1]!)) check.fail([...at, 'reason'], `uses {${m[1]}}, which a ${k} rule does not fill (available: ${TEMPLATE_VARS[k].map((v) => `{${v}}`).join(', ')})`);
    }
  }
  const p = isObject(params) ? params : {};
  if (!isObject(params)) check.fail([...at, 'params'], 'must be a map');
  const pp = [...at, 'params'];
  for (const key of Object.keys(p)) if (!PARAM_KEYS[k].includes(key)) check.fail([...pp, key], `is not a ${k} parameter (expected ${PARAM_KEYS[k].join(', ')})`);
  const parsed = checkParams(check, pp, k, p);
  if (check.problems.length > before || parsed === undefined) return undefined;
  return { id: id as string, score: score as number, shadow: shadow === true, reason: reason as string, params: parsed, source: check.where(at) };
}

function checkParams(check: Checker, at: Path, kind: RuleKind, p: Record<string, unknown>): RuleParams | undefined {
  const int = (key: string, min: number, max: number, fallback?: number): number => {
    const v = p[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      check.fail([...at, key], v === undefined ? `is required (an integer from ${min} to ${max})` : `must be an integer from ${min} to ${max} (got ${show(v)})`);
      return min;
    }
    return v;
  };
  const number = (key: string, min: number, max: number, fallback: number): number => {
    const v = p[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      check.fail([...at, key], `must be a number from ${min} to ${max} (got ${show(v)})`);
      return fallback;
    }
    return v;
  };
  const window = (required: boolean): number | undefined => {
    const v = p.window;
    if (v === undefined) {
      if (required) check.fail([...at, 'window'], 'is required (a duration like 7d, 12h, 30m, or milliseconds)');
      return undefined;
    }
    const ms = parseDuration(v);
    if (ms === undefined) check.fail([...at, 'window'], `must be a duration like 7d, 12h, 30m, or milliseconds (got ${show(v)})`);
    return ms;
  };
  const edges = (key: string, allowed: readonly EdgeKind[]): EdgeKind[] => {
    const v = p[key];
    if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string' || !EDGE_KIND_SET.has(x) || !allowed.includes(x as EdgeKind))) {
      check.fail([...at, key], `must be a non-empty list of edge kinds among ${allowed.join(', ')} (got ${show(v)})`);
      return [];
    }
    return v as EdgeKind[];
  };
  const labels = (fallback: LabelKind[]): LabelKind[] => {
    const v = p.labels ?? fallback;
    if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string' || !LABEL_SET.has(x) || x === 'legit')) {
      check.fail([...at, 'labels'], `must be a non-empty list of fraud, suspect (got ${show(v)})`);
      return fallback;
    }
    return v as LabelKind[];
  };
  const entity = (key: string, allowAccount: boolean): EntityType => {
    const v = p[key];
    const allowed = ENTITY_TYPES.filter((t) => allowAccount || t !== 'account');
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      check.fail([...at, key], `must be one of ${allowed.join(', ')} (got ${show(v)})`);
      return 'card';
    }
    return v as EntityType;
  };
  switch (kind) {
    case 'near_label':
      return {
        kind,
        maxHops: int('maxHops', 0, 6),
        via: edges('via', ['card', 'device', 'ip', 'terminal', 'merchant', 'pay']),
        labels: labels(['fraud']),
        windowMs: window(false),
        maxVisited: int('maxVisited', 1, 1_000_000, 2_000),
      };
    case 'shared_entity':
      return { kind, via: edges('via', ['card', 'device', 'ip']), labels: labels(['fraud', 'suspect']), minAccounts: int('minAccounts', 1, 10_000), windowMs: window(false) };
    case 'fan_in':
      return { kind, minPayers: int('minPayers', 1, 100_000), windowMs: window(true) ?? 1 };
    case 'cycle':
      return { kind, maxHops: int('maxHops', 2, 10), windowMs: window(true) ?? 1, maxVisited: int('maxVisited', 1, 1_000_000, 2_000) };
    case 'linked_labels':
      return {
        kind,
        anchor: entity('anchor', false) as Exclude<EntityType, 'account'>,
        neighbour: entity('neighbour', true),
        labels: labels(['fraud']),
        minCount: int('minCount', 1, 100_000),
        windowMs: window(true) ?? 1,
      };
    case 'fraud_payments': {
      const anchor = p.anchor;
      if (anchor !== 'terminal' && anchor !== 'merchant') check.fail([...at, 'anchor'], `must be terminal or merchant (got ${show(anchor)})`);
      return {
        kind,
        anchor: anchor === 'merchant' ? 'merchant' : 'terminal',
        minCount: int('minCount', 1, 100_000),
        windowMs: window(true) ?? 1,
        ordinaryAmountRatio: number('ordinaryAmountRatio', 0, 1_000, 0),
        scorePerCount: number('scorePerCount', 0, 100, 0),
      };
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

