import type { ChainableCommander } from 'ioredis';
import { defineScript, type RedisClient } from './redis-client.ts';

/** One entity's compare-and-set write (lua/commit-1n.lua). */
export interface CommitEntry {
  readonly key: string;
  /** The version this process read ('' = the hash must not exist). */
  readonly expected: string;
  readonly expire: boolean;
  /** State hash: field, value, field, value…; starts with 'v' and the new version when anything is written. */
  readonly sets: readonly string[];
  readonly deletes: readonly string[];
  /** idx, n, id, value… (n pairs), … */
  readonly ids: readonly string[];
  readonly idBucketDeletes: readonly string[];
  /** idx, n, id… (n ids), …: ids counted as new that Redis may already hold */
  readonly checks: readonly string[];
  readonly expireIdBuckets: readonly string[];
}

/**
 * The commit script registered on a client under `velocity-commit:<package version>`. Its reply lists, for each entry
 * refused (Redis held another version, or already held an id counted as new), the entry's index, the entity's
 * state hash and the ids found.
 */
export interface CommitScript {
  queue(pipeline: ChainableCommander, ttlMs: number, entries: readonly CommitEntry[]): void;
}

type ScriptMethod = (...args: string[]) => unknown;

export interface RefusedEntry {
  /** Into the entries of the call. */
  index: number;
  /** The state hash: field, value, field, value… */
  hash: string[];
  /** Looked-up ids that were there: id, value, id, value… */
  found: string[];
}

/** Refused entries from a script reply. */
export function parseConflicts(reply: unknown): RefusedEntry[] {
  const flat = reply as (number | string[])[];
  const out: RefusedEntry[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) out.push({ index: (flat[i] as number) - 1, hash: flat[i + 1] as string[], found: flat[i + 2] as string[] });
  return out;
}

export function registerCommitScript(client: RedisClient): CommitScript {
  const name = defineScript(client, 'velocity-commit', 'commit-1n.lua');
  return {
    queue(pipeline, ttlMs, entries) {
      const keys = entries.map((entry) => entry.key);
      // JSON: V8 writes it natively and Redis's cjson reads it in C (a JS msgpack encoder cost 3x more here)
      const packed = JSON.stringify(entries.map((entry) => [entry.expected, entry.expire ? 1 : 0, entry.sets, entry.deletes, entry.ids, entry.idBucketDeletes, entry.checks, entry.expireIdBuckets]));
      ((pipeline as unknown as Record<string, ScriptMethod>)[name] as ScriptMethod).call(pipeline, String(keys.length), ...keys, String(ttlMs), packed);
    },
  };
}
