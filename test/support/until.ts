import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` (sync or async) until it is true; fails naming `what` once `timeoutMs` has passed. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, pollMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(pollMs);
  }
}
