import { readFileSync } from 'node:fs';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './redis-client.ts';

/** One entity's compare-and-set write (lua/commit-1n.lua). */
export interface CommitEntry {
  readonly key: string;
  /** The version this process read ('' = the hash must not exist). */
  readonly expected: string;
  readonly expire: boolean;
  /** field, value, field, value…; starts with 'v' and the new version when anything is written. */
  readonly sets: readonly string[];
  readonly deletes: readonly string[];
}

/**
 * The commit script registered on a client under `velocity-commit:<package version>`. Its reply lists, for each entry
 * refused because Redis held another version, the entry's index and the entity's whole hash.
 */
export interface CommitScript {
  queue(pipeline: ChainableCommander, ttlMs: number, entries: readonly CommitEntry[]): void;
}

type ScriptMethod = (...args: string[]) => unknown;

/** Refused entries from a script reply: index into the entries, and the hash as field, value, field, value… */
export function parseConflicts(reply: unknown): { index: number; hash: string[] }[] {
  const flat = reply as (number | string[])[];
  const out: { index: number; hash: string[] }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ index: (flat[i] as number) - 1, hash: flat[i + 1] as string[] });
  return out;
}

export function registerCommitScript(client: RedisClient): CommitScript {
  const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const name = `velocity-commit:${version}`;
  if (typeof (client as unknown as Record<string, unknown>)[name] !== 'function') {
    const lua = readFileSync(new URL('./lua/commit-1n.lua', import.meta.url), 'utf8');
    client.defineCommand(name, { lua }); // the number of keys is given on each call
  }
  return {
    queue(pipeline, ttlMs, entries) {
      const keys = entries.map((entry) => entry.key);
      // JSON: V8 writes it natively and Redis's cjson reads it in C (a JS msgpack encoder cost 3x more here)
      const packed = JSON.stringify(entries.map((entry) => [entry.expected, entry.expire ? 1 : 0, entry.sets, entry.deletes]));
      ((pipeline as unknown as Record<string, ScriptMethod>)[name] as ScriptMethod).call(pipeline, String(keys.length), ...keys, String(ttlMs), packed);
    },
  };
}
