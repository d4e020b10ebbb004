import { encode as encodeMsgpack } from '@msgpack/msgpack';
import type { HttpResponse } from 'uWebSockets.js';
import type { ErrorCode } from '../errors.ts';
import type { ApiMetrics } from './metrics.ts';
import { STATUS_LINES, type RouteName } from './routes.ts';

export type BodyFormat = 'json' | 'msgpack';

/** The error body of every 4xx/5xx answer: which code, why, and the field at fault when there is one. */
export interface ApiErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

const JSON_TYPE = 'application/json';
const MSGPACK_TYPE = 'application/msgpack';
const SECONDS_PER_NS = 1e-9;

/**
 * One request and its answer on uWebSockets.js. The response object is only valid until it is
 * answered or aborted, so every write checks `done` and runs corked.
 */
export class Exchange {
  done = false;
  /** Set once the body is complete (or known to be over the limit). */
  body: Buffer | undefined;
  overflow = false;
  #chunks: Buffer[] | undefined;
  #length = 0;

  constructor(
    readonly res: HttpResponse,
    readonly route: RouteName,
    readonly receivedNs: bigint,
    readonly metrics: ApiMetrics,
  ) {}

  /** Collects the body up to `limit` bytes; calls `onEnd` once when it is complete or over the limit. */
  readBody(limit: number, onEnd: () => void): void {
    this.res.onData((chunk, isLast) => {
      if (this.overflow || this.done) return;
      this.#length += chunk.byteLength;
      if (this.#length > limit) {
        this.overflow = true;
        this.#chunks = undefined;
        onEnd();
        return;
      }
      if (isLast) {
        if (this.#chunks === undefined) this.body = Buffer.from(new Uint8Array(chunk));
        else {
          this.#chunks.push(Buffer.from(new Uint8Array(chunk)));
          this.body = Buffer.concat(this.#chunks, this.#length);
          this.#chunks = undefined;
        }
        onEnd();
      } else {
        (this.#chunks ??= []).push(Buffer.from(new Uint8Array(chunk)));
      }
    });
  }

  /** Sends a body with its status; `close` ends the connection (used when the request body is not read). */
  send(status: number, format: BodyFormat, payload: unknown, headers?: Record<string, string>, close = false): void {
    if (this.done) return;
    this.done = true;
    const body = format === 'json' ? JSON.stringify(payload) : encodeMsgpack(payload);
    this.res.cork(() => {
      this.res.writeStatus(STATUS_LINES[status] ?? `${status}`).writeHeader('content-type', format === 'json' ? JSON_TYPE : MSGPACK_TYPE);
      if (headers !== undefined) for (const name in headers) this.res.writeHeader(name, headers[name]!);
      this.res.end(body, close);
    });
    this.metrics.answered(this.route, status, Number(process.hrtime.bigint() - this.receivedNs) * SECONDS_PER_NS);
  }

  fail(status: number, code: ErrorCode, message: string, field?: string, headers?: Record<string, string>, close = false): void {
    const body: ApiErrorBody = { error: field === undefined ? { code, message } : { code, message, field } };
    this.send(status, 'json', body, headers, close);
  }
}
