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
}

/**
 * The graph stage with its replication hooks. `check` judges each event against the graph as it was before the
 * event, then records the event's links locally (batch order) and queues them for `drainOutgoingLinks`.
 */
export interface GraphStageCore {
  check(events: readonly PaymentEvent[], features: readonly FeatureValues[]): Reason[][];
  /** Links recorded by `check` since the last call, to publish on the links topic (PaymentEvents are LinkRecords). */
  drainOutgoingLinks(): readonly LinkRecord[];
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
  let outgoing: PaymentEvent[] = [];
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
            const reason: Reason = { rule: rule.id, score: rule.score, detail: fillTemplate(rule.reason, vars) };
            if (rule.shadow) reason.shadow = true;
            reasons.push(reason);
          }
        }
        out[i] = reasons === none ? [] : reasons;
        graph.recordLink(event);
        if (queue) outgoing.push(event);
      }
      return out;
    },
    drainOutgoingLinks() {
      const drained = outgoing;
      outgoing = [];
      return drained;
    },
    applyLinks(links) {
      for (const link of links) graph.recordLink(link);
    },
    applyLabel(label) {
      return graph.applyLabel(label.entity, { label: label.label, by: label.by, at: label.at, reason: label.reason });
    },
    stats: () => graph.stats(),
  };
}
