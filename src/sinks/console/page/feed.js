// The WebSocket feed: MessagePack frames from /ws (decoded with the vendored @msgpack/msgpack build),
// reconnection with backoff, resync and analyst actions with request ids.
/* global MessagePack */

/**
 * @param {{ onFrame: (frame: any) => void, onState: (state: 'connecting'|'live'|'closed', why?: string) => void, onUnauthorized: () => void }} handlers
 */
export function openFeed(handlers) {
  /** @type {WebSocket | undefined} */
  let ws;
  let attempt = 0;
  let stopped = false;
  let nextReq = 1;
  /** @type {Map<number, (result: {ok: boolean, error?: string}) => void>} */
  const pending = new Map();

  function connect() {
    handlers.onState('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    ws = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      attempt = 0;
      handlers.onState('live');
    };
    socket.onmessage = (event) => {
      const frame = typeof event.data === 'string' ? JSON.parse(event.data) : MessagePack.decode(new Uint8Array(event.data));
      if (frame.t === 'result') {
        const done = pending.get(frame.req);
        pending.delete(frame.req);
        if (done) done({ ok: frame.ok, error: frame.error });
        return;
      }
      handlers.onFrame(frame);
    };
    socket.onclose = async () => {
      for (const done of pending.values()) done({ ok: false, error: 'connection lost' });
      pending.clear();
      if (stopped) return;
      handlers.onState('closed');
      if (!opened) {
        // The upgrade was refused: find out whether the session is gone before retrying.
        const me = await fetch('/api/me', { credentials: 'same-origin' }).catch(() => undefined);
        if (me && me.status === 401) {
          handlers.onUnauthorized();
          return;
        }
      }
      attempt++;
      setTimeout(connect, Math.min(10_000, 250 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2));
    };
  }
  connect();

  return {
    resync() {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ t: 'resync' }));
    },
    /** @param {Record<string, unknown>} action @returns {Promise<{ok: boolean, error?: string}>} */
    act(action) {
      return new Promise((resolve) => {
        if (!ws || ws.readyState !== WebSocket.OPEN) {
          resolve({ ok: false, error: 'not connected' });
          return;
        }
        const req = nextReq++;
        pending.set(req, resolve);
        ws.send(JSON.stringify({ t: 'action', req, ...action }));
      });
    },
    close() {
      stopped = true;
      ws?.close();
    },
  };
}
