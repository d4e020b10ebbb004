import type { PaymentEvent } from '../ingest/event.ts';
import type { FeatureValues, Reason } from '../rules/decision.ts';
import { EntityGraph, type DegreeLimits, type EntityGraphStats } from './entity-graph.ts';
import type { LabelEvent } from './label-codec.ts';
import type { LinkRecord } from './link-codec.ts';
import { fillTemplate } from './path-format.ts';
import { EventLinks, GraphChecks } from './rule-checks.ts';
import type { GraphRule } from './rule-types.ts';

export interface GraphStageOptions {
  rules: readonly GraphRule[];
  /** Edges not seen for this long (event time) are removed. */
  horizonMs: number;
  degreeLimits?: Partial<DegreeLimits>;
  /**
   * Queue each checked event for `drainOutgoingLinks` (default true). Set false when nothing publishes them
   * (a single instance, a backtest): the queue would only grow.
   */
  queueOutgoingLinks?: boolean;
  /**
   * How many recent event ids are remembered so that a batch checked again (a retry after a failure further down)
   * does not record and publish its links twice. Default 65536.
   */
  recentIds?: number;
}

/**
 * The graph stage with its replication hooks. `check` judges each event against the graph as it was before the
 * event, then records the event's links locally (batch order) and queues them for `drainOutgoingLinks`. An event id
 * seen recently is judged again but not recorded again (batch retries are idempotent).
 */
export interface GraphStageCore {
  check(events: readonly PaymentEvent[], features: readonly FeatureValues[]): Reason[][];
  /** Links recorded by `check` since the last call, to publish on the links topic (PaymentEvents are LinkRecords). */
  drainOutgoingLinks(): readonly LinkRecord[];
  /**
   * The links `check` recorded for these events and not yet taken: a batch publishes its own events' links with its
   * decisions, before its offsets are committed. Links of a batch that is never produced (abandoned on a rebalance)
   * stay queued for its redelivery, up to the recent-ids bound.
   */
  takeOutgoingLinks(events: readonly PaymentEvent[]): LinkRecord[];
  /** Links replicated from other instances. */
  applyLinks(links: readonly LinkRecord[]): void;
  /** A label from the labels topic; returns false when a later label of the entity is already applied. */
  applyLabel(label: LabelEvent): boolean;
  stats(): EntityGraphStats;
}

export function createGraphCore(options: GraphStageOptions): GraphStageCore & { readonly graph: EntityGraph } {
  const graph = new EntityGraph({ horizonMs: options.horizonMs, degreeLimits: options.degreeLimits });
  const checks = new GraphChecks(graph);
  const ev = new EventLinks();
  const rules = options.rules;
  const queue = options.queueOutgoingLinks !== false;
  const recentSize = Math.max(1, options.recentIds ?? 65_536);
  const recent = new Set<string>();
  const ring = new Array<string | undefined>(recentSize);
  let ringPos = 0;
  /** True the first time an event id is seen (within the last `recentSize` ids). */
  const firstSighting = (id: string): boolean => {
    if (recent.has(id)) return false;
    const evicted = ring[ringPos];
    if (evicted !== undefined) recent.delete(evicted);
    ring[ringPos] = id;
    ringPos = (ringPos + 1) % recentSize;
    recent.add(id);
    return true;
  };
  // insertion-ordered: the oldest unclaimed links are dropped first when the bound is reached
  let outgoing = new Map<string, PaymentEvent>();
  const none: Reason[] = [];

  return {
    graph,
    check(events) {
      const out = new Array<Reason[]>(events.length);
      for (let i = 0; i < events.length; i++) {
        const event = events[i]!;
        let reasons = none;
        if (rules.length > 0) {
          ev.reset(event);
          for (const rule of rules) {
            const vars = checks.run(rule.params, ev);
            if (vars === undefined) continue;
            if (reasons === none) reasons = [];
            const score = rule.params.kind === 'fraud_payments' ? Math.min(100, rule.score + rule.params.scorePerCount * Number(vars.count)) : rule.score;
            const reason: Reason = { rule: rule.id, score, detail: fillTemplate(rule.reason, vars) };
            if (rule.shadow) reason.shadow = true;
            reasons.push(reason);
          }
        }
        out[i] = reasons === none ? [] : reasons;
        if (!firstSighting(event.id)) continue;
        graph.recordLink(event);
        if (queue) {
          outgoing.set(event.id, event);
          if (outgoing.size > recentSize) outgoing.delete(outgoing.keys().next().value!);
        }
      }
      return out;
    },
    drainOutgoingLinks() {
      const drained = [...outgoing.values()];
      outgoing = new Map();
      return drained;
    },
    takeOutgoingLinks(events) {
      const taken: LinkRecord[] = [];
      if (outgoing.size === 0) return taken;
      for (const event of events) {
        const link = outgoing.get(event.id);
        if (link === undefined) continue;
        taken.push(link);
        outgoing.delete(event.id);
      }
      return taken;
    },
    applyLinks(links) {
      for (const link of links) graph.recordLink(link);
    },
    applyLabel(label) {
      const info = { label: label.label, by: label.by, at: label.at, reason: label.reason };
      if (label.payment !== undefined) graph.recordFraudPayment(label.entity, info, label.payment);
      return graph.applyLabel(label.entity, info);
    },
    stats: () => graph.stats(),
  };
}
