import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EntityGraph } from '../../src/graph/entity-graph.ts';
import { entityTypeOf } from '../../src/graph/entity.ts';
import { DAY, T0, pay } from './helpers.ts';

test('a payment adds typed nodes and payer–card, payer–device, payer–ip, card–terminal, payer→beneficiary edges', () => {
  const g = new EntityGraph({ horizonMs: 30 * DAY });
  g.recordLink(pay({ account: 'A', card: 'C', device: 'D', ip: 'I', terminal: 'T', merchant: 'M', beneficiary: 'B', amount: 500 }));
  const gr = g.graph;
  assert.deepEqual(gr.nodes().sort(), ['account:A', 'account:B', 'card:C', 'device:D', 'ip:I', 'merchant:M', 'terminal:T']);
  assert.ok(gr.hasUndirectedEdge('account:A', 'card:C'));
  assert.ok(gr.hasUndirectedEdge('account:A', 'device:D'));
  assert.ok(gr.hasUndirectedEdge('account:A', 'ip:I'));
  assert.ok(gr.hasUndirectedEdge('card:C', 'terminal:T'));
  assert.ok(gr.hasUndirectedEdge('terminal:T', 'merchant:M'));
  assert.ok(gr.hasDirectedEdge('account:A', 'account:B'));
  assert.ok(!gr.hasDirectedEdge('account:B', 'account:A'));
  assert.equal(gr.getEdgeAttributes(gr.directedEdge('account:A', 'account:B')).amount, 500);
});

test('repeated links update first/last seen, count and summed amount', () => {
  const g = new EntityGraph({ horizonMs: 30 * DAY });
  g.recordLink(pay({ account: 'A', beneficiary: 'B', amount: 100, ts: T0 + 5 }));
  g.recordLink(pay({ account: 'A', beneficiary: 'B', amount: 250, ts: T0 + 9 }));
  g.recordLink(pay({ account: 'A', beneficiary: 'B', amount: 1, ts: T0 + 2 }));
  const e = g.graph.getEdgeAttributes(g.graph.directedEdge('account:A', 'account:B')!);
  assert.deepEqual([e.kind, e.first, e.last, e.count, e.amount], ['pay', T0 + 2, T0 + 9, 3, 351]);
});

test('the latest label by `at` wins; labels on unknown entities create the node', () => {
  const g = new EntityGraph({ horizonMs: DAY });
  assert.equal(g.applyLabel('account:X', { label: 'fraud', by: 'a', at: 20, reason: 'r1' }), true);
  assert.equal(g.applyLabel('account:X', { label: 'legit', by: 'b', at: 10, reason: 'older' }), false);
  assert.equal(g.labelOf('account:X')?.label, 'fraud');
  assert.equal(g.applyLabel('account:X', { label: 'legit', by: 'c', at: 30, reason: 'cleared' }), true);
  assert.equal(g.labelOf('account:X')?.by, 'c');
  assert.equal(g.stats().labels, 1);
});

test('edges past the horizon are pruned by event time; labelled nodes stay, bare ones go', () => {
  const g = new EntityGraph({ horizonMs: 10 * DAY });
  g.applyLabel('device:D', { label: 'fraud', by: 'a', at: T0, reason: '' });
  g.recordLink(pay({ account: 'A', device: 'D', ts: T0 }));
  g.recordLink(pay({ account: 'B', device: 'E', ts: T0 + 5 * DAY }));
  g.recordLink(pay({ account: 'Z', ts: T0 + 12 * DAY }));
  assert.ok(!g.graph.hasNode('account:A'), 'A had only the expired edge');
  assert.ok(g.graph.hasNode('device:D'), 'D is labelled');
  assert.equal(g.graph.degree('device:D'), 0);
  assert.ok(g.graph.hasUndirectedEdge('account:B', 'device:E'));
  assert.equal(g.stats().prunedEdges, 1);
  // A link older than the horizon is not recorded.
  g.recordLink(pay({ account: 'Old', device: 'E', ts: T0 }));
  assert.ok(!g.graph.hasNode('account:Old'));
  assert.equal(g.stats().staleLinks, 1);
});

test('an entity at its degree limit refuses new edges and reports saturation; pruning frees it', () => {
  const g = new EntityGraph({ horizonMs: 10 * DAY, degreeLimits: { ip: 3 } });
  for (let i = 0; i < 5; i++) g.recordLink(pay({ account: `a${i}`, ip: 'carrier', ts: T0 + i }));
  assert.equal(g.graph.degree('ip:carrier'), 3);
  assert.equal(g.isSaturated('ip:carrier'), true);
  assert.equal(g.stats().refusedEdges, 2);
  assert.ok(!g.graph.hasNode('account:a4'));
  g.recordLink(pay({ account: 'late', ip: 'carrier', ts: T0 + 20 * DAY }));
  assert.equal(g.isSaturated('ip:carrier'), false);
  assert.ok(g.graph.hasUndirectedEdge('account:late', 'ip:carrier'));
});

test('property: after any sequence of links, exactly the edges seen within the horizon (± one bucket) remain', () => {
  const horizon = 64_000;
  const bucket = horizon / 32;
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
  for (let run = 0; run < 20; run++) {
    const g = new EntityGraph({ horizonMs: horizon });
    const model = new Map<string, number>();
    let now = 0;
    let ts = 0;
    for (let i = 0; i < 400; i++) {
      ts += rand(3_000);
      const jitter = rand(4) === 0 ? rand(5_000) : 0; // some events arrive a little out of order
      const t = Math.max(0, ts - jitter);
      const account = `a${rand(15)}`;
      const device = `d${rand(10)}`;
      now = Math.max(now, t);
      g.recordLink(pay({ account, device, ts: t }));
      const key = `account:${account}|device:${device}`;
      if (t >= now - horizon) model.set(key, Math.max(model.get(key) ?? -Infinity, t));
    }
    for (const [key, last] of model) {
      const [a, b] = key.split('|') as [string, string];
      const present = g.graph.hasNode(a) && g.graph.hasUndirectedEdge(a, b);
      if (last >= now - horizon) assert.ok(present, `run ${run}: ${key} last ${last} now ${now} must be present`);
      if (last < now - horizon - bucket) assert.ok(!present, `run ${run}: ${key} last ${last} now ${now} must be pruned`);
      if (present) assert.equal(g.graph.getEdgeAttributes(g.graph.undirectedEdge(a, b)!).last, last);
    }
    assert.ok(g.graph.size <= model.size);
  }
});

test('entity types are read from the key prefix exactly as before: a known type, a colon, a non-empty id', () => {
  assert.equal(entityTypeOf('account:a:b'), 'account');
  assert.equal(entityTypeOf('card:1'), 'card');
  assert.equal(entityTypeOf('terminal:T'), 'terminal');
  assert.equal(entityTypeOf('merchant:'), undefined);
  assert.equal(entityTypeOf('cards:1'), undefined);
  assert.equal(entityTypeOf('car:1'), undefined);
  assert.equal(entityTypeOf('ip'), undefined);
  assert.equal(entityTypeOf(':x'), undefined);
  assert.equal(entityTypeOf('beneficiary:x'), undefined);
});
