import { setTimeout as sleep } from 'node:timers/promises';

export interface ReadySample {
  at: number;
  ready: boolean;
  /** The /readyz body, e.g. `not ready: kafka unavailable`, or the request's error. */
  text: string;
}

/** Polls a `vigil run` instance's /readyz every `everyMs` until stopped, keeping every answer. */
export function watchReadiness(adminPort: number, everyMs = 250): { samples: ReadySample[]; stop(): Promise<void>; waitReady(timeoutMs: number): Promise<boolean> } {
  const samples: ReadySample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      try {
        const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`, { signal: AbortSignal.timeout(2000) });
        samples.push({ at, ready: res.status === 200, text: (await res.text()).trim() });
      } catch (error) {
        samples.push({ at, ready: false, text: `request failed: ${(error as Error).message}` });
      }
      await sleep(everyMs);
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
    async waitReady(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const since = Date.now();
      while (Date.now() < deadline) {
        const last = samples.at(-1);
        if (last !== undefined && last.at >= since && last.ready) return true;
        await sleep(everyMs);
      }
      return false;
    },
  };
}
