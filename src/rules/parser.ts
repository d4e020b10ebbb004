import { FUNCTIONS, refKind, type FunctionName, type Node, type ValueType } from './ast.ts';

/** A problem in an expression, at an offset of its text. */
export class ExpressionError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'ExpressionError';
  }
}

type Tok =
  | { t: 'num'; v: number; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'id'; v: string; at: number }
  | { t: 'op'; v: string; at: number }
  | { t: 'end'; at: number };

const ENTITY = '(?:card|account|device|ip|terminal|merchant|beneficiary)';
/** `card+terminal.count.1h`: a pair feature, glued before `+` can be read as addition. */
const PAIR_RE = new RegExp(`${ENTITY}(?:\\+${ENTITY})+\\.[A-Za-z0-9_]+(?:\\.[A-Za-z0-9_]+)*`, 'y');
const ID_RE = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*/y;
const NUM_RE = /(?:\d[\d_]*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const OPS = ['>=', '<=', '==', '!=', '>', '<', '+', '-', '*', '/', '(', ')', '[', ']', ','];

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new ExpressionError('unterminated string', i);
      out.push({ t: 'str', v: src.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) throw new ExpressionError('unterminated `name`', i);
      out.push({ t: 'id', v: src.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    if (c >= '0' && c <= '9') {
      NUM_RE.lastIndex = i;
      const m = NUM_RE.exec(src)!;
      out.push({ t: 'num', v: Number(m[0].replaceAll('_', '')), at: i });
      i += m[0].length;
      continue;
    }
    PAIR_RE.lastIndex = i;
    const pair = PAIR_RE.exec(src);
    if (pair) { out.push({ t: 'id', v: pair[0], at: i }); i += pair[0].length; continue; }
    ID_RE.lastIndex = i;
    const id = ID_RE.exec(src);
    if (id) { out.push({ t: 'id', v: id[0], at: i }); i += id[0].length; continue; }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) { out.push({ t: 'op', v: op, at: i }); i += op.length; continue; }
    if (c === '=') throw new ExpressionError("unexpected '=', use '==' to compare", i);
    throw new ExpressionError(`unexpected character '${c}'`, i);
  }
  out.push({ t: 'end', at: src.length });
  return out;
}

const CMP = new Set(['>', '>=', '<', '<=', '==', '!=']);
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false']);

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok { return this.toks[this.i]!; }
  private next(): Tok { return this.toks[this.i++]!; }
  private isOp(v: string): boolean { const t = this.peek(); return t.t === 'op' && t.v === v; }
  private isWord(v: string): boolean { const t = this.peek(); return t.t === 'id' && t.v === v; }
  private expectOp(v: string): Tok {
    const t = this.next();
    if (t.t !== 'op' || t.v !== v) throw new ExpressionError(`expected '${v}' but found ${describe(t)}`, t.at);
    return t;
  }

  parse(): Node {
    const n = this.or();
    const t = this.peek();
    if (t.t !== 'end') throw new ExpressionError(`unexpected ${describe(t)}`, t.at);
    return n;
  }

  private or(): Node {
    let left = this.and();
    while (this.isWord('or')) { const at = this.next().at; left = { kind: 'logic', op: 'or', left, right: this.and(), at }; }
    return left;
  }

  private and(): Node {
    let left = this.not();
    while (this.isWord('and')) { const at = this.next().at; left = { kind: 'logic', op: 'and', left, right: this.not(), at }; }
    return left;
  }

  private not(): Node {
    if (this.isWord('not')) { const at = this.next().at; return { kind: 'not', arg: this.not(), at }; }
    return this.cmp();
  }

  private cmp(): Node {
    const left = this.sum();
    const t = this.peek();
    if (t.t === 'op' && CMP.has(t.v)) {
      this.next();
      return { kind: 'cmp', op: t.v as '>', left, right: this.sum(), at: t.at };
    }
    if (this.isWord('in') || this.isWord('not')) {
      const first = this.next();
      const negated = first.t === 'id' && first.v === 'not';
      if (negated) {
        const inTok = this.next();
        if (inTok.t !== 'id' || inTok.v !== 'in') throw new ExpressionError(`expected 'in' after 'not' but found ${describe(inTok)}`, inTok.at);
      }
      return { kind: 'in', negated, arg: left, values: this.list(), at: t.at };
    }
    return left;
  }

  private list(): (number | string)[] {
    this.expectOp('[');
    const values: (number | string)[] = [];
    if (this.isOp(']')) { this.next(); return values; }
    for (;;) {
      const t = this.next();
      if (t.t === 'num' || t.t === 'str') values.push(t.v);
      else if (t.t === 'op' && t.v === '-' && this.peek().t === 'num') values.push(-(this.next() as { v: number }).v);
      else if (t.t === 'id' && !KEYWORDS.has(t.v) && /^[A-Za-z0-9_-]+$/.test(t.v)) values.push(t.v); // bare words: [FR, DE]
      else throw new ExpressionError(`expected a number or a string in the list but found ${describe(t)}`, t.at);
      const sep = this.next();
      if (sep.t === 'op' && sep.v === ']') return values;
      if (sep.t !== 'op' || sep.v !== ',') throw new ExpressionError(`expected ',' or ']' but found ${describe(sep)}`, sep.at);
    }
  }

  private sum(): Node {
    let left = this.prod();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || (t.v !== '+' && t.v !== '-')) return left;
      this.next();
      left = { kind: 'arith', op: t.v, left, right: this.prod(), at: t.at };
    }
  }

  private prod(): Node {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || (t.v !== '*' && t.v !== '/')) return left;
      this.next();
      left = { kind: 'arith', op: t.v, left, right: this.unary(), at: t.at };
    }
  }

  private unary(): Node {
    if (this.isOp('-')) { const at = this.next().at; return { kind: 'neg', arg: this.unary(), at }; }
    return this.primary();
  }

  private primary(): Node {
    const t = this.next();
    if (t.t === 'num') return { kind: 'num', value: t.v, at: t.at };
    if (t.t === 'str') return { kind: 'str', value: t.v, at: t.at };
    if (t.t === 'op' && t.v === '(') { const n = this.or(); this.expectOp(')'); return n; }
    if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') return { kind: 'bool', value: t.v === 'true', at: t.at };
      if (KEYWORDS.has(t.v)) throw new ExpressionError(`unexpected '${t.v}'`, t.at);
      if (this.isOp('(')) {
        if (!Object.hasOwn(FUNCTIONS, t.v)) throw new ExpressionError(`unknown function '${t.v}' (known: ${Object.keys(FUNCTIONS).join(', ')})`, t.at);
        this.next();
        const args: Node[] = [];
        if (!this.isOp(')')) {
          for (;;) { args.push(this.or()); if (this.isOp(',')) { this.next(); continue; } break; }
        }
        this.expectOp(')');
        const spec = FUNCTIONS[t.v as FunctionName];
        if (args.length < spec.min || args.length > spec.max) throw new ExpressionError(`${t.v}() takes ${spec.min === spec.max ? spec.min : `at least ${spec.min}`} argument(s), got ${args.length}`, t.at);
        return { kind: 'call', fn: t.v as FunctionName, args, at: t.at };
      }
      if (refKind(t.v) === undefined) throw new ExpressionError(`unknown name '${t.v}': not an event field, and features are dotted names like card.count.1m`, t.at);
      return { kind: 'ref', name: t.v, at: t.at };
    }
    throw new ExpressionError(`unexpected ${describe(t)}`, t.at);
  }
}

function describe(t: Tok): string {
  if (t.t === 'end') return 'end of expression';
  if (t.t === 'str') return `string "${t.v}"`;
  return `'${t.v}'`;
}

/** Parses and type-checks an expression; `expect` is the type the expression must have. */
export function parseExpression(src: string, expect: ValueType): Node {
  const node = new Parser(lex(src)).parse();
  const got = typeOf(node);
  if (got !== expect) throw new ExpressionError(`expression is a ${got}, expected a ${expect === 'bool' ? 'condition' : expect}`, node.at);
  return node;
}

/** Static type of a node; throws an ExpressionError on a type mismatch. */
export function typeOf(n: Node): ValueType {
  switch (n.kind) {
    case 'num': return 'number';
    case 'str': return 'string';
    case 'bool': return 'bool';
    case 'ref': return refKind(n.name) === 'field-string' ? 'string' : 'number';
    case 'neg': need(n.arg, 'number', "'-'"); return 'number';
    case 'not': need(n.arg, 'bool', "'not'"); return 'bool';
    case 'arith': need(n.left, 'number', `'${n.op}'`); need(n.right, 'number', `'${n.op}'`); return 'number';
    case 'logic': need(n.left, 'bool', `'${n.op}'`); need(n.right, 'bool', `'${n.op}'`); return 'bool';
    case 'cmp': {
      const l = typeOf(n.left);
      const r = typeOf(n.right);
      if (l === 'bool' || r === 'bool') throw new ExpressionError(`cannot compare a condition with '${n.op}'`, n.at);
      if (l !== r) throw new ExpressionError(`cannot compare a ${l} with a ${r}`, n.at);
      if (l === 'string' && n.op !== '==' && n.op !== '!=') throw new ExpressionError(`'${n.op}' compares numbers; strings take == != in`, n.at);
      return 'bool';
    }
    case 'in': {
      const t = typeOf(n.arg);
      if (t === 'bool') throw new ExpressionError("'in' needs a number or a string on its left", n.at);
      for (const v of n.values) if (typeof v !== t) throw new ExpressionError(`list mixes ${t}s with ${typeof v}s`, n.at);
      return 'bool';
    }
    case 'call':
      if (n.fn === 'exists') { if (n.args[0]!.kind !== 'ref') throw new ExpressionError('exists() takes a name', n.at); return 'bool'; }
      for (const a of n.args) need(a, 'number', `${n.fn}()`);
      return 'number';
  }
}

function need(n: Node, t: ValueType, what: string): void {
  const got = typeOf(n);
  if (got !== t) throw new ExpressionError(`${what} needs a ${t === 'bool' ? 'condition' : t}, got a ${got === 'bool' ? 'condition' : got}`, n.at);
}

/** Every name an expression reads. */
export function refsOf(n: Node, out: Set<string> = new Set()): Set<string> {
  switch (n.kind) {
    case 'ref': out.add(n.name); break;
    case 'neg': case 'not': refsOf(n.arg, out); break;
    case 'arith': case 'cmp': case 'logic': refsOf(n.left, out); refsOf(n.right, out); break;
    case 'in': refsOf(n.arg, out); break;
    case 'call': for (const a of n.args) refsOf(a, out); break;
    default: break;
  }
  return out;
}
