import { Decoder } from '@msgpack/msgpack';
import { ErrorCodes, InvalidEventError } from '../errors.ts';
import { EVENT_TYPES, OPTIONAL_STRING_FIELDS, type EventType, type PaymentEvent } from './event.ts';

export type ContentType = 'json' | 'msgpack';

const MSGPACK_TYPES = new Set(['application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack']);
const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
/** Events before this are far too old to be a payment being authorised (2000-01-01T00:00:00Z). */
const MIN_TS = 946_684_800_000;
const MAX_ID_LENGTH = 256;
const MAX_FIELD_LENGTH = 256;

/** Maps a `content-type` header to a codec; absent means JSON. Unknown types are rejected. */
export function contentTypeOf(header: string | undefined): ContentType {
  if (header === undefined || header === '') return 'json';
  const base = header.split(';', 1)[0]!.trim().toLowerCase();
  if (base === 'application/json') return 'json';
  if (MSGPACK_TYPES.has(base)) return 'msgpack';
  throw new InvalidEventError(ErrorCodes.EVENT_UNDECODABLE, `unsupported content-type "${header}" (use application/json or application/msgpack)`);
}

export interface DecodeLimits {
  maxBytes: number;
  /** Latest acceptable event time = now + this skew. */
  maxFutureSkewMs: number;
}

function invalid(field: string, message: string): never {
  throw new InvalidEventError(ErrorCodes.EVENT_INVALID, `${field}: ${message}`, field);
}

function requiredString(record: Record<string, unknown>, field: string, maxLength: number): string {
  const value = record[field];
  if (value === undefined || value === null) invalid(field, 'is required');
  if (typeof value !== 'string') invalid(field, `expected a string, got ${describe(value)}`);
  if (value.length === 0) invalid(field, 'must not be empty');
  if (value.length > maxLength) invalid(field, `longer than ${maxLength} characters`);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

function eventTime(value: unknown, now: number, limits: DecodeLimits): number {
  let ts: number;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) invalid('ts', `expected integer epoch milliseconds, got ${value}`);
    ts = value;
  } else if (typeof value === 'string') {
    if (!ISO_8601.test(value)) invalid('ts', `"${value.slice(0, 40)}" is not ISO-8601 with a time zone`);
    ts = Date.parse(value);
    if (Number.isNaN(ts)) invalid('ts', `"${value.slice(0, 40)}" is not a valid date`);
  } else {
    invalid('ts', value === undefined || value === null ? 'is required' : `expected epoch ms or ISO-8601, got ${describe(value)}`);
  }
  if (ts < MIN_TS) invalid('ts', `${new Date(ts).toISOString()} is before 2000-01-01`);
  if (ts > now + limits.maxFutureSkewMs) invalid('ts', `${new Date(ts).toISOString()} is in the future`);
  return ts;
}

/** Checks a decoded object against event contract v1 and returns a normalised event. */
export function validateEvent(input: unknown, now: number, limits: DecodeLimits): PaymentEvent {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidEventError(ErrorCodes.EVENT_INVALID, `event must be an object, got ${describe(input)}`);
  }
  const record = input as Record<string, unknown>;
  const id = requiredString(record, 'id', MAX_ID_LENGTH);
  const ts = eventTime(record.ts, now, limits);
  const type = record.type;
  if (typeof type !== 'string' || !EVENT_TYPE_SET.has(type)) invalid('type', `expected one of ${EVENT_TYPES.join(' | ')}, got ${typeof type === 'string' ? `"${type.slice(0, 40)}"` : describe(type)}`);
  const amount = record.amount;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) invalid('amount', `expected integer minor units, got ${typeof amount === 'number' ? amount : describe(amount)}`);
  if (amount < 0) invalid('amount', `must be >= 0, got ${amount}`);
  const currency = requiredString(record, 'currency', 3);
  if (!/^[A-Z]{3}$/.test(currency)) invalid('currency', `"${currency}" is not an ISO 4217 code`);
  const event: PaymentEvent = { id, ts, type: type as EventType, amount, currency, account: requiredString(record, 'account', MAX_FIELD_LENGTH) };
  for (const field of OPTIONAL_STRING_FIELDS) {
    const value = record[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') invalid(field, `expected a string, got ${describe(value)}`);
    if (value.length === 0) invalid(field, 'must not be empty when present');
    if (value.length > MAX_FIELD_LENGTH) invalid(field, `longer than ${MAX_FIELD_LENGTH} characters`);
    event[field] = value;
  }
  return event;
}

// Decoders are reused (the package's `decode()` builds one per call); limits come from configuration, so one or two.
const decoders = new Map<number, Decoder>();
function msgpackDecoder(maxBytes: number): Decoder {
  let decoder = decoders.get(maxBytes);
  if (decoder === undefined) {
    decoder = new Decoder({ maxStrLength: maxBytes, maxBinLength: maxBytes, maxArrayLength: 4096, maxMapLength: 256 });
    decoders.set(maxBytes, decoder);
  }
  return decoder;
}

/** Decodes one message value (JSON or MessagePack) into a validated event, or throws InvalidEventError. */
export function decodeEvent(value: Buffer | null, contentType: ContentType, now: number, limits: DecodeLimits): PaymentEvent {
  if (value === null || value.length === 0) throw new InvalidEventError(ErrorCodes.EVENT_UNDECODABLE, 'empty message');
  if (value.length > limits.maxBytes) throw new InvalidEventError(ErrorCodes.EVENT_TOO_LARGE, `message of ${value.length} bytes is over the limit of ${limits.maxBytes}`);
  let parsed: unknown;
  try {
    parsed = contentType === 'json' ? JSON.parse(value.toString('utf8')) : msgpackDecoder(limits.maxBytes).decode(value);
  } catch (error) {
    throw new InvalidEventError(ErrorCodes.EVENT_UNDECODABLE, `not valid ${contentType === 'json' ? 'JSON' : 'MessagePack'}: ${(error as Error).message.slice(0, 200)}`);
  }
  return validateEvent(parsed, now, limits);
}
