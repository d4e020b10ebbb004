import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIST_FIELDS, LiveLists, decodeListChange, encodeListChange, listChangeKey, type ListChange, type ParsedListChange } from '../../src/rules/index.ts';
import { decodeListTombstone } from '../../src/rules/list-change.ts';
import { event, oneRule, ruleSet } from './helpers.ts';

const AT = Date.parse('2026-11-25T10:00:00Z');

function change(over: Partial<ListChange> = {}): ParsedListChange {
  const decoded = decodeListChange(encodeListChange({ list: 'block', entity: 'card:c-9', op: 'add', by: 'ana', at: AT, reason: 'stolen', ...over }));
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.change;
}

test('a console list change decodes into its list, op, field and value', () => {
  assert.deepEqual(decodeListChange('{"list":"allow","entity":"account:acc-1","op":"remove","by":"ana","at":5,"reason":"cleared"}'), {
    ok: true,
    change: { list: 'allow', entity: 'account:acc-1', op: 'remove', by: 'ana', at: 5, reason: 'cleared', field: 'account', value: 'acc-1' },
  });
  // Values may hold colons (IPv6); a missing reason is empty.
  const ip = decodeListChange(Buffer.from('{"list":"block","entity":"ip:fe80::1","op":"add","by":"ana","at":5}'));
  assert.ok(ip.ok);
  assert.deepEqual([ip.change.field, ip.change.value, ip.change.reason], ['ip', 'fe80::1', '']);
  assert.equal(listChangeKey('block', 'card:c-9'), 'block|card:c-9');
});

test('malformed list changes are refused with a reason naming the bad field', () => {
  const bad: [string, RegExp][] = [
    ['not json', /not JSON/],
    ['[1,2]', /JSON object/],
    ['{"list":"grey","entity":"card:c","op":"add","by":"a","at":1}', /list must be allow or block/],
    ['{"list":"block","entity":"card:c","op":"toggle","by":"a","at":1}', /op must be add or remove/],
    ['{"list":"block","entity":"planet:x","op":"add","by":"a","at":1}', /entity must be "field:value"/],
    ['{"list":"block","entity":"card:","op":"add","by":"a","at":1}', /entity must be "field:value"/],
    ['{"list":"block","entity":"c-9","op":"add","by":"a","at":1}', /entity must be "field:value"/],
    ['{"list":"block","entity":"card:c","op":"add","at":1}', /by must be a non-empty string/],
    ['{"list":"block","entity":"card:c","op":"add","by":"a","at":"yesterday"}', /at must be epoch milliseconds/],
    ['{"list":"block","entity":"card:c","op":"add","by":"a","at":1,"reason":7}', /reason must be a string/],
  ];
  for (const [text, reason] of bad) {
    const decoded = decodeListChange(text);
    assert.equal(decoded.ok, false, text);
    assert.match((decoded as { reason: string }).reason, reason, text);
  }
});

test('a tombstone keyed list|entity removes that entry; any other empty message is refused', () => {
  const tomb = decodeListTombstone(Buffer.from('allow|device:d-1'));
  assert.ok(tomb.ok);
  assert.deepEqual([tomb.change.list, tomb.change.op, tomb.change.field, tomb.change.value], ['allow', 'remove', 'device', 'd-1']);
  for (const key of [null, 'card:c-9', 'grey|card:c', 'block|planet:x']) assert.equal(decodeListTombstone(key).ok, false, String(key));
});

test('add, remove, repeated ops and sizes', () => {
  const lists = new LiveLists();
  assert.equal(lists.apply(change()), true);
  assert.equal(lists.apply(change()), true, 'a repeated add refreshes who and why');
  assert.deepEqual(lists.sizes(), { allow: 0, block: 1 });
  assert.equal(lists.apply(change({ op: 'remove' })), true);
  assert.equal(lists.apply(change({ op: 'remove' })), false, 'removing an absent entry changes nothing');
  assert.deepEqual(lists.sizes(), { allow: 0, block: 0 });
  assert.equal(lists.apply(change({ list: 'allow', entity: 'account:a1' })), true);
  assert.deepEqual(lists.sizes(), { allow: 1, block: 0 });
});

test('the latest change of a (list, entity) wins; the allow and block entries of one entity are independent', () => {
  // Reference model: a set of "list|entity" strings, replaying random histories.
  let seed = 7;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const entities = ['card:c1', 'card:c2', 'account:a1', 'ip:10.0.0.1'];
  for (let run = 0; run < 50; run++) {
    const lists = new LiveLists();
    const model = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const c = change({ list: random(2) === 0 ? 'allow' : 'block', entity: entities[random(entities.length)]!, op: random(3) === 0 ? 'remove' : 'add' });
      lists.apply(c);
      if (c.op === 'add') model.add(`${c.list}|${c.entity}`);
      else model.delete(`${c.list}|${c.entity}`);
    }
    const inModel = (list: string) => [...model].filter((k) => k.startsWith(`${list}|`)).length;
    assert.deepEqual(lists.sizes(), { allow: inModel('allow'), block: inModel('block') });
    for (const entity of entities) {
      const [field, value] = [entity.slice(0, entity.indexOf(':')), entity.slice(entity.indexOf(':') + 1)];
      const e = event({ card: undefined, account: 'nobody', [field]: value });
      const blocked: unknown[] = [];
      assert.equal(lists.allowReason(e) !== undefined, model.has(`allow|${entity}`), `allow ${entity}`);
      assert.equal(lists.addBlockReasons(e, blocked as never), model.has(`block|${entity}`), `block ${entity}`);
    }
  }
});

test('a live block blocks with score 100 and a reason naming who, when and why; the other rules still report', () => {
  const lists = new LiveLists();
  lists.apply(change());
  const set = oneRule('amount > 1000', 30);
  const verdict = set.withLiveLists(lists).evaluate(event({ card: 'c-9' }), {}, []);
  assert.equal(verdict.decision, 'block');
  assert.equal(verdict.score, 100);
  assert.deepEqual(verdict.reasons, [
    { rule: 'list.block.console', score: 100, detail: 'card c-9 is on the block list (ana, 2026-11-25T10:00:00.000Z: "stolen")' },
    { rule: 't.r', score: 30, detail: 'rule t.r hit' },
  ]);
  assert.equal(set.withLiveLists(lists).evaluate(event({ card: 'c-10' }), {}, []).decision, 'allow', 'another card is not blocked');
  lists.apply(change({ op: 'remove' }));
  const after = set.withLiveLists(lists).evaluate(event({ card: 'c-9' }), {}, []);
  assert.deepEqual([after.decision, after.reasons.map((r) => r.rule)], ['allow', ['t.r']]);
});

test('allow wins over block: live over live, live over file, file over live', () => {
  const fileLists = ruleSet({
    'lists.yaml': 'lists:\n  - id: stolen\n    action: block\n    field: card\n    values: [c-file]\n  - id: vip\n    action: allow\n    field: account\n    values: [a-vip]\n',
  });
  const lists = new LiveLists();
  lists.apply(change({ entity: 'card:c-9' }));
  lists.apply(change({ list: 'allow', entity: 'account:a-ok', by: 'bob', reason: 'cleared' }));
  const decide = (over: Parameters<typeof event>[0]) => fileLists.withLiveLists(lists).evaluate(event(over), {}, []);

  const liveOverLive = decide({ card: 'c-9', account: 'a-ok' });
  assert.equal(liveOverLive.decision, 'allow');
  assert.deepEqual(liveOverLive.reasons, [{ rule: 'list.allow.console', score: 0, detail: 'account a-ok is on the allow list (bob, 2026-11-25T10:00:00.000Z: "cleared")' }]);
  assert.equal(decide({ card: 'c-file', account: 'a-ok' }).decision, 'allow', 'live allow over file block');
  const fileOverLive = decide({ card: 'c-9', account: 'a-vip' });
  assert.deepEqual([fileOverLive.decision, fileOverLive.reasons.map((r) => r.rule)], ['allow', ['list.allow.vip']]);
  const both = decide({ card: 'c-file', account: 'a-1', device: 'd-1' });
  assert.deepEqual([both.decision, both.reasons.map((r) => r.rule)], ['block', ['list.block.stolen']]);
});

test('the live lists outlive a rule-set swap, and match every list field', () => {
  const lists = new LiveLists();
  const fields = LIST_FIELDS.map((field) => ({ field, value: `${field}-v` }));
  for (const { field, value } of fields) lists.apply(change({ entity: `${field}:${value}` }));
  for (const set of [oneRule('amount > 1'), oneRule('amount > 2')]) {
    for (const { field, value } of fields) {
      const verdict = set.withLiveLists(lists).evaluate(event({ card: undefined, account: 'nobody', [field]: value }), {}, []);
      assert.equal(verdict.decision, 'block', field);
      assert.equal(verdict.reasons[0]!.detail.startsWith(`${field} ${value} is on the block list`), true, field);
      assert.equal(verdict.rulesVersion, set.version);
    }
  }
});
