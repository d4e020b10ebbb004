import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EntityGraph } from '../../src/graph/entity-graph.ts';
import GraphClass from 'graphology';
import type { GraphInternals } from '../../src/graph/dictionary-adjacency.ts';
import { DAY, pay } from './helpers.ts';

type Internals = GraphInternals & { _nodes: Map<string, { undirected: object; in: object }> };

test("the installed graphology's nodes keep undirected neighbours in dictionaries (a graphology upgrade that changes its internals fails here)", () => {
  const g = new EntityGraph({ horizonMs: 30 * DAY });
  g.recordLink(pay({ account: 'A', card: 'C', device: 'D', beneficiary: 'B' }));
  const payer = (g.graph as unknown as Internals)._nodes.get('account:A')!;
  assert.equal(Object.getPrototypeOf(payer.undirected), null);
  assert.deepEqual(Object.keys(payer.undirected).sort(), ['card:C', 'device:D']);
  // directed adjacency is left as graphology makes it, and so are other graphs
  assert.equal(Object.getPrototypeOf(payer.in), Object.prototype);
  const Graph = GraphClass as unknown as new (options: object) => { addNode(key: string): void; addUndirectedEdge(a: string, b: string): void };
  const stock = new Graph({ type: 'mixed' });
  stock.addNode('x');
  stock.addNode('y');
  stock.addUndirectedEdge('x', 'y');
  assert.equal(Object.getPrototypeOf((stock as unknown as Internals)._nodes.get('x')!.undirected), Object.prototype);
});

test('graphology reads, iterates and deletes through dictionary adjacency as through plain objects', () => {
  const g = new EntityGraph({ horizonMs: 30 * DAY });
  g.recordLink(pay({ account: 'A', card: 'C', device: 'D', ip: 'I', terminal: 'T', beneficiary: 'B' }));
  g.recordLink(pay({ account: 'E', device: 'D' }));
  const gr = g.graph;
  assert.ok(gr.hasUndirectedEdge('account:A', 'device:D')); // graphology calls hasOwnProperty on the adjacency object
  assert.ok(gr.hasEdge('account:A', 'device:D'));
  assert.ok(gr.hasUndirectedEdge(gr.undirectedEdge('account:A', 'device:D')!));
  assert.ok(gr.hasEdge('account:A', 'account:B') && gr.hasEdge(gr.directedEdge('account:A', 'account:B')!));
  assert.ok(!gr.hasUndirectedEdge('account:A', 'toString') && !gr.hasEdge('account:A', 'toString') && !gr.hasUndirectedEdge('nobody', 'device:D'));
  assert.ok(!gr.hasUndirectedEdge('account:A', 'account:B'));
  assert.ok(gr.areNeighbors('device:D', 'account:E'));
  assert.deepEqual(gr.neighbors('device:D').sort(), ['account:A', 'account:E']);
  const seen: string[] = [];
  gr.forEachNeighbor('account:A', (n) => {
    seen.push(n);
  });
  assert.deepEqual(seen.sort(), ['account:B', 'card:C', 'device:D', 'ip:I']);
  assert.equal(gr.degree('account:A'), 4);
  gr.dropEdge(gr.undirectedEdge('account:A', 'device:D')!);
  assert.ok(!gr.hasUndirectedEdge('account:A', 'device:D'));
  assert.deepEqual(gr.neighbors('device:D'), ['account:E']);
  gr.dropNode('account:E');
  assert.equal(gr.degree('device:D'), 0);
});
