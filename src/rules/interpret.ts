import { refKind, type Node } from './ast.ts';
import type { PaymentEvent } from '../ingest/event.ts';
import type { FeatureValues, Reason } from './decision.ts';
import { coalesce, div, graphScore, hourOf, inSet, log, notInSet, numNe, strEq, strNe } from './runtime.ts';

type Value = number | string | boolean | undefined;

/** List literals are turned into sets once per tree, as any sensible interpreter would. */
const SETS = new WeakMap<Node, Set<unknown>>();

/**
 * Reference interpreter: walks the tree for every event. It defines the semantics the compiled
 * evaluators must match (property-tested) and is the baseline of bench/rules.bench.ts. Not used on the hot path.
 */
export function interpret(n: Node, e: PaymentEvent, f: FeatureValues, g: readonly Reason[]): Value {
  switch (n.kind) {
    case 'num': case 'str': case 'bool': return n.value;
    case 'ref': {
      const k = refKind(n.name);
      if (k === 'field-number') return n.name === 'hour' ? hourOf(e.ts) : (e[n.name as 'amount'] as number);
      if (k === 'field-string') return e[n.name as 'card'];
      if (k === 'graph') return graphScore(g, n.name);
      return f[n.name] ?? NaN;
    }
    case 'neg': return -(interpret(n.arg, e, f, g) as number);
    case 'not': return !interpret(n.arg, e, f, g);
    case 'arith': {
      const a = interpret(n.left, e, f, g) as number;
      const b = interpret(n.right, e, f, g) as number;
      return n.op === '+' ? a + b : n.op === '-' ? a - b : n.op === '*' ? a * b : div(a, b);
    }
    case 'logic':
      return n.op === 'and' ? Boolean(interpret(n.left, e, f, g)) && Boolean(interpret(n.right, e, f, g)) : Boolean(interpret(n.left, e, f, g)) || Boolean(interpret(n.right, e, f, g));
    case 'cmp': {
      const a = interpret(n.left, e, f, g);
      const b = interpret(n.right, e, f, g);
      if (typeof a === 'string' || typeof b === 'string' || (a === undefined || b === undefined)) {
        const sa = a as string | undefined;
        const sb = b as string | undefined;
        return n.op === '==' ? strEq(sa, sb) : strNe(sa, sb);
      }
      const x = a as number;
      const y = b as number;
      switch (n.op) {
        case '>': return x > y;
        case '>=': return x >= y;
        case '<': return x < y;
        case '<=': return x <= y;
        case '==': return x === y;
        case '!=': return numNe(x, y);
      }
    }
    case 'in': {
      const x = interpret(n.arg, e, f, g) as number | string | undefined;
      let set = SETS.get(n);
      if (set === undefined) { set = new Set<unknown>(n.values); SETS.set(n, set); }
      return n.negated ? notInSet(set, x) : inSet(set, x);
    }
    case 'call': {
      if (n.fn === 'exists') {
        const v = interpret(n.args[0]!, e, f, g);
        return v !== undefined && v === v;
      }
      const xs = n.args.map((a) => interpret(a, e, f, g) as number);
      switch (n.fn) {
        case 'min': return Math.min(...xs);
        case 'max': return Math.max(...xs);
        case 'abs': return Math.abs(xs[0]!);
        case 'sqrt': return Math.sqrt(xs[0]!);
        case 'log': return log(xs[0]!);
        case 'coalesce': return coalesce(...xs);
      }
    }
  }
}
