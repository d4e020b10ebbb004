import type { OutgoingRecord } from './kafka.ts';

type Send = (records: readonly OutgoingRecord[]) => Promise<void>;

interface Waiting {
  records: readonly OutgoingRecord[];
  resolve(): void;
  reject(error: unknown): void;
}

/** Errors about the records themselves, which one caller's records can cause for everyone sent with them. */
const RECORD_ERRORS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_REQUIRED_ACKS']);

function errorType(error: unknown): string | undefined {
  for (let e = error as { type?: unknown; cause?: unknown } | undefined, depth = 0; e !== undefined && e !== null && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.type === 'string' && RECORD_ERRORS.has(e.type)) return e.type;
  }
  return undefined;
}

/**
 * Sends made in the same turn of the event loop go out together: the batches of one fetch finish their scoring in
 * the same Redis reply, so their decisions share one produce request instead of one each (each request costs both
 * processes CPU and the broker a request). Nothing waits longer than that turn. Each caller resolves once its records
 * are acknowledged; if the broker refuses the records themselves, each caller's records are sent again on their own,
 * so that only the caller whose records are refused sees the error.
 */
export function coalescingSends(send: Send): Send {
  let waiting: Waiting[] = [];
  const flush = (): void => {
    const group = waiting;
    waiting = [];
    if (group.length === 1) {
      const only = group[0]!;
      send(only.records).then(only.resolve, only.reject);
      return;
    }
    const all: OutgoingRecord[] = [];
    for (const w of group) for (const record of w.records) all.push(record);
    send(all).then(
      () => {
        for (const w of group) w.resolve();
      },
      (error: unknown) => {
        if (errorType(error) === undefined) for (const w of group) w.reject(error);
        else for (const w of group) send(w.records).then(w.resolve, w.reject);
      },
    );
  };
  return (records) =>
    new Promise<void>((resolve, reject) => {
      if (waiting.push({ records, resolve, reject }) === 1) setImmediate(flush);
    });
}
