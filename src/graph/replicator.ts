import { randomUUID } from 'node:crypto';
import { DependencyUnavailableError, ErrorCodes } from '../errors.ts';
import { decodeLabel, type LabelEvent } from './label-codec.ts';
import { decodeLinkBatch, encodeLinkBatch, type LinkRecord } from './link-codec.ts';
import type { ConsumedMessage, ReplicationLog } from './replication-log.ts';

/**
 * A replica id unique per process start: `<instanceId>.<random>`. The configured instance id alone is not enough
 * (a container restarts with the same host name and pid) and a restarted instance must not skip the links its
 * previous incarnation published, since its graph starts empty.
 */
export function replicaId(instanceId: string): string {
  return `${instanceId}.${randomUUID().slice(0, 8)}`;
}

/** At most ~1,500 bytes per link (six 256-character ids): 500 links stay under 1 MB. */
const LINKS_PER_MESSAGE = 500;

/** What a replica applies: the graph core implements it. */
export interface ReplicaTarget {
  applyLinks(links: readonly LinkRecord[]): void;
  applyLabel(label: LabelEvent): boolean;
}

export interface GraphReplicatorOptions {
  log: ReplicationLog;
  target: ReplicaTarget;
  /** From `replicaId()`: unique per process start; batches carrying it are skipped (they were applied locally). */
  instanceId: string;
  linksTopic: string;
  labelsTopic: string;
  /** Told about every message or link skipped, with the reason. Default: counted only. */
  onSkip?: (where: string, reason: string) => void;
}

export interface ReplicatorStats {
  linksApplied: number;
  labelsApplied: number;
  /** Labels ignored because a later label of the same entity was already applied. */
  labelsSuperseded: number;
  ownBatchesSkipped: number;
  skipped: number;
}

/**
 * Keeps a full replica of the graph on every instance: publishes this instance's links, consumes the links and
 * labels topics from the beginning (all partitions), skips its own link batches. Caught up once every partition is
 * consumed up to the end offsets read at start.
 */
export class GraphReplicator {
  private readonly pending = new Map<string, number>();
  private started = false;
  private caughtUp = false;
  private readonly waiters: (() => void)[] = [];
  private readonly counters: ReplicatorStats = { linksApplied: 0, labelsApplied: 0, labelsSuperseded: 0, ownBatchesSkipped: 0, skipped: 0 };

  constructor(private readonly options: GraphReplicatorOptions) {}

  async start(): Promise<void> {
    if (this.started) throw new Error('GraphReplicator already started');
    this.started = true;
    const { log, linksTopic, labelsTopic } = this.options;
    for (const topic of [linksTopic, labelsTopic]) {
      for (const p of await log.offsets(topic)) if (p.high > p.low) this.pending.set(`${topic}/${p.partition}`, p.high);
    }
    this.checkCaughtUp();
    await log.consumeAll([linksTopic, labelsTopic], (topic, partition, messages) => this.onMessages(topic, partition, messages));
  }

  /** True once everything published before start() has been applied (readiness). */
  isCaughtUp(): boolean {
    return this.caughtUp;
  }

  /** Resolves when caught up; rejects after timeoutMs. */
  waitUntilCaughtUp(timeoutMs: number): Promise<void> {
    if (this.caughtUp) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new DependencyUnavailableError(ErrorCodes.KAFKA_UNAVAILABLE, `graph replica not caught up after ${timeoutMs} ms (${this.pending.size} partitions behind)`)),
        timeoutMs,
      );
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Publishes a batch's links keyed by the instance id, one message per LINKS_PER_MESSAGE links (a message stays
   * well under Kafka's 1 MB default), in one publish call.
   */
  async publishLinks(links: readonly LinkRecord[]): Promise<void> {
    if (links.length === 0) return;
    const key = this.options.instanceId;
    const messages = [];
    for (let i = 0; i < links.length; i += LINKS_PER_MESSAGE) {
      messages.push({ key, value: encodeLinkBatch(key, links.length <= LINKS_PER_MESSAGE ? links : links.slice(i, i + LINKS_PER_MESSAGE)) });
    }
    await this.options.log.publish(this.options.linksTopic, messages);
  }

  stats(): ReplicatorStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    await this.options.log.close();
  }

  private onMessages(topic: string, partition: number, messages: readonly ConsumedMessage[]): void {
    const links = topic === this.options.linksTopic;
    for (const m of messages) {
      const where = `${topic}/${partition}@${m.offset}`;
      if (m.value === null) this.skip(where, 'empty message');
      else if (links) this.onLinks(where, m.value);
      else this.onLabel(where, m.value);
    }
    const last = messages[messages.length - 1];
    if (last !== undefined && !this.caughtUp) {
      const key = `${topic}/${partition}`;
      const target = this.pending.get(key);
      if (target !== undefined && Number(last.offset) + 1 >= target) {
        this.pending.delete(key);
        this.checkCaughtUp();
      }
    }
  }

  private onLinks(where: string, value: Uint8Array): void {
    const decoded = decodeLinkBatch(value);
    if (!decoded.ok) return this.skip(where, decoded.reason);
    for (const s of decoded.skipped) this.skip(`${where}[${s.index}]`, s.reason);
    if (decoded.batch.src === this.options.instanceId) {
      this.counters.ownBatchesSkipped++;
      return;
    }
    this.options.target.applyLinks(decoded.batch.links);
    this.counters.linksApplied += decoded.batch.links.length;
  }

  private onLabel(where: string, value: Uint8Array): void {
    const decoded = decodeLabel(value);
    if (!decoded.ok) return this.skip(where, decoded.reason);
    if (this.options.target.applyLabel(decoded.label)) this.counters.labelsApplied++;
    else this.counters.labelsSuperseded++;
  }

  private skip(where: string, reason: string): void {
    this.counters.skipped++;
    this.options.onSkip?.(where, reason);
  }

  private checkCaughtUp(): void {
    if (this.caughtUp || this.pending.size > 0) return;
    this.caughtUp = true;
    for (const wake of this.waiters.splice(0)) wake();
  }
}
