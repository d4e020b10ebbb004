import type { PaymentEvent } from '../../src/ingest/event.ts';
import { parseFeatureSpecs } from '../../src/features/spec.ts';

/** Small windows so that a few hundred events cross many buckets, windows, the lateness and the retention. */
export const PROPERTY_SPECS = parseFeatureSpecs(
  `version: 1
buckets: 5
features:
  - entity: card
    aggregates: [count, sum_amount, avg_amount]
    windows: [10s, 1m]
  - entity: card
    aggregates: [distinct_terminal, distinct_device]
    windows: [1m]
    buckets: 6
  - entity: device
    aggregates: [count, distinct_account, distinct_card]
    windows: [30s]
  - entity: account
    aggregates: [count, sum_amount]
    windows: [2m]
    buckets: 4
  - entity: card+terminal
    aggregates: [count, avg_amount]
    windows: [20s]
`,
  'property-specs',
);
export const PROPERTY_LATENESS_MS = 15_000;

/** Deterministic PRNG (mulberry32) so that a failing seed can be replayed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many entities of each kind a random stream names, how far apart its events are, and where its batches end. */
export interface StreamShape {
  readonly accounts: number;
  readonly cards: number;
  readonly terminals: number;
  readonly devices: number;
  readonly meanGapMs: number;
  /** After each event, the chance that its batch ends there (1 / mean batch length). */
  readonly batchEndChance: number;
}

/** A few entities of each kind, so that each one crosses many buckets, windows, the lateness and the retention. */
export const SMALL_STREAM: StreamShape = { accounts: 3, cards: 4, terminals: 3, devices: 3, meanGapMs: 2000, batchEndChance: 0.12 };

/**
 * A random stream cut into batches: mostly ordered event times, some late within the lateness, some beyond it,
 * a few stale (beyond lateness + longest window), missing devices, and redeliveries of earlier events
 * (inside a batch and across batches).
 */
export function randomBatches(seed: number, events: number, shape: StreamShape = SMALL_STREAM): PaymentEvent[][] {
  const next = random(seed);
  const names = (letter: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${letter}${i}`);
  const [accounts, cards, terminals, devices] = [names('A', shape.accounts), names('C', shape.cards), names('T', shape.terminals), names('D', shape.devices)];
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const sent: PaymentEvent[] = [];
  const batches: PaymentEvent[][] = [];
  let clock = 1_700_000_000_000 + Math.floor(next() * 1_000_000);
  let batch: PaymentEvent[] = [];
  for (let n = 0; n < events; n++) {
    const roll = next();
    let event: PaymentEvent;
    if (roll < 0.12 && sent.length > 0) {
      event = pick(sent); // redelivery: same id, same content
    } else {
      clock += Math.floor(next() * shape.meanGapMs * 2);
      let ts = clock;
      if (roll < 0.27) ts = clock - Math.floor(next() * 40_000); // late: within or beyond the 15 s lateness
      else if (roll < 0.3) ts = clock - 80_000 - Math.floor(next() * 150_000); // very late: often stale
      event = {
        id: `e${n}`,
        ts,
        type: 'payment',
        amount: Math.floor(next() * 10_000),
        currency: 'EUR',
        account: pick(accounts),
        card: pick(cards),
        terminal: pick(terminals),
        ...(next() < 0.7 ? { device: pick(devices) } : {}),
      };
      sent.push(event);
    }
    batch.push(event);
    if (next() < shape.batchEndChance) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** The same events again, re-cut into batches of another size: a dataset replayed a second time. */
export function rebatch(batches: readonly PaymentEvent[][], size: number): PaymentEvent[][] {
  const all = batches.flat();
  const out: PaymentEvent[][] = [];
  for (let i = 0; i < all.length; i += size) out.push(all.slice(i, i + size));
  return out;
}
