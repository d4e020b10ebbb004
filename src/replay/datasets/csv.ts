import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

/** Streams the lines of a CSV file (gzipped when it ends in .gz) without loading it: header first. */
export async function* csvRows(path: string): AsyncGenerator<string[]> {
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) if (line.length > 0) yield line.split(',');
  } finally {
    lines.close();
    raw.destroy();
  }
}

/** Column index by name; throws naming the file and the missing column. */
export function columns<const K extends string>(path: string, header: readonly string[], names: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const name of names) {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${path}: column ${name} missing (header: ${header.join(',')})`);
    out[name] = i;
  }
  return out;
}
