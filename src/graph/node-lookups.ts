import type { AbstractGraph } from 'graphology-types';
import type { EdgeAttributes, NodeAttributes } from './entity.ts';

/** An edge as the graph keeps it: its key (for pruning) and its attributes (mutable: first/last seen, counts). */
export interface StoredEdge {
  readonly key: string;
  readonly attributes: EdgeAttributes;
}

/**
 * The reads the graph stage makes for every link of every payment, each in one hash lookup per node: graphology's
 * public methods validate their arguments and look the same node up two or three times (`hasNode`, then
 * `undirectedEdge`, then `getEdgeAttributes` by edge key), which made recording a payment's links mostly lookups.
 */
export interface NodeLookups {
  attributes(node: string): NodeAttributes | undefined;
  /** undefined for a node not in the graph. */
  degree(node: string): number | undefined;
  undirectedEdge(a: string, b: string): StoredEdge | undefined;
  /** The edge from `source` to `target` (payments). */
  directedEdge(source: string, target: string): StoredEdge | undefined;
}

/** graphology 0.26's per-node record in a mixed graph (src/data.js), as far as this reads it. */
interface MixedNodeData {
  attributes: NodeAttributes;
  inDegree: number;
  outDegree: number;
  undirectedDegree: number;
  out: Record<string, StoredEdge | undefined>;
  undirected: Record<string, StoredEdge | undefined>;
}

/** Through graphology's public API: where its internals are not the ones this knows (another version). */
export function publicNodeLookups(g: AbstractGraph<NodeAttributes, EdgeAttributes>): NodeLookups {
  const stored = (key: string | undefined): StoredEdge | undefined => (key === undefined ? undefined : { key, attributes: g.getEdgeAttributes(key) });
  return {
    attributes: (node) => (g.hasNode(node) ? g.getNodeAttributes(node) : undefined),
    degree: (node) => (g.hasNode(node) ? g.degree(node) : undefined),
    undirectedEdge: (a, b) => (g.hasNode(a) && g.hasNode(b) ? stored(g.undirectedEdge(a, b)) : undefined),
    directedEdge: (source, target) => (g.hasNode(source) && g.hasNode(target) ? stored(g.directedEdge(source, target)) : undefined),
  };
}

/**
 * Lookups on a mixed, non-multi graphology graph without self loops (the entity graph) that reads graphology 0.26's
 * node map directly: only for a graph whose internals `useDictionaryAdjacency` recognised (it returned true), else
 * `publicNodeLookups`. Node keys here are typed (`account:…`, `card:…`), so they never name a property of
 * Object.prototype.
 */
export function createNodeLookups(g: AbstractGraph<NodeAttributes, EdgeAttributes>): NodeLookups {
  const nodes = (g as unknown as { _nodes: Map<string, MixedNodeData> })._nodes;
  return {
    attributes: (node) => nodes.get(node)?.attributes,
    degree(node) {
      const data = nodes.get(node);
      return data === undefined ? undefined : data.undirectedDegree + data.inDegree + data.outDegree;
    },
    // an edge is in its ends' adjacency only while both ends are in the graph
    undirectedEdge: (a, b) => nodes.get(a)?.undirected[b],
    directedEdge: (source, target) => nodes.get(source)?.out[target],
  };
}
