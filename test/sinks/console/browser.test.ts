import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium, firefox, type Browser, type Page } from 'playwright-core';
import { collect, produce, testKafka } from '../../support/kafka.ts';
import { startTestProcessor, untilListChanges } from '../../support/processor.ts';
import { startTestConsole } from './support.ts';

// Screenshots for docs/ are written only when asked: VIGIL_SCREENSHOTS=1 node --import tsx --test …
const SHOTS = process.env.VIGIL_SCREENSHOTS === '1' ? new URL('../../../docs/screenshots/', import.meta.url).pathname : undefined;
const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Both browsers from Debian: Chromium over CDP, Firefox ESR over WebDriver BiDi (playwright's `moz-firefox` channel;
// playwright's own patched Firefox cannot be downloaded here).
const BROWSERS: Record<string, () => Promise<Browser>> = {
  chromium: () => chromium.launch({ executablePath: process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium', args: BROWSER_ARGS }),
  firefox: () => firefox.launch({ executablePath: process.env.VIGIL_FIREFOX ?? '/usr/bin/firefox-esr', channel: 'moz-firefox', headless: true }),
};

const kafka = testKafka();
const now = Date.now();

function payment(id: string, extra: Record<string, unknown>) {
  return { id, ts: now, type: 'payment', amount: 2_000_000, currency: 'EUR', account: `acc-${id}`, card: `card-${id}`, device: `dev-${id}`, ip: `10.0.0.${id.length}`, terminal: `term-${id}`, merchant: 'merch-1', ...extra };
}

async function shot(page: Page, name: string): Promise<void> {
  // docs/ shows Chromium's rendering
  if (SHOTS && page.context().browser()?.browserType().name() === 'chromium') await page.screenshot({ path: `${SHOTS}${name}.png` });
}

async function logIn(page: Page, url: string, user: string, password: string): Promise<void> {
  await page.goto(url);
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
}

for (const [browserName, launch] of Object.entries(BROWSERS)) {
  describe(browserName, () => {
    let browser: Browser;
    before(async () => {
      browser = await launch();
      if (SHOTS) mkdirSync(SHOTS, { recursive: true });
    });
    after(() => browser?.close());

    async function startVigilAndConsole(t: TestContext) {
      const vigil = await startTestProcessor();
      t.after(() => vigil.cleanup());
      const c = await startTestConsole({ config: vigil.config });
      t.after(() => c.cleanup());
      return { vigil, c };
    }

    async function openPage(t: TestContext) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      t.after(() => context.close());
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      return { page, pageErrors };
    }

    test('an analyst logs in, sees alerts arrive from the broker, filters, pauses, opens one with its graph and labels an entity fraud', async (t) => {
      const { vigil, c } = await startVigilAndConsole(t);
      const { page, pageErrors } = await openPage(t);

      await page.goto(c.url);
      await page.waitForSelector('#login-form');
      await shot(page, 'console-login');
      await logIn(page, c.url, c.users.analyst.user, c.users.analyst.password);
      await page.waitForSelector('#console:not([hidden])');
      await page.waitForSelector('#conn[data-state="live"]');
      assert.equal(await page.textContent('#whoami'), `${c.users.analyst.user} (analyst)`);

      // With the shipped rules (rules/payment.yaml): six payments in a currency not accepted (review), three
      // card authorisations over the amount limit (block).
      const review = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'].map((id) => payment(id, { amount: 1_500, currency: 'BRL' }));
      const block = ['b1', 'b2', 'b3'].map((id) => payment(id, { type: 'card_auth', amount: 50_000, device: 'dev-shared' }));
      await produce(kafka, vigil.topics.payments, [...review, ...block].map((p) => ({ key: p.account, value: JSON.stringify(p) })));
      await page.waitForFunction(() => document.querySelectorAll('#list .row[data-event]:not([hidden])').length >= 9, undefined, { timeout: 30_000 });
      assert.equal(await page.textContent('#count'), '9 shown of 9');
      await shot(page, 'console-live');

      await page.selectOption('#f-decision', 'block');
      await page.waitForFunction(() => document.querySelector('#count')?.textContent === '3 shown of 9');
      // the count changes at once, the rows on the next animation frame
      await page.waitForFunction(() => document.querySelectorAll('#list .row[data-event]:not([hidden])').length === 3);
      const decisions = await page.$$eval('#list .row[data-event]:not([hidden]) .badge', (els) => els.map((e) => e.textContent));
      assert.deepEqual(decisions, ['block', 'block', 'block']);
      await page.selectOption('#f-decision', '');
      await page.fill('#f-entity', 'acc-b2');
      await page.waitForFunction(() => document.querySelector('#count')?.textContent === '1 shown of 9');
      await page.fill('#f-entity', '');
      await page.fill('#f-rule', 'currency.not');
      await page.waitForFunction(() => document.querySelector('#count')?.textContent === '6 shown of 9');
      await page.fill('#f-rule', '');

      // Paused: new alerts wait; resumed: they show.
      await page.click('#pause');
      await produce(kafka, vigil.topics.payments, [payment('p1', { currency: 'BRL' }), payment('p2', { currency: 'BRL' })].map((p) => ({ key: p.account, value: JSON.stringify(p) })));
      await page.waitForFunction(() => document.querySelector('#pending')?.textContent === '2 new', undefined, { timeout: 30_000 });
      assert.equal(await page.textContent('#count'), '9 shown of 9');
      await page.click('#pause');
      await page.waitForFunction(() => document.querySelector('#count')?.textContent === '11 shown of 11');
      // Rows are drawn on the next animation frame: click only once the resumed alerts are on screen.
      await page.waitForSelector('#list .row[data-event="p2"]');

      await page.click('#list .row[data-event="b2"]');
      await page.waitForSelector('#detail svg.graph');
      assert.match((await page.textContent('#detail h2')) ?? '', /b2 · score 100/);
      assert.match((await page.textContent('#detail table')) ?? '', /amount\.over_limit.*50000 EUR is over the limit/);
      const nodes = await page.$$eval('#detail svg.graph g.node', (els) => els.map((e) => e.getAttribute('data-key')));
      assert.deepEqual(nodes.sort(), ['account:acc-b2', 'card:card-b2', 'device:dev-shared', 'ip:10.0.0.2', 'merchant:merch-1', 'payment:b2', 'terminal:term-b2']);
      await page.click('#detail svg.graph g.node[data-key="device:dev-shared"] circle');
      assert.equal(await page.inputValue('#act-entity'), 'device:dev-shared');
      await page.fill('#act-reason', 'device seen in a chargeback');
      await shot(page, 'console-detail');
      await page.click('#act-fraud');
      await page.waitForFunction(() => /done/.test(document.querySelector('#act-result')?.textContent ?? ''));
      await page.click('#act-ack');
      await page.waitForSelector('#acked-by');

      const labels = await collect(kafka, [vigil.topics.labels], (ms) => ms.length >= 1);
      // At least once: a producer retry on a busy broker may write the label twice, never differently.
      assert.ok(labels.length >= 1);
      for (const m of labels) {
        const label = JSON.parse(m.value.toString()) as Record<string, unknown>;
        // a fraud label of an alert names the alert's payment (its terminal then counts it: graph.terminal_fraud_payments)
        assert.equal(typeof (label.payment as { ts?: unknown } | undefined)?.ts, 'number');
        assert.deepEqual({ ...label, at: 0, payment: { ...(label.payment as object), ts: 0 } }, {
          entity: 'device:dev-shared', label: 'fraud', by: c.users.analyst.user, at: 0, reason: 'device seen in a chargeback',
          payment: { id: 'b2', ts: 0, terminal: 'term-b2', merchant: 'merch-1', usualAmount: 50000 },
        });
      }

      // The label reaches the graph of the processor (labels topic → replica); the next payment through
      // that device, small and in an accepted currency, is alerted only because of it. The replica applies
      // the label asynchronously, so payments are sent one by one until one is scored after it.
      let flagged: string | undefined;
      for (let attempt = 1; attempt <= 20 && flagged === undefined; attempt++) {
        const next = payment(`n${attempt}`, { amount: 1_500, currency: 'EUR', device: 'dev-shared' });
        await produce(kafka, vigil.topics.payments, [{ key: next.account, value: JSON.stringify(next) }]);
        const row = await page.waitForSelector(`#list .row[data-event="${next.id}"]`, { timeout: 3_000 }).catch(() => undefined);
        if (row !== undefined) flagged = next.id;
      }
      assert.ok(flagged, 'no payment through the labelled device was alerted');
      await page.click(`#list .row[data-event="${flagged}"]`);
      await page.waitForSelector(`#detail svg.graph[aria-label="entity graph of ${flagged}"]`);
      const reasons = (await page.textContent('#detail table')) ?? '';
      assert.match(reasons, /graph\./, 'the alert has no graph reason');
      assert.match(reasons, /device:dev-shared/, 'the graph reason does not name the labelled device');
      assert.ok((await page.$$('#detail svg.graph line.path')).length >= 1, 'the path to the labelled entity is not drawn');
      assert.equal(await page.getAttribute('#detail svg.graph g.node[data-key="device:dev-shared"] circle', 'class'), 'label-fraud');
      await shot(page, 'console-label-then-alert');
      assert.deepEqual(pageErrors, []);
    });

    test('an analyst blocks a card from the console and the card’s next payment is blocked because of it', async (t) => {
      // The console publishes to the processor's lists topic (one configuration, as in `vigil run`).
      const { vigil, c } = await startVigilAndConsole(t);
      const { page, pageErrors } = await openPage(t);
      await logIn(page, c.url, c.users.analyst.user, c.users.analyst.password);
      await page.waitForSelector('#conn[data-state="live"]');

      // A payment in a currency not accepted is reviewed; the analyst blocks its card.
      const first = payment('lc1', { amount: 1_500, currency: 'BRL', card: 'card-stolen' });
      await produce(kafka, vigil.topics.payments, [{ key: first.account, value: JSON.stringify(first) }]);
      await page.waitForSelector('#list .row[data-event="lc1"]', { timeout: 30_000 });
      await page.click('#list .row[data-event="lc1"]');
      await page.waitForSelector('#detail svg.graph[aria-label="entity graph of lc1"]');
      await page.click('#detail svg.graph g.node[data-key="card:card-stolen"] circle');
      assert.equal(await page.inputValue('#act-entity'), 'card:card-stolen');
      await page.fill('#act-reason', 'cardholder reported it stolen');
      await page.click('#act-block');
      await page.waitForFunction(() => /done/.test(document.querySelector('#act-result')?.textContent ?? ''));

      // Once the processor has applied the change, the card's next payment (small, accepted currency, a new
      // account: nothing else would alert it) is blocked, with the console list as its reason.
      await untilListChanges(vigil, 'applied', 1);
      const next = payment('lc2', { amount: 1_500, currency: 'EUR', card: 'card-stolen' });
      await produce(kafka, vigil.topics.payments, [{ key: next.account, value: JSON.stringify(next) }]);
      await page.waitForSelector('#list .row[data-event="lc2"]', { timeout: 30_000 });
      assert.equal(await page.textContent('#list .row[data-event="lc2"] .badge'), 'block');
      await page.click('#list .row[data-event="lc2"]');
      await page.waitForSelector('#detail svg.graph[aria-label="entity graph of lc2"]');
      const reasons = (await page.textContent('#detail table')) ?? '';
      assert.match(reasons, /list\.block\.console/);
      assert.match(reasons, new RegExp(`card card-stolen is on the block list \\(${c.users.analyst.user}, \\d{4}-\\d\\d-\\d\\dT[^:]+:\\d\\d:\\d\\d\\.\\d{3}Z: "cardholder reported it stolen"\\)`));
      await shot(page, 'console-block-then-blocked');

      // Removed from the block list from the same page: the card's next payment is allowed again.
      await page.click('#detail svg.graph g.node[data-key="card:card-stolen"] circle');
      await page.fill('#act-reason', 'card found');
      await page.click('#act-unblock');
      await page.waitForFunction(() => /block-list remove card:card-stolen: done/.test(document.querySelector('#act-result')?.textContent ?? ''));
      await untilListChanges(vigil, 'applied', 2);
      const after = payment('lc3', { amount: 1_500, currency: 'EUR', card: 'card-stolen' });
      await produce(kafka, vigil.topics.payments, [{ key: after.account, value: JSON.stringify(after) }]);
      const decided = await collect(kafka, [vigil.topics.decisions], (ms) => ms.some((m) => m.value.toString().includes('"eventId":"lc3"')));
      const lc3 = decided.map((m) => JSON.parse(m.value.toString()) as { eventId: string; decision: string; reasons: { rule: string }[] }).find((d) => d.eventId === 'lc3');
      assert.equal(lc3?.decision, 'allow');
      assert.deepEqual(lc3?.reasons.filter((r) => r.rule.startsWith('list.')), []);
      assert.deepEqual(pageErrors, []);
    });

    test('a wrong password sees nothing: no feed, no alert data', async (t) => {
      const { vigil, c } = await startVigilAndConsole(t);
      await produce(kafka, vigil.topics.payments, [payment('secret-1', { currency: 'BRL' })].map((p) => ({ key: p.account, value: JSON.stringify(p) })));
      await collect(kafka, [vigil.topics.alerts], (ms) => ms.length >= 1);
      const { page } = await openPage(t);
      const sockets: string[] = [];
      page.on('websocket', (ws) => sockets.push(ws.url()));
      const bodies: string[] = [];
      page.on('response', async (res) => bodies.push(await res.text().catch(() => '')));

      await logIn(page, c.url, c.users.analyst.user, 'not-the-password');
      await page.waitForFunction(() => (document.querySelector('#login-error')?.textContent ?? '') !== '');
      assert.equal(await page.textContent('#login-error'), 'wrong user name or password');
      await shot(page, 'console-wrong-password');
      assert.equal(await page.isVisible('#console'), false);
      assert.equal(await page.$$eval('#list .row[data-event]', (els) => els.length), 0);
      assert.deepEqual(sockets, []);
      // Even a hand-made request gets no data: the feed refuses the upgrade.
      const status = await page.evaluate(
        () => new Promise<string>((resolve) => {
          const ws = new WebSocket(`ws://${location.host}/ws`);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      );
      assert.equal(status, 'refused');
      assert.ok(!bodies.some((b) => b.includes('secret-1')), 'a response carried alert data');
    });
  });
}
