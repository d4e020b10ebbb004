// A virtualised alert list: only the rows in view (plus a margin) exist in the DOM, whatever the
// number of alerts, and rendering happens at most once per animation frame.

export const ROW_HEIGHT = 26;
const OVERSCAN = 8;

/** @param {any} alert */
export function topRule(alert) {
  let best;
  for (const r of alert.reasons) if (!r.shadow && (best === undefined || r.score > best.score)) best = r;
  return best ? best.rule : alert.reasons[0] ? alert.reasons[0].rule : '';
}

/** @param {any} alert */
export function payerOf(alert) {
  return alert.entities && alert.entities.account ? alert.entities.account : alert.key;
}

function clock(ms) {
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0').slice(0, 1);
}

export class AlertList {
  /**
   * @param {HTMLElement} container the scrolling element
   * @param {HTMLElement} spacer sized to the full list so the scrollbar is right
   * @param {(alert: any) => void} onSelect
   */
  constructor(container, spacer, onSelect) {
    this.container = container;
    this.spacer = spacer;
    this.onSelect = onSelect;
    /** Alerts passing the filters, oldest first; shown newest first. */
    this.view = [];
    /** @type {HTMLElement[]} */
    this.pool = [];
    /** @type {WeakMap<Element, any>} what each row displays */
    this.shown = new WeakMap();
    this.selectedPos = undefined;
    /** @type {Set<string>} */
    this.acked = new Set();
    this.scheduled = false;
    container.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(container);
    container.addEventListener('click', (e) => {
      const row = /** @type {HTMLElement} */ (e.target).closest('.row');
      // The alert the row showed when clicked: live data may have moved the rows since the last frame.
      const alert = row ? this.shown.get(row) : undefined;
      if (alert) this.select(alert);
    });
  }

  /** @param {any[]} view */
  setView(view) {
    this.view = view;
    this.schedule();
  }

  /** New alerts went on top: keep what the analyst is looking at in place unless at the top. */
  prepended(count) {
    if (this.container.scrollTop > 0) this.container.scrollTop += count * ROW_HEIGHT;
    this.schedule();
  }

  select(alert) {
    this.selectedPos = alert.pos;
    this.onSelect(alert);
    this.schedule();
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  render() {
    const n = this.view.length;
    this.spacer.style.height = `${n * ROW_HEIGHT}px`;
    const first = Math.max(0, Math.floor(this.container.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const visible = Math.ceil(this.container.clientHeight / ROW_HEIGHT) + 2 * OVERSCAN;
    const last = Math.min(n, first + visible);
    while (this.pool.length < last - first) {
      const row = document.createElement('div');
      row.className = 'row';
      for (let i = 0; i < 6; i++) row.appendChild(document.createElement('span'));
      this.spacer.appendChild(row);
      this.pool.push(row);
    }
    for (let k = 0; k < this.pool.length; k++) {
      const row = this.pool[k];
      const index = first + k;
      if (index >= last) {
        row.hidden = true;
        this.shown.delete(row);
        continue;
      }
      const alert = this.view[n - 1 - index];
      row.hidden = false;
      this.shown.set(row, alert);
      row.dataset.index = String(index);
      row.dataset.event = alert.eventId;
      row.style.top = `${index * ROW_HEIGHT}px`;
      row.classList.toggle('selected', alert.pos === this.selectedPos);
      row.classList.toggle('acked', this.acked.has(alert.eventId));
      const cells = row.children;
      cells[0].textContent = clock(alert.ts);
      cells[1].innerHTML = '';
      const badge = document.createElement('span');
      badge.className = `badge ${alert.decision}`;
      badge.textContent = alert.decision;
      cells[1].appendChild(badge);
      cells[2].textContent = String(alert.score);
      cells[3].textContent = payerOf(alert);
      cells[4].textContent = topRule(alert);
      cells[5].textContent = alert.eventId;
    }
  }
}
