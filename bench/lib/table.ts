/** A Markdown table (readable in a terminal, pasteable into docs/): numbers right-aligned, text left-aligned. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const numeric = headers.map((_, c) => rows.length > 0 && rows.every((row) => typeof row[c] === 'number'));
  const lines = [`| ${headers.join(' | ')} |`, `| ${numeric.map((n) => (n ? '---:' : '---')).join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.map((cell) => (typeof cell === 'number' ? cell.toLocaleString('en') : cell)).join(' | ')} |`);
  return lines.join('\n');
}

/** The machine line every bench prints above its table. */
export function machineLine(cpus: readonly { model: string }[], totalBytes: number): string {
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalBytes / 2 ** 30)} GiB, Node ${process.version}`;
}
