import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../../../src/config/index.ts';
import type { Metrics } from '../../../src/admin/index.ts';
import { createKafka } from '../../../src/ingest/index.ts';
import { createLogger } from '../../../src/log.ts';
import { hashPassword, startConsoleServer, tokenDigest, type ConsoleServer } from '../../../src/sinks/console/index.ts';
import { testConfig } from '../../support/processor.ts';
import { deleteTopics, testKafka } from '../../support/kafka.ts';

export interface TestUsers {
  file: string;
  analyst: { user: string; password: string };
  viewer: { user: string; password: string };
  token: string;
  cleanup(): void;
}

/** A users file of its own: an analyst, a viewer and an API token (viewer). */
export async function writeUsersFile(): Promise<TestUsers> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-console-'));
  const analyst = { user: 'ana', password: `pw-${randomBytes(6).toString('hex')}` };
  const viewer = { user: 'vic', password: `pw-${randomBytes(6).toString('hex')}` };
  const token = randomBytes(32).toString('base64url');
  const file = join(dir, 'users.json');
  writeFileSync(
    file,
    JSON.stringify({
      users: [
        { name: analyst.user, role: 'analyst', password: await hashPassword(analyst.password) },
        { name: viewer.user, role: 'viewer', password: await hashPassword(viewer.password) },
      ],
      tokens: [{ name: 'loadtest', role: 'viewer', sha256: tokenDigest(token) }],
    }),
  );
  return { file, analyst, viewer, token, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestConsole {
  config: Config;
  console: ConsoleServer;
  url: string;
  users: TestUsers;
  cleanup(): Promise<void>;
}

/** A console on a port of its own (port 0), with topics of its own unless a config is given. */
export async function startTestConsole(options: { config?: Config; overrides?: Record<string, string>; maxAlertsPerFrame?: number; metrics?: Metrics } = {}): Promise<TestConsole> {
  const users = await writeUsersFile();
  const config = options.config ?? testConfig({ VIGIL_CONSOLE_PORT: '0', VIGIL_CONSOLE_HOST: '127.0.0.1', VIGIL_CONSOLE_USERS: users.file, ...options.overrides });
  // testConfig names lists and audit topics of the test's own; with a processor's config, the console's list
  // changes reach that processor.
  const withUsers = { ...config, consoleUsersFile: users.file, consolePort: 0, consoleHost: '127.0.0.1' };
  const log = createLogger(config.logLevel);
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: `console-test-${randomBytes(3).toString('hex')}`, logger: log });
  const server = await startConsoleServer({ config: withUsers, log, kafka, ...(options.maxAlertsPerFrame ? { maxAlertsPerFrame: options.maxAlertsPerFrame } : {}), ...(options.metrics ? { metrics: options.metrics } : {}) });
  return {
    config: withUsers,
    console: server,
    url: `http://127.0.0.1:${server.port}`,
    users,
    async cleanup() {
      await server.close();
      users.cleanup();
      await deleteTopics(testKafka(), [withUsers.topicAlerts, withUsers.topicLabels, withUsers.topicLists, withUsers.topicAudit]);
    },
  };
}

/** Waits until `check` is true (polling), or fails with `what` after the timeout. */
export async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
