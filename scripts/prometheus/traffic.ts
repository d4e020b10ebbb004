import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { FeatureStage } from '../../src/features/index.ts';
import type { GraphStage } from '../../src/graph/index.ts';
import type { Reason } from '../../src/rules/decision.ts';

/**
 * Synthetic payment traffic for the observability evidence: a mix that exercises every outcome.
 * ~85% allow, ~7% review (amount over the limit), ~4% block (currency not accepted, sometimes also
 * over the limit), ~2% invalid (garbage, negative amount), and ~10% on a "shared-" device that the
 * demo graph stage below flags with a shadow rule.
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
  if (i % 10 === 3) event.device = `shared-${i % 5}`;
  return { key: account, value: JSON.stringify(event) };
}

/**
 * A stand-in for the graph stage (branch `graph`, not on main yet): flags events on a "shared-"
 * device with a *shadow* rule, so the detection view's shadow panels have real hits to show.
 */
export function demoShadowGraphStage(): GraphStage {
  const hit: Reason = { rule: 'graph.shared_device_demo', score: 30, detail: 'device shared by several accounts (demo)', shadow: true };
  return {
    check: (events) => events.map((e) => (e.device?.startsWith('shared-') ? [hit] : [])),
    close: async () => {},
  };
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
