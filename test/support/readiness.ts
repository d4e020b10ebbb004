import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startVigilChild, type VigilChild } from './vigil-child.ts';

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

/** Starts `vigil run` with an admin port, watches its /readyz until the test ends, and waits until it is ready. */
export async function startReadyVigil(t: TestContext, env: Record<string, string>, adminPort: number, children: VigilChild[]): Promise<{ vigil: VigilChild; readiness: ReturnType<typeof watchReadiness> }> {
  const vigil = startVigilChild(env, children);
  const readiness = watchReadiness(adminPort);
  t.after(() => readiness.stop());
  assert.ok(await readiness.waitReady(120_000), `the processor became ready (last: ${readiness.samples.at(-1)?.text}; stderr: ${vigil.stderr().slice(-1000)})`);
  return { vigil, readiness };
}
