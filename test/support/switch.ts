import { setTimeout as sleep } from 'node:timers/promises';
import { Partitioners, type Kafka } from 'kafkajs';

export interface SwitchMessage {
  key: string;
  value: string;
}

export interface PacedSwitch {
  /** Messages acknowledged so far (they are sent in order, so these are messages[0..sent)). */
  sent(): number;
  /** How many messages were due by `at` at the configured rate. */
  dueAt(at: number): number;
  /** Failed sends that were retried (a broker outage shows here). */
  failures(): number;
  /** Resolves once every message is acknowledged. */
  readonly done: Promise<void>;
  stop(): void;
}

/**
 * Plays the payment switch: sends `messages` in order at `perSecond`, and retries a failed send until the broker
 * takes it (with the same idempotent producer, so a resend after a lost acknowledgement is not written twice), so the
 * input is complete whatever happens to the broker.
 */
export function startPacedSwitch(kafka: Kafka, topic: string, messages: readonly SwitchMessage[], perSecond: number, maxChunk = 1000): PacedSwitch {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 } });
  const startedAt = Date.now();
  let sent = 0;
  let failures = 0;
  let stopped = false;
  const dueAt = (at: number) => Math.min(messages.length, Math.floor(((at - startedAt) * perSecond) / 1000));
  const done = (async () => {
    await untilOk(() => producer.connect(), () => failures++);
    try {
      while (sent < messages.length && !stopped) {
        const due = dueAt(Date.now());
        if (due <= sent) {
          await sleep(20);
          continue;
        }
        const chunk = messages.slice(sent, Math.min(due, sent + maxChunk));
        await untilOk(() => producer.send({ topic, acks: -1, messages: chunk.map((m) => ({ key: m.key, value: m.value })) }), () => failures++);
        if (!stopped) sent += chunk.length;
      }
    } finally {
      await producer.disconnect().catch(() => {});
    }
  })();
  async function untilOk(work: () => Promise<unknown>, onFailure: () => void): Promise<void> {
    for (;;) {
      if (stopped) return;
      try {
        await work();
        return;
      } catch {
        onFailure();
        await sleep(500);
      }
    }
  }
  return { sent: () => sent, dueAt, failures: () => failures, done, stop: () => (stopped = true) };
}

/**
 * `total` card payments for the switch: account acc-(n mod cards) pays with card-(n mod cards), 50 ms of event time
 * apart from 20 minutes ago, keyed by account; with `terminals`, at terminal term-(n mod terminals).
 */
export function cardPayments(idPrefix: string, total: number, cards: number, terminals?: number): SwitchMessage[] {
  const start = Date.now() - 20 * 60_000;
  return Array.from({ length: total }, (_, n) => {
    const payment = { id: `${idPrefix}-${n}`, ts: start + n * 50, type: 'card_auth', amount: 100 + (n % 5000), currency: 'EUR', account: `acc-${n % cards}`, card: `card-${n % cards}` };
    return { key: `acc-${n % cards}`, value: JSON.stringify(terminals === undefined ? payment : { ...payment, terminal: `term-${n % terminals}` }) };
  });
}
