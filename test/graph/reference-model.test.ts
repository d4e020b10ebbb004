import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGraphRules } from '../../src/graph/index.ts';
import { createGraphCore } from '../../src/graph/stage.ts';
import type { PaymentEvent } from '../../src/ingest/event.ts';
import { T0, label, pay } from './helpers.ts';

function prng(seed: number) {
  return (n: number) => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed % n;
  };
}

/** The event's links as plain pairs, the way the reference model sees them. */
function pairs(e: PaymentEvent): [string, string, string][] {
  const out: [string, string, string][] = [];
  const payer = `account:${e.account}`;
  if (e.card) out.push(['card', payer, `card:${e.card}`]);
  if (e.device) out.push(['device', payer, `device:${e.device}`]);
  if (e.ip) out.push(['ip', payer, `ip:${e.ip}`]);
  if (e.beneficiary && e.beneficiary !== e.account) out.push(['pay', payer, `account:${e.beneficiary}`]);
  return out;
}

/** Reference: plain BFS over an adjacency list (no windows, no limits), distance to the nearest fraud node. */
function referenceHops(adj: Map<string, [string, string][]>, labels: Map<string, string>, start: string, event: PaymentEvent, via: string[], maxHops: number): number | undefined {
  const extra = pairs(event);
  const neighbours = (n: string) => [...(adj.get(n) ?? []), ...extra.filter(([, a, b]) => a === n || b === n).map(([k, a, b]) => [k, a === n ? b : a] as [string, string])];
  const dist = new Map([[start, 0]]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i]!;
    const d = dist.get(n)!;
    if (labels.get(n) === 'fraud') return d;
    if (d === maxHops) continue;
    for (const [kind, m] of neighbours(n)) {
      if (via.includes(kind) && !dist.has(m)) {
        dist.set(m, d + 1);
        queue.push(m);
      }
    }
  }
  return undefined;
}

for (const maxHops of [1, 2, 3, 4]) {
  test(`property: near_label (maxHops ${maxHops}) finds the same nearest fraud distance as a plain BFS, over random graphs and label changes`, () => {
    const via = ['device', 'card', 'pay'];
    const rules = parseGraphRules(
      `- { id: graph.n, kind: near_label, score: 1, reason: "{hops}|{entity}|{path}", params: { maxHops: ${maxHops}, via: [${via.join(', ')}], maxVisited: 100000 } }`,
      'p.yaml',
    );
    for (let run = 0; run < 30; run++) {
      const rand = prng(run * 7919 + maxHops);
      const core = createGraphCore({ rules, horizonMs: 10 * T0 });
      const adj = new Map<string, [string, string][]>();
      const labels = new Map<string, string>();
      const link = (kind: string, a: string, b: string) => {
        for (const [x, y] of [[a, b], [b, a]] as const) {
          const list = adj.get(x) ?? [];
          if (!list.some(([k, n]) => k === kind && n === y)) list.push([kind, y]);
          adj.set(x, list);
        }
      };
      for (let i = 0; i < 120; i++) {
        if (rand(5) === 0) {
          const entity = [`account:a${rand(12)}`, `device:d${rand(6)}`, `card:c${rand(6)}`][rand(3)]!;
          const kind = (['fraud', 'suspect', 'legit'] as const)[rand(3)]!;
          core.applyLabel(label(entity, kind, T0 + i));
          labels.set(entity, kind);
          continue;
        }
        const e = pay({ account: `a${rand(12)}`, ts: T0 + i });
        if (rand(2) === 0) e.device = `d${rand(6)}`;
        if (rand(3) === 0) e.card = `c${rand(6)}`;
        if (rand(3) === 0) e.ip = `i${rand(3)}`;
        if (rand(3) === 0) e.beneficiary = `a${rand(12)}`;
        const [reasons] = core.check([e], [{}]);
        const expected = referenceHops(adj, labels, `account:${e.account}`, e, via, maxHops);
        const got = reasons![0] === undefined ? undefined : Number(reasons![0].detail.split('|')[0]);
        assert.equal(got, expected, `run ${run} event ${i}: ${JSON.stringify(e)} → ${reasons![0]?.detail}`);
        if (got !== undefined) {
          const [, entity, path] = reasons![0]!.detail.split('|');
          assert.equal(labels.get(entity!), 'fraud');
          assert.ok(path!.startsWith(`account:${e.account}`), path);
        }
        for (const [kind, a, b] of pairs(e)) link(kind, a, b);
      }
    }
  });
}

test('property: the flagged-neighbour index equals a brute-force scan after random links, labels and pruning', () => {
  const rand = prng(99);
  const core = createGraphCore({ rules: [], horizonMs: 50 });
  const g = core.graph;
  for (let i = 0; i < 3_000; i++) {
    if (rand(4) === 0) {
      core.applyLabel(label([`account:a${rand(20)}`, `device:d${rand(8)}`][rand(2)]!, (['fraud', 'suspect', 'legit'] as const)[rand(3)]!, i));
    } else {
      const e = pay({ account: `a${rand(20)}`, device: `d${rand(8)}`, ts: i * 3 + rand(10) });
      if (rand(2) === 0) e.beneficiary = `a${rand(20)}`;
      core.check([e], [{}]);
    }
    if (i % 100 !== 0) continue;
    g.graph.forEachNode((node) => {
      const expected = new Set(g.graph.neighbors(node).filter((n) => ['fraud', 'suspect'].includes(g.labelOf(n)?.label ?? '')));
      assert.deepEqual(new Set(g.flaggedNeighbours(node)), expected, `step ${i}, ${node}`);
    });
  }
  assert.ok(g.stats().prunedEdges > 0, 'pruning happened');
});
