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

/** Edges as a brute-force model sees them: straight from the list of payments. */
class EventModel {
  readonly pays = new Map<string, { first: number; last: number }>();
  readonly links = new Map<string, number>(); // `entity|account` → last seen
  record(e: PaymentEvent): void {
    if (e.beneficiary && e.beneficiary !== e.account) {
      const key = `${e.account}>${e.beneficiary}`;
      const edge = this.pays.get(key);
      this.pays.set(key, { first: Math.min(edge?.first ?? Infinity, e.ts), last: Math.max(edge?.last ?? -Infinity, e.ts) });
    }
    for (const [kind, value] of [['device', e.device], ['card', e.card], ['ip', e.ip]] as const) {
      if (value === undefined) continue;
      const key = `${kind}:${value}|${e.account}`;
      this.links.set(key, Math.max(this.links.get(key) ?? -Infinity, e.ts));
    }
  }
  /** Is there a time-ordered chain of payments from → … → to with at most maxEdges payments, all within [since, ts]? */
  chain(from: string, to: string, maxEdges: number, since: number, ts: number): boolean {
    const walk = (node: string, notBefore: number, used: number, visited: Set<string>): boolean => {
      if (used === maxEdges) return false;
      for (const [key, e] of this.pays) {
        const [a, b] = key.split('>') as [string, string];
        if (a !== node || visited.has(b)) continue;
        const at = Math.max(notBefore, e.first);
        if (at > e.last || at > ts) continue;
        if (b === to) return true;
        if (walk(b, at, used + 1, new Set([...visited, b]))) return true;
      }
      return false;
    };
    return walk(from, since, 0, new Set([from]));
  }
}

test('property: cycle, fan_in and shared_entity agree with brute force over the list of payments', () => {
  const rules = parseGraphRules(
    `
- { id: graph.c, kind: cycle, score: 1, reason: "{hops}", params: { maxHops: 4, window: 50ms, maxVisited: 100000 } }
- { id: graph.f, kind: fan_in, score: 1, reason: "{count}", params: { minPayers: 3, window: 40ms } }
- { id: graph.s, kind: shared_entity, score: 1, reason: "{count}", params: { via: [device, card], labels: [fraud], minAccounts: 2, window: 60ms } }
`,
    'p.yaml',
  );
  let hits = { 'graph.c': 0, 'graph.f': 0, 'graph.s': 0 } as Record<string, number>;
  for (let run = 0; run < 40; run++) {
    const rand = prng(run * 104_729 + 1);
    const core = createGraphCore({ rules, horizonMs: 1e9 });
    const model = new EventModel();
    const fraud = new Set<string>();
    let ts = 1_000;
    for (let i = 0; i < 150; i++) {
      ts += rand(4);
      if (rand(8) === 0) {
        const account = `a${rand(10)}`;
        const kind = rand(3) === 0 ? 'legit' : 'fraud';
        core.applyLabel(label(`account:${account}`, kind, ts));
        if (kind === 'fraud') fraud.add(account);
        else fraud.delete(account);
        continue;
      }
      const e = pay({ account: `a${rand(10)}`, ts: ts - rand(6), type: rand(5) === 0 ? 'cash_out' : 'transfer' });
      if (rand(3) > 0) e.beneficiary = `a${rand(10)}`;
      if (rand(3) === 0) e.device = `d${rand(4)}`;
      if (rand(4) === 0) e.card = `c${rand(4)}`;
      const [reasons] = core.check([e], [{}]);
      const got = new Map(reasons!.map((r) => [r.rule, r.detail]));

      const closes = e.beneficiary !== undefined && e.beneficiary !== e.account && model.chain(e.beneficiary, e.account, 3, e.ts - 50, e.ts);
      assert.equal(got.has('graph.c'), closes, `run ${run} event ${i} cycle: ${JSON.stringify(e)}`);

      const paysOut = e.beneficiary !== undefined || e.type === 'cash_out';
      const payers = [...model.pays].filter(([k, v]) => k.endsWith(`>${e.account}`) && v.last >= e.ts - 40).length;
      assert.equal(got.get('graph.f'), paysOut && payers >= 3 ? String(payers) : undefined, `run ${run} event ${i} fan_in`);

      const mine = new Set<string>();
      for (const [kind, value] of [['device', e.device], ['card', e.card]] as const) if (value !== undefined) mine.add(`${kind}:${value}`);
      for (const [key, last] of model.links) {
        const [entity, account] = key.split('|') as [string, string];
        if (account === e.account && last >= e.ts - 60) mine.add(entity);
      }
      const flagged = new Set<string>();
      for (const [key, last] of model.links) {
        const [entity, account] = key.split('|') as [string, string];
        if (mine.has(entity) && account !== e.account && fraud.has(account) && last >= e.ts - 60) flagged.add(account);
      }
      assert.equal(got.get('graph.s'), flagged.size >= 2 ? String(flagged.size) : undefined, `run ${run} event ${i} shared_entity`);

      for (const r of reasons!) hits[r.rule]!++;
      model.record(e);
    }
  }
  for (const [rule, n] of Object.entries(hits)) assert.ok(n > 0, `${rule} was hit at least once across runs (${JSON.stringify(hits)})`);
  hits = {};
});
