import { ensureTopics } from '../../src/ingest/index.ts';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { FeatureStage } from '../../src/features/index.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Synthetic payment traffic for the observability evidence: a mix that exercises every outcome.
 * ~85% allow, ~7% review (amount over the limit), ~4% block (currency not accepted, sometimes also
 * over the limit), ~2% invalid (garbage, negative amount). Every other payment goes to one of
 * 97 hub accounts, which also pay out, so the graph sees accounts paid by many payers that pay on.
 */
export function syntheticPayment(i: number, nowMs: number): { key: string; value: string } {
  const account = `acc-${i % 997}`;
  const r = (i * 7919) % 100;
  if (r < 2) return { key: account, value: r === 0 ? '{"id": ' : JSON.stringify({ id: `p-${i}`, ts: nowMs, type: 'payment', amount: -1, currency: 'EUR', account }) };
  const event: Record<string, unknown> = { id: `p-${i}-${randomBytes(3).toString('hex')}`, ts: nowMs - (i % 50), type: 'payment', amount: 100 + ((i * 31) % 90_000), currency: 'EUR', account };
  if (r < 9) event.amount = 2_000_000 + i;
  else if (r < 13) {
    event.currency = 'MXN';
    if (r === 12) event.amount = 5_000_000;
  }
  if (i % 2 === 0) event.beneficiary = `acc-${(i * 13 + 5) % 97}`;
  if (i % 10 === 3) event.device = `dev-${i % 50}`;
  return { key: account, value: JSON.stringify(event) };
}

/**
 * Graph rules for the evidence runs (the real graph stage of main): the mule pattern with a low
 * threshold, once live and once in shadow mode with a lower one, so the detection view shows both
 * live and shadow graph hits on synthetic traffic where accounts pay each other.
 */
export const DEMO_GRAPH_RULES = `rules:
  - id: graph.fan_in_demo
    kind: fan_in
    score: 30
    reason: "{payer} was paid by {count} distinct accounts in {window} and now pays out"
    params:
      minPayers: 6
      window: 1d
  - id: graph.fan_in_shadow_demo
    kind: fan_in
    score: 30
    shadow: true
    reason: "{payer} was paid by {count} distinct accounts in {window} (shadow candidate)"
    params:
      minPayers: 3
      window: 1d
`;

/** Writes DEMO_GRAPH_RULES into a new temporary directory, for VIGIL_GRAPH_RULES; the caller removes it. */
export function writeDemoGraphRules(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-graph-rules-'));
  writeFileSync(join(dir, 'demo.yaml'), DEMO_GRAPH_RULES);
  return dir;
}

export interface TrafficPlan {
  /** [seconds, events per second] steps, played in order. */
  steps: readonly (readonly [number, number])[];
  /** Extra messages produced at once at the start of step `index`, to build lag. */
  bursts?: readonly { step: number; messages: number }[];
}

/** Produces the plan to `topic`, ~10 sends per second; resolves with the number of messages sent. */
export async function playTraffic(brokers: string[], topic: string, plan: TrafficPlan, signal?: AbortSignal): Promise<number> {
  const kafka = new Kafka({ clientId: `vigil-traffic-${randomBytes(3).toString('hex')}`, brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  let sent = 0;
  try {
    for (let s = 0; s < plan.steps.length; s++) {
      const [seconds, rate] = plan.steps[s]!;
      for (const burst of plan.bursts ?? []) {
        if (burst.step !== s) continue;
        for (let done = 0; done < burst.messages; done += 2000) {
          const now = Date.now();
          const n = Math.min(2000, burst.messages - done);
          await producer.send({ topic, acks: 1, messages: Array.from({ length: n }, (_, k) => syntheticPayment(sent + k, now)) });
          sent += n;
        }
      }
      const ticks = Math.round(seconds * 10);
      const start = Date.now();
      for (let tick = 0; tick < ticks && !signal?.aborted; tick++) {
        const n = Math.round(rate / 10);
        const now = Date.now();
        if (n > 0) await producer.send({ topic, acks: 1, messages: Array.from({ length: n }, (_, k) => syntheticPayment(sent + k, now)) });
        sent += n;
        await sleep(Math.max(0, start + (tick + 1) * 100 - Date.now()));
      }
    }
  } finally {
    await producer.disconnect();
  }
  return sent;
}

/**
 * A stand-in for the velocity stage (branch `features`, Redis; not on main yet) that costs a fixed
 * time per event, like a busy Redis would: it gives the latency panels a realistic shape and makes a
 * burst of traffic show up as consumer lag. No features.
 */
export function demoSlowFeatureStage(msPerEvent: number): FeatureStage {
  return {
    featureNames: [],
    compute: async (events) => {
      await sleep(events.length * msPerEvent);
      return events.map(() => ({}));
    },
    close: async () => {},
  };
}

/**
 * Creates the topics and waits until each answers an offsets request. The graph replica asks partition
 * offsets right at start and does not retry a NOT_LEADER answer that a just-created topic can give on a
 * busy broker (src/graph/kafka-log.ts), so the evidence runs create their topics first.
 */
export async function createTopicsWithLeaders(kafka: Kafka, topics: string[], partitions: number): Promise<void> {
  await ensureTopics(kafka, topics.map((topic) => ({ topic, partitions })));
}
