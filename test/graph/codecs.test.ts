import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { decodeLabel, decodeLinkBatch, encodeLabel, encodeLinkBatch, validateLabel, type LabelEvent, type LinkRecord } from '../../src/graph/index.ts';
import { T0, label, pay } from './helpers.ts';

test('link batches round-trip through MessagePack; absent entities stay absent', () => {
  const links: LinkRecord[] = [
    pay({ account: 'A', card: 'C', device: 'D', ip: 'I', terminal: 'T', merchant: 'M', beneficiary: 'B', amount: 42, ts: T0 }),
    pay({ account: 'Z', ts: T0 + 1 }),
  ];
  const decoded = decodeLinkBatch(encodeLinkBatch('inst-1', links));
  assert.ok(decoded.ok);
  assert.equal(decoded.batch.src, 'inst-1');
  assert.deepEqual(decoded.batch.links, [
    { ts: T0, account: 'A', amount: 42, beneficiary: 'B', card: 'C', device: 'D', ip: 'I', terminal: 'T', merchant: 'M' },
    { ts: T0 + 1, account: 'Z', amount: 1_000 },
  ]);
  assert.deepEqual(decoded.skipped, []);
});

test('bad link messages are rejected with a reason; bad rows are skipped, good rows kept', () => {
  const notMsgpack = decodeLinkBatch(new Uint8Array([0xc1]));
  assert.ok(!notMsgpack.ok && /not MessagePack/.test(notMsgpack.reason));
  const v2 = decodeLinkBatch(encode({ v: 2, src: 'x', links: [] }));
  assert.ok(!v2.ok && /unsupported version 2/.test(v2.reason));
  const noSrc = decodeLinkBatch(encode({ v: 1, links: [] }));
  assert.ok(!noSrc.ok && /src/.test(noSrc.reason));
  const mixed = decodeLinkBatch(
    encode({ v: 1, src: 's', links: [[T0, 'A', 1, null, null, 'D', null, null, null], [-1, 'A', 1, null, null, null, null, null, null], [T0, 'A', 1.5, null, null, null, null, null, null], [T0, 'A', 1, null, 7, null, null, null, null], 'junk'] }),
  );
  assert.ok(mixed.ok);
  assert.deepEqual(mixed.batch.links, [{ ts: T0, account: 'A', amount: 1, device: 'D' }]);
  assert.deepEqual(
    mixed.skipped.map((s) => [s.index, s.reason]),
    [
      [1, 'ts must be a non-negative integer (epoch ms)'],
      [2, 'amount must be a non-negative integer'],
      [3, 'card must be nil or a non-empty string of at most 256 characters'],
      [4, 'link must be a 9-element array'],
    ],
  );
});

test('labels round-trip through JSON; bytes decode too', () => {
  const l = label('account:acc-17', 'fraud', T0, 'analyst x', 'chargeback');
  assert.deepEqual(decodeLabel(encodeLabel(l)), { ok: true, label: l });
  assert.deepEqual(decodeLabel(Buffer.from(encodeLabel(l))), { ok: true, label: l });
  assert.deepEqual(decodeLabel('{"entity":"card:1","label":"legit","by":"ops","at":5}'), { ok: true, label: { entity: 'card:1', label: 'legit', by: 'ops', at: 5, reason: '' } });
});

test('bad labels are rejected with a reason naming the field', () => {
  const reason = (text: string) => {
    const d = decodeLabel(text);
    assert.ok(!d.ok);
    return d.reason;
  };
  assert.match(reason('nope'), /^not JSON/);
  assert.match(reason('[1]'), /must be a JSON object/);
  assert.match(reason('{"entity":"acc-17","label":"fraud","by":"x","at":1}'), /^entity must be "type:id"/);
  assert.match(reason('{"entity":"planet:x","label":"fraud","by":"x","at":1}'), /^entity must be/);
  assert.match(reason('{"entity":"account:a","label":"evil","by":"x","at":1}'), /^label must be fraud, suspect or legit \(got "evil"\)/);
  assert.match(reason('{"entity":"account:a","label":"fraud","by":"","at":1}'), /^by must be a non-empty string/);
  assert.match(reason('{"entity":"account:a","label":"fraud","by":"x","at":"2026-11-20"}'), /^at must be epoch milliseconds/);
  assert.match(reason('{"entity":"account:a","label":"fraud","by":"x","at":1,"reason":5}'), /^reason must be a string/);
});

test('a label may name its payment; a bad payment is refused naming its field', () => {
  const payment = { id: 'e1', ts: 1_700_000_000_000, terminal: 'T1', merchant: 'M1', amount: 1_250, usualAmount: 1_000 };
  const good = { entity: 'card:K1', label: 'fraud', by: 'issuer', at: 1_700_600_000_000, reason: 'chargeback', payment };
  const decoded = decodeLabel(encodeLabel(good as LabelEvent));
  assert.deepEqual(decoded, { ok: true, label: good });
  const bad: [unknown, RegExp][] = [
    ['T1', /^payment\. must be an object/],
    [{ terminal: 'T1' }, /^payment\.ts must be epoch milliseconds/],
    [{ ts: 1, amount: -5 }, /^payment\.amount must be a number >= 0/],
    [{ ts: 1, usualAmount: 'x' }, /^payment\.usualAmount must be a number/],
    [{ ts: 1, terminal: '' }, /^payment\.terminal must be a non-empty string/],
    [{ ts: 1, card: 'K1' }, /^payment\.card is not a field of a labelled payment/],
  ];
  for (const [p, reason] of bad) {
    const r = validateLabel({ ...good, payment: p });
    assert.ok(!r.ok && reason.test(r.reason), `${JSON.stringify(p)}: ${JSON.stringify(r)}`);
  }
});
