import GraphClass from 'graphology';
import type { AbstractGraph } from 'graphology-types';
import type { EdgeAttributes, EdgeKind, EntityType, LabelInfo, LabelledPayment, NodeAttributes } from './entity.ts';
import { entityTypeOf } from './entity.ts';
import type { LinkRecord } from './link-codec.ts';
import { useDictionaryAdjacency, type GraphInternals } from './dictionary-adjacency.ts';
import { createNodeLookups, publicNodeLookups, type NodeLookups } from './node-lookups.ts';

export type DegreeLimits = Readonly<Record<EntityType, number>>;

export const DEFAULT_DEGREE_LIMITS: DegreeLimits = {
  account: 5_000,
  card: 1_000,
  device: 500,
  ip: 500,
  terminal: 20_000,
  merchant: 20_000,
};

export interface EntityGraphOptions {
  /** Edges whose last-seen event time is older than this (relative to the newest event time seen) are removed. */
  horizonMs: number;
  /** Degree limit per entity type; a node at its limit refuses new edges and is not traversed. */
  degreeLimits?: Partial<DegreeLimits>;
}

export interface EntityGraphStats {
  nodes: number;
  edges: number;
  labels: number;
  /** Edges refused because an end was at its degree limit. */
  refusedEdges: number;
  /** Edges removed by horizon pruning. */
  prunedEdges: number;
  /** Link updates ignored because they were older than the horizon. */
  staleLinks: number;
}

/**
 * graphology ships CJS-flavoured typings: under NodeNext the default import is typed as the module namespace,
 * while at run time (ESM build) it is the Graph class. One cast, here.
 */
const Graph = GraphClass as unknown as new (options: { type: 'mixed'; multi: false; allowSelfLoops: false }) => AbstractGraph<NodeAttributes, EdgeAttributes>;
export type EntityGraphStore = AbstractGraph<NodeAttributes, EdgeAttributes>;

const EMPTY: ReadonlySet<string> = new Set();

/** A fraud payment made at a place (terminal or merchant), from a label that named its payment. */
export interface FraudPayment {
  /** The labelled entity, e.g. `card:596`. */
  entity: string;
  ts: number;
  amount: number | undefined;
  usualAmount: number | undefined;
  /** When it was labelled, and by whom: for reasons. */
  at: number;
  by: string;
  reason: string;
}

function isFlagging(label: LabelInfo | undefined): boolean {
  return label !== undefined && label.label !== 'legit';
}

const FRAUD_SWEEP_EVERY = 1_024;

/** Pruning granularity: an edge lives at most horizon + horizon / BUCKETS_PER_HORIZON past its last sighting. */
const BUCKETS_PER_HORIZON = 32;

/**
 * The entity graph: typed nodes, first/last-seen/count edges, labels on nodes, bounded by an event-time horizon
 * (incremental, bucketed pruning: no scan of the graph) and per-type degree limits.
 */
export class EntityGraph {
  readonly graph: EntityGraphStore;
  readonly lookups: NodeLookups;
  /** Newest event time seen (epoch ms); the graph's clock. */
  now = Number.NEGATIVE_INFINITY;

  private readonly horizonMs: number;
  private readonly bucketMs: number;
  private readonly limits: DegreeLimits;
  private readonly buckets = new Map<number, Set<string>>();
  private minBucket = Number.POSITIVE_INFINITY;
  private labelCount = 0;
  /** node → its neighbours labelled fraud or suspect. */
  private readonly flaggedAround = new Map<string, Set<string>>();
  /** place node (`terminal:T`, `merchant:M`) → fraud payments made there, oldest first, within the horizon. */
  private readonly fraudPaymentsByPlace = new Map<string, FraudPayment[]>();
  private fraudPaymentsRecorded = 0;
  private refused = 0;
  private pruned = 0;
  private stale = 0;

  constructor(options: EntityGraphOptions) {
    if (!(options.horizonMs > 0)) throw new RangeError(`horizonMs must be > 0, got ${options.horizonMs}`);
    this.horizonMs = options.horizonMs;
    this.bucketMs = Math.max(1, Math.floor(options.horizonMs / BUCKETS_PER_HORIZON));
    this.limits = { ...DEFAULT_DEGREE_LIMITS, ...options.degreeLimits };
    this.graph = new Graph({ type: 'mixed', multi: false, allowSelfLoops: false });
    // the same check of graphology's internals decides both
    this.lookups = useDictionaryAdjacency(this.graph as unknown as GraphInternals) ? createNodeLookups(this.graph) : publicNodeLookups(this.graph);
  }

  /** Records the links of one payment (local or replicated); then prunes what fell out of the horizon. */
  recordLink(link: LinkRecord): void {
    const ts = link.ts;
    if (ts > this.now) this.advance(ts);
    if (ts < this.now - this.horizonMs) {
      this.stale++;
      return;
    }
    const payer = 'account:' + link.account;
    const card = link.card === undefined ? undefined : 'card:' + link.card;
    if (card !== undefined) this.touch('card', payer, card, ts, 0, false);
    if (link.device !== undefined) this.touch('device', payer, 'device:' + link.device, ts, 0, false);
    if (link.ip !== undefined) this.touch('ip', payer, 'ip:' + link.ip, ts, 0, false);
    const terminal = link.terminal === undefined ? undefined : 'terminal:' + link.terminal;
    if (terminal !== undefined) this.touch('terminal', card ?? payer, terminal, ts, 0, false);
    if (link.merchant !== undefined) this.touch('merchant', terminal ?? payer, 'merchant:' + link.merchant, ts, 0, false);
    if (link.beneficiary !== undefined && link.beneficiary !== link.account) {
      this.touch('pay', payer, 'account:' + link.beneficiary, ts, link.amount, true);
    }
  }

  /** Applies a label unless a later one (by `at`) is already there. Creates the node when unknown. */
  applyLabel(entity: string, info: LabelInfo): boolean {
    const g = this.graph;
    if (!g.hasNode(entity)) g.addNode(entity, {});
    const attrs = g.getNodeAttributes(entity);
    const current = attrs.label;
    if (current !== undefined && current.at > info.at) return false;
    if (current === undefined) this.labelCount++;
    const was = isFlagging(current);
    attrs.label = info;
    const flagging = isFlagging(info);
    if (was !== flagging) {
      g.forEachNeighbor(entity, (neighbour) => {
        if (flagging) this.indexFlagged(neighbour, entity);
        else this.unindexFlagged(neighbour, entity);
      });
    }
    return true;
  }

  /**
   * Records a fraud payment named by a label at its terminal and merchant. Independent of the entity's current label:
   * a later `legit` on the card does not undo that this payment was fraud. A repeat (same entity and time) is ignored.
   */
  recordFraudPayment(entity: string, info: LabelInfo, payment: LabelledPayment): void {
    if (info.label !== 'fraud') return;
    const places: string[] = [];
    if (payment.terminal !== undefined) places.push('terminal:' + payment.terminal);
    if (payment.merchant !== undefined) places.push('merchant:' + payment.merchant);
    for (const place of places) {
      let list = this.fraudPaymentsByPlace.get(place);
      if (list === undefined) this.fraudPaymentsByPlace.set(place, (list = []));
      if (list.some((f) => f.entity === entity && f.ts === payment.ts)) continue;
      const record: FraudPayment = { entity, ts: payment.ts, amount: payment.amount, usualAmount: payment.usualAmount, at: info.at, by: info.by, reason: info.reason };
      let i = list.length;
      while (i > 0 && list[i - 1]!.ts > payment.ts) i--;
      list.splice(i, 0, record);
      this.dropOldFraudPayments(place, list);
    }
    // places that take no new fraud and are never checked again are swept now and then, so memory stays bounded
    if (++this.fraudPaymentsRecorded % FRAUD_SWEEP_EVERY === 0) {
      for (const [place, list] of this.fraudPaymentsByPlace) this.dropOldFraudPayments(place, list);
    }
  }

  /** Fraud payments made at `place` (oldest first), within the horizon. */
  fraudPaymentsAt(place: string): readonly FraudPayment[] {
    const list = this.fraudPaymentsByPlace.get(place);
    if (list === undefined) return [];
    this.dropOldFraudPayments(place, list);
    return list;
  }

  private dropOldFraudPayments(place: string, list: FraudPayment[]): void {
    const oldest = this.now - this.horizonMs;
    let n = 0;
    while (n < list.length && list[n]!.ts < oldest) n++;
    if (n > 0) list.splice(0, n);
    if (list.length === 0) this.fraudPaymentsByPlace.delete(place);
  }

  /**
   * Neighbours of `node` currently labelled fraud or suspect, kept up to date as labels and edges change, so that
   * checks look at the few flagged neighbours of a super-node instead of all its edges.
   */
  flaggedNeighbours(node: string): ReadonlySet<string> {
    return this.flaggedAround.get(node) ?? EMPTY;
  }

  labelOf(entity: string): LabelInfo | undefined {
    return this.lookups.attributes(entity)?.label;
  }

  /** True when the node is at its degree limit: it refuses new edges and traversals do not pass through it. */
  isSaturated(entity: string): boolean {
    const degree = this.lookups.degree(entity);
    return degree !== undefined && degree >= this.limitOf(entity);
  }

  limitOf(entity: string): number {
    const type = entityTypeOf(entity);
    return type === undefined ? Number.POSITIVE_INFINITY : this.limits[type];
  }

  stats(): EntityGraphStats {
    return {
      nodes: this.graph.order,
      edges: this.graph.size,
      labels: this.labelCount,
      refusedEdges: this.refused,
      prunedEdges: this.pruned,
      staleLinks: this.stale,
    };
  }

  private touch(kind: EdgeKind, a: string, b: string, ts: number, amount: number, directed: boolean): void {
    const lookups = this.lookups;
    const existing = directed ? lookups.directedEdge(a, b) : lookups.undirectedEdge(a, b);
    if (existing !== undefined) {
      const e = existing.attributes;
      e.count++;
      e.amount += amount;
      if (ts < e.first) e.first = ts;
      if (ts > e.last) {
        e.last = ts;
        this.file(existing.key, e);
      }
      return;
    }
    // undefined: not in the graph yet
    const degreeA = lookups.degree(a);
    const degreeB = lookups.degree(b);
    if ((degreeA !== undefined && degreeA >= this.limitOf(a)) || (degreeB !== undefined && degreeB >= this.limitOf(b))) {
      this.refused++;
      return;
    }
    const g = this.graph;
    if (degreeA === undefined) g.addNode(a, {});
    if (degreeB === undefined) g.addNode(b, {});
    const attrs: EdgeAttributes = { kind, first: ts, last: ts, count: 1, amount, bucket: Number.NaN };
    const key = directed ? g.addDirectedEdge(a, b, attrs) : g.addUndirectedEdge(a, b, attrs);
    this.file(key, attrs);
    // a node added just now has no label yet
    if (degreeA !== undefined && isFlagging(lookups.attributes(a)?.label)) this.indexFlagged(b, a);
    if (degreeB !== undefined && isFlagging(lookups.attributes(b)?.label)) this.indexFlagged(a, b);
  }

  private indexFlagged(node: string, flaggedNeighbour: string): void {
    let set = this.flaggedAround.get(node);
    if (set === undefined) {
      set = new Set();
      this.flaggedAround.set(node, set);
    }
    set.add(flaggedNeighbour);
  }

  private unindexFlagged(node: string, flaggedNeighbour: string): void {
    const set = this.flaggedAround.get(node);
    if (set === undefined) return;
    set.delete(flaggedNeighbour);
    if (set.size === 0) this.flaggedAround.delete(node);
  }

  /** Files the edge under the bucket of its last-seen time (moving it out of its previous bucket). */
  private file(key: string, e: EdgeAttributes): void {
    const bucket = Math.floor(e.last / this.bucketMs);
    if (bucket === e.bucket) return;
    if (!Number.isNaN(e.bucket)) this.buckets.get(e.bucket)?.delete(key);
    e.bucket = bucket;
    let set = this.buckets.get(bucket);
    if (set === undefined) {
      set = new Set();
      this.buckets.set(bucket, set);
    }
    set.add(key);
    if (bucket < this.minBucket) this.minBucket = bucket;
  }

  /** Moves the clock and drops the buckets that fell entirely out of the horizon. */
  private advance(ts: number): void {
    this.now = ts;
    const cutoffBucket = Math.floor((ts - this.horizonMs) / this.bucketMs);
    if (this.minBucket >= cutoffBucket) return;
    if (cutoffBucket - this.minBucket > this.buckets.size) {
      for (const bucket of [...this.buckets.keys()]) if (bucket < cutoffBucket) this.dropBucket(bucket);
    } else {
      for (let b = this.minBucket; b < cutoffBucket; b++) this.dropBucket(b);
    }
    this.minBucket = cutoffBucket;
  }

  private dropBucket(bucket: number): void {
    const set = this.buckets.get(bucket);
    if (set === undefined) return;
    this.buckets.delete(bucket);
    const g = this.graph;
    for (const key of set) {
      const source = g.source(key);
      const target = g.target(key);
      g.dropEdge(key);
      this.pruned++;
      if (!g.areNeighbors(source, target)) {
        this.unindexFlagged(source, target);
        this.unindexFlagged(target, source);
      }
      this.dropIfBare(source);
      this.dropIfBare(target);
    }
  }

  /** Removes a node left with no edge and no label. */
  private dropIfBare(node: string): void {
    const g = this.graph;
    if (g.degree(node) > 0 || g.getNodeAttributes(node).label !== undefined) return;
    g.dropNode(node);
  }
}
