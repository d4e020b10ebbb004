import { DependencyUnavailableError, ErrorCodes, VigilError } from '../errors.ts';
import { OPTIONAL_STRING_FIELDS, type OutgoingRecord, type PaymentEvent, type RecordProducer } from '../ingest/index.ts';
import { isTransient, observeDecisions, type Scorer } from '../processor/index.ts';
import type { Decision } from '../rules/decision.ts';
import { decisionRecords, type DecisionFormat, type SinkTopics } from '../sinks/index.ts';
import type { Metrics } from '../admin/metrics.ts';
import type { Logger } from '../log.ts';
import { Lru } from './lru.ts';
import type { ApiMetrics } from './metrics.ts';

export interface ScoringQueueOptions {
  scorer: Scorer;
  producer: RecordProducer;
  topics: SinkTopics;
  decisionFormat: DecisionFormat;
  metrics: Metrics;
  apiMetrics: ApiMetrics;
  log: Logger;
  /** Most events in one scorer call (and one produce call). */
  maxBatch: number;
  /** Most scorer calls in flight; requests arriving meanwhile wait and form the next batch. */
  concurrency: number;
  /** Decisions remembered by event id for exact replay; 0 disables the cache. */
  idempotencyCacheSize: number;
  /** Milliseconds a batch waits for more events before it is scored (0: only those of the same event-loop turn). */
  lingerMs?: number;
  /** Records to produce with each batch's decisions (the graph links the scorer observed), as the stream does. */
  batchRecords?: (events: readonly PaymentEvent[]) => OutgoingRecord[];
}

/** What a submitted event gets: a decision already made, one on its way, or a clash of ids. */
export type Submission = { kind: 'replay'; decision: Decision } | { kind: 'pending'; promise: Promise<Decision> } | { kind: 'conflict'; field: string };

export interface ScoringQueue {
  /** Scores a valid event through the shared scorer and resolves once its decision is acknowledged on the topics. */
  submit(event: PaymentEvent, receivedNs: bigint): Submission;
  /** Resolves once nothing is queued or in flight. */
  drain(): Promise<void>;
  /** The last failure of a dependency that has not succeeded since (Redis first), or undefined when both answer. */
  unavailable(): VigilError | undefined;
}

class Pending {
  promise: Promise<Decision>;
  resolve!: (decision: Decision) => void;
  reject!: (error: unknown) => void;
  constructor(
    readonly event: PaymentEvent,
    readonly receivedNs: bigint,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A caller that already answered (deadline) does not wait; the rejection is still reported to it if it waits.
    this.promise.catch(() => {});
  }
}

/** The first field on which two events with the same id differ, or undefined when they are the same event. */
export function differingField(a: PaymentEvent, b: PaymentEvent): string | undefined {
  if (a.ts !== b.ts) return 'ts';
  if (a.type !== b.type) return 'type';
  if (a.amount !== b.amount) return 'amount';
  if (a.currency !== b.currency) return 'currency';
  if (a.account !== b.account) return 'account';
  for (const field of OPTIONAL_STRING_FIELDS) if (a[field] !== b[field]) return field;
  return undefined;
}

function asUnavailable(error: unknown, dependency: 'redis' | 'kafka'): unknown {
  if (!isTransient(error)) return error;
  if (error instanceof VigilError) return error;
  return dependency === 'redis'
    ? new DependencyUnavailableError(ErrorCodes.REDIS_UNAVAILABLE, 'the feature store is unavailable', error)
    : new DependencyUnavailableError(ErrorCodes.KAFKA_UNAVAILABLE, 'Kafka is unavailable: the decision could not be recorded', error);
}

const MS_PER_NS = 1e-6;

/**
 * Micro-batches concurrent API requests into one scorer call and one produce call. Events that arrive
 * in the same turn of the event loop, or while `concurrency` batches are in flight, share a batch.
 * A retried event id joins the attempt in flight or replays the remembered decision.
 */
export function createScoringQueue(options: ScoringQueueOptions): ScoringQueue {
  const { scorer, producer, topics, metrics, apiMetrics, log } = options;
  const queue: Pending[] = [];
  const inFlight = new Map<string, Pending>();
  const decided = new Lru<string, { event: PaymentEvent; decision: Decision }>(options.idempotencyCacheSize);
  let running = 0;
  const linger = options.lingerMs ?? 0;
  let scheduled = false;
  let drained: (() => void) | undefined;
  /** Batch records (graph links) drained for a produce that failed: sent with the next one, never dropped. */
  let carried: OutgoingRecord[] = [];
  const down: { redis: VigilError | undefined; kafka: VigilError | undefined } = { redis: undefined, kafka: undefined };

  const failOn = (dependency: 'redis' | 'kafka', batch: readonly Pending[], error: unknown) => {
    const reported = asUnavailable(error, dependency);
    if (isTransient(error)) {
      metrics.dependencyRetries.inc({ dependency });
      if (reported instanceof VigilError) down[dependency] = reported;
    } else {
      log.error(dependency === 'redis' ? 'scoring failed' : 'producing decisions failed', { err: error, events: batch.length });
    }
    fail(batch, reported);
  };

  const fail = (batch: readonly Pending[], error: unknown) => {
    for (const p of batch) {
      inFlight.delete(p.event.id);
      p.reject(error);
    }
  };

  const flush = async (batch: Pending[]): Promise<void> => {
    const events = batch.map((p) => p.event);
    let startedNs = batch[0]!.receivedNs;
    for (const p of batch) if (p.receivedNs < startedNs) startedNs = p.receivedNs;
    apiMetrics.microBatchSize.observe(batch.length);
    let decisions: Decision[];
    try {
      decisions = await scorer.score(events, startedNs);
    } catch (error) {
      failOn('redis', batch, error);
      return;
    }
    down.redis = undefined;
    const readyNs = process.hrtime.bigint();
    const out: OutgoingRecord[] = [];
    metrics.stageSeconds.observe({ stage: 'api_score' }, Number(readyNs - startedNs) * 1e-9);
    for (let i = 0; i < batch.length; i++) {
      const decision = decisions[i]!;
      decision.latencyMs = Math.round(Number(readyNs - batch[i]!.receivedNs) * MS_PER_NS * 1000) / 1000;
      decisionRecords(decision, events[i]!.account, topics, options.decisionFormat, out);
    }
    const extra = options.batchRecords?.(events) ?? [];
    const withCarried = carried.length > 0 ? carried.concat(extra) : extra;
    carried = [];
    for (const record of withCarried) out.push(record);
    try {
      await producer.send(out);
    } catch (error) {
      carried = withCarried.concat(carried);
      failOn('kafka', batch, error);
      return;
    }
    down.kafka = undefined;
    const producedNs = process.hrtime.bigint();
    metrics.stageSeconds.observe({ stage: 'api_sinks' }, Number(producedNs - readyNs) * 1e-9);
    observeDecisions(metrics, decisions, Number(producedNs - startedNs) * 1e-9, Date.now());
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      decided.set(p.event.id, { event: p.event, decision: decisions[i]! });
      inFlight.delete(p.event.id);
      p.resolve(decisions[i]!);
    }
  };

  const pump = (): void => {
    scheduled = false;
    while (queue.length > 0 && running < options.concurrency) {
      const batch = queue.splice(0, options.maxBatch);
      running++;
      void flush(batch)
        .catch((error: unknown) => fail(batch, error))
        .finally(() => {
          running--;
          if (queue.length > 0) schedule(true);
          else if (running === 0 && drained !== undefined) drained();
        });
    }
  };

  let lingerTimer: NodeJS.Timeout | undefined;
  /** `waited`: the queued events already waited for a batch in flight, so no linger. */
  const schedule = (waited = false): void => {
    if (running >= options.concurrency) return;
    if ((waited || queue.length >= options.maxBatch) && lingerTimer !== undefined) {
      // A full batch does not wait for the linger.
      clearTimeout(lingerTimer);
      lingerTimer = undefined;
      scheduled = false;
    }
    if (scheduled) return;
    scheduled = true;
    if (linger > 0 && !waited && queue.length < options.maxBatch) {
      lingerTimer = setTimeout(() => {
        lingerTimer = undefined;
        pump();
      }, linger);
    } else {
      setImmediate(pump);
    }
  };

  return {
    submit(event, receivedNs) {
      const known = decided.get(event.id);
      if (known !== undefined) {
        const field = differingField(known.event, event);
        return field === undefined ? { kind: 'replay', decision: known.decision } : { kind: 'conflict', field };
      }
      const joined = inFlight.get(event.id);
      if (joined !== undefined) {
        const field = differingField(joined.event, event);
        return field === undefined ? { kind: 'pending', promise: joined.promise } : { kind: 'conflict', field };
      }
      const pending = new Pending(event, receivedNs);
      inFlight.set(event.id, pending);
      queue.push(pending);
      schedule();
      return { kind: 'pending', promise: pending.promise };
    },
    unavailable: () => down.redis ?? down.kafka,
    drain() {
      if (queue.length === 0 && running === 0) return Promise.resolve();
      return new Promise((resolve) => {
        drained = resolve;
      });
    },
  };
}
