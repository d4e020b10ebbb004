import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const DASHBOARD_DIR = fileURLToPath(new URL('../../grafana/dashboards/', import.meta.url));
export const ALERTS_FILE = fileURLToPath(new URL('../../grafana/prometheus/alerts.yml', import.meta.url));

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  legend: string;
  unit: string;
  expr: string;
}

interface DashboardJson {
  title: string;
  panels: { type: string; title: string; fieldConfig?: { defaults?: { unit?: string } }; targets?: { refId: string; expr: string; legendFormat?: string }[] }[];
}

/** Every query of every panel of every dashboard in grafana/dashboards/. */
export function dashboardQueries(dir = DASHBOARD_DIR): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const dashboard = JSON.parse(readFileSync(join(dir, file), 'utf8')) as DashboardJson;
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        out.push({ dashboard: dashboard.title, panel: panel.title, refId: target.refId, legend: target.legendFormat ?? '', unit: panel.fieldConfig?.defaults?.unit ?? '', expr: target.expr });
      }
    }
  }
  return out;
}

export interface RuleQuery {
  name: string;
  kind: 'record' | 'alert';
  expr: string;
}

export function ruleQueries(file = ALERTS_FILE): RuleQuery[] {
  const doc = parseYaml(readFileSync(file, 'utf8')) as { groups: { rules: { record?: string; alert?: string; expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ name: r.record ?? r.alert ?? '?', kind: r.record ? ('record' as const) : ('alert' as const), expr: r.expr })));
}

/** Replaces the Grafana variables the dashboards use by concrete values. */
export function substituteGrafanaVariables(expr: string, vars: { job: string; instance: string; rateInterval: string; range?: string }): string {
  return expr
    .replaceAll('$__rate_interval', vars.rateInterval)
    .replaceAll('$__range', vars.range ?? '1h')
    .replaceAll('$instance', vars.instance)
    .replaceAll('$job', vars.job);
}

/**
 * Turns every comparison (`>`, `<`, `>=`, `<=`, `==`, `!=`) outside label matchers and strings into
 * its `bool` form, so an alert expression returns its 0/1 value for every series instead of only the
 * firing ones: a way to see that the expression has data even when nothing fires.
 */
export function withBoolComparisons(expr: string): string {
  let out = '';
  let braces = 0;
  let quote: string | undefined;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (quote !== undefined) {
      out += c;
      if (c === '\\') out += expr[++i] ?? '';
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '{') braces++;
    else if (c === '}') braces--;
    else if (braces === 0 && (c === '>' || c === '<' || ((c === '=' || c === '!') && expr[i + 1] === '='))) {
      const op = expr[i + 1] === '=' ? `${c}=` : c;
      i += op.length - 1;
      out += /^\s*bool\b/.test(expr.slice(i + 1)) ? op : `${op} bool`;
      continue;
    }
    out += c;
  }
  return out;
}
