import { refKind, type Node } from './ast.ts';
import { HELPERS, type Evaluator } from './runtime.ts';

/**
 * Compiles an expression tree once into a JavaScript function (generated source, built with `new Function`),
 * so an event is decided without walking a tree. Only validated trees reach here; names and strings are
 * emitted through JSON.stringify, numbers as numeric literals.
 */
export function compileExpression<T extends number | boolean | string | undefined>(node: Node): Evaluator<T> {
  const sets: ReadonlySet<unknown>[] = [];
  const body = emit(node, sets);
  const factory = new Function('H', 'S', `"use strict"; return function compiledRule(e, f, g) { return ${body}; };`) as (
    h: typeof HELPERS,
    s: ReadonlySet<unknown>[],
  ) => Evaluator<T>;
  return factory(HELPERS, sets);
}

/** The generated JavaScript of an expression (for tests and `vigil rules check --explain`). */
export function expressionSource(node: Node): string {
  return emit(node, []);
}

function emit(n: Node, sets: ReadonlySet<unknown>[]): string {
  switch (n.kind) {
    case 'num': return Number.isFinite(n.value) ? `(${n.value})` : n.value > 0 ? 'Infinity' : '(-Infinity)';
    case 'str': return JSON.stringify(n.value);
    case 'bool': return String(n.value);
    case 'ref': return emitRef(n.name);
    case 'neg': return `(-${emit(n.arg, sets)})`;
    case 'not': return `(!${emit(n.arg, sets)})`;
    case 'arith':
      return n.op === '/' ? `H.div(${emit(n.left, sets)}, ${emit(n.right, sets)})` : `(${emit(n.left, sets)} ${n.op} ${emit(n.right, sets)})`;
    case 'logic': return `(${emit(n.left, sets)} ${n.op === 'and' ? '&&' : '||'} ${emit(n.right, sets)})`;
    case 'cmp': {
      const l = emit(n.left, sets);
      const r = emit(n.right, sets);
      const isString = isStringNode(n.left);
      if (n.op === '==') return isString ? `H.strEq(${l}, ${r})` : `(${l} === ${r})`;
      if (n.op === '!=') return isString ? `H.strNe(${l}, ${r})` : `H.numNe(${l}, ${r})`;
      return `(${l} ${n.op} ${r})`;
    }
    case 'in': {
      sets.push(new Set(n.values));
      return `H.${n.negated ? 'notInSet' : 'inSet'}(S[${sets.length - 1}], ${emit(n.arg, sets)})`;
    }
    case 'call': {
      const args = n.args.map((a) => emit(a, sets));
      switch (n.fn) {
        case 'min': case 'max': return args.length === 1 ? args[0]! : `Math.${n.fn}(${args.join(', ')})`;
        case 'abs': case 'sqrt': return `Math.${n.fn}(${args[0]})`;
        case 'log': return `H.log(${args[0]})`;
        case 'coalesce': return `H.coalesce(${args.join(', ')})`;
        case 'exists': {
          const a = args[0]!;
          return isStringNode(n.args[0]!) ? `(${a} !== undefined)` : `(${a} === ${a})`;
        }
      }
    }
  }
}

function emitRef(name: string): string {
  const key = JSON.stringify(name);
  switch (refKind(name)) {
    case 'field-number': return name === 'hour' ? 'H.hourOf(e.ts)' : `e.${name}`;
    case 'field-string': return `e.${name}`;
    case 'graph': return `H.graphScore(g, ${key})`;
    default: return `(f[${key}] ?? NaN)`;
  }
}

function isStringNode(n: Node): boolean {
  return n.kind === 'str' || (n.kind === 'ref' && refKind(n.name) === 'field-string');
}
