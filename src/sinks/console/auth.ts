import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../errors.ts';

/** `viewer` sees alerts; `analyst` also acknowledges, labels and edits the allow/block lists. */
export type Role = 'viewer' | 'analyst';
const ROLES: ReadonlySet<string> = new Set(['viewer', 'analyst']);

export interface Principal {
  name: string;
  role: Role;
}

interface UserEntry extends Principal {
  /** `scrypt$N$r$p$salt(base64)$hash(base64)` */
  password: string;
}

interface TokenEntry extends Principal {
  /** Hex SHA-256 of the token: tokens are 32+ random bytes, so a fast hash is enough. */
  sha256: string;
}

export interface Credentials {
  users: ReadonlyMap<string, UserEntry>;
  tokens: ReadonlyMap<string, TokenEntry>;
}

const SCRYPT_N = 16384;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const KEY_LEN = 32;
const MAX_PASSWORD = 1024;

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** The users file form of a password: `scrypt$N$r$p$salt$hash` (what `vigil console hash-password` prints). */
export async function hashPassword(password: string): Promise<string> {
  if (password.length === 0 || password.length > MAX_PASSWORD) throw new RangeError(`password must be 1..${MAX_PASSWORD} characters`);
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_LEN, { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const SCRYPT_FORM = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = SCRYPT_FORM.exec(stored);
  if (m === null || password.length > MAX_PASSWORD) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await scryptAsync(password, Buffer.from(m[4]!, 'base64'), expected.length, { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]), maxmem: 256 * 1024 * 1024 });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Reads the users file (YAML or JSON): `users: [{name, role, password}]`, `tokens: [{name, role, sha256}]`. */
export function loadCredentials(path: string): Credentials {
  if (path === '') return { users: new Map(), tokens: new Map() };
  let doc: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    doc = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError('VIGIL_CONSOLE_USERS', `cannot read ${path}: ${(error as Error).message}`);
  }
  return parseCredentials(doc, path);
}

export function parseCredentials(doc: unknown, source = 'users file'): Credentials {
  const bad = (msg: string) => new ConfigError('VIGIL_CONSOLE_USERS', `${source}: ${msg}`);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw bad('must hold a mapping with `users` and/or `tokens`');
  const { users = [], tokens = [] } = doc as { users?: unknown; tokens?: unknown };
  if (!Array.isArray(users) || !Array.isArray(tokens)) throw bad('`users` and `tokens` must be lists');
  const principal = (entry: unknown, i: number, kind: string): Record<string, unknown> & Principal => {
    if (entry === null || typeof entry !== 'object') throw bad(`${kind}[${i}] must be a mapping`);
    const e = entry as Record<string, unknown>;
    if (typeof e.name !== 'string' || !/^[\w.@-]{1,64}$/.test(e.name)) throw bad(`${kind}[${i}].name must be 1-64 of letters, digits, _ . @ -`);
    if (typeof e.role !== 'string' || !ROLES.has(e.role)) throw bad(`${kind}[${i}].role must be viewer or analyst`);
    return e as Record<string, unknown> & Principal;
  };
  const userMap = new Map<string, UserEntry>();
  users.forEach((u, i) => {
    const e = principal(u, i, 'users');
    if (typeof e.password !== 'string' || !SCRYPT_FORM.test(e.password)) throw bad(`users[${i}].password must be a scrypt hash from \`vigil console hash-password\``);
    if (userMap.has(e.name)) throw bad(`user ${e.name} is listed twice`);
    userMap.set(e.name, { name: e.name, role: e.role, password: e.password });
  });
  const tokenMap = new Map<string, TokenEntry>();
  tokens.forEach((t, i) => {
    const e = principal(t, i, 'tokens');
    if (typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) throw bad(`tokens[${i}].sha256 must be 64 lower-case hex digits`);
    tokenMap.set(e.sha256, { name: e.name, role: e.role, sha256: e.sha256 });
  });
  return { users: userMap, tokens: tokenMap };
}

export interface SessionOptions {
  /** HMAC key; instances behind one load balancer must share it. */
  secret: Buffer;
  ttlMs: number;
  now?: () => number;
}

/**
 * Stateless session tokens `payload.mac` (payload = base64url JSON {u, r, exp, n}), so any console
 * instance holding the secret accepts them. Logout revokes a token in this instance until it expires.
 */
export class Sessions {
  private readonly revoked = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: SessionOptions) {
    this.now = options.now ?? Date.now;
  }

  issue(principal: Principal): { token: string; expiresAt: number } {
    const exp = this.now() + this.options.ttlMs;
    const payload = Buffer.from(JSON.stringify({ u: principal.name, r: principal.role, exp, n: randomBytes(8).toString('hex') })).toString('base64url');
    return { token: `${payload}.${this.mac(payload)}`, expiresAt: exp };
  }

  verify(token: string): Principal | undefined {
    if (token.length > 1024) return undefined;
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const payload = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.mac(payload), 'base64url');
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
    if (this.revoked.has(token)) return undefined;
    let claims: { u?: unknown; r?: unknown; exp?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return undefined;
    }
    if (typeof claims.u !== 'string' || typeof claims.r !== 'string' || !ROLES.has(claims.r) || typeof claims.exp !== 'number') return undefined;
    if (claims.exp <= this.now()) return undefined;
    return { name: claims.u, role: claims.r as Role };
  }

  revoke(token: string): void {
    const now = this.now();
    for (const [t, exp] of this.revoked) if (exp <= now) this.revoked.delete(t);
    this.revoked.set(token, now + this.options.ttlMs);
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.options.secret).update(payload).digest('base64url');
  }
}

/** Throttles password guessing per user name: after `maxFailures` in `windowMs`, that name is locked for the window. */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = 5,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  locked(name: string): boolean {
    return this.recent(name).length >= this.maxFailures;
  }

  fail(name: string): void {
    const list = this.recent(name);
    list.push(this.now());
    this.failures.set(name, list);
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
  }

  succeed(name: string): void {
    this.failures.delete(name);
  }

  private recent(name: string): number[] {
    const since = this.now() - this.windowMs;
    return (this.failures.get(name) ?? []).filter((t) => t > since);
  }
}

/** Parses one cookie out of a Cookie header. */
export function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Who presents these credentials: a session cookie (browsers), or `Authorization: Bearer` holding a
 * session token or a configured API token.
 */
export function authenticate(credentials: Credentials, sessions: Sessions, cookieHeader: string, authorization: string): Principal | undefined {
  const session = cookieValue(cookieHeader, SESSION_COOKIE);
  if (session !== undefined) {
    const p = sessions.verify(session);
    if (p !== undefined) return p;
  }
  const m = /^Bearer\s+(\S{1,1024})$/i.exec(authorization);
  if (m === null) return undefined;
  const bearer = m[1]!;
  if (bearer.includes('.')) {
    const p = sessions.verify(bearer);
    if (p !== undefined) return p;
  }
  const token = credentials.tokens.get(tokenDigest(bearer));
  return token === undefined ? undefined : { name: token.name, role: token.role };
}

export const SESSION_COOKIE = 'vigil_session';
