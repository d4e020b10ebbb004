import type { LabelInfo } from './entity.ts';
import { isAccountKey } from './entity.ts';

/** How consecutive path nodes are joined: `-` an undirected link, `>` a payment forward, `<` a payment backward. */
export type Step = '-' | '>' | '<';

/**
 * Renders a path as analysts read it: entities between two accounts sit inside the dashes
 * (`account:B —device:D— account:A`), payments are arrows (`account:A → account:B`).
 */
export function formatPath(nodes: readonly string[], steps: readonly Step[]): string {
  let out = nodes[0] ?? '';
  let inside = false;
  for (let i = 1; i < nodes.length; i++) {
    const key = nodes[i]!;
    const step = steps[i];
    if (step === '>') out += ' → ' + key;
    else if (step === '<') out += ' ← ' + key;
    else if (!inside && i < nodes.length - 1 && steps[i + 1] === '-' && !isAccountKey(key) && isAccountKey(nodes[i - 1]!)) {
      out += ' —' + key + '—';
      inside = true;
      continue;
    } else out += (inside ? ' ' : ' — ') + key;
    inside = false;
  }
  return out;
}

/** ` (fraud, by analyst x, 2026-11-20: chargeback)` */
export function formatLabel(label: LabelInfo): string {
  const day = new Date(label.at).toISOString().slice(0, 10);
  return ` (${label.label}, by ${label.by}, ${day}${label.reason === '' ? '' : ': ' + label.reason})`;
}

/** Fills `{name}` placeholders (names were checked when the rule was loaded). */
export function fillTemplate(template: string, vars: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{([a-zA-Z_]+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}
