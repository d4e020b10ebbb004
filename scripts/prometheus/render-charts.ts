/** Draws panels of Prometheus range-query results as an HTML page of SVG line charts (for a PNG via chromium). */
export interface ChartSeries {
  name: string;
  points: [number, number][];
}

export interface ChartPanel {
  title: string;
  unit: string;
  series: ChartSeries[];
  note?: string;
}

const COLORS = ['#7eb26d', '#eab839', '#6ed0e0', '#ef843c', '#e24d42', '#1f78c1', '#ba43a9', '#705da0', '#508642', '#cca300'];

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export function formatValue(value: number, unit: string): string {
  const round = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
  if (unit === 's') {
    if (value === 0) return '0';
    if (Math.abs(value) < 1e-3) return `${round(value * 1e6)} µs`;
    if (Math.abs(value) < 1) return `${round(value * 1e3)} ms`;
    return `${round(value)} s`;
  }
  if (unit === 'percentunit') return `${round(value * 100)}%`;
  if (unit === 'bytes') return value >= 1 << 20 ? `${round(value / (1 << 20))} MiB` : `${round(value / 1024)} KiB`;
  if (unit === 'reqps') return `${round(value)}/s`;
  if (Math.abs(value) >= 1000) return `${round(value / 1000)}k`;
  return round(value);
}

function chart(panel: ChartPanel, start: number, end: number, width: number, height: number): string {
  const left = 62;
  const right = 8;
  const top = 26;
  const longest = Math.max(0, ...panel.series.map((s) => s.name.length));
  const legendColumns = longest > 26 ? 1 : longest > 16 ? 2 : 3;
  const legendRows = Math.ceil(panel.series.length / legendColumns);
  const bottom = 22 + legendRows * 14;
  const values = panel.series.flatMap((s) => s.points.map((p) => p[1]));
  const max = values.length === 0 ? 1 : Math.max(...values);
  const yMax = max <= 0 ? 1 : max * 1.1;
  const x = (t: number) => left + ((t - start) / Math.max(1, end - start)) * (width - left - right);
  const y = (v: number) => top + (1 - v / yMax) * (height - top - bottom);
  const parts: string[] = [`<rect width="${width}" height="${height}" fill="#181b1f" stroke="#2c3235"/>`, `<text x="8" y="17" class="title">${escapeHtml(panel.title)}</text>`];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#2c3235"/>`, `<text x="${left - 4}" y="${y(v) + 4}" class="axis" text-anchor="end">${escapeHtml(formatValue(v, panel.unit))}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const t = start + ((end - start) * i) / 4;
    parts.push(`<text x="${x(t)}" y="${height - bottom + 14}" class="axis" text-anchor="${i === 0 ? 'start' : i === 4 ? 'end' : 'middle'}">${new Date(t * 1000).toISOString().slice(11, 19)}</text>`);
  }
  panel.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const d = s.points.map(([t, v], k) => `${k === 0 || t - s.points[k - 1]![0] > 5 ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    const lx = left + (i % legendColumns) * ((width - left) / legendColumns);
    const ly = height - bottom + 30 + Math.floor(i / legendColumns) * 14;
    const last = s.points.length > 0 ? formatValue(s.points[s.points.length - 1]![1], panel.unit) : 'no data';
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${color}"/><text x="${lx + 14}" y="${ly - 3}" class="legend">${escapeHtml(`${s.name} (last ${last})`)}</text>`);
  });
  if (panel.series.length === 0) parts.push(`<text x="${width / 2}" y="${height / 2}" class="axis" text-anchor="middle">no data</text>`);
  if (panel.note) parts.push(`<text x="${width - 8}" y="17" class="note" text-anchor="end">${escapeHtml(panel.note)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

export function renderPage(options: { title: string; subtitle: string; rows: { title: string; panels: ChartPanel[] }[]; start: number; end: number; columns?: number }): string {
  const columns = options.columns ?? 3;
  const width = 520;
  const height = 230;
  const rows = options.rows
    .map((row) => `<h2>${escapeHtml(row.title)}</h2><div class="grid">${row.panels.map((p) => chart(p, options.start, options.end, width, height)).join('')}</div>`)
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body{background:#111217;color:#ccccdc;font-family:Inter,Helvetica,Arial,sans-serif;margin:16px;width:${columns * (width + 8)}px}
h1{font-size:20px;margin:0 0 4px}p{font-size:12px;margin:0 0 8px;color:#9fa7b3}h2{font-size:14px;margin:10px 0 6px;color:#d8d9da}
.grid{display:grid;grid-template-columns:repeat(${columns},${width}px);gap:8px}
.title{fill:#d8d9da;font-size:13px;font-weight:600}.axis{fill:#8e8e8e;font-size:10px}.legend{fill:#ccccdc;font-size:10px}.note{fill:#eab839;font-size:10px}
</style></head><body><h1>${escapeHtml(options.title)}</h1><p>${escapeHtml(options.subtitle)}</p>${rows}</body></html>`;
}
