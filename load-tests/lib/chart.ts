/** A self-contained HTML page with SVG line charts: no scripts, no external assets. */
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logY?: boolean;
}

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function svg(chart: Chart): string {
  const W = 760;
  const H = 300;
  const left = 70;
  const bottom = 40;
  const all = chart.series.flatMap((s) => s.points);
  if (all.length === 0) return `<p>${escape(chart.title)}: no data</p>`;
  const fy = (v: number) => (chart.logY ? Math.log10(Math.max(v, 0.001)) : v);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => fy(p[1]));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) || 1];
  const [y0, y1] = [chart.logY ? Math.min(...ys) : 0, Math.max(...ys) * 1.05 || 1];
  const px = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * (W - left - 20);
  const py = (y: number) => H - bottom - ((fy(y) - y0) / (y1 - y0 || 1)) * (H - bottom - 20);
  const ticks = Array.from({ length: 5 }, (_, i) => y0 + ((y1 - y0) * i) / 4);
  const tickLabel = (t: number) => (chart.logY ? 10 ** t : t).toPrecision(3);
  const lines = chart.series
    .map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`)
    .join('');
  const legend = chart.series.map((s, i) => `<text x="${left + 10 + i * 180}" y="14" fill="${s.color}" font-size="12">■ ${escape(s.name)}</text>`).join('');
  const grid = ticks
    .map((t) => {
      const y = H - bottom - ((t - y0) / (y1 - y0 || 1)) * (H - bottom - 20);
      return `<line x1="${left}" x2="${W - 20}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${tickLabel(t)}</text>`;
    })
    .join('');
  return `<h3>${escape(chart.title)}</h3><svg width="${W}" height="${H}" font-family="sans-serif">${grid}${lines}${legend}
<text x="${W / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${escape(chart.xLabel)}</text>
<text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle" font-size="12">${escape(chart.yLabel)}</text></svg>`;
}

export function htmlReport(title: string, summary: Record<string, unknown>, charts: Chart[]): string {
  const rows = Object.entries(summary)
    .map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(typeof v === 'object' ? JSON.stringify(v) : String(v))}</td></tr>`)
    .join('');
  return `<!doctype html><meta charset="utf-8"><title>${escape(title)}</title>
<body style="font-family:sans-serif;max-width:820px;margin:20px auto"><h1>${escape(title)}</h1>
<table border="1" cellpadding="4" style="border-collapse:collapse;font-size:13px">${rows}</table>${charts.map(svg).join('')}</body>`;
}
