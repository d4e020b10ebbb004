import type { PaymentEvent } from '../ingest/event.ts';
import type { EdgeAttributes, EdgeKind, LabelKind } from './entity.ts';
import type { EntityGraph, FraudPayment } from './entity-graph.ts';
import { formatDuration } from './duration.ts';
import { isOrdinaryAmount } from './labelled-payment.ts';
import { formatLabel, formatPath, type Step } from './path-format.ts';
import type { CycleParams, FanInParams, FraudPaymentsParams, LinkedLabelsParams, NearLabelParams, RuleParams, SharedEntityParams } from './rule-types.ts';

export type TemplateVars = Record<string, string | number>;

const MAX_EVENT_LINKS = 6;
const MAX_NAMED = 3;

/**
 * One event as the checks see it: its payer and the links it is about to add (checked as if already in the graph,
 * so that a new account paying from a known device is judged by that device). Reused across events.
 */
export class EventLinks {
  event!: PaymentEvent;
  payer = '';
  n = 0;
  readonly a: string[] = new Array<string>(MAX_EVENT_LINKS).fill('');
  readonly b: string[] = new Array<string>(MAX_EVENT_LINKS).fill('');
  readonly kind: EdgeKind[] = new Array<EdgeKind>(MAX_EVENT_LINKS).fill('card');

  reset(event: PaymentEvent): this {
    this.event = event;
    this.payer = 'account:' + event.account;
    this.n = 0;
    const card = event.card === undefined ? undefined : 'card:' + event.card;
    if (card !== undefined) this.add('card', this.payer, card);
    if (event.device !== undefined) this.add('device', this.payer, 'device:' + event.device);
    if (event.ip !== undefined) this.add('ip', this.payer, 'ip:' + event.ip);
    const terminal = event.terminal === undefined ? undefined : 'terminal:' + event.terminal;
    if (terminal !== undefined) this.add('terminal', card ?? this.payer, terminal);
    if (event.merchant !== undefined) this.add('merchant', terminal ?? this.payer, 'merchant:' + event.merchant);
    if (event.beneficiary !== undefined && event.beneficiary !== event.account) this.add('pay', this.payer, 'account:' + event.beneficiary);
    return this;
  }

  private add(kind: EdgeKind, a: string, b: string): void {
    this.kind[this.n] = kind;
    this.a[this.n] = a;
    this.b[this.n] = b;
    this.n++;
  }
}

type LinkVisitor = (kind: EdgeKind, other: string, last: number, step: Step) => boolean | void;

/** The rule kinds' checks over one graph. Scratch collections are reused between events. */
export class GraphChecks {
  private readonly parent = new Map<string, string>();
  private readonly stepOf = new Map<string, Step>();
  private readonly queue: string[] = [];
  private readonly depth: number[] = [];
  private readonly seen = new Set<string>();
  private readonly flaggedScratch = new Map<string, string>();
  private readonly bestHops = new Map<string, number>();
  private readonly bestAt = new Map<string, number>();
  private readonly fraudScratch = new Map<string, FraudPayment>();

  constructor(private readonly graph: EntityGraph) {}

  run(params: RuleParams, ev: EventLinks): TemplateVars | undefined {
    switch (params.kind) {
      case 'near_label':
        return this.nearLabel(params, ev);
      case 'shared_entity':
        return this.sharedEntity(params, ev);
      case 'fan_in':
        return this.fanIn(params, ev);
      case 'cycle':
        return this.cycle(params, ev);
      case 'linked_labels':
        return this.linkedLabels(params, ev);
      case 'fraud_payments':
        return this.fraudPayments(params, ev);
    }
  }

  /** Visits the graph links of `node` and the event's own links touching it; stops when the visitor returns true. */
  private forEachLink(node: string, ev: EventLinks, visit: LinkVisitor): void {
    for (let i = 0; i < ev.n; i++) {
      const a = ev.a[i]!;
      const b = ev.b[i]!;
      const kind = ev.kind[i]!;
      const ts = ev.event.ts;
      if (a === node && visit(kind, b, ts, kind === 'pay' ? '>' : '-') === true) return;
      if (b === node && visit(kind, a, ts, kind === 'pay' ? '<' : '-') === true) return;
    }
    const g = this.graph.graph;
    if (!g.hasNode(node)) return;
    g.findEdge(node, (_key, e: EdgeAttributes, source, target) =>
      source === node ? visit(e.kind, target, e.last, e.kind === 'pay' ? '>' : '-') === true : visit(e.kind, source, e.last, e.kind === 'pay' ? '<' : '-') === true,
    );
  }

  /** Visits the graph edges between `node` and `other`: an undirected link, or payments either way. */
  private forEachLinkBetween(node: string, other: string, visit: LinkVisitor): void {
    const lookups = this.graph.lookups;
    const u = lookups.undirectedEdge(node, other);
    if (u !== undefined && visit(u.attributes.kind, other, u.attributes.last, '-') === true) return;
    const out = lookups.directedEdge(node, other);
    if (out !== undefined && visit('pay', other, out.attributes.last, '>') === true) return;
    const back = lookups.directedEdge(other, node);
    if (back !== undefined) visit('pay', other, back.attributes.last, '<');
  }

  private hasLabel(node: string, labels: readonly LabelKind[]): boolean {
    const label = this.graph.labelOf(node);
    return label !== undefined && labels.includes(label.label);
  }

  private pathTo(node: string): { nodes: string[]; steps: Step[] } {
    const nodes: string[] = [];
    const steps: Step[] = [];
    for (let n: string | undefined = node; n !== undefined && n !== ''; n = this.parent.get(n)) {
      nodes.push(n);
      steps.push(this.stepOf.get(n) ?? '-');
    }
    nodes.reverse();
    steps.reverse();
    return { nodes, steps };
  }

  /** Breadth-first from the payer through the given edge kinds: the nearest labelled entity, if within maxHops. */
  private nearLabel(p: NearLabelParams, ev: EventLinks): TemplateVars | undefined {
    const { parent, stepOf, queue, depth } = this;
    parent.clear();
    stepOf.clear();
    queue.length = 0;
    depth.length = 0;
    const from = p.windowMs === undefined ? Number.NEGATIVE_INFINITY : ev.event.ts - p.windowMs;
    parent.set(ev.payer, '');
    queue.push(ev.payer);
    depth.push(0);
    // one visitor for the whole search (not one per node visited): it reads the node being expanded from here
    let node = '';
    let d = 0;
    const enqueue: LinkVisitor = (kind, other, last, step) => {
      if (parent.size >= p.maxVisited) return true;
      if (last < from || parent.has(other) || !p.via.includes(kind)) return;
      parent.set(other, node);
      stepOf.set(other, step);
      queue.push(other);
      depth.push(d + 1);
    };
    for (let qi = 0; qi < queue.length; qi++) {
      node = queue[qi]!;
      d = depth[qi]!;
      if (this.hasLabel(node, p.labels)) {
        const { nodes, steps } = this.pathTo(node);
        const label = this.graph.labelOf(node)!;
        return { payer: ev.payer, path: formatPath(nodes, steps) + formatLabel(label), hops: d, entity: node, label: label.label };
      }
      if (d >= p.maxHops || (qi > 0 && this.graph.isSaturated(node))) continue;
      if (d < p.maxHops - 1) {
        this.forEachLink(node, ev, enqueue);
        continue;
      }
      // Last level: only a labelled node can be a hit, so look at the event's links and the flagged neighbours.
      for (let i = 0; i < ev.n; i++) {
        if (ev.a[i] === node) enqueue(ev.kind[i]!, ev.b[i]!, ev.event.ts, ev.kind[i] === 'pay' ? '>' : '-');
        else if (ev.b[i] === node) enqueue(ev.kind[i]!, ev.a[i]!, ev.event.ts, ev.kind[i] === 'pay' ? '<' : '-');
      }
      for (const other of this.graph.flaggedNeighbours(node)) this.forEachLinkBetween(node, other, enqueue);
    }
    return undefined;
  }

  /** Accounts (other than the payer) sharing one of the payer's card/device/ip and carrying one of the labels. */
  private sharedEntity(p: SharedEntityParams, ev: EventLinks): TemplateVars | undefined {
    const entities = this.seen;
    entities.clear();
    const from = p.windowMs === undefined ? Number.NEGATIVE_INFINITY : ev.event.ts - p.windowMs;
    this.forEachLink(ev.payer, ev, (kind, other, last) => {
      if (last >= from && p.via.includes(kind)) entities.add(other);
    });
    const flagged = this.flaggedScratch;
    flagged.clear();
    for (const entity of entities) {
      if (this.graph.isSaturated(entity)) continue;
      for (const other of this.graph.flaggedNeighbours(entity)) {
        if (other === ev.payer || flagged.has(other) || !other.startsWith('account:') || !this.hasLabel(other, p.labels)) continue;
        const edge = this.graph.lookups.undirectedEdge(entity, other);
        if (edge !== undefined && edge.attributes.last >= from) flagged.set(other, entity);
      }
    }
    if (flagged.size < p.minAccounts) return undefined;
    const paths: string[] = [];
    let firstEntity = '';
    for (const [account, entity] of flagged) {
      if (paths.length === MAX_NAMED) break;
      if (firstEntity === '') firstEntity = entity;
      paths.push(formatPath([ev.payer, entity, account], ['-', '-', '-']) + formatLabel(this.graph.labelOf(account)!));
    }
    return { payer: ev.payer, count: flagged.size, paths: paths.join('; ') + (flagged.size > MAX_NAMED ? '; …' : ''), path: paths[0]!, entity: firstEntity };
  }

  /** The payer, now paying out, was paid by at least minPayers distinct accounts within the window. */
  private fanIn(p: FanInParams, ev: EventLinks): TemplateVars | undefined {
    const event = ev.event;
    if (event.beneficiary === undefined && event.type !== 'cash_out') return undefined;
    const g = this.graph.graph;
    if (!g.hasNode(ev.payer)) return undefined;
    const from = event.ts - p.windowMs;
    let count = 0;
    const named: string[] = [];
    g.forEachInEdge(ev.payer, (_key, e: EdgeAttributes, source) => {
      if (e.kind !== 'pay' || e.last < from) return;
      count++;
      if (named.length < MAX_NAMED) named.push(source);
    });
    if (count < p.minPayers) return undefined;
    const beneficiary = event.beneficiary === undefined ? `cash out` : 'account:' + event.beneficiary;
    return { payer: ev.payer, count, window: formatDuration(p.windowMs), payers: named.join(', ') + (count > MAX_NAMED ? ', …' : ''), beneficiary };
  }

  /**
   * The event pays P → Q; is there a chain of payments Q → … → P within the window, in time order, so that the
   * money returns to Q? Depth-first with dominance pruning, at most maxHops − 1 earlier payments, maxVisited
   * expansions.
   */
  private cycle(p: CycleParams, ev: EventLinks): TemplateVars | undefined {
    const event = ev.event;
    if (event.beneficiary === undefined || event.beneficiary === event.account) return undefined;
    const g = this.graph.graph;
    const target = ev.payer;
    const start = 'account:' + event.beneficiary;
    if (!g.hasNode(start) || !g.hasNode(target)) return undefined;
    const from = event.ts - p.windowMs;
    // Dominance: reaching a node again with no fewer hops and no earlier time cannot find more (time only moves
    // forward along a chain), so such states are skipped; this also rules out loops.
    const bestHops = this.bestHops;
    const bestAt = this.bestAt;
    bestHops.clear();
    bestAt.clear();
    bestHops.set(start, 0);
    bestAt.set(start, from);
    const stack: string[] = [start];
    let budget = p.maxVisited;
    const maxChain = p.maxHops - 1;
    const search = (node: string, notBefore: number, hops: number): boolean => {
      if (hops >= maxChain || budget <= 0 || (hops > 0 && this.graph.isSaturated(node))) return false;
      budget--;
      // findOutEdge, not someOutEdge: the latter wraps every callback in another closure.
      return g.findOutEdge(node, (_key, e: EdgeAttributes, _source, next) => {
        if (e.kind !== 'pay') return false;
        const at = Math.max(notBefore, e.first);
        if (at > e.last || at > event.ts) return false;
        if (next === target) {
          stack.push(next);
          return true;
        }
        const h = bestHops.get(next);
        if (h !== undefined && h <= hops + 1 && bestAt.get(next)! <= at) return false;
        bestHops.set(next, hops + 1);
        bestAt.set(next, at);
        stack.push(next);
        if (search(next, at, hops + 1)) return true;
        stack.pop();
        return false;
      }) !== undefined;
    };
    if (!search(start, from, 0)) return undefined;
    const nodes = [target, ...stack];
    return { payer: ev.payer, path: formatPath(nodes, nodes.map(() => '>')), hops: nodes.length - 1, window: formatDuration(p.windowMs) };
  }

  /** The event's anchor entity (e.g. its terminal) is linked within the window to ≥ minCount labelled neighbours. */
  private linkedLabels(p: LinkedLabelsParams, ev: EventLinks): TemplateVars | undefined {
    const id = ev.event[p.anchor];
    if (id === undefined) return undefined;
    const anchor = p.anchor + ':' + id;
    const g = this.graph.graph;
    if (!g.hasNode(anchor)) return undefined;
    const from = ev.event.ts - p.windowMs;
    let count = 0;
    const paths: string[] = [];
    const consider = (other: string, e: EdgeAttributes): void => {
      if (e.last < from || !this.hasLabel(other, p.labels)) return;
      count++;
      if (paths.length < MAX_NAMED) paths.push(anchor + ' — ' + other + formatLabel(this.graph.labelOf(other)!));
    };
    const prefix = p.neighbour + ':';
    for (const other of this.graph.flaggedNeighbours(anchor)) {
      if (!other.startsWith(prefix)) continue;
      const edge = this.graph.lookups.undirectedEdge(anchor, other);
      if (edge !== undefined) consider(other, edge.attributes);
    }
    if (count < p.minCount) return undefined;
    return { payer: ev.payer, anchor, count, window: formatDuration(p.windowMs), paths: paths.join('; ') + (count > MAX_NAMED ? '; …' : '') };
  }

  /** Distinct labelled entities with a fraud payment at the event's terminal (or merchant) within the window before it. */
  private fraudPayments(p: FraudPaymentsParams, ev: EventLinks): TemplateVars | undefined {
    const id = ev.event[p.anchor];
    if (id === undefined) return undefined;
    const anchor = p.anchor + ':' + id;
    const list = this.graph.fraudPaymentsAt(anchor);
    if (list.length < p.minCount) return undefined;
    const to = ev.event.ts;
    const from = to - p.windowMs;
    const counted = this.fraudScratch;
    counted.clear();
    for (const f of list) {
      if (f.ts <= from || f.ts > to) continue;
      if (!isOrdinaryAmount(f, p.ordinaryAmountRatio)) continue;
      counted.set(f.entity, f);
    }
    if (counted.size < p.minCount) return undefined;
    const paths: string[] = [];
    for (const f of counted.values()) {
      if (paths.length === MAX_NAMED) break;
      paths.push(`${anchor} — ${f.entity} (fraud payment on ${new Date(f.ts).toISOString().slice(0, 10)}, by ${f.by}${f.reason === '' ? '' : ': ' + f.reason})`);
    }
    return { payer: ev.payer, anchor, count: counted.size, window: formatDuration(p.windowMs), paths: paths.join('; ') + (counted.size > MAX_NAMED ? '; …' : '') };
  }
}
