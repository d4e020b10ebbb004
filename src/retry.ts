import { setTimeout as sleep } from 'node:timers/promises';
import { isRetriable } from './errors.ts';

/** Exponential backoff with full jitter, capped. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** kafkajs marks its transient failures with `retriable`; connection-level ones are named. */
export function isTransient(error: unknown): boolean {
  if (isRetriable(error)) return true;
  if (!(error instanceof Error)) return false;
  const e = error as Error & { retriable?: boolean };
  if (e.name.startsWith('KafkaJS')) return e.retriable === true || /Connection|NumberOfRetriesExceeded|RequestTimeout|NotLeader|BrokerNotFound/.test(e.name);
  return false;
}

export class BatchAbandonedError extends Error {
  constructor(readonly dependency: string, options?: { cause?: unknown }) {
    super(`batch abandoned while waiting for ${dependency}: the consumer is stopping or lost the partition`, options);
    this.name = 'BatchAbandonedError';
  }
}

export interface RetryHooks {
  isActive(): boolean;
  heartbeat(): Promise<void>;
  onRetry(attempt: number, delayMs: number, error: unknown): void;
  onRecovered(attempts: number): void;
}

/** Runs `work` until it succeeds; transient failures wait and retry while the batch is still ours. */
export async function untilDone<T>(dependency: string, work: () => Promise<T>, hooks: RetryHooks, baseMs: number, maxMs: number): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await work();
      if (attempt > 0) hooks.onRecovered(attempt);
      return result;
    } catch (error) {
      if (!isTransient(error)) throw error;
      const delay = backoffDelay(attempt, baseMs, maxMs);
      hooks.onRetry(attempt + 1, delay, error);
      const deadline = Date.now() + delay;
      while (Date.now() < deadline) {
        if (!hooks.isActive()) throw new BatchAbandonedError(dependency, { cause: error });
        await hooks.heartbeat().catch(() => {});
        await sleep(Math.min(500, Math.max(0, deadline - Date.now())));
      }
      if (!hooks.isActive()) throw new BatchAbandonedError(dependency, { cause: error });
    }
  }
}
