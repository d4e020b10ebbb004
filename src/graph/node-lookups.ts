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

function isMixedNodeMap(nodes: unknown): nodes is Map<string, MixedNodeData> {
  if (!(nodes instanceof Map)) return false;
  for (const data of (nodes as Map<string, unknown>).values()) {
    const d = data as Partial<MixedNodeData>;
    return typeof d.undirectedDegree === 'number' && typeof d.outDegree === 'number' && typeof d.out === 'object' && typeof d.undirected === 'object';
  }
  return true;
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
 * Lookups on a mixed, non-multi graphology graph without self loops (the entity graph). Reads graphology's node map
 * directly when it is as version 0.26 keeps it (checked on a probe node now), else goes through the public API.
 * Node keys here are typed (`account:…`, `card:…`), so they never name a property of Object.prototype.
 */
export function createNodeLookups(g: AbstractGraph<NodeAttributes, EdgeAttributes>): NodeLookups {
  const nodes = (g as unknown as { _nodes?: unknown })._nodes;
  const probe = '\u0000probe';
  const empty = g.order === 0;
  if (empty) g.addNode(probe, {});
  const known = isMixedNodeMap(nodes);
  if (empty) g.dropNode(probe);
  if (!known) return publicNodeLookups(g);
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
