import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

export const PROMETHEUS_DIR = fileURLToPath(new URL('../../grafana/prometheus/', import.meta.url));

export interface PrometheusOptions {
  /** host:port of each Vigil admin endpoint to scrape. */
  targets: string[];
  /** Default 19090. */
  port?: number;
  /** Scrape and rule-evaluation interval. Default '1s'. */
  interval?: string;
  binary?: string;
}

export interface PromSample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface PromResult {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: PromSample[] | [number, string] };
}

export interface RuleState {
  name: string;
  type: 'recording' | 'alerting';
  query: string;
  health: string;
  lastError?: string;
  lastEvaluation: string;
  state?: string;
}

export interface PrometheusServer {
  url: string;
  query(expr: string, timeSeconds?: number): Promise<PromResult>;
  queryRange(expr: string, startSeconds: number, endSeconds: number, stepSeconds: number): Promise<PromResult>;
  rules(): Promise<RuleState[]>;
  /** Resolves once Prometheus has scraped every target successfully at least `times` times. */
  waitForScrapes(times: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the Debian `prometheus` on a temporary data directory with the project's own scrape
 * configuration (grafana/prometheus/prometheus.yml) and rules, its targets and intervals replaced.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const port = options.port ?? 19090;
  const interval = options.interval ?? '1s';
  const dir = mkdtempSync(join(tmpdir(), 'vigil-prom-'));
  const config = parseYaml(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: { static_configs: { targets: string[] }[]; scrape_interval?: string; scrape_timeout?: string }[];
  };
  config.global.scrape_interval = interval;
  config.global.evaluation_interval = interval;
  config.rule_files = config.rule_files.map((file) => join(PROMETHEUS_DIR, file));
  for (const job of config.scrape_configs) {
    job.static_configs = [{ targets: options.targets }];
    job.scrape_timeout = interval;
  }
  writeFileSync(join(dir, 'prometheus.yml'), stringifyYaml(config));
  const child: ChildProcess = spawn(
    options.binary ?? '/usr/bin/prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn', '--storage.tsdb.retention.time=1d'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
      const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`prometheus not ready on ${url} after 20 s: ${stderr}`);
      await sleep(200);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const api = async (path: string, params: Record<string, string>): Promise<PromResult> => {
    const response = await fetch(`${url}${path}`, { method: 'POST', body: new URLSearchParams(params) });
    return (await response.json()) as PromResult;
  };

  return {
    url,
    query: (expr, time) => api('/api/v1/query', time === undefined ? { query: expr } : { query: expr, time: String(time) }),
    queryRange: (expr, start, end, step) => api('/api/v1/query_range', { query: expr, start: String(start), end: String(end), step: String(step) }),
    async rules() {
      const body = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: { rules: RuleState[] }[] } };
      return body.data.groups.flatMap((g) => g.rules);
    },
    async waitForScrapes(times, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const result = await api('/api/v1/query', { query: `min(count_over_time(up{job="vigil"}[5m]) and on (instance) up{job="vigil"} == 1)` });
        const samples = (result.data?.result ?? []) as PromSample[];
        if (samples.length > 0 && Number(samples[0]!.value?.[1]) >= times) return;
        if (Date.now() > deadline) throw new Error(`Prometheus did not scrape ${options.targets.join(', ')} ${times} times within ${timeoutMs} ms: ${JSON.stringify(result)}`);
        await sleep(250);
      }
    },
    stop,
  };
}
