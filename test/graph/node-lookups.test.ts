import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntityGraph } from '../../src/graph/entity-graph.ts';
import { publicNodeLookups } from '../../src/graph/node-lookups.ts';

describe('node lookups', () => {
  it('answer as graphology\'s public API does, for nodes and edges present, absent and pruned', () => {
    const graph = new EntityGraph({ horizonMs: 60_000 });
    let seed = 7;
    const pick = (n: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 3_000; i++) {
      const account = `a${pick(60)}`;
      graph.recordLink({ ts: 1_700_000_000_000 + i * 100, account, card: `c${pick(80)}`, device: `d${pick(30)}`, terminal: `t${pick(10)}`, ...(i % 4 === 0 ? { beneficiary: `a${pick(60)}`, amount: 100 } : { amount: 5 }) });
    }
    graph.applyLabel('account:a1', { label: 'fraud', by: 'test', at: 1, reason: 'r' });
    assert.ok(graph.stats().prunedEdges > 0, 'the horizon pruned some edges');
    const fast = graph.lookups;
    const reference = publicNodeLookups(graph.graph);
    const nodes = ['account:a1', 'account:a200', ...Array.from({ length: 60 }, (_, i) => `account:a${i}`), ...Array.from({ length: 80 }, (_, i) => `card:c${i}`), 'device:d3', 'terminal:t2', 'terminal:none'];
    let edges = 0;
    for (const a of nodes) {
      assert.equal(fast.degree(a), reference.degree(a), `degree ${a}`);
      assert.deepEqual(fast.attributes(a), reference.attributes(a), `attributes ${a}`);
      for (const b of nodes) {
        const u = fast.undirectedEdge(a, b);
        const d = fast.directedEdge(a, b);
        assert.equal(u?.key, reference.undirectedEdge(a, b)?.key, `undirected ${a} ${b}`);
        assert.equal(d?.key, reference.directedEdge(a, b)?.key, `directed ${a} ${b}`);
        if (u !== undefined) assert.equal(u.attributes, graph.graph.getEdgeAttributes(u.key));
        if (u !== undefined || d !== undefined) edges++;
      }
    }
    assert.ok(edges > 500, `${edges} edges compared`);
  });
});
