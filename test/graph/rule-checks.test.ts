import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadGraphRules, parseGraphRules, type GraphRule } from '../../src/graph/index.ts';
import { createGraphCore } from '../../src/graph/stage.ts';
import type { PaymentEvent } from '../../src/ingest/event.ts';
import { DAY, T0, label, pay } from './helpers.ts';

const shipped = loadGraphRules(fileURLToPath(new URL('../../graph-rules', import.meta.url)));
const only = (id: string): GraphRule[] => {
  const rule = shipped.find((r) => r.id === id);
  assert.ok(rule, `shipped rule ${id}`);
  return [rule];
};
const core = (rules: GraphRule[]) => createGraphCore({ rules, horizonMs: 90 * DAY });
const checkOne = (c: ReturnType<typeof core>, event: PaymentEvent) => c.check([event], [{}])[0]!;

test('the shipped rules load with their ids; compromised_terminal and near_fraud_money are in shadow', () => {
  assert.deepEqual(shipped.map((r) => r.id).sort(), ['graph.compromised_terminal', 'graph.cycle', 'graph.fan_in_mule', 'graph.near_fraud', 'graph.near_fraud_money', 'graph.shared_entity_flagged', 'graph.terminal_fraud_payments']);
  assert.deepEqual(shipped.filter((r) => r.shadow).map((r) => r.id).sort(), ['graph.compromised_terminal', 'graph.near_fraud_money']);
});

test('near_fraud_money (shadow): paying a fraud account within 30 days gives a shadow reason naming it', () => {
  const c = core(only('graph.near_fraud_money'));
  c.applyLabel(label('account:F', 'fraud', T0, 'analyst x', 'mule'));
  c.check([pay({ account: 'P', beneficiary: 'F', ts: T0 })], [{}]);
  assert.deepEqual(checkOne(c, pay({ account: 'P', ts: T0 + DAY })), [
    { rule: 'graph.near_fraud_money', score: 30, shadow: true, detail: 'payer within 1 payment of a fraud account: account:P → account:F (fraud, by analyst x, 2026-11-20: mule)' },
  ]);
  assert.deepEqual(checkOne(c, pay({ account: 'P', ts: T0 + 31 * DAY })), [], 'outside 30d');
});

test('near_fraud: a new account paying from a fraud account’s device is hit and the reason names the path and label', () => {
  const c = core(only('graph.near_fraud'));
  c.check([pay({ account: 'A', device: 'D', ts: T0 })], [{}]);
  c.applyLabel(label('account:A', 'fraud', Date.UTC(2026, 10, 20), 'analyst x', 'chargeback'));
  const reasons = checkOne(c, pay({ account: 'B', device: 'D', ts: T0 + 1_000 }));
  assert.equal(reasons.length, 1);
  assert.equal(reasons[0]!.rule, 'graph.near_fraud');
  assert.equal(reasons[0]!.score, 95);
  assert.equal(reasons[0]!.shadow, undefined);
  assert.equal(reasons[0]!.detail, 'payer within 2 hops of a fraud entity: account:B —device:D— account:A (fraud, by analyst x, 2026-11-20: chargeback)');
});

test('near_fraud: no hit before the label, through an edge kind not listed, beyond maxHops, or for legit/suspect', () => {
  const c = core(only('graph.near_fraud'));
  c.check([pay({ account: 'A', device: 'D', merchant: 'M', ts: T0 })], [{}]);
  assert.deepEqual(checkOne(c, pay({ account: 'B', device: 'D', ts: T0 + 1 })), [], 'no label yet');
  c.applyLabel(label('account:A', 'suspect'));
  assert.deepEqual(checkOne(c, pay({ account: 'B2', device: 'D', ts: T0 + 2 })), [], 'suspect is not fraud');
  c.applyLabel(label('account:A', 'fraud', T0 + 3));
  assert.deepEqual(checkOne(c, pay({ account: 'B3', merchant: 'M', ts: T0 + 4 })), [], 'merchant is not in via');
  // B (already linked to D) → card K ← C: C is 4 hops from A, beyond maxHops 2.
  c.check([pay({ account: 'C', card: 'K', ts: T0 + 5 })], [{}]);
  c.check([pay({ account: 'B', card: 'K', ts: T0 + 6 })], [{}]);
  assert.deepEqual(checkOne(c, pay({ account: 'C', ts: T0 + 7 })), []);
  c.applyLabel(label('account:A', 'legit', T0 + 8, 'analyst y', 'false positive'));
  assert.deepEqual(checkOne(c, pay({ account: 'B4', device: 'D', ts: T0 + 9 })), [], 'cleared by a later legit label');
});

test('near_fraud: the payer itself or one of the event’s entities labelled fraud is a hit at 0 / 1 hops', () => {
  const c = core(only('graph.near_fraud'));
  c.applyLabel(label('card:K', 'fraud', T0, 'issuer', 'reported stolen'));
  const [r] = checkOne(c, pay({ account: 'N', card: 'K', ts: T0 + 1 }));
  assert.match(r!.detail, /within 1 hops.*account:N — card:K \(fraud, by issuer, 2026-11-20: reported stolen\)/);
  c.applyLabel(label('account:N', 'fraud'));
  assert.match(checkOne(c, pay({ account: 'N', ts: T0 + 2 }))[0]!.detail, /within 0 hops of a fraud entity: account:N \(fraud/);
});

test('near_fraud: a saturated entity (carrier IP at its degree limit) is not traversed', () => {
  const c = createGraphCore({ rules: only('graph.near_fraud'), horizonMs: 90 * DAY, degreeLimits: { ip: 2 } });
  c.check([pay({ account: 'A', ip: 'carrier', ts: T0 }), pay({ account: 'X', ip: 'carrier', ts: T0 })], [{}, {}]);
  c.applyLabel(label('account:A', 'fraud'));
  assert.deepEqual(checkOne(c, pay({ account: 'B', ip: 'carrier', ts: T0 + 1 })), []);
  assert.equal(c.stats().refusedEdges, 1);
});

test('the graph as it was before each event: links of earlier events of the same batch count, the event’s own do not pre-exist', () => {
  const c = core(only('graph.near_fraud'));
  c.applyLabel(label('account:A', 'fraud'));
  const out = c.check([pay({ account: 'B', device: 'D', ts: T0 }), pay({ account: 'A', device: 'D', ts: T0 + 1 }), pay({ account: 'C', device: 'D', ts: T0 + 2 })], [{}, {}, {}]);
  assert.deepEqual(out[0], [], 'A had not used D yet');
  assert.equal(out[1]!.length, 1, 'A is itself fraud');
  assert.match(out[2]![0]!.detail, /account:C —device:D— account:A/);
  assert.equal(c.drainOutgoingLinks().length, 3);
  assert.equal(c.drainOutgoingLinks().length, 0);
});

test('shared_entity_flagged: needs ≥ 2 distinct flagged accounts on the payer’s device/card/IP, names them', () => {
  const c = core(only('graph.shared_entity_flagged'));
  c.check([pay({ account: 'F1', device: 'D', ts: T0 }), pay({ account: 'F2', ip: 'I', ts: T0 }), pay({ account: 'OK', device: 'D', ts: T0 })], [{}, {}, {}]);
  c.applyLabel(label('account:F1', 'fraud'));
  c.applyLabel(label('account:OK', 'legit'));
  assert.deepEqual(checkOne(c, pay({ account: 'P', device: 'D', ip: 'I', ts: T0 + 1 })), [], 'one flagged account only');
  c.applyLabel(label('account:F2', 'suspect', T0, 'analyst z', 'mule ring'));
  const [r] = checkOne(c, pay({ account: 'P', device: 'D', ip: 'I', ts: T0 + 2 }));
  assert.equal(r!.rule, 'graph.shared_entity_flagged');
  assert.match(r!.detail, /shares an entity with 2 flagged accounts: /);
  assert.match(r!.detail, /account:P —device:D— account:F1 \(fraud, by analyst x/);
  assert.match(r!.detail, /account:P —ip:I— account:F2 \(suspect, by analyst z, 2026-11-20: mule ring\)/);
});

test('shared_entity_flagged: links older than the 90d window do not count', () => {
  const c = createGraphCore({ rules: only('graph.shared_entity_flagged'), horizonMs: 365 * DAY });
  c.check([pay({ account: 'F1', device: 'D', ts: T0 }), pay({ account: 'F2', device: 'D', ts: T0 + 50 * DAY })], [{}, {}]);
  c.applyLabel(label('account:F1', 'fraud'));
  c.applyLabel(label('account:F2', 'fraud'));
  assert.deepEqual(checkOne(c, pay({ account: 'P', device: 'D', ts: T0 + 100 * DAY })), []);
  assert.equal(checkOne(c, pay({ account: 'P', device: 'D', ts: T0 + 80 * DAY })).length, 1);
});

test('fan_in_mule: ≥ 8 distinct payers in 7 days, then a pay-out, is a hit; 7 payers, old payers, or no pay-out are not', () => {
  const c = core(only('graph.fan_in_mule'));
  const feed = (n: number, ts: number, prefix: string) =>
    c.check(Array.from({ length: n }, (_, i) => pay({ account: `${prefix}${i}`, beneficiary: 'M', ts: ts + i })), Array.from({ length: n }, () => ({})));
  feed(7, T0, 'p');
  feed(3, T0 - 20 * DAY, 'old'); // outside the window
  assert.deepEqual(checkOne(c, pay({ account: 'M', beneficiary: 'Z', ts: T0 + DAY })), [], '7 recent payers');
  feed(1, T0 + DAY, 'q');
  assert.deepEqual(checkOne(c, pay({ account: 'M', ts: T0 + DAY + 10 })), [], 'not a pay-out: no beneficiary, type payment');
  const [r] = checkOne(c, pay({ account: 'M', beneficiary: 'Z', type: 'transfer', ts: T0 + DAY + 20 }));
  assert.equal(r!.rule, 'graph.fan_in_mule');
  assert.match(r!.detail, /^account:M was paid by 8 distinct accounts in 7d \(account:p0, account:p1, account:p2, …\) and now pays out to account:Z$/);
  assert.equal(checkOne(c, pay({ account: 'M', type: 'cash_out', ts: T0 + DAY + 30 })).length, 1, 'cash out is a pay-out');
  assert.deepEqual(checkOne(c, pay({ account: 'M', beneficiary: 'Z', ts: T0 + 9 * DAY })), [], 'payers fell out of the window');
});

test('cycle: A → B → C → A in time order within 30 days is a hit naming the path', () => {
  const c = core(only('graph.cycle'));
  c.check([pay({ account: 'A', beneficiary: 'B', ts: T0 }), pay({ account: 'B', beneficiary: 'C', ts: T0 + DAY })], [{}, {}]);
  const [r] = checkOne(c, pay({ account: 'C', beneficiary: 'A', ts: T0 + 2 * DAY }));
  assert.equal(r!.rule, 'graph.cycle');
  assert.equal(r!.detail, 'money returns to its origin in 3 payments within 30d: account:C → account:A → account:B → account:C');
});

test('cycle: no hit when out of time order, outside the window, longer than maxHops, or not closing', () => {
  const c = core(only('graph.cycle'));
  // B → C happened before A → B: the money of A cannot have travelled on.
  c.check([pay({ account: 'B', beneficiary: 'C', ts: T0 }), pay({ account: 'A', beneficiary: 'B', ts: T0 + DAY })], [{}, {}]);
  assert.deepEqual(checkOne(c, pay({ account: 'C', beneficiary: 'A', ts: T0 + 2 * DAY })), [], 'out of order');
  const w = core(only('graph.cycle'));
  w.check([pay({ account: 'A', beneficiary: 'B', ts: T0 }), pay({ account: 'B', beneficiary: 'C', ts: T0 + DAY })], [{}, {}]);
  assert.deepEqual(checkOne(w, pay({ account: 'C', beneficiary: 'A', ts: T0 + 40 * DAY })), [], 'outside 30d');
  assert.deepEqual(checkOne(w, pay({ account: 'C', beneficiary: 'Q', ts: T0 + 2 * DAY })), [], 'does not close');
  const long = core(only('graph.cycle'));
  const chain = ['A', 'B', 'C', 'D', 'E', 'F', 'G']; // closing G → A makes 7 payments > maxHops 6
  long.check(chain.slice(0, -1).map((a, i) => pay({ account: a, beneficiary: chain[i + 1]!, ts: T0 + i })), chain.slice(0, -1).map(() => ({})));
  assert.deepEqual(checkOne(long, pay({ account: 'G', beneficiary: 'A', ts: T0 + DAY })), [], '7 payments');
  assert.equal(checkOne(long, pay({ account: 'F', beneficiary: 'A', ts: T0 + DAY })).length, 1, '6 payments');
});

test('compromised_terminal: ≥ 3 fraud-labelled cards on the terminal within 28 days', () => {
  const c = core(only('graph.compromised_terminal'));
  c.check(['K1', 'K2', 'K3', 'K4'].map((card, i) => pay({ account: `a${i}`, card, terminal: 'T', ts: T0 + i })), [{}, {}, {}, {}]);
  c.applyLabel(label('card:K1', 'fraud', T0, 'issuer', 'counterfeit'));
  c.applyLabel(label('card:K2', 'fraud'));
  c.applyLabel(label('card:K4', 'suspect'));
  assert.deepEqual(checkOne(c, pay({ account: 'p', card: 'N', terminal: 'T', ts: T0 + DAY })), [], '2 fraud cards');
  c.applyLabel(label('card:K3', 'fraud'));
  const [r] = checkOne(c, pay({ account: 'p', card: 'N', terminal: 'T', ts: T0 + DAY }));
  assert.equal(r!.rule, 'graph.compromised_terminal');
  assert.match(r!.detail, /^terminal:T served 3 fraud-labelled cards in 28d: terminal:T — card:K1 \(fraud, by issuer, 2026-11-20: counterfeit\); /);
  assert.deepEqual(checkOne(c, pay({ account: 'p', card: 'N', terminal: 'T', ts: T0 + 29 * DAY })), [], 'outside the window');
  assert.deepEqual(checkOne(c, pay({ account: 'p', card: 'N', terminal: 'OTHER', ts: T0 + DAY })), [], 'another terminal');
});

test('terminal_fraud_payments: a card’s fraud payment at an ordinary amount flags the terminal for 28 days; 30 + 5 per card', () => {
  const c = core(only('graph.terminal_fraud_payments'));
  const fraudAt = (entity: string, ts: number, amount: number, usualAmount?: number, terminal = 'T') =>
    c.applyLabel({ ...label(entity, 'fraud', ts + 7 * DAY, 'issuer', 'chargeback'), payment: { id: `p-${entity}-${ts}`, ts, terminal, amount, ...(usualAmount === undefined ? {} : { usualAmount }) } });
  const at = (ts: number, terminal = 'T') => checkOne(c, pay({ account: 'p', card: 'N', terminal, ts }));
  c.check([pay({ account: 'a', card: 'K1', terminal: 'T', ts: T0 })], [{}]);
  assert.deepEqual(at(T0 + DAY), [], 'no fraud payment yet');
  fraudAt('card:K9', T0, 50_000, 5_000); // ten times the card's usual amount: its details were stolen, the terminal says nothing
  assert.deepEqual(at(T0 + DAY), [], 'an amount anomaly is not counted');
  fraudAt('card:K1', T0, 5_500, 5_000);
  assert.deepEqual(at(T0 + DAY), [{ rule: 'graph.terminal_fraud_payments', score: 35, detail: 'terminal:T took fraud payments from 1 cards in 28d: terminal:T — card:K1 (fraud payment on 2026-11-20, by issuer: chargeback)' }]);
  fraudAt('card:K1', T0, 5_500, 5_000); // the same label delivered again
  fraudAt('card:K2', T0 + 2 * DAY, 3_000); // no usual amount known: counted
  assert.equal(at(T0 + 3 * DAY)[0]!.score, 40, 'two cards, the repeated label counted once');
  assert.deepEqual(at(T0 + DAY - 1 + 28 * DAY).map((r) => r.score), [35], 'K1 left the window, K2 still in it');
  assert.deepEqual(at(T0 + 31 * DAY), [], 'both outside the 28-day window');
  assert.deepEqual(at(T0 + 3 * DAY, 'OTHER'), [], 'another terminal');
  assert.deepEqual(at(T0 - DAY), [], 'a fraud after the payment (a replay of older events) does not count');
  c.applyLabel(label('card:K1', 'legit', T0 + 9 * DAY));
  assert.equal(at(T0 + 3 * DAY)[0]!.score, 40, 'a later legit label on the card does not undo that the payment was fraud');
});

test('a rule marked shadow yields a Reason with shadow: true; several rules can hit one event', () => {
  const rules = parseGraphRules(
    `rules:
  - id: graph.near_any
    kind: near_label
    score: 10
    shadow: true
    reason: "{label} at {entity}"
    params: { maxHops: 2, via: [device], labels: [fraud, suspect] }
  - id: graph.shares
    kind: shared_entity
    score: 5
    reason: "{count} via {entity}"
    params: { via: [device], minAccounts: 1 }
`,
    'inline.yaml',
  );
  const c = core(rules);
  c.check([pay({ account: 'A', device: 'D', ts: T0 })], [{}]);
  c.applyLabel(label('account:A', 'suspect'));
  assert.deepEqual(checkOne(c, pay({ account: 'B', device: 'D', ts: T0 + 1 })), [
    { rule: 'graph.near_any', score: 10, detail: 'suspect at account:A', shadow: true },
    { rule: 'graph.shares', score: 5, detail: '1 via device:D' },
  ]);
});

test('compromised_terminal counts the same whether it scans the terminal’s edges or the flagged cards', () => {
  for (const extraCards of [0, 50]) {
    const c = core(only('graph.compromised_terminal'));
    const cards = ['F1', 'F2', 'F3', 'OLD', ...Array.from({ length: extraCards }, (_, i) => `ok${i}`)];
    c.check(cards.map((card, i) => pay({ account: `a${i}`, card, terminal: 'T', ts: card === 'OLD' ? T0 - 40 * DAY : T0 })), cards.map(() => ({})));
    for (const card of ['F1', 'F2', 'OLD']) c.applyLabel(label(`card:${card}`, 'fraud'));
    c.applyLabel(label('card:elsewhere', 'fraud')); // flagged, not linked to T
    assert.deepEqual(checkOne(c, pay({ account: 'p', card: 'N', terminal: 'T', ts: T0 + DAY })), [], `2 in window (extra ${extraCards})`);
    c.applyLabel(label('card:F3', 'fraud'));
    const [r] = checkOne(c, pay({ account: 'p', card: 'N', terminal: 'T', ts: T0 + DAY }));
    assert.match(r!.detail, /served 3 fraud-labelled cards/, `extra ${extraCards}`);
  }
});

test('queueOutgoingLinks: false records links locally but queues nothing to publish', () => {
  const c = createGraphCore({ rules: [], horizonMs: DAY, queueOutgoingLinks: false });
  c.check([pay({ account: 'A', device: 'D', ts: T0 })], [{}]);
  assert.deepEqual(c.drainOutgoingLinks(), []);
  assert.ok(c.graph.graph.hasUndirectedEdge('account:A', 'device:D'));
});

test('a batch checked again (retry) is judged again but its links are recorded and queued once', () => {
  const c = createGraphCore({ rules: only('graph.near_fraud'), horizonMs: DAY, recentIds: 4 });
  c.applyLabel(label('account:A', 'fraud'));
  const batch = [pay({ account: 'A', device: 'D', ts: T0 }), pay({ account: 'B', device: 'D', ts: T0 + 1 })];
  const first = c.check(batch, [{}, {}]);
  const again = c.check(batch, [{}, {}]);
  assert.deepEqual(again, first);
  assert.equal(c.drainOutgoingLinks().length, 2);
  assert.equal(c.graph.graph.getEdgeAttributes(c.graph.graph.undirectedEdge('account:A', 'device:D')!).count, 1);
  // Once the id fell out of the recent window (4 ids), it counts as new again.
  c.check([1, 2, 3, 4].map((i) => pay({ account: `x${i}`, ts: T0 + 2 })), [{}, {}, {}, {}]);
  c.check([batch[0]!], [{}]);
  assert.equal(c.graph.graph.getEdgeAttributes(c.graph.graph.undirectedEdge('account:A', 'device:D')!).count, 2);
});

test('each batch takes only its own events’ links; a batch never produced keeps them for its redelivery; the queue is bounded', () => {
  const c = createGraphCore({ rules: [], horizonMs: 90 * DAY, recentIds: 4 });
  const a = [pay({ id: 'a1', account: 'A', device: 'D', ts: T0 }), pay({ id: 'a2', account: 'A', device: 'D', ts: T0 + 1 })];
  const b = [pay({ id: 'b1', account: 'B', device: 'D', ts: T0 + 2 })];
  c.check(a, [{}, {}]);
  c.check(b, [{}]);
  assert.deepEqual(c.takeOutgoingLinks(b).map((l) => (l as PaymentEvent).id), ['b1'], 'b does not publish a’s links');
  // a was abandoned (rebalance): its redelivery is judged again, not recorded again, and its links are still there
  c.check(a, [{}, {}]);
  assert.deepEqual(c.takeOutgoingLinks(a).map((l) => (l as PaymentEvent).id), ['a1', 'a2']);
  assert.deepEqual(c.takeOutgoingLinks(a), [], 'taken once');
  const many = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'].map((id, i) => pay({ id, account: 'M', ts: T0 + 10 + i }));
  c.check(many, many.map(() => ({})));
  assert.deepEqual(c.takeOutgoingLinks(many).map((l) => (l as PaymentEvent).id), ['m3', 'm4', 'm5', 'm6'], 'oldest unclaimed dropped past the bound');
});
