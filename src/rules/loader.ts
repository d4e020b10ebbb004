import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RulesInvalidError, type RuleProblem } from '../errors.ts';
import { compileExpression } from './compile.ts';
import { ExpressionError, parseExpression, refsOf } from './parser.ts';
import { refKind } from './ast.ts';
import { LIST_FIELDS, RuleSet, type CompiledRule, type EntityList, type ListField, type RuleSettings } from './rule-set.ts';
import { compileTemplate } from './template.ts';
import { checkKeys, getNode, isMap, isScalar, isSeq, topMap, YamlSource, type YamlNode, type YAMLMap } from './yaml-source.ts';

export const SETTINGS_FILE = 'settings.yaml';
/** Files in the rules folder that belong to other stages: feature specs (features.yaml, features.extended.yaml, …). */
const FOREIGN_FILE = /^features([.-][^/]*)?\.ya?ml$/;
const RULE_ID = /^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$/;

/**
 * Reads the files of a rule set: settings.yaml, every other top-level *.yaml / *.yml (except features*.yaml,
 * the velocity stage's specs) and every file under lists/.
 */
export async function readRuleSources(dir: string): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    if (!/\.ya?ml$/.test(name) || FOREIGN_FILE.test(name)) continue;
    sources.set(name, await readFile(join(dir, name), 'utf8'));
  }
  let listNames: string[] = [];
  try {
    listNames = (await readdir(join(dir, 'lists'))).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const name of listNames) sources.set(`lists/${name}`, await readFile(join(dir, 'lists', name), 'utf8'));
  return sources;
}

export interface CheckResult {
  ruleSet?: RuleSet;
  problems: RuleProblem[];
}

export interface KnownFeatures {
  /** Every feature name the feature stage computes: a rule reading another name could never fire. */
  names: ReadonlySet<string>;
  /** Where they are defined, for messages (e.g. rules/features.yaml). */
  source: string;
}

/**
 * Validates and compiles a rule set from its files; never throws on bad content, returns every problem.
 * With `known`, a condition or score reading a feature the feature specs do not define is a problem.
 */
export function compileRuleSources(sources: ReadonlyMap<string, string>, known?: KnownFeatures): CheckResult {
  const problems: RuleProblem[] = [];
  const readNames = new Set<string>();
  const settingsText = sources.get(SETTINGS_FILE);
  let settings: RuleSettings | undefined;
  if (settingsText === undefined) problems.push({ file: SETTINGS_FILE, line: 1, col: 1, message: 'missing: every rule set needs a settings.yaml with its name and thresholds' });
  else settings = readSettings(new YamlSource(SETTINGS_FILE, settingsText, problems));

  const rules: CompiledRule[] = [];
  const lists: EntityList[] = [];
  const seen = new Map<string, string>();
  for (const [file, text] of sources) {
    if (file === SETTINGS_FILE || file.startsWith('lists/')) continue;
    const src = new YamlSource(file, text, problems);
    if (!src.ok) continue;
    const top = topMap(src);
    if (!top) continue;
    checkKeys(src, top, ['rules', 'lists'], 'a rule file');
    const rulesNode = getNode(top, 'rules');
    if (rulesNode !== undefined) {
      if (!isSeq(rulesNode)) src.problem(rulesNode, "'rules' must be a list");
      else for (const item of rulesNode.items) readRule(src, item as YamlNode, rules, seen, readNames, known);
    }
    const listsNode = getNode(top, 'lists');
    if (listsNode !== undefined) {
      if (!isSeq(listsNode)) src.problem(listsNode, "'lists' must be a list");
      else for (const item of listsNode.items) readList(src, item as YamlNode, sources, lists, seen);
    }
  }
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  if (problems.length > 0 || !settings) return { problems };
  const version = `${settings.name}-${contentHash(sources)}`;
  const features = [...readNames].filter((n) => refKind(n) === 'feature').sort();
  return { ruleSet: new RuleSet(version, settings, rules, lists, new Map(sources), features), problems };
}

/** Loads, validates and compiles the rule set in `dir`; throws RulesInvalidError listing every problem. */
export async function loadRuleSet(dir: string): Promise<RuleSet> {
  const { ruleSet, problems } = compileRuleSources(await readRuleSources(dir));
  if (!ruleSet) throw new RulesInvalidError(problems);
  return ruleSet;
}

/** Short content hash of the files (names and texts), the version's stable part. */
export function contentHash(sources: ReadonlyMap<string, string>): string {
  const h = createHash('sha256');
  for (const name of [...sources.keys()].sort()) h.update(name).update('\0').update(sources.get(name)!).update('\0');
  return h.digest('hex').slice(0, 10);
}

function readSettings(src: YamlSource): RuleSettings | undefined {
  if (!src.ok) return undefined;
  const top = topMap(src);
  if (!top) { src.problemAt(0, 'settings.yaml is empty'); return undefined; }
  checkKeys(src, top, ['name', 'thresholds', 'combine', 'graph'], 'settings');
  const name = scalarString(src, top, 'name', true) ?? 'rules';
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) src.problem(getNode(top, 'name'), 'name may hold letters, digits, _ . - only');
  let review = 50;
  let block = 80;
  const th = getNode(top, 'thresholds');
  if (th === undefined) src.problem(top, "missing 'thresholds' (review and block)");
  else if (!isMap(th)) src.problem(th, "'thresholds' must be a mapping with review and block");
  else {
    checkKeys(src, th, ['review', 'block'], 'thresholds');
    review = scalarNumber(src, th, 'review', true, 0, 100) ?? review;
    block = scalarNumber(src, th, 'block', true, 0, 100) ?? block;
    if (review > block) src.problem(th, `thresholds: review (${review}) must not be above block (${block})`);
  }
  const combineNode = getNode(top, 'combine');
  let combine: 'sum' | 'noisy_or' = 'sum';
  if (combineNode !== undefined) {
    const v = isScalar(combineNode) ? combineNode.value : undefined;
    if (v === 'sum' || v === 'noisy_or') combine = v;
    else src.problem(combineNode, "combine must be 'sum' or 'noisy_or'");
  }
  const graphWeights = new Map<string, number>();
  let graphDefaultWeight = 1;
  const graph = getNode(top, 'graph');
  if (graph !== undefined) {
    if (!isMap(graph)) src.problem(graph, "'graph' must be a mapping");
    else {
      checkKeys(src, graph, ['default_weight', 'weights'], 'graph');
      graphDefaultWeight = scalarNumber(src, graph, 'default_weight', false, 0, 100) ?? 1;
      const weights = getNode(graph, 'weights');
      if (weights !== undefined) {
        if (!isMap(weights)) src.problem(weights, "'graph.weights' must map graph rule ids to multipliers");
        else for (const pair of weights.items) {
          const key = isScalar(pair.key) ? String(pair.key.value) : '';
          const v = isScalar(pair.value) ? pair.value.value : undefined;
          if (!key.startsWith('graph.')) src.problem(pair.key as YamlNode, `'${key}' is not a graph rule id (graph.<rule>)`);
          else if (typeof v !== 'number' || !(v >= 0)) src.problem(pair.value as YamlNode, `weight of ${key} must be a number >= 0`);
          else graphWeights.set(key, v);
        }
      }
    }
  }
  return { name, reviewThreshold: review, blockThreshold: block, combine, graphWeights, graphDefaultWeight };
}

/** Reads one rule; the names its expressions read are added to `names`. */
function readRule(src: YamlSource, item: YamlNode, out: CompiledRule[], seen: Map<string, string>, names: Set<string>, known?: KnownFeatures): void {
  if (!isMap(item)) { src.problem(item, 'a rule must be a mapping with id, when and score'); return; }
  checkKeys(src, item, ['id', 'description', 'when', 'score', 'detail', 'shadow'], 'a rule');
  const id = scalarString(src, item, 'id', true);
  if (id === undefined) return;
  const line = lineOf(src, item);
  if (!RULE_ID.test(id)) src.problem(getNode(item, 'id'), `rule id '${id}' must be lower-case dotted words, e.g. card.velocity_1m`);
  if (id.startsWith('graph.') || id.startsWith('list.')) src.problem(getNode(item, 'id'), `rule id '${id}' uses a reserved prefix (graph., list.)`);
  const dup = seen.get(id);
  if (dup) src.problem(getNode(item, 'id'), `duplicate id '${id}' (first defined at ${dup})`);
  seen.set(id, `${src.file}:${line}`);

  const whenNode = getNode(item, 'when');
  const scoreNode = getNode(item, 'score');
  const detailNode = getNode(item, 'detail');
  const shadowNode = getNode(item, 'shadow');
  if (whenNode === undefined) src.problem(item, `rule ${id}: missing 'when' (its condition)`);
  if (scoreNode === undefined) src.problem(item, `rule ${id}: missing 'score' (0-100, a number or an expression)`);
  if (whenNode === undefined || scoreNode === undefined) return;

  const whenText = scalarText(whenNode);
  const when = whenText === undefined ? src.problem(whenNode, 'when must be a text condition') : compileAt<boolean>(src, whenNode, whenText, 'bool', names, known);
  const scoreText = scalarText(scoreNode);
  let score: CompiledRule['score'] | undefined;
  if (isScalar(scoreNode) && typeof scoreNode.value === 'number') {
    const s = scoreNode.value;
    if (!(s >= 0 && s <= 100)) src.problem(scoreNode, `score ${s} is out of range 0-100`);
    score = () => s;
  } else if (scoreText === undefined) src.problem(scoreNode, 'score must be a number or an expression');
  else score = compileAt<number>(src, scoreNode, scoreText, 'number', names, known);
  let detail: CompiledRule['detail'] = () => `rule ${id} hit`;
  if (detailNode !== undefined) {
    const text = scalarText(detailNode);
    if (text === undefined) src.problem(detailNode, 'detail must be a text');
    else {
      try {
        detail = compileTemplate(text);
        for (const m of text.matchAll(/\{([^{}]*)\}/g)) names.add(m[1]!.trim());
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        src.problemAt(src.valueOffset(detailNode, err.offset), err.message);
      }
    }
  }
  let shadow = false;
  if (shadowNode !== undefined) {
    if (isScalar(shadowNode) && typeof shadowNode.value === 'boolean') shadow = shadowNode.value;
    else src.problem(shadowNode, 'shadow must be true or false');
  }
  if (when && score) out.push({ id, shadow, when, score, detail, file: src.file, line, whenSource: whenText!, scoreSource: scoreText ?? String((scoreNode as { value?: unknown }).value) });
}

function readList(src: YamlSource, item: YamlNode, sources: ReadonlyMap<string, string>, out: EntityList[], seen: Map<string, string>): void {
  if (!isMap(item)) { src.problem(item, 'a list must be a mapping with id, action, field and values or file'); return; }
  checkKeys(src, item, ['id', 'description', 'action', 'field', 'values', 'file'], 'a list');
  const id = scalarString(src, item, 'id', true);
  const action = scalarString(src, item, 'action', true);
  const field = scalarString(src, item, 'field', true);
  if (id === undefined || action === undefined || field === undefined) return;
  let ok = true;
  if (!/^[a-z][a-z0-9_]*$/.test(id)) { src.problem(getNode(item, 'id'), `list id '${id}' must be lower-case words joined by _`); ok = false; }
  const key = `list.${id}`;
  if (seen.has(key)) { src.problem(getNode(item, 'id'), `duplicate list id '${id}' (first defined at ${seen.get(key)})`); ok = false; }
  seen.set(key, `${src.file}:${lineOf(src, item)}`);
  if (action !== 'allow' && action !== 'block') { src.problem(getNode(item, 'action'), `action must be 'allow' or 'block', not '${action}'`); ok = false; }
  if (!(LIST_FIELDS as readonly string[]).includes(field)) { src.problem(getNode(item, 'field'), `field must be one of ${LIST_FIELDS.join(', ')}, not '${field}'`); ok = false; }
  const values = new Set<string>();
  const valuesNode = getNode(item, 'values');
  const fileNode = getNode(item, 'file');
  if ((valuesNode === undefined) === (fileNode === undefined)) { src.problem(item, `list ${id}: give exactly one of 'values' or 'file'`); return; }
  if (valuesNode !== undefined) {
    if (!isSeq(valuesNode)) { src.problem(valuesNode, "'values' must be a list"); return; }
    for (const v of valuesNode.items) {
      if (isScalar(v) && (typeof v.value === 'string' || typeof v.value === 'number')) values.add(String(v.value));
      else src.problem(v as YamlNode, 'list values must be strings');
    }
  } else {
    const path = isScalar(fileNode) ? String(fileNode!.value) : '';
    const text = sources.get(path);
    if (!path.startsWith('lists/') || text === undefined) { src.problem(fileNode, `list file '${path}' not found (list files live under lists/)`); return; }
    for (const raw of text.split('\n')) {
      const v = raw.replace(/#.*/, '').trim();
      if (v) values.add(v);
    }
  }
  if (ok) out.push({ id, action: action as 'allow' | 'block', field: field as ListField, values });
}

function compileAt<T extends number | boolean>(src: YamlSource, node: YamlNode, text: string, type: 'bool' | 'number', names: Set<string>, known?: KnownFeatures) {
  try {
    const tree = parseExpression(text, type);
    const read = new Set<string>();
    refsOf(tree, read);
    for (const name of read) {
      names.add(name);
      if (known !== undefined && refKind(name) === 'feature' && !known.names.has(name)) {
        src.problem(node, `unknown feature '${name}': ${known.source} does not define it, so this rule could never read a value (defined: ${[...known.names].slice(0, 12).join(', ')}${known.names.size > 12 ? ', …' : ''})`);
        return undefined;
      }
    }
    return compileExpression<T>(tree);
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    src.problemAt(src.valueOffset(node, err.offset), err.message);
    return undefined;
  }
}

function scalarText(node: YamlNode): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function scalarString(src: YamlSource, map: YAMLMap, key: string, required: boolean): string | undefined {
  const node = getNode(map, key);
  if (node === undefined) { if (required) src.problem(map, `missing '${key}'`); return undefined; }
  if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'number')) { src.problem(node, `'${key}' must be a text`); return undefined; }
  return String(node.value);
}

function scalarNumber(src: YamlSource, map: YAMLMap, key: string, required: boolean, min: number, max: number): number | undefined {
  const node = getNode(map, key);
  if (node === undefined) { if (required) src.problem(map, `missing '${key}'`); return undefined; }
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v !== 'number' || !(v >= min && v <= max)) { src.problem(node, `'${key}' must be a number from ${min} to ${max}`); return undefined; }
  return v;
}

function lineOf(src: YamlSource, node: YamlNode): number {
  return src.lineOf(node);
}
