import { Encoder } from '@msgpack/msgpack';
import type { IncomingMessage, OutgoingRecord } from '../ingest/kafka.ts';
import type { InvalidEventError } from '../errors.ts';
import type { Decision } from '../rules/decision.ts';

export interface SinkTopics {
  decisions: string;
  alerts: string;
  dlq: string;
}

export type DecisionFormat = 'json' | 'msgpack';

const CONTENT_TYPE: Record<DecisionFormat, string> = { json: 'application/json', msgpack: 'application/msgpack' };

// One encoder for the process: `encode()` of the package builds a new one (and its buffer) per call.
const msgpack = new Encoder();

export function encodeDecision(decision: Decision, format: DecisionFormat): Buffer | string {
  return format === 'json' ? JSON.stringify(decision) : Buffer.from(msgpack.encodeSharedRef(decision));
}

/** The decision on the decisions topic and, unless it is allow, on the alerts topic; keyed by payer account. */
export function decisionRecords(decision: Decision, account: string, topics: SinkTopics, format: DecisionFormat, out: OutgoingRecord[]): void {
  const value = encodeDecision(decision, format);
  const headers = { 'content-type': CONTENT_TYPE[format] };
  out.push({ topic: topics.decisions, key: account, value, headers });
  if (decision.decision !== 'allow') out.push({ topic: topics.alerts, key: account, value, headers });
}

/** Dead letters stay under the broker's default max.message.bytes (1 MiB). */
export const MAX_DEAD_LETTER_BYTES = 512 * 1024;

/** The original bytes, untouched (up to MAX_DEAD_LETTER_BYTES), with the reason and the source position in headers. */
export function deadLetterRecord(message: IncomingMessage, sourceTopic: string, partition: number, error: InvalidEventError, dlqTopic: string): OutgoingRecord {
  const headers: Record<string, string | Buffer> = {};
  if (message.headers) {
    for (const [k, v] of Object.entries(message.headers)) {
      if (typeof v === 'string' || Buffer.isBuffer(v)) headers[k] = v;
    }
  }
  headers['vigil-error-code'] = error.code;
  headers['vigil-error-reason'] = error.message;
  if (error.field !== undefined) headers['vigil-error-field'] = error.field;
  headers['vigil-source-topic'] = sourceTopic;
  headers['vigil-source-partition'] = String(partition);
  headers['vigil-source-offset'] = message.offset;
  headers['vigil-source-timestamp'] = message.timestamp;
  let value = message.value ?? Buffer.alloc(0);
  if (value.length > MAX_DEAD_LETTER_BYTES) {
    // The DLQ topic may accept less than the input topic; keep the head, say how long the original was.
    headers['vigil-truncated-from-bytes'] = String(value.length);
    value = value.subarray(0, MAX_DEAD_LETTER_BYTES);
  }
  return { topic: dlqTopic, key: message.key, value, headers };
}
