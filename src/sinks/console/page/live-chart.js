// Alert rate (bars) and decision latency p95 (line) per second over the last two minutes, on a canvas.

const SECONDS = 120;
const SAMPLES_PER_SECOND = 256;

export class LiveChart {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.counts = new Float64Array(SECONDS);
    /** @type {number[][]} */
    this.latencies = Array.from({ length: SECONDS }, () => []);
    this.second = Math.floor(Date.now() / 1000);
    this.timer = setInterval(() => this.draw(), 1000);
  }

  advance(now) {
    const s = Math.floor(now / 1000);
    while (this.second < s) {
      this.second++;
      const slot = this.second % SECONDS;
      this.counts[slot] = 0;
      this.latencies[slot] = [];
    }
  }

  /** @param {number} latencyMs */
  add(latencyMs) {
    this.advance(Date.now());
    const slot = this.second % SECONDS;
    this.counts[slot]++;
    const l = this.latencies[slot];
    if (l.length < SAMPLES_PER_SECOND) l.push(latencyMs);
    else l[Math.floor(Math.random() * SAMPLES_PER_SECOND)] = latencyMs;
  }

  /** Alerts in the last complete second. */
  rate() {
    this.advance(Date.now());
    return this.counts[(this.second - 1 + SECONDS) % SECONDS];
  }

  draw() {
    this.advance(Date.now());
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const h = c.clientHeight;
    if (w === 0 || h === 0) return;
    if (c.width !== Math.round(w * dpr)) c.width = Math.round(w * dpr);
    if (c.height !== Math.round(h * dpr)) c.height = Math.round(h * dpr);
    const ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const counts = [];
    const p95 = [];
    for (let i = SECONDS - 1; i >= 1; i--) {
      const slot = (this.second - i + SECONDS) % SECONDS;
      counts.push(this.counts[slot]);
      const l = this.latencies[slot].slice().sort((a, b) => a - b);
      p95.push(l.length === 0 ? NaN : l[Math.min(l.length - 1, Math.floor(l.length * 0.95))]);
    }
    const maxCount = Math.max(1, ...counts);
    const maxLat = Math.max(1, ...p95.filter((v) => !Number.isNaN(v)));
    const left = 44;
    const right = 56;
    const top = 16;
    const bottom = 14;
    const plotW = w - left - right;
    const plotH = h - top - bottom;
    const bw = plotW / counts.length;
    ctx.fillStyle = '#4c7dff';
    counts.forEach((v, i) => {
      const bh = (v / maxCount) * plotH;
      ctx.fillRect(left + i * bw, top + plotH - bh, Math.max(1, bw - 1), bh);
    });
    ctx.strokeStyle = '#ffb347';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let pen = false;
    p95.forEach((v, i) => {
      if (Number.isNaN(v)) {
        pen = false;
        return;
      }
      const x = left + i * bw + bw / 2;
      const y = top + plotH - (v / maxLat) * plotH;
      if (pen) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      pen = true;
    });
    ctx.stroke();
    ctx.fillStyle = '#c9d1e0';
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillText(`${maxCount}/s`, 4, top + 8);
    ctx.fillText('0', 4, top + plotH);
    ctx.fillStyle = '#ffb347';
    ctx.fillText(`${maxLat.toFixed(1)} ms`, w - right + 4, top + 8);
    ctx.fillStyle = '#c9d1e0';
    ctx.fillText('alerts/s (bars) · decision latency p95 (line) · last 2 min', left, 11);
  }

  stop() {
    clearInterval(this.timer);
  }
}
