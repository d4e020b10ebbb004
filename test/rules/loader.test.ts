import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRuleSources, loadRuleSet, rulesCheckCommand } from '../../src/rules/index.ts';
import { RulesInvalidError } from '../../src/errors.ts';
import { SETTINGS } from './helpers.ts';

const problemsOf = (files: Record<string, string>) =>
  compileRuleSources(new Map(Object.entries(files))).problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`);

test('the shipped rule set is valid and keeps the two first rules', async () => {
  const rs = await loadRuleSet('rules');
  const ids = rs.rules.map((r) => r.id);
  assert.ok(ids.includes('amount.over_limit') && ids.includes('currency.not_allowed'));
  assert.match(rs.version, /^default-[0-9a-f]{10}$/);
  assert.ok(rs.featureRefs.includes('card.avg_amount.30d'));
});

test('bad rule files are rejected with every problem at its file, line and column', () => {
  const problems = problemsOf({
    'settings.yaml': SETTINGS,
    'a.yaml': [
      'rules:',
      '  - id: ok.one',
      '    when: amount > 2 * card.avg_amount.30d and',
      '    score: 50',
      '  - id: Bad-Id',
      '    when: currency > 5',
      '    score: 500',
      '    colour: red',
      '  - id: ok.two',
      '    when: "country not in [FR, DE] or amout > 3"',
      '    score: 10',
      '  - id: ok.one',
      '    when: amount = 3',
      '    score: 1',
    ].join('\n'),
    'b.yaml': 'rules:\n  - id: x\n    when: [1, 2\n',
  });
  assert.deepEqual(problems, [
    'a.yaml:3:47: unexpected end of expression',
    "a.yaml:5:9: rule id 'Bad-Id' must be lower-case dotted words, e.g. card.velocity_1m",
    'a.yaml:6:20: cannot compare a string with a number',
    'a.yaml:7:12: score 500 is out of range 0-100',
    "a.yaml:8:5: unknown key 'colour' in a rule (allowed: id, description, when, score, detail, shadow)",
    "a.yaml:10:39: unknown name 'amout': not an event field, and features are dotted names like card.count.1m",
    "a.yaml:12:9: duplicate id 'ok.one' (first defined at a.yaml:2)",
    "a.yaml:13:18: unexpected '=', use '==' to compare",
    problems.find((p) => p.startsWith('b.yaml:'))!,
  ]);
  assert.match(problems.at(-1)!, /^b\.yaml:4:1: Flow sequence/);
});

test('bad settings and lists are rejected with positions', () => {
  const problems = problemsOf({
    'settings.yaml': 'name: t\nthresholds:\n  review: 90\n  block: 80\ncombine: max\n',
    'l.yaml': 'lists:\n  - id: l1\n    action: deny\n    field: card\n    values: [a]\n  - id: l2\n    action: block\n    field: card\n    file: lists/missing.txt\n',
  });
  assert.deepEqual(problems, [
    "l.yaml:3:13: action must be 'allow' or 'block', not 'deny'",
    "l.yaml:9:11: list file 'lists/missing.txt' not found (list files live under lists/)",
    'settings.yaml:3:3: thresholds: review (90) must not be above block (80)',
    "settings.yaml:5:10: combine must be 'sum' or 'noisy_or'",
  ]);
  assert.deepEqual(problemsOf({}), ['settings.yaml:1:1: missing: every rule set needs a settings.yaml with its name and thresholds']);
});

test('loadRuleSet throws a RulesInvalidError carrying the problems; `rules check` prints them and exits 1', async (t) => {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'vigil-rules-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'settings.yaml'), SETTINGS);
  await writeFile(join(dir, 'r.yaml'), 'rules:\n  - id: r.one\n    when: amount >> 3\n    score: 1\n');
  await assert.rejects(loadRuleSet(dir), (err: unknown) => err instanceof RulesInvalidError && err.code === 'RULES_INVALID' && err.problems.length === 1 && err.problems[0]!.line === 3);
  const lines: string[] = [];
  assert.equal(await rulesCheckCommand(['check', dir], (l) => lines.push(l)), 1);
  assert.match(lines[0]!, /r\.yaml:3:19: unexpected '>'$/);
  const ok: string[] = [];
  assert.equal(await rulesCheckCommand(['rules'], (l) => ok.push(l)), 0);
  assert.match(ok[0]!, /^ok: default-/);
});

test('with the feature specs known, a rule reading an undefined feature is refused at its position; `rules check` uses DIR/features.yaml', async (t) => {
  const files = new Map(Object.entries({
    'settings.yaml': SETTINGS,
    'r.yaml': 'rules:\n  - id: r.typo\n    when: card.cnt.1h > 5\n    score: 10\n  - id: r.fine\n    when: card.count.1h > 5\n    score: min(50, card.sum_amount.1h / 100)\n',
  }));
  assert.ok(compileRuleSources(files).ruleSet, 'without specs nothing is known to be missing');
  const known = { names: new Set(['card.count.1h', 'card.sum_amount.1h']), source: 'features.yaml' };
  const { ruleSet, problems } = compileRuleSources(files, known);
  assert.equal(ruleSet, undefined);
  assert.deepEqual(problems.map((p) => [p.file, p.line, p.col]), [['r.yaml', 3, 11]]);
  assert.match(problems[0]!.message, /^unknown feature 'card\.cnt\.1h': features\.yaml does not define it/);

  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'vigil-rules-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  await writeFile(join(dir, 'features.yaml'), 'version: 1\nfeatures:\n  - entity: card\n    aggregates: [count, sum_amount]\n    windows: [1h]\n');
  const lines: string[] = [];
  assert.equal(await rulesCheckCommand(['check', dir], (l) => lines.push(l)), 1);
  assert.match(lines[0]!, /r\.yaml:3:11: unknown feature 'card\.cnt\.1h'/);
});
