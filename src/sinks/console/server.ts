import uWS from 'uWebSockets.js';
import type { HttpRequest, HttpResponse, WebSocket, us_listen_socket } from 'uWebSockets.js';
import type { Logger } from '../../log.ts';
import { authenticate, cookieValue, SESSION_COOKIE, verifyPassword, type Credentials, type LoginThrottle, type Principal, type Sessions } from './auth.ts';
import type { Asset } from './assets.ts';
import type { FrameFormat } from './alert-codec.ts';
import { parseClientMessage, type ActionMessage } from './actions.ts';
import type { Client, Hub } from './hub.ts';
import type { ConsoleMetrics } from './metrics.ts';

export interface ConsoleHttpOptions {
  host: string;
  port: number;
  /** Origins allowed besides the console's own (same host). */
  origins: readonly string[];
  credentials: Credentials;
  sessions: Sessions;
  throttle: LoginThrottle;
  hub: Hub;
  metrics: ConsoleMetrics;
  log: Logger;
  /** Writes an audit entry (log line + audit topic) for logins. */
  auditLogin(name: string, outcome: 'ok' | 'denied' | 'locked' | 'logout', remote: string): void;
  /** Performs an analyst action (role already checked); rejects when it could not be recorded. */
  onAction(message: ActionMessage, who: Principal): Promise<void>;
  /** Records a refused action (viewer role). */
  onDenied(message: ActionMessage, who: Principal): void;
  assets: ReadonlyMap<string, Asset>;
  bufferLimitBytes: number;
  secureCookie: boolean;
}

interface SocketData {
  principal: Principal;
  format: FrameFormat;
  client?: Client;
  closed: boolean;
}

const MAX_BODY = 4096;
/** Client → server messages are small JSON requests; anything larger closes the connection. */
const MAX_CLIENT_MESSAGE = 4096;
const SECURITY_HEADERS: [string, string][] = [
  ['Content-Security-Policy', "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  ['X-Frame-Options', 'DENY'],
];
// A real scrypt hash of a random password: unknown users cost as much as known ones.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$Oq3Q2mXkqJ0x2CqGkqzV1o8wTqQfW5yX4s8nYw0a7Ys=';

function send(res: HttpResponse, status: string, type: string, body: string | Buffer, extra: [string, string][] = []): void {
  res.writeStatus(status);
  for (const [k, v] of SECURITY_HEADERS) res.writeHeader(k, v);
  res.writeHeader('Content-Type', type);
  for (const [k, v] of extra) res.writeHeader(k, v);
  res.end(body);
}

function json(res: HttpResponse, status: string, body: unknown, extra: [string, string][] = []): void {
  send(res, status, 'application/json', JSON.stringify(body), [['Cache-Control', 'no-store'], ...extra]);
}

function remoteOf(res: HttpResponse): string {
  return Buffer.from(res.getRemoteAddressAsText()).toString();
}

/** Same origin (the Host the browser used), a configured origin, or no Origin at all (not a browser). */
export function originAllowed(origin: string, host: string, allowed: readonly string[]): boolean {
  if (origin === '') return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

function readBody(res: HttpResponse, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    res.onData((chunk, isLast) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > limit) {
        done = true;
        resolve(undefined);
        return;
      }
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
  });
}

/** The console's HTTP routes and WebSocket feed on uWebSockets.js; the transport stays in this file. */
export function listenConsole(options: ConsoleHttpOptions): Promise<{ port: number; close(): void }> {
  const { hub, metrics, log } = options;
  const sockets = new Set<WebSocket<SocketData>>();
  const app = uWS.App();

  const principalOf = (req: HttpRequest): Principal | undefined => authenticate(options.credentials, options.sessions, req.getHeader('cookie'), req.getHeader('authorization'));

  for (const [path, asset] of options.assets) {
    app.get(path, (res) => send(res, '200 OK', asset.type, asset.body, [['Cache-Control', 'no-cache']]));
  }

  app.get('/favicon.ico', (res) => {
    res.writeStatus('204 No Content').end();
  });

  app.get('/api/me', (res, req) => {
    const who = principalOf(req);
    if (who === undefined) json(res, '401 Unauthorized', { error: 'not logged in' });
    else json(res, '200 OK', { user: who.name, role: who.role });
  });

  app.post('/api/login', (res, req) => {
    const origin = req.getHeader('origin');
    const host = req.getHeader('host');
    const remote = remoteOf(res);
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    if (!originAllowed(origin, host, options.origins)) {
      json(res, '403 Forbidden', { error: 'origin not allowed' });
      return;
    }
    void (async () => {
      const body = await readBody(res, MAX_BODY);
      let user = '';
      let password = '';
      try {
        const parsed = JSON.parse(body?.toString('utf8') ?? '') as { user?: unknown; password?: unknown };
        if (typeof parsed.user === 'string' && typeof parsed.password === 'string') ({ user, password } = parsed as { user: string; password: string });
      } catch {
        // answered below as bad credentials
      }
      let status: 'ok' | 'denied' | 'locked' = 'denied';
      let principal: Principal | undefined;
      if (user !== '' && options.throttle.locked(user)) status = 'locked';
      else {
        const entry = options.credentials.users.get(user);
        const valid = await verifyPassword(password, entry?.password ?? DUMMY_HASH);
        if (valid && entry !== undefined) {
          status = 'ok';
          principal = { name: entry.name, role: entry.role };
          options.throttle.succeed(user);
        } else if (user !== '') options.throttle.fail(user);
      }
      metrics.logins.inc({ outcome: status });
      options.auditLogin(user.slice(0, 64), status, remote);
      if (aborted) return;
      res.cork(() => {
        if (principal === undefined) {
          json(res, status === 'locked' ? '429 Too Many Requests' : '401 Unauthorized', { error: status === 'locked' ? 'too many failed logins, try again later' : 'wrong user name or password' });
          return;
        }
        const { token, expiresAt } = options.sessions.issue(principal);
        const maxAge = Math.floor((expiresAt - Date.now()) / 1000);
        const cookie = `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${options.secureCookie ? '; Secure' : ''}`;
        json(res, '200 OK', { user: principal.name, role: principal.role, token, expiresAt }, [['Set-Cookie', cookie]]);
      });
    })();
  });

  app.post('/api/logout', (res, req) => {
    if (!originAllowed(req.getHeader('origin'), req.getHeader('host'), options.origins)) {
      json(res, '403 Forbidden', { error: 'origin not allowed' });
      return;
    }
    const token = cookieValue(req.getHeader('cookie'), SESSION_COOKIE);
    const who = token === undefined ? undefined : options.sessions.verify(token);
    if (token !== undefined && who !== undefined) {
      options.sessions.revoke(token);
      options.auditLogin(who.name, 'logout', remoteOf(res));
    }
    json(res, '200 OK', { ok: true }, [['Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`]]);
  });

  app.ws<SocketData>('/ws', {
    maxPayloadLength: MAX_CLIENT_MESSAGE,
    idleTimeout: 60,
    sendPingsAutomatically: true,
    // The hub stops sending past bufferLimitBytes; this hard cap only guards against a runaway frame.
    maxBackpressure: options.bufferLimitBytes * 4 + 4 * 1024 * 1024,
    closeOnBackpressureLimit: 0,
    upgrade(res, req, context) {
      const origin = req.getHeader('origin');
      if (!originAllowed(origin, req.getHeader('host'), options.origins)) {
        metrics.upgradesRefused.inc({ reason: 'origin' });
        send(res, '403 Forbidden', 'text/plain', 'origin not allowed\n');
        return;
      }
      const principal = principalOf(req);
      if (principal === undefined) {
        metrics.upgradesRefused.inc({ reason: 'credentials' });
        send(res, '401 Unauthorized', 'text/plain', 'credentials required\n');
        return;
      }
      const format: FrameFormat = req.getQuery('format') === 'json' ? 'json' : 'msgpack';
      res.upgrade<SocketData>({ principal, format, closed: false }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open(ws) {
      sockets.add(ws);
      const data = ws.getUserData();
      const socket = {
        send: (msg: Uint8Array | string, binary: boolean) => ws.send(msg, binary, false) !== 2,
        bufferedAmount: () => ws.getBufferedAmount(),
      };
      ws.cork(() => {
        data.client = hub.add(socket, data.principal, data.format);
      });
    },
    message(ws, message) {
      const data = ws.getUserData();
      const client = data.client!;
      const parsed = parseClientMessage(Buffer.from(message).toString('utf8'));
      if (!parsed.ok) {
        hub.sendFrame(client, parsed.req === undefined ? { t: 'error', message: parsed.error } : { t: 'result', req: parsed.req, ok: false, error: parsed.error });
        return;
      }
      const msg = parsed.message;
      if (msg.t === 'resync') {
        ws.cork(() => hub.resync(client));
        return;
      }
      if (data.principal.role !== 'analyst') {
        options.onDenied(msg, data.principal);
        hub.sendFrame(client, { t: 'result', req: msg.req, ok: false, error: 'your role (viewer) may not do this' });
        return;
      }
      options.onAction(msg, data.principal).then(
        () => {
          if (!data.closed) ws.cork(() => hub.sendFrame(client, { t: 'result', req: msg.req, ok: true }));
        },
        (error: unknown) => {
          log.warn('action failed', { action: msg.action, user: data.principal.name, err: error });
          if (!data.closed) ws.cork(() => hub.sendFrame(client, { t: 'result', req: msg.req, ok: false, error: 'could not record the action, try again' }));
        },
      );
    },
    drain(ws) {
      const client = ws.getUserData().client;
      if (client !== undefined) ws.cork(() => hub.drained(client));
    },
    close(ws) {
      sockets.delete(ws);
      const data = ws.getUserData();
      data.closed = true;
      if (data.client !== undefined) hub.remove(data.client);
    },
  });

  app.any('/*', (res) => send(res, '404 Not Found', 'text/plain', 'not found\n'));

  return new Promise((resolve, reject) => {
    app.listen(options.host, options.port, (listenSocket: us_listen_socket | false) => {
      if (listenSocket === false) {
        reject(new Error(`console cannot listen on ${options.host}:${options.port}`));
        return;
      }
      resolve({
        port: uWS.us_socket_local_port(listenSocket as never),
        close() {
          uWS.us_listen_socket_close(listenSocket);
          for (const ws of [...sockets]) ws.end(1001, 'console stopping');
        },
      });
    });
  });
}
