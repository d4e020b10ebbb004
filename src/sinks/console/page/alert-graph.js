// The alert's entity neighbourhood as a graphology graph, drawn as SVG with a small force layout.
// The console holds no graph of its own: the neighbourhood is what the alert carries (the payment's
// entities) plus the entities and paths its reasons name (`account:B —device:D— account:A`).
/* global graphology */

const SVG = 'http://www.w3.org/2000/svg';
export const ENTITY_TYPES = ['account', 'card', 'device', 'ip', 'terminal', 'merchant'];
export const COLORS = { payment: '#c62f2f', account: '#2458d6', card: '#8e44ad', device: '#d35400', ip: '#16a085', terminal: '#5d6d7e', merchant: '#b8860b' };
const KEY = /(account|card|device|ip|terminal|merchant):[^\s—→←,;()]+/g;
const CONNECTOR = /^[\s—→←–-]*$/;

/** Entity keys the payment itself names, payer first. @param {any} alert @returns {string[]} */
export function paymentEntities(alert) {
  const e = alert.entities || { account: alert.key };
  const out = [];
  if (e.account) out.push(`account:${e.account}`);
  for (const t of ['card', 'device', 'ip', 'terminal', 'merchant']) if (e[t]) out.push(`${t}:${e[t]}`);
  if (e.beneficiary) out.push(`account:${e.beneficiary}`);
  return out;
}

function clean(key) {
  return key.replace(/[.:]+$/, '');
}

/** @param {any} alert */
export function buildGraph(alert) {
  const g = new graphology.Graph({ multi: false, type: 'mixed', allowSelfLoops: false });
  const add = (key, attrs = {}) => {
    if (!g.hasNode(key)) g.addNode(key, { type: key.slice(0, key.indexOf(':')), ...attrs });
    else g.mergeNodeAttributes(key, attrs);
  };
  const link = (a, b, attrs) => {
    if (a === b) return;
    const existing = g.edge(a, b) ?? g.edge(b, a);
    if (existing === undefined) g.addUndirectedEdge(a, b, attrs);
    else if (attrs.kind === 'path') g.mergeEdgeAttributes(existing, attrs);
  };
  const e = alert.entities || { account: alert.key };
  const payment = `payment:${alert.eventId}`;
  add(payment, { type: 'payment' });
  const payer = `account:${e.account || alert.key}`;
  add(payer, { payer: true });
  link(payment, payer, { kind: 'payer' });
  for (const t of ['card', 'device', 'ip']) if (e[t]) {
    add(`${t}:${e[t]}`);
    link(payer, `${t}:${e[t]}`, { kind: t });
    link(payment, `${t}:${e[t]}`, { kind: 'used' });
  }
  if (e.terminal) {
    add(`terminal:${e.terminal}`);
    link(e.card ? `card:${e.card}` : payer, `terminal:${e.terminal}`, { kind: 'terminal' });
  }
  if (e.merchant) {
    add(`merchant:${e.merchant}`);
    link(e.terminal ? `terminal:${e.terminal}` : payer, `merchant:${e.merchant}`, { kind: 'merchant' });
  }
  if (e.beneficiary) {
    add(`account:${e.beneficiary}`, { beneficiary: true });
    link(payment, `account:${e.beneficiary}`, { kind: 'pay' });
  }
  // Paths in the reasons: consecutive keys joined only by connectors are edges of the path.
  for (const reason of alert.reasons) {
    const detail = String(reason.detail);
    let prev;
    let prevEnd = 0;
    for (const m of detail.matchAll(KEY)) {
      const key = clean(m[0]);
      const end = (m.index || 0) + m[0].length;
      // `key (fraud, by ana, …)`: the reason says how the entity is labelled.
      const label = /^\s*\((fraud|suspect|legit)\b/.exec(detail.slice(end, end + 12));
      add(key, label ? { named: true, label: label[1] } : { named: true });
      if (prev !== undefined && CONNECTOR.test(detail.slice(prevEnd, m.index))) link(prev, key, { kind: 'path', rule: reason.rule });
      prev = key;
      prevEnd = (m.index || 0) + m[0].length;
    }
  }
  return g;
}

/** Deterministic force layout (Fruchterman–Reingold), payer pinned in the middle. */
function layout(g, width, height) {
  const nodes = g.nodes();
  const pos = new Map();
  const n = nodes.length;
  nodes.forEach((key, i) => {
    const angle = (2 * Math.PI * i) / n;
    pos.set(key, { x: (width - 100) / 2 + Math.cos(angle) * width / 4, y: height / 2 + Math.sin(angle) * height / 3 });
  });
  const pinned = nodes.find((k) => g.getNodeAttribute(k, 'payer'));
  if (pinned) pos.set(pinned, { x: (width - 100) / 2, y: height / 2 });
  const k = Math.sqrt(((width - 120) * height) / Math.max(1, n)) * 0.55;
  let temperature = width / 8;
  for (let iter = 0; iter < 200; iter++) {
    const disp = new Map(nodes.map((key) => [key, { x: 0, y: 0 }]));
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
      const a = pos.get(nodes[i]);
      const b = pos.get(nodes[j]);
      const dx = a.x - b.x || 0.01;
      const dy = a.y - b.y || 0.01;
      const d = Math.max(1, Math.hypot(dx, dy));
      const f = (k * k) / d;
      disp.get(nodes[i]).x += (dx / d) * f;
      disp.get(nodes[i]).y += (dy / d) * f;
      disp.get(nodes[j]).x -= (dx / d) * f;
      disp.get(nodes[j]).y -= (dy / d) * f;
    }
    g.forEachEdge((_e, _attrs, s, t) => {
      const a = pos.get(s);
      const b = pos.get(t);
      const dx = a.x - b.x;
      const dy = a.y - b.y;
      const d = Math.max(1, Math.hypot(dx, dy));
      const f = (d * d) / k;
      disp.get(s).x -= (dx / d) * f;
      disp.get(s).y -= (dy / d) * f;
      disp.get(t).x += (dx / d) * f;
      disp.get(t).y += (dy / d) * f;
    });
    for (const key of nodes) {
      if (key === pinned) continue;
      const d = disp.get(key);
      const len = Math.max(0.01, Math.hypot(d.x, d.y));
      const p = pos.get(key);
      p.x = Math.min(width - 120, Math.max(20, p.x + (d.x / len) * Math.min(len, temperature)));
      p.y = Math.min(height - 14, Math.max(14, p.y + (d.y / len) * Math.min(len, temperature)));
    }
    temperature *= 0.97;
  }
  return pos;
}

function el(name, attrs) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/**
 * @param {any} alert
 * @param {(key: string) => void} onEntity called when an entity node is clicked
 * @returns {SVGSVGElement}
 */
export function drawGraph(alert, onEntity) {
  const width = 460;
  const height = 300;
  const g = buildGraph(alert);
  const pos = layout(g, width, height);
  const svg = /** @type {SVGSVGElement} */ (el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'graph', role: 'img', 'aria-label': `entity graph of ${alert.eventId}` }));
  svg.dataset.nodes = String(g.order);
  svg.dataset.edges = String(g.size);
  g.forEachEdge((_e, attrs, s, t) => {
    const a = pos.get(s);
    const b = pos.get(t);
    svg.appendChild(el('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: attrs.kind === 'path' ? 'path' : '' }));
  });
  g.forEachNode((key, attrs) => {
    const p = pos.get(key);
    const group = el('g', { 'data-key': key, class: 'node' });
    const classes = [attrs.payer ? 'payer' : '', attrs.label ? `label-${attrs.label}` : ''].join(' ').trim();
    const circle = el('circle', { cx: p.x, cy: p.y, r: attrs.type === 'payment' ? 9 : 7, fill: COLORS[attrs.type] || '#777', class: classes });
    const title = el('title', {});
    title.textContent = attrs.label ? `${key} (${attrs.label})` : key;
    circle.appendChild(title);
    group.appendChild(circle);
    const label = el('text', { x: p.x + 10, y: p.y + 3 });
    label.textContent = (key.length > 28 ? key.slice(0, 27) + '…' : key) + (attrs.label ? ` (${attrs.label})` : '');
    group.appendChild(label);
    if (attrs.type !== 'payment') group.addEventListener('click', () => onEntity(key));
    svg.appendChild(group);
  });
  return svg;
}
