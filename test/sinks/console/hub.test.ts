import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '@msgpack/msgpack';
import { Backlog } from '../../../src/sinks/console/backlog.ts';
import { Hub, type ClientSocket } from '../../../src/sinks/console/hub.ts';
import { createConsoleMetrics } from '../../../src/sinks/console/metrics.ts';
import type { ConsoleAlert } from '../../../src/sinks/console/alert-codec.ts';

/** An in-memory socket whose buffered amount the test sets: the hub's logic, without a network. */
class BufferSocket implements ClientSocket {
  buffered = 0;
  sent: Record<string, unknown>[] = [];
  send(data: Uint8Array | string, binary: boolean): boolean {
    this.sent.push((binary ? decode(data as Uint8Array) : JSON.parse(data as string)) as Record<string, unknown>);
    return true;
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  alertIds(): string[] {
    return this.sent.flatMap((f) => (f.t === 'alerts' ? (f.alerts as ConsoleAlert[]).map((a) => a.eventId) : []));
  }
}

const alert = (id: string): ConsoleAlert => ({ eventId: id, ts: 1, decision: 'review', score: 50, reasons: [], features: {}, rulesVersion: 'v', latencyMs: 1, key: 'k', pos: `0:${id}` });

test('backlog keeps the newest items, oldest first, for any capacity', () => {
  for (const capacity of [0, 1, 3, 7]) {
    const b = new Backlog<number>(capacity);
    const model: number[] = [];
    for (let i = 0; i < 20; i++) {
      b.push(i);
      model.push(i);
      assert.deepEqual(b.toArray(), capacity === 0 ? [] : model.slice(-capacity), `capacity ${capacity} after ${i}`);
    }
  }
  assert.throws(() => new Backlog(-1), RangeError);
});

test('hub: a client over its buffer limit is skipped, counted, told its missed count once drained, and others are unaffected', async () => {
  const metrics = createConsoleMetrics();
  const hub = new Hub({ backlog: 3, bufferLimitBytes: 100, maxAlertsPerFrame: 2, metrics });
  const fast = new BufferSocket();
  const slow = new BufferSocket();
  const json = new BufferSocket();
  hub.add(fast, { name: 'a', role: 'viewer' }, 'msgpack');
  const slowClient = hub.add(slow, { name: 'b', role: 'viewer' }, 'msgpack');
  hub.add(json, { name: 'c', role: 'analyst' }, 'json');
  hub.publish([alert('1'), alert('2'), alert('3')]);
  slow.buffered = 101;
  hub.publish([alert('4'), alert('5')]);
  hub.publish([alert('6')]);
  hub.drained(slowClient);
  assert.equal(slow.sent.filter((f) => f.t === 'missed').length, 0, 'told while still over the limit');
  slow.buffered = 0;
  hub.drained(slowClient);
  hub.publish([alert('7')]);
  assert.deepEqual(fast.alertIds(), ['1', '2', '3', '4', '5', '6', '7']);
  assert.deepEqual(json.alertIds(), ['1', '2', '3', '4', '5', '6', '7']);
  assert.deepEqual(slow.alertIds(), ['1', '2', '3', '7']);
  assert.deepEqual(slow.sent.filter((f) => f.t === 'missed'), [{ t: 'missed', count: 3 }]);
  assert.equal((await metrics.alertsDropped.get()).values[0]!.value, 3);
  // Frames hold at most maxAlertsPerFrame alerts.
  assert.ok(fast.sent.every((f) => f.t !== 'alerts' || (f.alerts as unknown[]).length <= 2));
  hub.resync(slowClient);
  assert.deepEqual(slow.alertIds().slice(-3), ['5', '6', '7']);
  // A late joiner gets hello then the backlog.
  const late = new BufferSocket();
  hub.add(late, { name: 'd', role: 'viewer' }, 'msgpack');
  assert.deepEqual(late.sent[0], { t: 'hello', user: 'd', role: 'viewer', format: 'msgpack', backlog: 3 });
  assert.deepEqual(late.alertIds(), ['5', '6', '7']);
  assert.ok(late.sent.slice(1).every((f) => f.backlog === true));
});

test('hub: alertOf finds an alert still in the backlog (for the payment a fraud label names), not one that left it', () => {
  const hub = new Hub({ backlog: 2, bufferLimitBytes: 100, maxAlertsPerFrame: 2, metrics: createConsoleMetrics() });
  hub.publish([alert('1'), alert('2'), alert('3')]);
  assert.equal(hub.alertOf('3')?.pos, '0:3');
  assert.equal(hub.alertOf('2')?.eventId, '2');
  assert.equal(hub.alertOf('1'), undefined);
});
