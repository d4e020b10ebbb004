// The analyst console page: login, the live alert list with filters and pause, an alert's detail
// (reasons, features, entity graph) and the analyst actions. Alert data only ever enters the DOM as
// text (textContent), never as markup.
import { openFeed } from './feed.js';
import { AlertList, payerOf, topRule } from './alert-list.js';
import { buildGraph, drawGraph, paymentEntities, COLORS } from './alert-graph.js';
import { LiveChart } from './live-chart.js';

const MAX_ALERTS = 20000;
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'style') node.style.cssText = v; // CSSOM: allowed by the page's CSP, unlike a style attribute
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

const state = {
  me: /** @type {{user: string, role: string} | undefined} */ (undefined),
  all: /** @type {any[]} */ ([]),
  seen: new Set(),
  view: /** @type {any[]} */ ([]),
  paused: false,
  pending: /** @type {any[]} */ ([]),
  rules: new Set(),
  acked: new Map(),
  selected: /** @type {any} */ (undefined),
  filters: { decision: '', rule: '', score: 0, entity: '' },
};

let feed;
let list;
let chart;

function searchText(alert) {
  const parts = [alert.eventId, alert.key, ...paymentEntities(alert)];
  for (const r of alert.reasons) parts.push(r.rule);
  return parts.join(' ').toLowerCase();
}

function matches(alert) {
  const f = state.filters;
  if (f.decision && alert.decision !== f.decision) return false;
  if (f.score > 0 && alert.score < f.score) return false;
  if (f.rule && !alert.reasons.some((r) => r.rule.includes(f.rule))) return false;
  if (f.entity && !alert._search.includes(f.entity)) return false;
  return true;
}

function refilter() {
  state.view = state.all.filter(matches);
  list.setView(state.view);
  updateCount();
}

function updateCount() {
  $('count').textContent = `${state.view.length} shown of ${state.all.length}`;
}

function noteRules(alert) {
  for (const r of alert.reasons) {
    if (state.rules.has(r.rule)) continue;
    state.rules.add(r.rule);
    $('rules-seen').append(h('option', { value: r.rule }));
  }
}

function accept(alert) {
  if (state.seen.has(alert.pos)) return false;
  state.seen.add(alert.pos);
  alert._search = searchText(alert);
  noteRules(alert);
  return true;
}

function trim() {
  if (state.all.length <= MAX_ALERTS * 1.1) return false;
  const drop = state.all.length - MAX_ALERTS;
  for (const a of state.all.slice(0, drop)) state.seen.delete(a.pos);
  state.all = state.all.slice(drop);
  return true;
}

function addLive(alerts) {
  let shown = 0;
  for (const a of alerts) {
    if (!accept(a)) continue;
    state.all.push(a);
    if (matches(a)) {
      state.view.push(a);
      shown++;
    }
  }
  if (trim()) refilter();
  else {
    list.prepended(shown);
    updateCount();
  }
}

function addBacklog(alerts) {
  let added = 0;
  for (const a of alerts) if (accept(a)) {
    state.all.push(a);
    added++;
  }
  if (added === 0) return;
  state.all.sort((a, b) => a.ts - b.ts);
  trim();
  refilter();
}

function onFrame(frame) {
  switch (frame.t) {
    case 'hello':
      state.me = { user: frame.user, role: frame.role };
      $('whoami').textContent = `${frame.user} (${frame.role})`;
      break;
    case 'alerts':
      if (frame.backlog) {
        addBacklog(frame.alerts);
        break;
      }
      for (const a of frame.alerts) chart.add(a.latencyMs);
      if (state.paused) {
        for (const a of frame.alerts) state.pending.push(a);
        $('pending').textContent = `${state.pending.length} new`;
      } else addLive(frame.alerts);
      break;
    case 'missed':
      $('missed-text').textContent = `missed ${frame.count} alerts (too slow)`;
      $('missed').hidden = false;
      break;
    case 'acked':
      state.acked.set(frame.eventId, { by: frame.by, at: frame.at });
      list.acked.add(frame.eventId);
      list.schedule();
      if (state.selected && state.selected.eventId === frame.eventId) showDetail(state.selected);
      break;
    case 'error':
      console.warn('console server:', frame.message);
      break;
  }
}

function setPaused(paused) {
  state.paused = paused;
  $('pause').textContent = paused ? 'Resume' : 'Pause';
  $('pause').setAttribute('aria-pressed', String(paused));
  if (!paused && state.pending.length > 0) {
    const pending = state.pending;
    state.pending = [];
    addLive(pending);
  }
  $('pending').textContent = paused ? `${state.pending.length} new` : '';
}

function table(rows, head) {
  const t = h('table');
  if (head) t.append(h('tr', {}, ...head.map((c) => h('th', { text: c }))));
  for (const r of rows) t.append(h('tr', {}, ...r.map((c) => (c instanceof Node ? h('td', {}, c) : h('td', { text: String(c) })))));
  return t;
}

function showDetail(alert) {
  state.selected = alert;
  const pane = $('detail');
  pane.replaceChildren();
  const acked = state.acked.get(alert.eventId);
  pane.append(
    h('h2', {}, h('span', { class: `badge ${alert.decision}`, text: alert.decision }), ` ${alert.eventId} · score ${alert.score}`),
    h('p', { class: 'meta', text: `payer ${payerOf(alert)} · ${new Date(alert.ts).toISOString()} · decided in ${alert.latencyMs} ms · rules ${alert.rulesVersion}` }),
  );
  if (acked) pane.append(h('p', { class: 'meta', id: 'acked-by', text: `acknowledged by ${acked.by} at ${new Date(acked.at).toLocaleTimeString()}` }));
  pane.append(h('h3', { text: 'Reasons' }));
  pane.append(table(alert.reasons.map((r) => [r.rule + (r.shadow ? ' (shadow)' : ''), r.score, r.detail]), ['rule', 'score', 'detail']));
  const features = Object.entries(alert.features || {});
  // Features can be many: folded (but searchable with the browser's find) once there are more than 8.
  const featureBox = h('details', { id: 'features' }, h('summary', { text: `Features (${features.length})` }));
  if (features.length <= 8) featureBox.setAttribute('open', '');
  featureBox.append(features.length === 0 ? h('p', { class: 'meta', text: 'none' }) : table(features.map(([k, v]) => [k, Number.isInteger(v) ? v : Number(v).toFixed(3)]), ['feature', 'value']));
  pane.append(featureBox);

  pane.append(h('h3', { text: 'Entity graph' }));
  const select = h('select', { id: 'act-entity' });
  const entities = new Set(paymentEntities(alert));
  buildGraph(alert).forEachNode((key, attrs) => {
    if (attrs.type !== 'payment') entities.add(key);
  });
  for (const key of entities) select.append(h('option', { value: key, text: key }));
  pane.append(drawGraph(alert, (key) => {
    /** @type {HTMLSelectElement} */ (select).value = key;
  }));
  pane.append(h('div', { class: 'legend' }, ...Object.entries(COLORS).map(([type, color]) => h('span', {}, h('i', { style: `background:${color}` }), type))));

  pane.append(h('h3', { text: 'Actions' }));
  const analyst = state.me && state.me.role === 'analyst';
  const reason = h('input', { id: 'act-reason', placeholder: 'reason (optional)', maxlength: '500', size: '30' });
  const result = h('p', { id: 'act-result', class: 'result', role: 'status' });
  const run = async (label, action) => {
    result.className = 'result';
    result.textContent = `${label}…`;
    const r = await feed.act({ eventId: alert.eventId, reason: /** @type {HTMLInputElement} */ (reason).value, ...action });
    result.className = `result ${r.ok ? 'ok' : 'err'}`;
    result.textContent = r.ok ? `${label}: done` : `${label}: ${r.error}`;
  };
  const entity = () => /** @type {HTMLSelectElement} */ (select).value;
  const button = (id, text, cls, onclick) => {
    const b = h('button', { id, type: 'button', class: cls, onclick, text });
    if (!analyst) b.setAttribute('disabled', '');
    return b;
  };
  pane.append(
    h('div', { class: 'actions' }, h('label', {}, 'Entity ', select), reason),
    h('div', { class: 'actions' },
      button('act-ack', 'Acknowledge', '', () => run('acknowledge', { action: 'ack' })),
      button('act-fraud', 'Label fraud', 'danger', () => run(`label ${entity()} fraud`, { action: 'label', entity: entity(), label: 'fraud' })),
      button('act-legit', 'Label legit', '', () => run(`label ${entity()} legit`, { action: 'label', entity: entity(), label: 'legit' })),
      button('act-allow', 'Add to allow list', '', () => run(`allow-list ${entity()}`, { action: 'list', entity: entity(), list: 'allow', op: 'add' })),
      button('act-block', 'Add to block list', 'danger', () => run(`block-list ${entity()}`, { action: 'list', entity: entity(), list: 'block', op: 'add' })),
    ),
    h('div', { class: 'actions' },
      button('act-unallow', 'Remove from allow list', '', () => run(`allow-list remove ${entity()}`, { action: 'list', entity: entity(), list: 'allow', op: 'remove' })),
      button('act-unblock', 'Remove from block list', '', () => run(`block-list remove ${entity()}`, { action: 'list', entity: entity(), list: 'block', op: 'remove' })),
    ),
    result,
  );
  if (!analyst) pane.append(h('p', { class: 'meta', text: 'Your role (viewer) can look but not act.' }));
}

function startConsole(me) {
  state.me = me;
  $('login').hidden = true;
  $('console').hidden = false;
  $('whoami').textContent = `${me.user} (${me.role})`;
  list = new AlertList($('list'), $('list-spacer'), showDetail);
  list.setView(state.view);
  chart = new LiveChart(/** @type {HTMLCanvasElement} */ ($('chart')));
  setInterval(() => {
    $('rate').textContent = `${chart.rate()} alerts/s`;
  }, 1000);
  feed = openFeed({
    onFrame,
    onState(s) {
      $('conn').dataset.state = s;
      $('conn').textContent = s;
    },
    onUnauthorized() {
      location.reload();
    },
  });
  $('pause').addEventListener('click', () => setPaused(!state.paused));
  $('resync').addEventListener('click', () => {
    $('missed').hidden = true;
    feed.resync();
  });
  const filters = () => {
    state.filters = {
      decision: /** @type {HTMLSelectElement} */ ($('f-decision')).value,
      rule: /** @type {HTMLInputElement} */ ($('f-rule')).value.trim(),
      score: Number(/** @type {HTMLInputElement} */ ($('f-score')).value) || 0,
      entity: /** @type {HTMLInputElement} */ ($('f-entity')).value.trim().toLowerCase(),
    };
    refilter();
  };
  for (const id of ['f-decision', 'f-rule', 'f-score', 'f-entity']) $(id).addEventListener('input', filters);
  $('logout').addEventListener('click', async () => {
    feed.close();
    await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' });
    location.reload();
  });
}

function showLogin() {
  $('console').hidden = true;
  $('login').hidden = false;
  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('login-error').textContent = '';
    const body = JSON.stringify({ user: /** @type {HTMLInputElement} */ ($('login-user')).value, password: /** @type {HTMLInputElement} */ ($('login-password')).value });
    const res = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body, credentials: 'same-origin' });
    if (!res.ok) {
      const err = await res.json().catch(() => ({ error: `login failed (${res.status})` }));
      $('login-error').textContent = err.error;
      return;
    }
    startConsole(await res.json());
  });
}

const me = await fetch('/api/me', { credentials: 'same-origin' });
if (me.ok) startConsole(await me.json());
else showLogin();
