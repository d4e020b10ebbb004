import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafkaReplicationLog } from '../../src/graph/index.ts';
import { createKafka, ensureTopics } from '../../src/ingest/index.ts';
import { createLogger } from '../../src/log.ts';
import { LiveLists, LiveListsFollower, encodeListChange, listChangeKey, type ListChange } from '../../src/rules/index.ts';
import { KAFKA_BROKERS, uniqueName } from '../support/env.ts';
import { deleteTopics, produce, testKafka } from '../support/kafka.ts';
import { event } from './helpers.ts';
import { until } from '../support/until.ts';

const kafka = createKafka({ brokers: KAFKA_BROKERS, clientId: uniqueName('lists-follower'), logger: createLogger('silent') });
const topics: string[] = [];
const followers: LiveListsFollower[] = [];
after(async () => {
  for (const f of followers) await f.close();
  await deleteTopics(testKafka(), topics);
});

async function listsTopic(): Promise<string> {
  const topic = uniqueName('t-lists');
  topics.push(topic);
  await ensureTopics(kafka, [{ topic, partitions: 3 }]);
  return topic;
}

function follower(topic: string) {
  const lists = new LiveLists();
  const rejected: string[] = [];
  const f = new LiveListsFollower({ log: createKafkaReplicationLog({ kafka, groupId: uniqueName('t-lists-group') }), topic, lists, onRejected: (where, reason) => rejected.push(`${where}: ${reason}`) });
  followers.push(f);
  return { f, lists, rejected };
}

const message = (c: Omit<ListChange, 'by' | 'at' | 'reason'>, at: number) => ({ key: listChangeKey(c.list, c.entity), value: encodeListChange({ ...c, by: 'ana', at, reason: 'test' }) });

test('a fresh follower applies the whole history before it says caught up; garbage is counted and skipped; live changes follow', async () => {
  const topic = await listsTopic();
  // Garbage shares the keys (so the partitions) of good changes, before and after them: it must block none.
  await produce(testKafka(), topic, [
    { key: 'block|card:c-1', value: 'not json' },
    message({ list: 'block', entity: 'card:c-1', op: 'add' }, 1),
    { key: 'block|card:c-1', value: JSON.stringify({ list: 'block', entity: 'planet:x', op: 'add', by: 'ana', at: 2 }) },
    message({ list: 'block', entity: 'card:c-2', op: 'add' }, 3),
    message({ list: 'block', entity: 'card:c-2', op: 'remove' }, 4),
    { key: 'allow|account:a-1', value: JSON.stringify({ list: 'grey', entity: 'account:a-1', op: 'add', by: 'ana', at: 5 }) },
    message({ list: 'allow', entity: 'account:a-1', op: 'add' }, 6),
    { key: 'allow|account:a-1', value: JSON.stringify({ list: 'allow', entity: 'account:a-1', op: 'toggle', by: 'ana', at: 7 }) },
    message({ list: 'block', entity: 'device:d-1', op: 'add' }, 8),
    { key: 'block|device:d-1', value: null as unknown as string },
  ]);
  const { f, lists, rejected } = follower(topic);
  await f.start();
  await f.caughtUp;
  // Nothing awaited after caughtUp: everything published before start() is already applied.
  assert.deepEqual(lists.sizes(), { allow: 1, block: 1 });
  assert.equal(lists.addBlockReasons(event({ card: 'c-1' }), []), true, 'c-1 blocked');
  assert.equal(lists.addBlockReasons(event({ card: 'c-2' }), []), false, 'c-2 added then removed');
  assert.equal(lists.addBlockReasons(event({ card: 'none', device: 'd-1' }), []), false, 'd-1 removed by its tombstone');
  assert.ok(lists.allowReason(event({ account: 'a-1' })));
  assert.deepEqual(f.stats(), { applied: 6, rejected: 4 });
  assert.equal(rejected.length, 4);
  assert.ok(rejected.some((r) => /not JSON/.test(r)) && rejected.some((r) => /planet/.test(r)) && rejected.some((r) => /list must be allow or block/.test(r)) && rejected.some((r) => /op must be add or remove/.test(r)), rejected.join('\n'));
  assert.ok(rejected.every((r) => r.startsWith(`${topic}/`) && /@\d+: /.test(r)), 'each rejection names its position');

  await produce(testKafka(), topic, [message({ list: 'block', entity: 'card:c-1', op: 'remove' }, 9), message({ list: 'block', entity: 'ip:10.0.0.9', op: 'add' }, 10)]);
  await until('the live changes', () => f.stats().applied === 8, 60_000);
  assert.equal(lists.addBlockReasons(event({ card: 'c-1' }), []), false);
  assert.equal(lists.addBlockReasons(event({ card: 'none', ip: '10.0.0.9' }), []), true);
});

test('on an empty lists topic a follower is caught up at once', async () => {
  const topic = await listsTopic();
  const { f, lists } = follower(topic);
  await f.start();
  assert.equal(f.isCaughtUp(), true);
  assert.deepEqual(lists.sizes(), { allow: 0, block: 0 });
});
