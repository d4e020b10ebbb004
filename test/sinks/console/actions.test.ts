import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, testKafka } from '../../support/kafka.ts';
import { actionRecords, parseClientMessage } from '../../../src/sinks/console/actions.ts';
import { decodeListChange } from '../../../src/rules/index.ts';
import { validateLabel } from '../../../src/graph/index.ts';
import { startTestConsole, until } from './support.ts';
import { login, openFeedClient } from './ws-client.ts';

test('client messages are validated, naming the bad field', () => {
  assert.deepEqual(parseClientMessage('{"t":"resync"}'), { ok: true, message: { t: 'resync' } });
  assert.equal(parseClientMessage('nope').ok, false);
  assert.deepEqual(parseClientMessage('{"t":"action","req":1,"action":"label","eventId":"e","entity":"account:a","label":"evil"}'), { ok: false, error: 'label must be fraud, suspect or legit', req: 1 });
  assert.match(String((parseClientMessage('{"t":"action","req":2,"action":"list","eventId":"e","entity":"planet:x","list":"block"}') as { error: string }).error), /entity must be type:id/);
  assert.match(String((parseClientMessage(JSON.stringify({ t: 'action', req: 3, action: 'ack', eventId: 'e', reason: 'x'.repeat(501) })) as { error: string }).error), /reason/);
  const label = parseClientMessage('{"t":"action","req":4,"action":"label","eventId":"e","entity":"card:c1","label":"fraud","reason":"chargeback"}');
  assert.ok(label.ok);
  const records = actionRecords(label.message as never, { name: 'ana', role: 'analyst' }, 42, { labels: 'L', lists: 'S', audit: 'A' });
  assert.deepEqual(records.map((r) => [r.topic, r.key, JSON.parse(String(r.value))]), [
    ['L', 'card:c1', { entity: 'card:c1', label: 'fraud', by: 'ana', at: 42, reason: 'chargeback' }],
    ['A', 'ana', { at: 42, by: 'ana', role: 'analyst', action: 'label', outcome: 'ok', eventId: 'e', entity: 'card:c1', label: 'fraud', reason: 'chargeback' }],
  ]);
  // A fraud label from a known alert names the alert's payment: the graph counts it at the terminal (fraud_payments).
  const alert = { eventId: 'e', ts: 7_000, decision: 'review', score: 60, reasons: [], features: { 'card.avg_amount.30d': 1_234 }, rulesVersion: 'v', latencyMs: 1, entities: { account: 'a1', card: 'c1', terminal: 'T9' } } as const;
  const [withPayment] = actionRecords(label.message as never, { name: 'ana', role: 'analyst' }, 42, { labels: 'L', lists: 'S', audit: 'A' }, alert as never);
  const sent = JSON.parse(String(withPayment!.value));
  assert.deepEqual(sent.payment, { id: 'e', ts: 7_000, terminal: 'T9', usualAmount: 1_234 });
  assert.ok(validateLabel(sent).ok, 'the graph stage accepts it');
  const legit = parseClientMessage('{"t":"action","req":6,"action":"label","eventId":"e","entity":"card:c1","label":"legit"}');
  assert.ok(legit.ok);
  const [legitRecord] = actionRecords(legit.message as never, { name: 'ana', role: 'analyst' }, 44, { labels: 'L', lists: 'S', audit: 'A' }, alert as never);
  assert.equal(JSON.parse(String(legitRecord!.value)).payment, undefined, 'only fraud labels name a payment');
  // A list change is keyed list|entity (an allow and a block of one entity must both survive compaction) and
  // is exactly what the processors' live lists decode.
  const block = parseClientMessage('{"t":"action","req":5,"action":"list","eventId":"e","entity":"card:c1","list":"block","reason":"stolen"}');
  assert.ok(block.ok);
  const [listRecord] = actionRecords(block.message as never, { name: 'ana', role: 'analyst' }, 43, { labels: 'L', lists: 'S', audit: 'A' });
  assert.equal(listRecord!.topic, 'S');
  assert.equal(listRecord!.key, 'block|card:c1');
  assert.deepEqual(decodeListChange(String(listRecord!.value)), { ok: true, change: { list: 'block', entity: 'card:c1', op: 'add', by: 'ana', at: 43, reason: 'stolen', field: 'card', value: 'c1' } });
});

test('an analyst labels, lists and acknowledges over the WebSocket; a viewer is refused; everything is audited on Kafka', async (t) => {
  const c = await startTestConsole();
  t.after(() => c.cleanup());
  const analyst = await openFeedClient(c.url, { cookie: await login(c.url, c.users.analyst.user, c.users.analyst.password) });
  const viewer = await openFeedClient(c.url, { cookie: await login(c.url, c.users.viewer.user, c.users.viewer.password) });
  const result = (client: typeof analyst, req: number) => client.frames.find((f) => f.t === 'result' && f.req === req);

  analyst.send({ t: 'action', req: 1, action: 'label', eventId: 'ev-1', entity: 'account:acc-17', label: 'fraud', reason: 'chargeback' });
  analyst.send({ t: 'action', req: 2, action: 'list', eventId: 'ev-1', entity: 'card:c-9', list: 'block', op: 'add', reason: 'stolen' });
  analyst.send({ t: 'action', req: 3, action: 'ack', eventId: 'ev-1' });
  analyst.send({ t: 'action', req: 4, action: 'label', eventId: 'ev-1', entity: 'account:acc-17', label: 'maybe' });
  viewer.send({ t: 'action', req: 1, action: 'label', eventId: 'ev-1', entity: 'account:acc-17', label: 'legit' });
  await analyst.waitFor((x) => [1, 2, 3, 4].every((r) => result(x, r)), 'the results');
  await viewer.waitFor((x) => result(x, 1) !== undefined, 'the viewer result');
  assert.deepEqual([1, 2, 3].map((r) => result(analyst, r)!.ok), [true, true, true]);
  assert.deepEqual(result(analyst, 4), { t: 'result', req: 4, ok: false, error: 'label must be fraud, suspect or legit', binary: true });
  assert.equal(result(viewer, 1)!.ok, false);
  await until(() => viewer.frames.some((f) => f.t === 'acked'), 'the acknowledgement broadcast');
  assert.equal(viewer.frames.find((f) => f.t === 'acked')!.by, c.users.analyst.user);

  const { topicLabels, topicLists, topicAudit } = c.config;
  const messages = await collect(testKafka(), [topicLabels, topicLists, topicAudit], (ms) =>
    ms.some((m) => m.topic === topicLabels) && ms.some((m) => m.topic === topicLists) && ms.filter((m) => m.topic === topicAudit && JSON.parse(m.value.toString()).action !== 'login').length >= 4,
    60_000,
  );
  const on = (topic: string) => messages.filter((m) => m.topic === topic).map((m) => JSON.parse(m.value.toString()) as Record<string, unknown>);
  const labels = on(topicLabels);
  assert.equal(labels.length, 1);
  assert.deepEqual(Object.keys(labels[0]!), ['entity', 'label', 'by', 'at', 'reason']);
  assert.deepEqual({ ...labels[0], at: 0 }, { entity: 'account:acc-17', label: 'fraud', by: 'ana', at: 0, reason: 'chargeback' });
  const lists = on(topicLists);
  assert.deepEqual({ ...lists[0], at: 0 }, { list: 'block', entity: 'card:c-9', op: 'add', by: 'ana', at: 0, reason: 'stolen' });
  assert.deepEqual(messages.filter((m) => m.topic === topicLists).map((m) => m.key), ['block|card:c-9']);
  const audit = on(topicAudit).filter((a) => a.action !== 'login');
  assert.deepEqual(audit.map((a) => [a.by, a.action, a.outcome]).sort(), [['ana', 'ack', 'ok'], ['ana', 'label', 'ok'], ['ana', 'list', 'ok'], ['vic', 'label', 'denied']]);
  assert.ok(audit.every((a) => typeof a.at === 'number' && a.eventId === 'ev-1'));
  const logins = on(topicAudit).filter((a) => a.action === 'login');
  assert.deepEqual(logins.map((a) => [a.by, a.outcome]).sort(), [['ana', 'ok'], ['vic', 'ok']]);
  analyst.close();
  viewer.close();
});
