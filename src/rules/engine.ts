import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { RulesInvalidError, type RuleProblem } from '../errors.ts';
import type { PaymentEvent } from '../ingest/event.ts';
import type { FeatureValues, Reason } from './decision.ts';
import { compileRuleSources, readRuleSources, type KnownFeatures } from './loader.ts';
import type { RuleSet, Verdict } from './rule-set.ts';

export type ReloadOrigin = 'start' | 'file' | 'topic' | 'manual';

export type ReloadResult =
  | { ok: true; origin: ReloadOrigin; version: string; previousVersion: string | undefined; changed: boolean }
  | { ok: false; origin: ReloadOrigin; problems: readonly RuleProblem[]; keptVersion: string | undefined };

export interface RuleEngineOptions {
  /** Folder of the rule set (settings.yaml, rule files, lists/). */
  dir: string;
  /** Reload when files in `dir` (or `dir/lists`) change. */
  watch?: boolean;
  /** Quiet period after the last file change before reloading (an editor writes in several steps). Default 150 ms. */
  debounceMs?: number;
  onReload?: (result: ReloadResult) => void;
  /** The features the feature stage computes: a set reading any other feature is refused (see compileRuleSources). */
  knownFeatures?: KnownFeatures;
}

/** The decision stage: turns an event, its features and its graph hits into a verdict. */
export interface RuleEngine {
  /** Version of the rule set currently serving; every verdict carries the version that produced it. */
  readonly version: string;
  evaluate(event: PaymentEvent, features: FeatureValues, graphHits: readonly Reason[]): Verdict;
  close(): Promise<void>;
}

export type { Verdict };

export interface ReloadableRuleEngine extends RuleEngine {
  /**
   * The rule set serving now: immutable. Take it once per batch and decide the whole batch with
   * `snapshot.evaluate(...)`, so no batch is decided by two sets.
   */
  current(): RuleSet;
  /** Re-reads `dir`; a bad set is rejected with its problems and the running set keeps serving. */
  reload(origin?: ReloadOrigin): Promise<ReloadResult>;
  /** Swaps in a set given as files (from the rules-updates topic); same checks as a reload. */
  applySources(sources: ReadonlyMap<string, string>, origin?: ReloadOrigin): ReloadResult;
  /** Reports a set rejected before it could be compiled (e.g. an undecodable rules-updates message). */
  reject(problems: readonly RuleProblem[], origin?: ReloadOrigin): ReloadResult;
  /** Adds a reload listener; returns its remover. */
  onReload(listener: (result: ReloadResult) => void): () => void;
}

/** Loads the rule set in `options.dir` (throws RulesInvalidError if it is invalid) and serves it, hot-reloading it. */
export async function createRuleEngine(options: RuleEngineOptions): Promise<ReloadableRuleEngine> {
  const initial = compileRuleSources(await readRuleSources(options.dir), options.knownFeatures);
  if (!initial.ruleSet) throw new RulesInvalidError(initial.problems);
  let active: RuleSet = initial.ruleSet;
  const listeners = new Set<(r: ReloadResult) => void>();
  if (options.onReload) listeners.add(options.onReload);
  const emit = (r: ReloadResult): ReloadResult => {
    for (const l of listeners) l(r);
    return r;
  };

  const applySources = (sources: ReadonlyMap<string, string>, origin: ReloadOrigin = 'topic'): ReloadResult => {
    const { ruleSet, problems } = compileRuleSources(sources, options.knownFeatures);
    if (!ruleSet) return emit({ ok: false, origin, problems, keptVersion: active.version });
    const previousVersion = active.version;
    const changed = ruleSet.version !== previousVersion;
    if (changed) active = ruleSet; // one reference assignment: the swap is atomic
    return emit({ ok: true, origin, version: active.version, previousVersion, changed });
  };

  let reloading: Promise<ReloadResult> | undefined;
  let again = false;
  const reload = async (origin: ReloadOrigin = 'manual'): Promise<ReloadResult> => {
    if (reloading) { again = true; return reloading; }
    reloading = (async () => {
      let result: ReloadResult;
      do {
        again = false;
        try {
          result = applySources(await readRuleSources(options.dir), origin);
        } catch (err) {
          result = emit({ ok: false, origin, problems: [{ file: options.dir, line: 1, col: 1, message: `cannot read: ${(err as Error).message}` }], keptVersion: active.version });
        }
      } while (again);
      return result;
    })().finally(() => { reloading = undefined; });
    return reloading;
  };

  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  if (options.watch) {
    const schedule = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => { timer = undefined; void reload('file'); }, options.debounceMs ?? 150);
    };
    let listsWatched = false;
    const watchLists = () => {
      if (listsWatched) return;
      try {
        watchers.push(watch(join(options.dir, 'lists'), schedule));
        listsWatched = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    };
    // a lists/ folder created later is watched from the reload that follows its creation
    watchers.push(watch(options.dir, () => { watchLists(); schedule(); }));
    watchLists();
  }

  return {
    get version() { return active.version; },
    current: () => active,
    evaluate: (event, features, graphHits) => active.evaluate(event, features, graphHits),
    reload,
    applySources,
    reject: (problems, origin = 'topic') => emit({ ok: false, origin, problems, keptVersion: active.version }),
    onReload(listener) { listeners.add(listener); return () => listeners.delete(listener); },
    async close() {
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
      await reloading;
    },
  };
}

/** Codec of the rules-updates topic: the whole rule set as `{ "files": { "settings.yaml": "...", ... } }` (JSON). */
export function encodeRulesUpdate(sources: ReadonlyMap<string, string>): Buffer {
  return Buffer.from(JSON.stringify({ files: Object.fromEntries(sources) }));
}

export function decodeRulesUpdate(message: Buffer | string): Map<string, string> {
  const parsed = JSON.parse(message.toString()) as unknown;
  const files = (parsed as { files?: unknown })?.files;
  if (typeof files !== 'object' || files === null) throw new RulesInvalidError([{ file: '(rules-updates message)', line: 1, col: 1, message: "expected { files: { name: text } }" }]);
  const out = new Map<string, string>();
  for (const [name, text] of Object.entries(files)) {
    if (typeof text !== 'string' || name.includes('..') || name.startsWith('/')) throw new RulesInvalidError([{ file: '(rules-updates message)', line: 1, col: 1, message: `bad file entry '${name}'` }]);
    out.set(name, text);
  }
  return out;
}
