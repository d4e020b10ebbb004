/** Minimal `--key value` / `--flag` parser for the CLI commands; unknown keys are an error naming the key. */
export function parseArgs(argv: readonly string[], known: Record<string, 'value' | 'flag'>): { values: Map<string, string>; flags: Set<string>; error?: string } {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) return { values, flags, error: `unexpected argument '${a}'` };
    const [key, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    const kind = known[key];
    if (!kind) return { values, flags, error: `unknown option --${key} (known: ${Object.keys(known).map((k) => `--${k}`).join(', ')})` };
    if (kind === 'flag') { flags.add(key); continue; }
    const v = inline ?? argv[++i];
    if (v === undefined) return { values, flags, error: `--${key} needs a value` };
    values.set(key, v);
  }
  return { values, flags };
}

const UNIT: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `7d`, `90m`, `1500ms` → milliseconds; undefined when malformed. */
export function parseDurationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT[m[2]!]! : undefined;
}

/** `2018-08-08` or an ISO date-time → epoch ms (UTC); undefined when malformed. */
export function parseDate(text: string): number | undefined {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  return Number.isFinite(t) ? t : undefined;
}
