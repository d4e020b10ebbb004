import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@msgpack/msgpack';
import { createTopics, produce, testKafka } from '../../support/kafka.ts';
import { testConfig } from '../../support/processor.ts';
import { createMetrics } from '../../../src/admin/index.ts';
import { startTestConsole, until } from './support.ts';
import { login, openFeedClient } from './ws-client.ts';

const kafka = testKafka();

function alert(id: string, extra: Record<string, unknown> = {}) {
  return {
    eventId: id,
    ts: Date.now(),
    decision: 'review',
    score: 60,
    reasons: [{ rule: 'amount.over_limit', score: 60, detail: `amount of ${id} is over the limit` }],
    features: { 'account.count_1h': 3 },
    rulesVersion: 'test',
    latencyMs: 1.5,
    entities: { account: `acc-${id}`, card: `card-${id}` },
    ...extra,
  };
}

/** With `sameKey`, every alert goes to one partition, so order is defined. */
async function produceAlerts(topic: string, ids: string[], pad = 0, sameKey?: string): Promise<void> {
  const detail = 'x'.repeat(pad);
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await produce(kafka, topic, chunk.map((id) => ({ key: sameKey ?? `acc-${id}`, value: JSON.stringify(alert(id, pad > 0 ? { reasons: [{ rule: 'r', score: 60, detail }] } : {})), headers: { 'content-type': 'application/json' } })));
  }
}

async function receivedCount(metric: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await metric.get()).values.reduce((s, v) => s + v.value, 0);
}

test('the WebSocket upgrade is refused without valid credentials, from a foreign origin, and for a wrong password', async (t) => {
  const c = await startTestConsole();
  t.after(() => c.cleanup());
  await assert.rejects(openFeedClient(c.url), { status: 401 });
  await assert.rejects(openFeedClient(c.url, { authorization: 'Bearer not-a-token' }), { status: 401 });
  await assert.rejects(openFeedClient(c.url, { cookie: 'vigil_session=eyJ1IjoiYW5hIn0.forged' }), { status: 401 });
  const cookie = await login(c.url, c.users.analyst.user, c.users.analyst.password);
  await assert.rejects(openFeedClient(c.url, { cookie, origin: 'https://evil.example' }), { status: 403 });
  await assert.rejects(login(c.url, c.users.analyst.user, 'wrong-password'), /login failed: 401/);
  const me = await fetch(`${c.url}/api/me`);
  assert.equal(me.status, 401);
  // The same credentials are accepted from the console's own origin.
  const ok = await openFeedClient(c.url, { cookie, origin: c.url });
  await ok.waitFor((x) => x.frames.some((f) => f.t === 'hello'), 'hello');
  assert.deepEqual(ok.frames[0], { t: 'hello', user: c.users.analyst.user, role: 'analyst', format: 'msgpack', backlog: 0, binary: true });
  ok.close();
  const refused = await c.console.metrics.upgradesRefused.get();
  assert.equal(refused.values.find((v) => v.labels.reason === 'credentials')?.value, 3);
  assert.equal(refused.values.find((v) => v.labels.reason === 'origin')?.value, 1);
});

test('a client gets the recent alerts (backlog, oldest first) then the live stream, as MessagePack or JSON', async (t) => {
  const config = testConfig({ VIGIL_CONSOLE_BACKLOG: '4' });
  await createTopics(kafka, [config.topicAlerts], 1);
  await produceAlerts(config.topicAlerts, ['old-1', 'old-2', 'old-3', 'old-4', 'old-5', 'old-6']);
  const c = await startTestConsole({ config });
  t.after(() => c.cleanup());
  await until(() => c.console.isConsuming(), 'the console feed to join its group');
  let received = 0;
  const poll = setInterval(() => void receivedCount(c.console.metrics.alertsReceived).then((n) => (received = n)), 25);
  await until(() => received >= 4, 'the console to read the newest 4 alerts').finally(() => clearInterval(poll));
  assert.equal(received, 4, 'the console read more than the backlog it was asked for');

  const bin = await openFeedClient(c.url, { authorization: `Bearer ${c.users.token}` });
  const text = await openFeedClient(c.url, { authorization: `Bearer ${c.users.token}` }, 'json');
  await bin.waitFor((x) => x.alerts.length >= 4, 'the backlog');
  assert.deepEqual(bin.alerts, ['old-3', 'old-4', 'old-5', 'old-6'].map((eventId) => ({ eventId, backlog: true })));
  assert.equal(bin.frames[0]!.t, 'hello');
  assert.equal(bin.frames[0]!.role, 'viewer');

  await produceAlerts(config.topicAlerts, ['live-1', 'live-2', 'live-3']);
  await bin.waitFor((x) => x.alerts.length >= 7, 'the live alerts');
  await text.waitFor((x) => x.alerts.length >= 7, 'the live alerts (json client)');
  assert.deepEqual(bin.alerts.slice(4), ['live-1', 'live-2', 'live-3'].map((eventId) => ({ eventId, backlog: false })));
  assert.deepEqual(text.alerts, bin.alerts);
  assert.ok(bin.frames.every((f) => f.binary === true), 'msgpack client got a text frame');
  assert.ok(text.frames.every((f) => f.binary === false), 'json client got a binary frame');
  const live = bin.frames.find((f) => f.t === 'alerts' && f.backlog === false) as { alerts: Record<string, unknown>[] };
  assert.deepEqual(live.alerts[0]!.entities, { account: 'acc-live-1', card: 'card-live-1' });
  assert.equal(live.alerts[0]!.key, 'acc-live-1');
  assert.match(String(live.alerts[0]!.pos), /^0:\d+$/);
  bin.close();
  text.close();
});

test('a slow client is skipped and told how many alerts it missed while a fast client gets every alert', async (t) => {
  // With the process's metrics, as `vigil run` wires it: clients and dropped frames go through its console feed.
  const processMetrics = createMetrics({ defaultMetrics: false });
  const c = await startTestConsole({ overrides: { VIGIL_CONSOLE_CLIENT_BUFFER_BYTES: String(16 * 1024), VIGIL_CONSOLE_BACKLOG: '10' }, metrics: processMetrics });
  t.after(() => c.cleanup());
  await until(() => c.console.isConsuming(), 'the console feed to join its group');
  const fast = await openFeedClient(c.url, { authorization: `Bearer ${c.users.token}` });
  const slow = await openFeedClient(c.url, { authorization: `Bearer ${c.users.token}` });
  await slow.waitFor((x) => x.frames.length >= 1, 'hello');
  // Stop reading: the kernel buffers fill, then the server's send buffer for this client grows.
  (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();

  const total = 5000;
  const ids = Array.from({ length: total }, (_, i) => `a-${i}`);
  await produceAlerts(c.config.topicAlerts, ids, 4096, 'acc-one');
  await fast.waitFor((x) => x.alerts.length >= total, `the fast client to get all ${total} alerts`, 60_000);
  assert.deepEqual(fast.alerts.map((a) => a.eventId), ids, 'the fast client missed or reordered alerts');
  assert.ok(!fast.frames.some((f) => f.t === 'missed'), 'the fast client was told it missed alerts');

  (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  await slow.waitFor((x) => x.frames.some((f) => f.t === 'missed'), 'the missed notice', 30_000);
  const missed = slow.frames.find((f) => f.t === 'missed')!.count as number;
  await slow.waitFor((x) => x.alerts.length + missed >= total, 'the slow client to drain', 30_000);
  assert.ok(missed > 0, 'the slow client missed nothing: the test did not fill its buffer');
  assert.equal(slow.alerts.length + missed, total, 'received + missed must account for every alert');
  assert.equal(await receivedCount(c.console.metrics.alertsDropped), missed);
  const exposition = await processMetrics.registry.metrics();
  assert.match(exposition, /^vigil_console_clients 2$/m);
  const droppedFrames = Number(/^vigil_console_dropped_frames_total (\d+)$/m.exec(exposition)?.[1]);
  assert.ok(droppedFrames > 0 && droppedFrames <= missed, `dropped frames ${droppedFrames} for ${missed} missed alerts`);

  // It can resync: the backlog (newest 10) comes again.
  slow.send({ t: 'resync' });
  await slow.waitFor((x) => x.alerts.filter((a) => a.backlog).length >= 10, 'the resync backlog');
  assert.deepEqual(slow.alerts.filter((a) => a.backlog).map((a) => a.eventId), ids.slice(-10));
  fast.close();
  slow.close();
});

test('two console instances on the same alerts topic each deliver every alert', async (t) => {
  const config = testConfig();
  const one = await startTestConsole({ config: { ...config, instanceId: 'console-a' } });
  t.after(() => one.cleanup());
  const two = await startTestConsole({ config: { ...config, instanceId: 'console-b' } });
  t.after(() => two.console.close());
  await until(() => one.console.isConsuming() && two.console.isConsuming(), 'both feeds to join their groups');
  const a = await openFeedClient(one.url, { authorization: `Bearer ${one.users.token}` });
  const b = await openFeedClient(two.url, { authorization: `Bearer ${two.users.token}` });
  const ids = Array.from({ length: 30 }, (_, i) => `m-${i}`);
  await produceAlerts(config.topicAlerts, ids);
  await a.waitFor((x) => x.alerts.length >= 30, 'instance one to deliver every alert');
  await b.waitFor((x) => x.alerts.length >= 30, 'instance two to deliver every alert');
  assert.deepEqual(a.alerts.map((x) => x.eventId).sort(), [...ids].sort());
  assert.deepEqual(b.alerts.map((x) => x.eventId).sort(), [...ids].sort());
  // An acknowledgement taken on instance one reaches the clients of instance two, and its late joiners.
  const analyst = await openFeedClient(one.url, { cookie: await login(one.url, one.users.analyst.user, one.users.analyst.password) });
  analyst.send({ t: 'action', req: 1, action: 'ack', eventId: 'm-7' });
  await b.waitFor((x) => x.frames.some((f) => f.t === 'acked'), 'instance two to hear of the acknowledgement');
  assert.deepEqual(b.frames.filter((f) => f.t === 'acked').map((f) => [f.eventId, f.by]), [['m-7', one.users.analyst.user]]);
  const late = await openFeedClient(two.url, { authorization: `Bearer ${two.users.token}` });
  await late.waitFor((x) => x.frames.some((f) => f.t === 'acked'), 'a late joiner to get the acknowledgement');
  assert.equal(late.frames.find((f) => f.t === 'acked')!.eventId, 'm-7');
  analyst.close();
  late.close();
  a.close();
  b.close();
});
