import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorCodes, VigilError } from '../../src/errors.ts';
import { loadGraphRules, parseGraphRules } from '../../src/graph/index.ts';

const rulesError = (text: string, file = 'r.yaml'): string => {
  try {
    parseGraphRules(text, file);
  } catch (error) {
    assert.ok(error instanceof VigilError);
    assert.equal(error.code, ErrorCodes.RULES_INVALID);
    return error.message;
  }
  assert.fail('expected RULES_INVALID');
};

test('YAML and JSON rule files give the same rules, with defaults filled in', () => {
  const yaml = parseGraphRules(
    'rules:\n  - id: graph.a\n    kind: near_label\n    score: 7\n    reason: "{path}"\n    params: { maxHops: 1, via: [card] }\n',
    'a.yaml',
  );
  const json = parseGraphRules('[{"id":"graph.a","kind":"near_label","score":7,"reason":"{path}","params":{"maxHops":1,"via":["card"]}}]', 'a.json');
  assert.deepEqual(yaml[0]!.params, { kind: 'near_label', maxHops: 1, via: ['card'], labels: ['fraud'], windowMs: undefined, maxVisited: 2000 });
  assert.deepEqual(json[0]!.params, yaml[0]!.params);
  assert.equal(yaml[0]!.source, 'a.yaml:2:5');
  assert.equal(yaml[0]!.shadow, false);
});

test('every problem of a file is reported with file:line:col and the field path', () => {
  const message = rulesError(
    [
      'rules:',
      '  - id: graph.ok',
      '    kind: cycle',
      '    score: 120',
      '    reason: "{foo} {path}"',
      '    params:',
      '      maxHops: 1',
      '      window: 7days',
      '      bogus: 2',
      '  - id: Bad-Id',
      '    kind: teleport',
    ].join('\n'),
  );
  assert.match(message, /r\.yaml:4:12: rules\[0\]\.score must be a number from 0 to 100 \(got 120\)/);
  assert.match(message, /r\.yaml:5:13: rules\[0\]\.reason uses \{foo\}, which a cycle rule does not fill/);
  assert.match(message, /r\.yaml:7:16: rules\[0\]\.params\.maxHops must be an integer from 2 to 10 \(got 1\)/);
  assert.match(message, /r\.yaml:8:15: rules\[0\]\.params\.window must be a duration like 7d/);
  assert.match(message, /r\.yaml:9:14: rules\[0\]\.params\.bogus is not a cycle parameter/);
  assert.match(message, /r\.yaml:10:9: rules\[1\]\.id must look like graph\.snake_case/);
  assert.match(message, /r\.yaml:11:11: rules\[1\]\.kind must be one of near_label, shared_entity, fan_in, cycle, linked_labels, fraud_payments/);
});

test('missing required parameters point at the params map; syntax errors carry a position', () => {
  assert.match(rulesError('- id: graph.f\n  kind: fan_in\n  score: 1\n  reason: x\n  params: { window: 1d }\n'), /r\.yaml:5:11: \[0\]\.params\.minPayers is required/);
  assert.match(rulesError('rules:\n  - id: [\n'), /^r\.yaml:3:1: syntax error: /);
  assert.match(rulesError('{"rules": {"id": 1}}', 'x.json'), /x\.json:1:1: a rule file is a list of rules/);
  assert.match(rulesError('- id: graph.s\n  kind: shared_entity\n  score: 1\n  reason: x\n  params: { via: [pay], minAccounts: 1, labels: [legit] }\n'), /params\.via must be a non-empty list of edge kinds among card, device, ip[\s\S]*params\.labels must be a non-empty list of fraud, suspect/);
});

test('fraud_payments: anchor, ratio and per-count score are checked with positions', () => {
  const message = rulesError('- id: graph.t\n  kind: fraud_payments\n  score: 30\n  reason: "{count} at {anchor}"\n  params: { anchor: card, minCount: 1, window: 28d, ordinaryAmountRatio: -1, scorePerCount: "5" }\n');
  assert.match(message, /r\.yaml:5:21: \[0\]\.params\.anchor must be terminal or merchant \(got "card"\)/);
  assert.match(message, /params\.ordinaryAmountRatio must be a number from 0 to 1000 \(got -1\)/);
  assert.match(message, /params\.scorePerCount must be a number from 0 to 100 \(got "5"\)/);
  const [rule] = parseGraphRules('- id: graph.t\n  kind: fraud_payments\n  score: 30\n  reason: "{count}"\n  params: { anchor: merchant, minCount: 2, window: 7d }\n', 'r.yaml');
  assert.deepEqual(rule!.params, { kind: 'fraud_payments', anchor: 'merchant', minCount: 2, windowMs: 7 * 86_400_000, ordinaryAmountRatio: 0, scorePerCount: 0 });
});

test('duplicate ids are rejected within a file and across the files of a directory', () => {
  const rule = (id: string) => `  - id: ${id}\n    kind: fan_in\n    score: 1\n    reason: x\n    params: { minPayers: 2, window: 1d }\n`;
  assert.match(rulesError(`rules:\n${rule('graph.a')}${rule('graph.a')}`), /r\.yaml:7:9: rules\[1\]\.id duplicates the id graph\.a of rules\[0\]/);
  const dir = mkdtempSync(join(tmpdir(), 'graph-rules-'));
  try {
    writeFileSync(join(dir, 'a.yaml'), `rules:\n${rule('graph.a')}`);
    writeFileSync(join(dir, 'b.json'), JSON.stringify([{ id: 'graph.b', kind: 'fan_in', score: 1, reason: 'x', params: { minPayers: 2, window: '1d' } }]));
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    assert.deepEqual(loadGraphRules(dir).map((r) => r.id), ['graph.a', 'graph.b']);
    writeFileSync(join(dir, 'c.yml'), `rules:\n${rule('graph.b')}`);
    assert.throws(() => loadGraphRules(dir), /c\.yml:2:5: rule id graph\.b is already defined at .*b\.json:1:2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
