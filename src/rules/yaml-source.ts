import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import type { RuleProblem } from '../errors.ts';

/** A parsed YAML file that turns node offsets into file:line:col problems. */
export class YamlSource {
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();

  constructor(readonly file: string, text: string, private readonly problems: RuleProblem[]) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    for (const err of this.doc.errors) this.problemAt(err.pos[0], err.message.split('\n')[0]!);
  }

  get ok(): boolean {
    return this.doc.errors.length === 0;
  }

  problemAt(offset: number, message: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ file: this.file, line, col, message });
  }

  lineOf(node: YamlNode | Pair | null | undefined): number {
    return this.lines.linePos(offsetOf(node)).line;
  }

  problem(node: YamlNode | Pair | null | undefined, message: string): void {
    this.problemAt(offsetOf(node), message);
  }

  /** Offset in the file of character `i` of a scalar's value (quotes skipped). */
  valueOffset(node: YamlNode, i: number): number {
    const start = node.range?.[0] ?? 0;
    if (isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE')) return start + 1 + i;
    if (isScalar(node) && node.type === 'PLAIN') return start + i;
    return start; // block scalars: point at the node
  }
}

export function offsetOf(node: YamlNode | Pair | null | undefined): number {
  if (!node) return 0;
  if ('range' in node && node.range) return node.range[0];
  if ('key' in node) return offsetOf(node.key as YamlNode) ?? 0;
  return 0;
}

/** The map at the top of a document, or a problem. */
export function topMap(src: YamlSource): YAMLMap | undefined {
  const c = src.doc.contents;
  if (c === null) return undefined;
  if (!isMap(c)) { src.problem(c, 'expected a mapping at the top of the file'); return undefined; }
  return c;
}

/** Checks that a map only holds the given keys; reports each unknown key at its position. */
export function checkKeys(src: YamlSource, map: YAMLMap, allowed: readonly string[], where: string): void {
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    if (key === undefined || !allowed.includes(key)) src.problem(pair.key as YamlNode, `unknown key '${key}' in ${where} (allowed: ${allowed.join(', ')})`);
  }
}

export function getNode(map: YAMLMap, key: string): YamlNode | undefined {
  return (map.get(key, true) as YamlNode | undefined) ?? undefined;
}

export { isMap, isScalar, isSeq };
export type { YamlNode, YAMLMap };
