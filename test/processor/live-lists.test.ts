import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, deleteTopics, produce, testKafka } from '../support/kafka.ts';
import { uniqueName } from '../support/env.ts';
import { createKafka, ensureTopics } from '../../src/ingest/index.ts';
import { createLogger } from '../../src/log.ts';
import { liveListsSource } from '../../src/processor/live-lists.ts';
import { listChanges, startTestProcessor, testConfig, untilListChanges, type TestProcessor } from '../support/processor.ts';
import { encodeListChange, listChangeKey, type ListChange } from '../../src/rules/index.ts';

const kafka = testKafka();
const now = Date.now();

interface DecisionOut {
  eventId: string;
  decision: string;
  reasons: { rule: string; detail: string }[];
}

/** Small EUR payments on fresh accounts: the shipped rules allow them, so only a list can block them. */
function payment(id: string, card: string) {
  return { id, ts: now - 1000, type: 'payment', amount: 1250, currency: 'EUR', account: `acc-${id}`, card };
}

async function pay(vigil: TestProcessor, ...payments: ReturnType<typeof payment>[]): Promise<Map<string, DecisionOut>> {
  await produce(kafka, vigil.topics.payments, payments.map((p) => ({ key: p.account, value: JSON.stringify(p) })));
  const wanted = new Set(payments.map((p) => p.id));
  const messages = await collect(kafka, [vigil.topics.decisions], (ms) => [...wanted].every((id) => ms.some((m) => m.value.toString().includes(`"eventId":"${id}"`))));
  const out = new Map<string, DecisionOut>();
  for (const m of messages) {
    const d = JSON.parse(m.value.toString()) as DecisionOut;
    if (wanted.has(d.eventId)) out.set(d.eventId, d);
  }
  return out;
}

function listChange(list: ListChange['list'], entity: string, op: ListChange['op'], reason: string) {
  return { key: listChangeKey(list, entity), value: encodeListChange({ list, entity, op, by: 'ana', at: Date.parse('2026-11-25T10:00:00Z'), reason }) };
}

const listReasons = (d: DecisionOut | undefined) => (d?.reasons ?? []).filter((r) => r.rule.startsWith('list.'));

test('a block on the lists topic blocks the card’s next payment; a remove undoes it; a processor started afterwards rebuilds the lists', async (t) => {
  const one = await startTestProcessor();
  let two: TestProcessor | undefined;
  t.after(async () => {
    await two?.stop();
    await one.stop();
    await two?.cleanup();
    await one.cleanup();
  });
  const lists = one.topics.lists;

  // Garbage in the same partition as the block (same key) is rejected and does not hold the block back.
  await produce(kafka, lists, [{ key: listChangeKey('block', 'card:c-9'), value: '{"list":"block","entity":"planet:x"' }, listChange('block', 'card:c-9', 'add', 'stolen')]);
  await untilListChanges(one, 'applied', 1);
  assert.equal(await listChanges(one, 'rejected'), 1);

  const blocked = await pay(one, payment('lb-1', 'c-9'), payment('lb-other', 'c-8'));
  assert.equal(blocked.get('lb-1')?.decision, 'block');
  assert.deepEqual(listReasons(blocked.get('lb-1')), [{ rule: 'list.block.console', score: 100, detail: 'card c-9 is on the block list (ana, 2026-11-25T10:00:00.000Z: "stolen")' }]);
  assert.equal(blocked.get('lb-other')?.decision, 'allow', 'another card is not blocked');
  assert.deepEqual(listReasons(blocked.get('lb-other')), []);

  await produce(kafka, lists, [listChange('block', 'card:c-9', 'remove', 'card found')]);
  await untilListChanges(one, 'applied', 2);
  const unblocked = await pay(one, payment('lb-2', 'c-9'));
  assert.equal(unblocked.get('lb-2')?.decision, 'allow');
  assert.deepEqual(listReasons(unblocked.get('lb-2')), []);

  // A block of another card and an allow of an account that wins over it, then a fresh processor on the same
  // lists topic: its start() returns once the topic is read, so its very first payments see every change.
  await produce(kafka, lists, [listChange('block', 'card:c-10', 'add', 'stolen'), listChange('allow', 'account:acc-lb-vip', 'add', 'our test account')]);
  two = await startTestProcessor({ config: testConfig({ VIGIL_TOPIC_LISTS: lists }) });
  assert.equal(await listChanges(two, 'applied'), 4, 'start() returned before the lists topic was read');
  assert.equal(await listChanges(two, 'rejected'), 1);
  const fresh = await pay(two, payment('lb-3', 'c-10'), payment('lb-4', 'c-9'), payment('lb-vip', 'c-10'));
  assert.equal(fresh.get('lb-3')?.decision, 'block');
  assert.deepEqual(listReasons(fresh.get('lb-3')).map((r) => r.rule), ['list.block.console']);
  assert.equal(fresh.get('lb-4')?.decision, 'allow', 'the removed block stays removed after a rebuild');
  assert.equal(fresh.get('lb-vip')?.decision, 'allow', 'allow wins over block');
  assert.deepEqual(listReasons(fresh.get('lb-vip')), [{ rule: 'list.allow.console', score: 0, detail: 'account acc-lb-vip is on the allow list (ana, 2026-11-25T10:00:00.000Z: "our test account")' }]);
  const entries = await two.processor.metrics.registry.getSingleMetricAsString('vigil_live_list_entries');
  assert.match(entries, /vigil_live_list_entries\{list="allow"\} 1/);
  assert.match(entries, /vigil_live_list_entries\{list="block"\} 1/);
});

test('the processor’s lists source resolves start() only once the lists topic is read to its end, and is not ready before', async (t) => {
  const config = testConfig();
  const processorKafka = createKafka({ brokers: config.kafkaBrokers, clientId: uniqueName('lists-source'), logger: createLogger('silent') });
  await ensureTopics(processorKafka, [{ topic: config.topicLists, partitions: 3 }]);
  t.after(() => deleteTopics(kafka, [config.topicLists]));
  const changes = Array.from({ length: 300 }, (_, i) => listChange('block', `card:bulk-${i}`, 'add', 'bulk'));
  await produce(kafka, config.topicLists, [...changes, listChange('block', 'card:bulk-7', 'remove', 'found'), { key: 'x', value: 'garbage' }]);

  const source = liveListsSource(config, processorKafka, createLogger('silent'), undefined, uniqueName('instance'));
  t.after(() => source.close());
  assert.equal(source.notReadyReason(), 'live lists catching up');
  await source.start();
  // Nothing awaited after start(): every change published before it is applied.
  assert.deepEqual(source.lists.sizes(), { allow: 0, block: 299 });
  assert.equal(source.notReadyReason(), undefined);
});
