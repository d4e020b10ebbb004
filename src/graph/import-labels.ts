import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { encodeLabel, validateLabel, type LabelEvent } from './label-codec.ts';
import type { LabelPublisher, LogMessage } from './replication-log.ts';

export interface ImportLabelsOptions {
  /** The labels topic. */
  topic: string;
  /** `by` for entries that do not say; default `watchlist:<file name>`. */
  by?: string;
  /** `at` (epoch ms) for entries that do not say; default the import time. */
  at?: number;
}

export interface ImportLabelsResult {
  published: number;
  /** Entries not published, with their line (1-based) and why. */
  skipped: { line: number; reason: string }[];
}

const CHUNK = 500;

/**
 * `vigil labels import FILE`: reads a watchlist and publishes one label event per entry, keyed by entity (so the
 * labels of one entity stay ordered). Formats: JSON Lines, a JSON array, or CSV with a header naming
 * `entity,label` and optionally `by,at,reason`. Bad entries are skipped with their line and reason.
 */
export async function importLabels(file: string, publisher: LabelPublisher, options: ImportLabelsOptions): Promise<ImportLabelsResult> {
  const text = await readFile(file, 'utf8');
  const by = options.by ?? `watchlist:${basename(file)}`;
  const at = options.at ?? Date.now();
  const entries = /\.csv$/i.test(file) ? readCsv(text) : readJson(text);
  const labels: LabelEvent[] = [];
  const skipped: ImportLabelsResult['skipped'] = [];
  for (const entry of entries) {
    if ('error' in entry) {
      skipped.push({ line: entry.line, reason: entry.error });
      continue;
    }
    const raw = { by, at, ...entry.value };
    const result = validateLabel(raw);
    if (result.ok) labels.push(result.label);
    else skipped.push({ line: entry.line, reason: result.reason });
  }
  for (let i = 0; i < labels.length; i += CHUNK) {
    const messages: LogMessage[] = labels.slice(i, i + CHUNK).map((l) => ({ key: l.entity, value: Buffer.from(encodeLabel(l)) }));
    await publisher.publish(options.topic, messages);
  }
  return { published: labels.length, skipped };
}

type Entry = { line: number; value: Record<string, unknown> } | { line: number; error: string };

function readJson(text: string): Entry[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch (error) {
      return [{ line: 1, error: `not JSON: ${(error as Error).message}` }];
    }
    if (!Array.isArray(list)) return [{ line: 1, error: 'expected a JSON array of labels' }];
    return list.map((value: unknown, i) => (isObject(value) ? { line: i + 1, value } : { line: i + 1, error: `entry ${i + 1} is not an object` }));
  }
  const entries: Entry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      const value: unknown = JSON.parse(line);
      entries.push(isObject(value) ? { line: i + 1, value } : { line: i + 1, error: 'not a JSON object' });
    } catch (error) {
      entries.push({ line: i + 1, error: `not JSON: ${(error as Error).message}` });
    }
  });
  return entries;
}

function readCsv(text: string): Entry[] {
  const lines = text.split(/\r?\n/);
  const header = splitCsv(lines[0] ?? '').map((h) => h.trim());
  if (!header.includes('entity') || !header.includes('label')) return [{ line: 1, error: 'CSV header must name at least entity and label' }];
  const entries: Entry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) continue;
    const cells = splitCsv(line);
    if (cells.length !== header.length) {
      entries.push({ line: i + 1, error: `expected ${header.length} fields, got ${cells.length}` });
      continue;
    }
    const value: Record<string, unknown> = {};
    header.forEach((name, j) => {
      const cell = cells[j]!;
      if (cell === '') return;
      value[name] = name === 'at' && /^\d+$/.test(cell) ? Number(cell) : name === 'at' ? Date.parse(cell) : cell;
    });
    entries.push({ line: i + 1, value });
  }
  return entries;
}

/** One CSV line; double quotes delimit fields that contain commas, `""` is a quote. */
function splitCsv(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
