import { refKind } from './ast.ts';
import { ExpressionError } from './parser.ts';
import { graphScore, hourOf, type Evaluator } from './runtime.ts';

/**
 * A reason's detail text, e.g. `card made {card.count.1h} payments in an hour`: each `{name}` is replaced by the
 * value of that event field, feature or graph hit when the rule hits (numbers shown with at most 2 decimals,
 * absent values as `missing`). Built only for hits, so the per-event cost is nil when nothing hits.
 */
export function compileTemplate(text: string): Evaluator<string> {
  const parts: string[] = [];
  const names: string[] = [];
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const name = m[1]!.trim();
    if (refKind(name) === undefined) throw new ExpressionError(`unknown name '${name}' in detail`, m.index + 1);
    parts.push(text.slice(last, m.index));
    names.push(name);
    last = m.index + m[0].length;
  }
  const tail = text.slice(last);
  if (names.length === 0) return () => text;
  return (e, f, g) => {
    let out = '';
    for (let i = 0; i < names.length; i++) out += parts[i]! + format(valueOf(names[i]!, e, f, g));
    return out + tail;
  };
}

function valueOf(name: string, e: Parameters<Evaluator<string>>[0], f: Parameters<Evaluator<string>>[1], g: Parameters<Evaluator<string>>[2]): number | string | undefined {
  switch (refKind(name)) {
    case 'field-number': return name === 'hour' ? hourOf(e.ts) : (e[name as 'amount'] as number);
    case 'field-string': return e[name as 'card'];
    case 'graph': return graphScore(g, name);
    default: return f[name];
  }
}

function format(v: number | string | undefined): string {
  if (v === undefined || (typeof v === 'number' && v !== v)) return 'missing';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
  return v;
}
