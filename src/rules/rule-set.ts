import type { PaymentEvent } from '../ingest/event.ts';
import type { DecisionKind, FeatureValues, Reason } from './decision.ts';
import type { Evaluator } from './runtime.ts';
import type { RuleEngine } from './engine.ts';
import type { LiveListView } from './live-lists.ts';

export type ListField = 'card' | 'account' | 'device' | 'ip' | 'beneficiary' | 'terminal' | 'merchant';
export const LIST_FIELDS: readonly ListField[] = ['card', 'account', 'device', 'ip', 'beneficiary', 'terminal', 'merchant'];

export interface CompiledRule {
  readonly id: string;
  readonly shadow: boolean;
  readonly when: Evaluator<boolean>;
  readonly score: Evaluator<number>;
  readonly detail: Evaluator<string>;
  /** Where the rule is defined, for messages. */
  readonly file: string;
  readonly line: number;
  /** Source texts as written. */
  readonly whenSource: string;
  readonly scoreSource: string;
}

export interface EntityList {
  readonly id: string;
  readonly action: 'allow' | 'block';
  readonly field: ListField;
  readonly values: ReadonlySet<string>;
}

export interface RuleSettings {
  readonly name: string;
  readonly reviewThreshold: number;
  readonly blockThreshold: number;
  /** `sum`: live scores add up; `noisy_or`: 100·(1 − Π(1 − s/100)), fine-grained near the top. Clamped 0–100. */
  readonly combine: 'sum' | 'noisy_or';
  /** Multiplier applied to each graph hit passed through (default `graphDefaultWeight`); 0 drops the hit. */
  readonly graphWeights: ReadonlyMap<string, number>;
  readonly graphDefaultWeight: number;
}

export interface Verdict {
  decision: DecisionKind;
  score: number;
  reasons: Reason[];
  rulesVersion: string;
}

/**
 * One immutable, compiled rule set. The engine swaps whole sets, so a verdict (and a batch decided through
 * one `current()` snapshot) always comes from a single set.
 */
export class RuleSet implements RuleEngine {
  /** Hits per rule since this set was loaded (index as `rules`), live and shadow; for metrics. */
  readonly hits: Uint32Array;
  private readonly allowLists: EntityList[];
  private readonly blockLists: EntityList[];

  constructor(
    readonly version: string,
    readonly settings: RuleSettings,
    readonly rules: readonly CompiledRule[],
    readonly lists: readonly EntityList[],
    /** The files the set was built from (relative path → text), e.g. to publish it on the rules-updates topic. */
    readonly sources: ReadonlyMap<string, string>,
    /** Features the rules read, e.g. `card.avg_amount.30d`. */
    readonly featureRefs: readonly string[] = [],
  ) {
    this.hits = new Uint32Array(rules.length);
    this.allowLists = lists.filter((l) => l.action === 'allow');
    this.blockLists = lists.filter((l) => l.action === 'block');
  }

  /**
   * `live`: the analysts' live allow / block entries (the lists topic), consulted with the file lists: any allow
   * (file or live) wins over any block.
   */
  evaluate(event: PaymentEvent, features: FeatureValues, graphHits: readonly Reason[], live?: LiveListView): Verdict {
    for (const list of this.allowLists) {
      const v = event[list.field];
      if (v !== undefined && list.values.has(v)) {
        return { decision: 'allow', score: 0, reasons: [{ rule: `list.allow.${list.id}`, score: 0, detail: `${list.field} ${v} is on the allow list ${list.id}` }], rulesVersion: this.version };
      }
    }
    const liveAllow = live?.allowReason(event);
    if (liveAllow !== undefined) return { decision: 'allow', score: 0, reasons: [liveAllow], rulesVersion: this.version };
    const reasons: Reason[] = [];
    let blocked = false;
    for (const list of this.blockLists) {
      const v = event[list.field];
      if (v !== undefined && list.values.has(v)) {
        blocked = true;
        reasons.push({ rule: `list.block.${list.id}`, score: 100, detail: `${list.field} ${v} is on the block list ${list.id}` });
      }
    }
    if (live !== undefined && live.addBlockReasons(event, reasons)) blocked = true;
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (!r.when(event, features, graphHits)) continue;
      const s = r.score(event, features, graphHits);
      if (s !== s) continue; // a score over a missing value: the rule does not apply
      this.hits[i]!++;
      const reason: Reason = { rule: r.id, score: clamp(s), detail: r.detail(event, features, graphHits) };
      if (r.shadow) reason.shadow = true;
      reasons.push(reason);
    }
    const { graphWeights, graphDefaultWeight } = this.settings;
    for (let i = 0; i < graphHits.length; i++) {
      const h = graphHits[i]!;
      const w = graphWeights.get(h.rule) ?? graphDefaultWeight;
      if (w <= 0) continue;
      reasons.push(w === 1 ? h : { ...h, score: clamp(h.score * w) });
    }
    const score = blocked ? 100 : combine(this.settings.combine, reasons);
    const decision: DecisionKind = score >= this.settings.blockThreshold ? 'block' : score >= this.settings.reviewThreshold ? 'review' : 'allow';
    return { decision, score, reasons, rulesVersion: this.version };
  }

  /** This set deciding with `live` consulted too; take it once per batch, like the set itself. */
  withLiveLists(live: LiveListView): RuleEngine {
    return { version: this.version, evaluate: (event, features, graphHits) => this.evaluate(event, features, graphHits, live), close: async () => {} };
  }

  /** A rule set holds no resources; present so a snapshot is a RuleEngine. */
  async close(): Promise<void> {}

  /** Rule hit counts since load, for metrics (`vigil_rule_hits_total{rule,shadow}`). */
  hitCounts(): { rule: string; shadow: boolean; hits: number }[] {
    return this.rules.map((r, i) => ({ rule: r.id, shadow: r.shadow, hits: this.hits[i]! }));
  }
}

function clamp(s: number): number {
  return s < 0 ? 0 : s > 100 ? 100 : s;
}

function combine(kind: 'sum' | 'noisy_or', reasons: readonly Reason[]): number {
  if (kind === 'sum') {
    let total = 0;
    for (const r of reasons) if (r.shadow !== true) total += r.score;
    return round(clamp(total));
  }
  let keep = 1;
  for (const r of reasons) if (r.shadow !== true) keep *= 1 - r.score / 100;
  return round(clamp(100 * (1 - keep)));
}

/** Scores keep 4 decimals: fine enough to rank, free of float noise like 59.99999999. */
function round(s: number): number {
  return Math.round(s * 10_000) / 10_000;
}
