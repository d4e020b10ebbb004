import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.ts';

/**
 * Callers authenticate with `Authorization: Bearer <id>.<secret>` or `X-Api-Key: <id>.<secret>`.
 * The keys file holds only hashes of the secrets:
 *
 * ```yaml
 * keys:
 *   - id: switch-eu-1
 *     hash: sha256:<64 hex>                       # for generated 256-bit secrets
 *   - id: ops-console
 *     hash: scrypt:<N>:<r>:<p>:<salt b64>:<key b64> # for secrets a person chose
 *     disabled: true                             # optional
 * ```
 *
 * Generated secrets carry 256 bits of entropy, so one SHA-256 is enough to make a leaked file useless;
 * scrypt is there for low-entropy secrets. A scrypt key is checked with scrypt once per process; after
 * that its secret's SHA-256 is compared in constant time, so the hot path never runs scrypt.
 */
export interface ApiKeyVerifier {
  /** The key id when the presented credential is valid, otherwise undefined. */
  verify(credential: string): Promise<string | undefined>;
  readonly size: number;
}

type StoredHash = { kind: 'sha256'; digest: Buffer } | { kind: 'scrypt'; N: number; r: number; p: number; salt: Buffer; key: Buffer };

const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1 } as const;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function scrypt(secret: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCallback(secret, salt, keylen, { ...options, maxmem: 256 * options.N! * options.r! + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `sha256:<hex>` for a generated secret. */
export function hashApiSecretSha256(secret: string): string {
  return `sha256:${sha256(secret).toString('hex')}`;
}

/** `scrypt:N:r:p:salt:key` for a secret a person chose. */
export async function hashApiSecretScrypt(secret: string, params: { N: number; r: number; p: number } = SCRYPT_DEFAULTS): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(secret, salt, 32, params);
  return `scrypt:${params.N}:${params.r}:${params.p}:${salt.toString('base64')}:${key.toString('base64')}`;
}

/** Throws ConfigError unless `id` can name a key (letters, digits, `_`, `-`; at most 64). */
export function assertKeyId(id: string): void {
  if (!KEY_ID.test(id)) throw new ConfigError('VIGIL_API_KEYS_FILE', `key id "${id}" must match ${KEY_ID.source}`);
}

/** A new key: the credential to give the caller once, and the entry for the keys file. */
export function generateApiKey(id: string): { credential: string; entry: { id: string; hash: string } } {
  assertKeyId(id);
  const secret = randomBytes(32).toString('base64url');
  return { credential: `${id}.${secret}`, entry: { id, hash: hashApiSecretSha256(secret) } };
}

function parseHash(where: string, value: unknown): StoredHash {
  if (typeof value !== 'string') throw new ConfigError('VIGIL_API_KEYS_FILE', `${where}: hash must be a string`);
  const parts = value.split(':');
  if (parts[0] === 'sha256' && parts.length === 2 && /^[0-9a-f]{64}$/.test(parts[1]!)) return { kind: 'sha256', digest: Buffer.from(parts[1]!, 'hex') };
  if (parts[0] === 'scrypt' && parts.length === 6) {
    const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
    const salt = Buffer.from(parts[4]!, 'base64');
    const key = Buffer.from(parts[5]!, 'base64');
    if ([N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) && (N & (N - 1)) === 0 && salt.length >= 8 && key.length >= 16) return { kind: 'scrypt', N, r, p, salt, key };
  }
  throw new ConfigError('VIGIL_API_KEYS_FILE', `${where}: hash must be sha256:<64 hex> or scrypt:N:r:p:<salt b64>:<key b64>`);
}

/** Builds a verifier from the parsed keys document (`{ keys: [{ id, hash, disabled? }] }`). */
export function createApiKeyVerifier(document: unknown, source = 'keys'): ApiKeyVerifier {
  const list = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new ConfigError('VIGIL_API_KEYS_FILE', `${source} must hold "keys: [ { id, hash } ]"`);
  const keys = new Map<string, StoredHash>();
  list.forEach((entry: unknown, i) => {
    const where = `${source}: keys[${i}]`;
    const { id, hash, disabled } = (entry ?? {}) as { id?: unknown; hash?: unknown; disabled?: unknown };
    if (typeof id !== 'string' || !KEY_ID.test(id)) throw new ConfigError('VIGIL_API_KEYS_FILE', `${where}: id must match ${KEY_ID.source}`);
    if (keys.has(id)) throw new ConfigError('VIGIL_API_KEYS_FILE', `${where}: duplicate id "${id}"`);
    const stored = parseHash(where, hash);
    if (disabled !== true) keys.set(id, stored);
  });
  /** SHA-256 of the secret of each scrypt key, once scrypt confirmed it. */
  const confirmed = new Map<string, Buffer>();
  const decoy = sha256('decoy');

  return {
    size: keys.size,
    async verify(credential) {
      const dot = credential.indexOf('.');
      if (dot <= 0 || dot === credential.length - 1 || credential.length > 512) return undefined;
      const id = credential.slice(0, dot);
      const secret = credential.slice(dot + 1);
      const stored = keys.get(id);
      const digest = sha256(secret);
      if (stored === undefined) {
        timingSafeEqual(digest, decoy);
        return undefined;
      }
      if (stored.kind === 'sha256') return timingSafeEqual(digest, stored.digest) ? id : undefined;
      const known = confirmed.get(id);
      if (known !== undefined) return timingSafeEqual(digest, known) ? id : undefined;
      const key = await scrypt(secret, stored.salt, stored.key.length, { N: stored.N, r: stored.r, p: stored.p });
      if (!timingSafeEqual(key, stored.key)) return undefined;
      confirmed.set(id, digest);
      return id;
    },
  };
}

/** Reads a keys file (YAML or JSON); throws ConfigError naming VIGIL_API_KEYS_FILE. */
export function loadApiKeys(path: string): ApiKeyVerifier {
  let document: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    document = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError('VIGIL_API_KEYS_FILE', `cannot read ${path}: ${(error as Error).message}`);
  }
  return createApiKeyVerifier(document, path);
}

/** The credential from `Authorization: Bearer …` or `X-Api-Key`, or undefined. */
export function credentialOf(authorization: string, apiKey: string): string | undefined {
  if (apiKey !== '') return apiKey.trim();
  if (authorization.length > 7 && authorization.slice(0, 7).toLowerCase() === 'bearer ') return authorization.slice(7).trim();
  return undefined;
}
