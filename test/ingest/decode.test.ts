import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@msgpack/msgpack';
import { contentTypeOf, decodeEvent } from '../../src/ingest/index.ts';
import { InvalidEventError } from '../../src/errors.ts';

const now = Date.parse('2026-11-25T10:00:00Z');
const limits = { maxBytes: 4096, maxFutureSkewMs: 86_400_000 };
const base = { id: 'e1', ts: now - 1000, type: 'payment', amount: 1250, currency: 'EUR', account: 'acc-1' };
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

function rejects(value: Buffer | null, code: string, field?: string, type: 'json' | 'msgpack' = 'json') {
  assert.throws(
    () => decodeEvent(value, type, now, limits),
    (error: unknown) => {
      assert.ok(error instanceof InvalidEventError, `expected InvalidEventError, got ${String(error)}`);
      assert.equal(error.code, code, error.message);
      if (field !== undefined) assert.equal(error.field, field, error.message);
      return true;
    },
  );
}

test('a complete JSON event decodes to the contract, ISO time normalised to epoch ms', () => {
  const event = decodeEvent(json({ ...base, ts: '2026-11-25T09:59:59.500+01:00', card: 'c1', device: 'd1', unknownField: 1 }), 'json', now, limits);
  assert.deepEqual(event, { ...base, ts: Date.parse('2026-11-25T08:59:59.500Z'), card: 'c1', device: 'd1' });
});

test('MessagePack decodes like JSON', () => {
  assert.deepEqual(decodeEvent(Buffer.from(encode({ ...base, ip: '10.0.0.1' })), 'msgpack', now, limits), { ...base, ip: '10.0.0.1' });
});

test('null optional fields are absent', () => {
  assert.deepEqual(decodeEvent(json({ ...base, card: null }), 'json', now, limits), base);
});

test('every contract violation names its field', () => {
  rejects(json({ ...base, id: undefined }), 'EVENT_INVALID', 'id');
  rejects(json({ ...base, id: '' }), 'EVENT_INVALID', 'id');
  rejects(json({ ...base, id: 42 }), 'EVENT_INVALID', 'id');
  rejects(json({ ...base, ts: 'yesterday' }), 'EVENT_INVALID', 'ts');
  rejects(json({ ...base, ts: '2026-11-25T10:00:00' }), 'EVENT_INVALID', 'ts');
  rejects(json({ ...base, ts: 1.5 }), 'EVENT_INVALID', 'ts');
  rejects(json({ ...base, ts: 0 }), 'EVENT_INVALID', 'ts');
  rejects(json({ ...base, ts: now + 2 * 86_400_000 }), 'EVENT_INVALID', 'ts');
  rejects(json({ ...base, type: 'PAYMENT' }), 'EVENT_INVALID', 'type');
  rejects(json({ ...base, amount: -1 }), 'EVENT_INVALID', 'amount');
  rejects(json({ ...base, amount: 12.5 }), 'EVENT_INVALID', 'amount');
  rejects(json({ ...base, amount: '1250' }), 'EVENT_INVALID', 'amount');
  rejects(json({ ...base, amount: 2 ** 60 }), 'EVENT_INVALID', 'amount');
  rejects(json({ ...base, currency: 'eur' }), 'EVENT_INVALID', 'currency');
  rejects(json({ ...base, currency: 'EURO' }), 'EVENT_INVALID', 'currency');
  rejects(json({ ...base, account: ['a'] }), 'EVENT_INVALID', 'account');
  rejects(json({ ...base, device: 7 }), 'EVENT_INVALID', 'device');
  rejects(json({ ...base, card: '' }), 'EVENT_INVALID', 'card');
  rejects(json({ ...base, ip: 'x'.repeat(300) }), 'EVENT_INVALID', 'ip');
});

test('NaN and Infinity cannot sneak in through MessagePack', () => {
  rejects(Buffer.from(encode({ ...base, amount: Number.NaN })), 'EVENT_INVALID', 'amount', 'msgpack');
  rejects(Buffer.from(encode({ ...base, ts: Number.POSITIVE_INFINITY })), 'EVENT_INVALID', 'ts', 'msgpack');
});

test('undecodable, non-object and oversized input', () => {
  rejects(null, 'EVENT_UNDECODABLE');
  rejects(Buffer.alloc(0), 'EVENT_UNDECODABLE');
  rejects(Buffer.from('{"id":'), 'EVENT_UNDECODABLE');
  rejects(Buffer.from([0xc1]), 'EVENT_UNDECODABLE', undefined, 'msgpack');
  rejects(json([base]), 'EVENT_INVALID');
  rejects(json('a string'), 'EVENT_INVALID');
  rejects(Buffer.from('['.repeat(2000) + ']'.repeat(2000)), 'EVENT_INVALID');
  rejects(json({ ...base, note: 'x'.repeat(5000) }), 'EVENT_TOO_LARGE');
});

test('content-type header chooses the codec', () => {
  assert.equal(contentTypeOf(undefined), 'json');
  assert.equal(contentTypeOf('application/json; charset=utf-8'), 'json');
  assert.equal(contentTypeOf('application/msgpack'), 'msgpack');
  assert.equal(contentTypeOf('Application/X-MsgPack'), 'msgpack');
  assert.throws(() => contentTypeOf('text/plain'), (e: unknown) => e instanceof InvalidEventError && e.code === 'EVENT_UNDECODABLE');
});
