import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadFeatureSpecsSync } from '../features/index.ts';
import { compileRuleSources, readRuleSources, type KnownFeatures } from './loader.ts';

/**
 * `vigil rules check DIR`: validates a rule set and prints every problem as `file:line:col: message`.
 * Exit code 0 when valid, 1 when invalid, 2 on usage errors. `argv` may start with `check`.
 */
export async function rulesCheckCommand(argv: readonly string[], out: (line: string) => void = console.log): Promise<number> {
  const args = argv[0] === 'check' ? argv.slice(1) : [...argv];
  const dir = args.find((a) => !a.startsWith('-'));
  if (!dir || args.includes('--help')) {
    out('usage: vigil rules check DIR');
    return 2;
  }
  let sources: Map<string, string>;
  try {
    sources = await readRuleSources(dir);
  } catch (err) {
    out(`${dir}: cannot read the rule set: ${(err as Error).message}`);
    return 1;
  }
  // The feature specs beside the rules (the shipped layout) say which feature names exist.
  const specsFile = join(dir, 'features.yaml');
  let known: KnownFeatures | undefined;
  if (existsSync(specsFile)) {
    try {
      const specs = loadFeatureSpecsSync(specsFile);
      known = { names: new Set(specs.features.map((f) => f.name)), source: specs.source };
    } catch (err) {
      out(`${specsFile}: ${(err as Error).message}`);
      return 1;
    }
  }
  const { ruleSet, problems } = compileRuleSources(sources, known);
  for (const p of problems) out(`${dir.replace(/\/$/, '')}/${p.file}:${p.line}:${p.col}: ${p.message}`);
  if (!ruleSet) {
    out(`${problems.length} problem${problems.length === 1 ? '' : 's'}; the rule set is rejected`);
    return 1;
  }
  const shadow = ruleSet.rules.filter((r) => r.shadow).length;
  out(`ok: ${ruleSet.version} — ${ruleSet.rules.length} rules (${shadow} shadow), ${ruleSet.lists.length} lists, review >= ${ruleSet.settings.reviewThreshold}, block >= ${ruleSet.settings.blockThreshold}${known ? `; features checked against ${known.source}` : ''}`);
  return 0;
}
