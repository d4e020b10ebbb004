import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRuleEngine, decodeRulesUpdate, encodeRulesUpdate, type ReloadableRuleEngine, type ReloadResult } from '../../src/rules/index.ts';
import { event, SETTINGS } from './helpers.ts';

/** A rule set whose every rule is tagged with `tag`: a verdict mixing two tags would be decided by two sets. */
function taggedRules(tag: string, n = 20): string {
  let s = 'rules:\n';
  for (let i = 0; i < n; i++) s += `  - id: ${tag}.r${i}\n    when: amount > ${i}\n    score: 1\n`;
  return s;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

async function tempRules(t: { after(fn: () => Promise<void>): void }, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-engine-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries({ 'settings.yaml': SETTINGS, ...files })) await writeFile(join(dir, name), text);
  return dir;
}

function waitFor(engine: { onReload(l: (r: ReloadResult) => void): () => void }, pred: (r: ReloadResult) => boolean): Promise<ReloadResult> {
  return new Promise((resolve) => {
    const off = engine.onReload((r) => { if (pred(r)) { off(); resolve(r); } });
  });
}

/**
 * Decides batches of 200 events against `engine` until stopped, as the processor does (one snapshot per batch), and
 * checks that every verdict comes from one whole 20-rule set; `tags` maps each version seen to its set's tag.
 */
function decideUnderLoad(engine: ReloadableRuleEngine, hooks: { onVerdict?(tag: string, earlierTagOfVersion: string | undefined): void; betweenBatches?(): void } = {}) {
  const tags = new Map<string, string>();
  let decided = 0;
  let stop = false;
  const load = (async () => {
    while (!stop) {
      const snapshot = engine.current();
      for (let i = 0; i < 200; i++) {
        const v = snapshot.evaluate(event({ id: `e${decided}`, amount: 100 }), {}, []);
        const setTags = new Set(v.reasons.map((r) => r.rule.split('.')[0]));
        assert.equal(setTags.size, 1, `verdict mixes sets: ${[...setTags].join(',')}`);
        assert.equal(v.reasons.length, 20, 'a verdict from a partial set');
        const tag = [...setTags][0]!;
        hooks.onVerdict?.(tag, tags.get(v.rulesVersion));
        tags.set(v.rulesVersion, tag);
        decided++;
      }
      hooks.betweenBatches?.();
      await new Promise((r) => setImmediate(r));
    }
  })();
  return {
    tags,
    /** Resolves once `n` more events have been decided. */
    async decideMore(n: number): Promise<void> {
      const target = decided + n;
      while (decided < target) await new Promise((r) => setTimeout(r, 5));
    },
    async stop(): Promise<void> {
      stop = true;
      await load;
    },
  };
}

test('hot reload under load: file changes swap the set atomically, no event is decided by a half-loaded set', async (t) => {
  const dir = await tempRules(t, { 'r.yaml': taggedRules('a') });
  const engine = await createRuleEngine({ dir, watch: true, debounceMs: 20 });
  t.after(() => engine.close());
  const load = decideUnderLoad(engine, {
    onVerdict(tag, known) {
      if (known) assert.equal(known, tag, 'one version, one rule set');
    },
    // single evaluations between batches go through the engine
    betweenBatches() {
      assert.equal(engine.evaluate(event(), {}, []).rulesVersion, engine.version);
    },
  });
  for (const tag of ['b', 'c', 'd']) {
    const reloaded = waitFor(engine, (r) => r.ok && r.changed);
    await writeAtomic(join(dir, 'r.yaml'), taggedRules(tag));
    const r = await reloaded;
    assert.ok(r.ok);
    assert.equal(engine.current().rules[0]!.id, `${tag}.r0`);
  }
  await load.decideMore(400);
  await load.stop();
  assert.deepEqual([...new Set(load.tags.values())].sort().at(-1), 'd');
  assert.ok(load.tags.size >= 2, 'the load saw several sets');
});

test('reload under load with broken rule files: each broken set is refused and every decision comes from a whole valid set', async (t) => {
  const dir = await tempRules(t, { 'r.yaml': taggedRules('a') });
  const results: ReloadResult[] = [];
  const engine = await createRuleEngine({ dir, watch: true, debounceMs: 20, onReload: (r) => results.push(r) });
  t.after(() => engine.close());
  const load = decideUnderLoad(engine);
  const broken = [
    'rules:\n  - id: x.r0\n    when: amount >\n    score: 1\n', // an expression cut short (a half-written file)
    'rules: [\n', // not YAML
    taggedRules('x').replace('when: amount > 7', 'when: amount + 7'), // a condition that is not true/false
    taggedRules('x').replace('x.r3', 'x.r2'), // two rules with one id
  ];
  let good = 'a';
  for (const [i, text] of broken.entries()) {
    const refused = waitFor(engine, (r) => !r.ok);
    await writeAtomic(join(dir, 'r.yaml'), text);
    const r = await refused;
    assert.ok(!r.ok && r.problems.length > 0, `broken file ${i} refused with its problems`);
    assert.equal(engine.current().rules[0]!.id, `${good}.r0`, 'the running set keeps serving');
    await load.decideMore(400);
    good = String.fromCharCode('b'.charCodeAt(0) + i);
    const reloaded = waitFor(engine, (r) => r.ok && r.changed);
    await writeAtomic(join(dir, 'r.yaml'), taggedRules(good));
    await reloaded;
  }
  await load.stop();
  // A file watcher may report one write twice (rename, then change): the same broken file is then refused twice.
  const refusedSets = new Set(results.flatMap((r) => (r.ok ? [] : [JSON.stringify(r.problems)])));
  assert.equal(refusedSets.size, broken.length, 'each broken set refused');
  assert.deepEqual([...new Set(load.tags.values())].filter((tag) => tag === 'x'), [], 'no decision from a broken set');
  assert.ok(new Set(load.tags.values()).size >= 3, 'the load saw several valid sets');
});

test('an invalid set is rejected with its problems while the running set keeps serving', async (t) => {
  const dir = await tempRules(t, { 'r.yaml': taggedRules('a', 2) });
  const results: ReloadResult[] = [];
  const engine = await createRuleEngine({ dir, onReload: (r) => results.push(r) });
  t.after(() => engine.close());
  const before = engine.version;
  await writeFile(join(dir, 'r.yaml'), 'rules:\n  - id: a.r0\n    when: amount >\n    score: 1\n');
  const r = await engine.reload();
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.problems[0]!.file === 'r.yaml' && r.problems[0]!.line === 3 && r.keptVersion === before);
  assert.equal(engine.version, before);
  assert.equal(engine.evaluate(event(), {}, []).rulesVersion, before);
  assert.equal(engine.evaluate(event(), {}, []).reasons.length, 2);
  assert.deepEqual(results.map((x) => x.ok), [false]);
});

test('a set published on the rules-updates topic (encoded files) is applied, and the version is the content hash', async (t) => {
  const dir = await tempRules(t, { 'r.yaml': taggedRules('a', 1) });
  const engine = await createRuleEngine({ dir });
  t.after(() => engine.close());
  const update = new Map([['settings.yaml', SETTINGS], ['r.yaml', taggedRules('z', 1)]]);
  const r = engine.applySources(decodeRulesUpdate(encodeRulesUpdate(update)));
  assert.ok(r.ok && r.changed && r.origin === 'topic');
  assert.equal(engine.evaluate(event(), {}, []).reasons[0]!.rule, 'z.r0');
  const again = engine.applySources(update);
  assert.ok(again.ok && !again.changed, 'same content, same version');
  assert.throws(() => decodeRulesUpdate('{"files": {"../x": "a"}}'), /bad file entry/);
});

test('lists: an allow list wins over a block list and rules; a block list blocks', async (t) => {
  const dir = await tempRules(t, {
    'r.yaml': 'rules:\n  - id: big\n    when: amount > 1000\n    score: 90\n',
    'l.yaml': 'lists:\n  - id: vip\n    action: allow\n    field: account\n    values: [a-vip]\n  - id: stolen\n    action: block\n    field: card\n    file: lists/stolen.txt\n  - id: bad_ips\n    action: block\n    field: ip\n    values: ["10.0.0.1"]\n  - id: bad_devices\n    action: block\n    field: device\n    values: [d-1]\n',
  });
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'lists'));
  await writeFile(join(dir, 'lists', 'stolen.txt'), '# stolen cards\nc-stolen\n  c-2  # trailing comment\n');
  const engine = await createRuleEngine({ dir });
  t.after(() => engine.close());
  const blocked = engine.evaluate(event({ card: 'c-2', amount: 1 }), {}, []);
  assert.equal(blocked.decision, 'block');
  assert.equal(blocked.score, 100);
  assert.equal(blocked.reasons[0]!.rule, 'list.block.stolen');
  assert.equal(engine.evaluate(event({ ip: '10.0.0.1', amount: 1 }), {}, []).decision, 'block');
  assert.equal(engine.evaluate(event({ device: 'd-1', amount: 1 }), {}, []).decision, 'block');
  const allowed = engine.evaluate(event({ account: 'a-vip', card: 'c-stolen', amount: 5_000 }), {}, [{ rule: 'graph.near_fraud', score: 100, detail: 'x' }]);
  assert.deepEqual([allowed.decision, allowed.score, allowed.reasons.map((r) => r.rule)], ['allow', 0, ['list.allow.vip']]);
  const plain = engine.evaluate(event({ amount: 5_000 }), {}, []);
  assert.deepEqual([plain.decision, plain.score], ['block', 90]);
});

test('shadow rules are evaluated and recorded (reasons marked shadow, hit counts) without changing the decision', async (t) => {
  const dir = await tempRules(t, {
    'r.yaml': 'rules:\n  - id: live\n    when: amount > 1000\n    score: 45\n  - id: trial\n    when: amount > 1000\n    score: 60\n    shadow: true\n    detail: "amount {amount} would be flagged; card.count.1m is {card.count.1m}"\n',
  });
  const engine = await createRuleEngine({ dir });
  t.after(() => engine.close());
  const v = engine.evaluate(event({ amount: 5_000 }), {}, [{ rule: 'graph.x', score: 30, detail: 'g', shadow: true }]);
  assert.equal(v.score, 45);
  assert.equal(v.decision, 'review');
  assert.deepEqual(v.reasons.map((r) => [r.rule, r.score, r.shadow === true]), [['live', 45, false], ['trial', 60, true], ['graph.x', 30, true]]);
  assert.equal(v.reasons[1]!.detail, 'amount 5000 would be flagged; card.count.1m is missing');
  assert.deepEqual(engine.current().hitCounts(), [{ rule: 'live', shadow: false, hits: 1 }, { rule: 'trial', shadow: true, hits: 1 }]);
});

test('thresholds, score combination and graph pass-through weights', async (t) => {
  const sources = (combine: string, weights = '') => ({
    'settings.yaml': `name: t\nthresholds:\n  review: 40\n  block: 80\ncombine: ${combine}\ngraph:\n  default_weight: 1\n${weights}`,
    'r.yaml': 'rules:\n  - id: a\n    when: amount > 0\n    score: 50\n  - id: b\n    when: amount > 0\n    score: 50\n',
  });
  const sum = await createRuleEngine({ dir: await tempRules(t, sources('sum')) });
  const nor = await createRuleEngine({ dir: await tempRules(t, sources('noisy_or', '  weights:\n    graph.near_fraud: 0\n    graph.cycle: 0.5\n')) });
  t.after(async () => { await sum.close(); await nor.close(); });
  const g = [{ rule: 'graph.near_fraud', score: 40, detail: 'n' }, { rule: 'graph.cycle', score: 40, detail: 'c' }];
  const s = sum.evaluate(event(), {}, g);
  assert.deepEqual([s.score, s.decision], [100, 'block']);
  const n = nor.evaluate(event(), {}, g);
  assert.deepEqual(n.reasons.map((r) => [r.rule, r.score]), [['a', 50], ['b', 50], ['graph.cycle', 20]]);
  assert.equal(n.score, 80); // 100·(1 − 0.5·0.5·0.8)
  assert.equal(n.decision, 'block');
  const low = nor.evaluate(event({ amount: 0 }), {}, []);
  assert.deepEqual([low.score, low.decision, low.reasons.length], [0, 'allow', 0]);
});

test('a lists/ folder created after start is watched too', async (t) => {
  const { mkdir } = await import('node:fs/promises');
  const dir = await tempRules(t, { 'l.yaml': 'lists:\n  - id: stolen\n    action: block\n    field: card\n    values: [c-0]\n' });
  const engine = await createRuleEngine({ dir, watch: true, debounceMs: 20 });
  t.after(() => engine.close());
  const blocks = (card: string) => engine.evaluate(event({ card }), {}, []).decision === 'block';
  const first = waitFor(engine, (r) => r.ok && blocks('c-9'));
  await mkdir(join(dir, 'lists'));
  await writeFile(join(dir, 'lists', 'stolen.txt'), 'c-9\n');
  await writeAtomic(join(dir, 'l.yaml'), 'lists:\n  - id: stolen\n    action: block\n    field: card\n    file: lists/stolen.txt\n');
  await first;
  assert.equal(engine.evaluate(event({ card: 'c-9' }), {}, []).decision, 'block');
  const second = waitFor(engine, (r) => r.ok && blocks('c-7'));
  await writeAtomic(join(dir, 'lists', 'stolen.txt'), 'c-7\n');
  await second;
  assert.equal(engine.evaluate(event({ card: 'c-9' }), {}, []).decision, 'allow');
  assert.equal(engine.evaluate(event({ card: 'c-7' }), {}, []).decision, 'block');
});
