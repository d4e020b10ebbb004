import { ConfigError } from '../errors.ts';

export type Parser<T> = (key: string, raw: string) => T;

export const text: Parser<string> = (key, raw) => {
  if (raw.trim() === '') throw new ConfigError(key, 'must not be empty');
  return raw.trim();
};

/** A string that may be empty (meaning: not set). */
export const optionalText: Parser<string> = (_key, raw) => raw.trim();

/** Comma-separated `scheme://host[:port]` origins; empty means same-origin only. */
export const originList: Parser<string[]> = (key, raw) => {
  const list = raw.split(',').map((o) => o.trim()).filter((o) => o !== '');
  for (const origin of list) if (!/^https?:\/\/[^\s/]+$/.test(origin)) throw new ConfigError(key, `"${origin}" is not an origin like https://console.example.com`);
  return list;
};

export function integer(min: number, max: number): Parser<number> {
  return (key, raw) => {
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value)) throw new ConfigError(key, `expected an integer, got "${raw}"`);
    if (value < min || value > max) throw new ConfigError(key, `expected a value between ${min} and ${max}, got ${value}`);
    return value;
  };
}

export const port: Parser<number> = integer(0, 65535);

export const bool: Parser<boolean> = (key, raw) => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(key, `expected true or false, got "${raw}"`);
};

export function oneOf<const T extends string>(...choices: T[]): Parser<T> {
  return (key, raw) => {
    const v = raw.trim() as T;
    if (!choices.includes(v)) throw new ConfigError(key, `expected one of ${choices.join(', ')}, got "${raw}"`);
    return v;
  };
}

export const brokers: Parser<string[]> = (key, raw) => {
  const list = raw.split(',').map((b) => b.trim()).filter((b) => b !== '');
  if (list.length === 0) throw new ConfigError(key, 'expected host:port[,host:port…]');
  for (const broker of list) {
    const match = /^([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(broker);
    if (match === null || Number(match[2]) > 65535) throw new ConfigError(key, `"${broker}" is not host:port`);
  }
  return list;
};

export const redisUrl: Parser<string> = (key, raw) => {
  const value = raw.trim();
  if (!/^(rediss?|redis-cluster):\/\/[^\s]+$/.test(value)) {
    throw new ConfigError(key, `expected redis://host:port[/db] or redis-cluster://host:port,host:port…, got "${raw}"`);
  }
  return value;
};

export const currencyList: Parser<string[]> = (key, raw) => {
  const list = raw.split(',').map((c) => c.trim().toUpperCase()).filter((c) => c !== '');
  for (const c of list) if (!/^[A-Z]{3}$/.test(c)) throw new ConfigError(key, `"${c}" is not an ISO 4217 code`);
  return list;
};

export const topicName: Parser<string> = (key, raw) => {
  const v = raw.trim();
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(v) || v === '.' || v === '..') throw new ConfigError(key, `"${raw}" is not a valid Kafka topic name`);
  return v;
};

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `30s`, `10m`, `24h`, `30d` → milliseconds. */
export const duration: Parser<number> = (key, raw) => {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(raw.trim());
  if (match === null) throw new ConfigError(key, `expected a duration such as 30s, 10m, 24h or 30d, got "${raw}"`);
  return Number(match[1]) * DURATION_UNITS[match[2]!]!;
};
