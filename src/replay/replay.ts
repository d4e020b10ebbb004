import type { RecordProducer, OutgoingRecord } from '../ingest/index.ts';
import type { Dataset, DatasetRange } from './datasets/index.ts';
import { labelledPayment } from '../graph/labelled-payment.ts';
import type { LabelledPayment } from '../graph/entity.ts';

export interface ReplayOptions {
  dataset: Dataset;
  range?: DatasetRange;
  producer: RecordProducer;
  paymentsTopic: string;
  /** Where fraud labels go; omit to send no labels. */
  labelsTopic?: string;
  /** Labels are sent once replay event time passes payment time + this delay. Default 7 days. */
  labelDelayMs?: number;
  /** Pacing: at most this many payments per second (wall clock)... */
  rate?: number;
  /** ...or event time runs this many times faster than the wall clock (e.g. 86400: a day per second). */
  speedup?: number;
  /** Stop after this many payments. */
  limit?: number;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: ReplayProgress) => void;
  /** Injected for tests; defaults to real time. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface ReplayProgress {
  payments: number;
  labels: number;
  eventTime: number;
  elapsedMs: number;
}

/** Label message on the labels topic, as the graph stage reads it (docs/graph-rules.md). */
export interface LabelMessage {
  entity: string;
  label: 'fraud';
  by: string;
  at: number;
  reason: string;
  /** The payment the label was found on (docs/events.md): graph rules count fraud payments per terminal. */
  payment: LabelledPayment;
}

/**
 * Streams a dataset into the payments topic (JSON events, keyed by payer account) in event-time order, paced by
 * `rate` or `speedup` (neither: as fast as the broker takes it), and feeds the dataset's fraud labels to the labels
 * topic `labelDelayMs` of event time after each fraudulent payment, as analysts' feedback would arrive. Labels still
 * pending when the dataset ends are sent at the end. Resolves with the counts.
 */
export async function replay(o: ReplayOptions): Promise<ReplayProgress> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = o.now ?? Date.now;
  const delay = o.labelDelayMs ?? 7 * 86_400_000;
  const batchSize = o.batchSize ?? 500;
  const started = now();
  const pending: { due: number; msg: OutgoingRecord }[] = [];
  let pendingHead = 0;
  let payments = 0;
  let labels = 0;
  let firstTs: number | undefined;
  let eventTime = 0;
  let batch: OutgoingRecord[] = [];
  let lastProgress = 0;

  /** Labels due by event time `upTo` join the batch, ahead of the payments that follow them in event time. */
  const takeLabels = (upTo: number) => {
    while (pendingHead < pending.length && pending[pendingHead]!.due <= upTo) { batch.push(pending[pendingHead++]!.msg); labels++; }
    if (pendingHead > 10_000) { pending.splice(0, pendingHead); pendingHead = 0; }
  };

  const send = async () => {
    if (batch.length > 0) await o.producer.send(batch);
    batch = [];
    if (o.onProgress && now() - lastProgress >= 1000) {
      lastProgress = now();
      o.onProgress({ payments, labels, eventTime, elapsedMs: now() - started });
    }
  };

  for await (const rec of o.dataset.records(o.range)) {
    if (o.signal?.aborted || (o.limit !== undefined && payments >= o.limit)) break;
    const e = rec.event;
    firstTs ??= e.ts;
    eventTime = e.ts;
    if (o.speedup !== undefined) {
      const wait = started + (e.ts - firstTs) / o.speedup - now();
      if (wait > 5) { await send(); await sleep(wait); }
    }
    takeLabels(e.ts);
    batch.push({ topic: o.paymentsTopic, key: e.account, value: JSON.stringify(e), headers: { 'content-type': 'application/json' } });
    payments++;
    if (rec.fraud && o.labelsTopic !== undefined) {
      for (const entity of rec.labelEntities) {
        const msg: LabelMessage = { entity, label: 'fraud', by: `replay:${o.dataset.kind}`, at: e.ts + delay, reason: `dataset label of transaction ${rec.txId}`, payment: labelledPayment(e) };
        pending.push({ due: e.ts + delay, msg: { topic: o.labelsTopic, key: entity, value: JSON.stringify(msg) } });
      }
    }
    if (batch.length >= batchSize) {
      await send();
      if (o.rate !== undefined) {
        const wait = started + (payments / o.rate) * 1000 - now();
        if (wait > 0) await sleep(wait);
      }
    }
  }
  takeLabels(Infinity);
  await send();
  return { payments, labels, eventTime, elapsedMs: now() - started };
}
