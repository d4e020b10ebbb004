/**
 * graphology keeps a node's undirected neighbours in a plain object keyed by neighbour (`nodeData.undirected[key]`).
 * V8 gives a plain object a hidden class per set of property names, and every neighbour key here is unique
 * (`card:…`, `device:…`), so each first edge of a node creates a hidden-class transition no other object shares, until
 * V8 gives up and rebuilds the object as a dictionary. A null-prototype object is a dictionary from the start:
 * building 300,000 edges 3.5–3.7 s → 2.7–2.8 s, recording a payment's links ×0.80–0.87, the same memory
 * (docs/performance.md). Directed adjacency (`in`, `out`: payments only, which most nodes never have) stays as
 * graphology makes it.
 */

type Adjacency = Record<string, unknown>;

interface NodeData {
  undirected: Adjacency;
  out?: Adjacency;
  clear(): void;
}

/** What this reaches of graphology 0.26's internals: the per-graph node class and node map. */
export interface GraphInternals {
  NodeDataClass?: unknown;
  _nodes?: unknown;
  hasUndirectedEdge(...args: unknown[]): boolean;
  hasEdge(...args: unknown[]): boolean;
}

/**
 * Makes the nodes this graph creates from now on keep their undirected neighbours in null-prototype objects, and
 * answers graphology's two methods that call `hasOwnProperty` on them (edge existence by source and target) without
 * it. Only this graph instance changes. Returns false, changing nothing, when graphology's internals are not as
 * expected (another version), so the graph then works as stock graphology.
 */
export function useDictionaryAdjacency(graph: GraphInternals): boolean {
  const Base = graph.NodeDataClass;
  const nodes = graph._nodes;
  if (typeof Base !== 'function' || !(nodes instanceof Map) || typeof (Base.prototype as Partial<NodeData>).clear !== 'function') return false;
  const baseClear = (Base.prototype as NodeData).clear;
  // an ES5 constructor like graphology's own: a class extending it constructs measurably slower
  function DictionaryNodeData(this: NodeData, key: string, attributes: object): void {
    (Base as (this: NodeData, key: string, attributes: object) => void).call(this, key, attributes);
  }
  DictionaryNodeData.prototype = Object.create(Base.prototype as object) as NodeData;
  DictionaryNodeData.prototype.clear = function clear(this: NodeData): void {
    baseClear.call(this);
    this.undirected = Object.create(null) as Adjacency;
  };
  graph.NodeDataClass = DictionaryNodeData;
  const hasUndirectedEdge = graph.hasUndirectedEdge;
  const hasEdge = graph.hasEdge;
  const node = (key: unknown): NodeData | undefined => (nodes as Map<string, NodeData>).get(String(key));
  // values are edge records, never undefined: on a null-prototype object `!== undefined` is hasOwnProperty
  graph.hasUndirectedEdge = function (this: GraphInternals, ...args: unknown[]): boolean {
    if (args.length !== 2) return hasUndirectedEdge.apply(this, args);
    const data = node(args[0]);
    return data !== undefined && data.undirected[String(args[1])] !== undefined;
  };
  graph.hasEdge = function (this: GraphInternals, ...args: unknown[]): boolean {
    if (args.length !== 2) return hasEdge.apply(this, args);
    const data = node(args[0]);
    if (data === undefined) return false;
    const target = String(args[1]);
    return (data.out !== undefined && Object.prototype.hasOwnProperty.call(data.out, target)) || data.undirected[target] !== undefined;
  };
  return true;
}
