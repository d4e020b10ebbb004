import { decode, encode } from '@msgpack/msgpack';

/**
 * What a payment contributes to the graph: its payer, entities and time. A PaymentEvent is a LinkRecord, so the
 * stage keeps references to its events instead of copying them.
 */
export interface LinkRecord {
  ts: number;
  account: string;
  amount: number;
  beneficiary?: string | undefined;
  card?: string | undefined;
  device?: string | undefined;
  ip?: string | undefined;
  terminal?: string | undefined;
  merchant?: string | undefined;
}

/** One message on the links topic: the links one instance recorded for one batch. */
export interface LinkBatch {
  /** Format version. */
  v: 1;
  /** Instance id of the publisher; a replica skips its own batches (it applied them locally). */
  src: string;
  links: LinkRecord[];
}

export type LinkBatchDecoding =
  | { ok: true; batch: LinkBatch; skipped: { index: number; reason: string }[] }
  | { ok: false; reason: string };

const MAX_ID = 256;
const OPTIONAL = ['beneficiary', 'card', 'device', 'ip', 'terminal', 'merchant'] as const;

/**
 * MessagePack, links as tuples `[ts, account, amount, beneficiary, card, device, ip, terminal, merchant]`
 * (absent fields are nil) to keep messages small.
 */
export function encodeLinkBatch(src: string, links: readonly LinkRecord[]): Uint8Array {
  const rows = new Array<unknown[]>(links.length);
  for (let i = 0; i < links.length; i++) {
    const l = links[i]!;
    rows[i] = [l.ts, l.account, l.amount, l.beneficiary ?? null, l.card ?? null, l.device ?? null, l.ip ?? null, l.terminal ?? null, l.merchant ?? null];
  }
  return encode({ v: 1, src, links: rows });
}

/** Decodes a links message; bad rows are skipped with a reason, an undecodable message is rejected whole. */
export function decodeLinkBatch(bytes: Uint8Array): LinkBatchDecoding {
  let raw: unknown;
  try {
    raw = decode(bytes);
  } catch (error) {
    return { ok: false, reason: `not MessagePack: ${(error as Error).message}` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'not a map' };
  const msg = raw as Record<string, unknown>;
  if (msg.v !== 1) return { ok: false, reason: `unsupported version ${JSON.stringify(msg.v)}` };
  if (!isId(msg.src)) return { ok: false, reason: 'src must be a non-empty string of at most 256 characters' };
  if (!Array.isArray(msg.links)) return { ok: false, reason: 'links must be an array' };
  const links: LinkRecord[] = [];
  const skipped: { index: number; reason: string }[] = [];
  msg.links.forEach((row: unknown, index: number) => {
    const result = decodeRow(row);
    if (typeof result === 'string') skipped.push({ index, reason: result });
    else links.push(result);
  });
  return { ok: true, batch: { v: 1, src: msg.src, links }, skipped };
}

function decodeRow(row: unknown): LinkRecord | string {
  if (!Array.isArray(row) || row.length !== 9) return 'link must be a 9-element array';
  const [ts, account, amount] = row as unknown[];
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) return 'ts must be a non-negative integer (epoch ms)';
  if (!isId(account)) return 'account must be a non-empty string of at most 256 characters';
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) return 'amount must be a non-negative integer';
  const link: LinkRecord = { ts, account, amount };
  for (let i = 0; i < OPTIONAL.length; i++) {
    const value: unknown = row[3 + i];
    if (value === null || value === undefined) continue;
    if (!isId(value)) return `${OPTIONAL[i]} must be nil or a non-empty string of at most 256 characters`;
    link[OPTIONAL[i]!] = value;
  }
  return link;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID;
}
