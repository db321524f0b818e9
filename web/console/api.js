// The console's server access: JSON calls with the bearer token, and the live socket with reconnects.

const KEY = "pa-console-auth";

export function loadAuth() {
  try {
    const a = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (a && a.expires_at * 1000 > Date.now()) return a;
  } catch (_) { /* ignore */ }
  return null;
}

export function saveAuth(a) {
  if (a) sessionStorage.setItem(KEY, JSON.stringify(a));
  else sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Call the API; throws ApiError with the server's {"error": {code, message}}. */
export async function api(path, { method = "GET", body, token, form } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload });
  } catch (e) {
    throw new ApiError(0, "network", "网络错误 network error");
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = { raw: text }; }
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(res.status, err.code || String(res.status), err.message || res.statusText);
  }
  return data;
}

/** The live feed: reconnects with back-off; stops for good on close code 4401 (bad token). */
export class LiveFeed {
  constructor(token, { onEvent, onState, onUnauthorized }) {
    this.token = token;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onUnauthorized = onUnauthorized;
    this.delay = 500;
    this.stopped = false;
    this.ws = null;
    this.watching = null;
    this.connect();
  }

  url() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    return `${proto}//${location.host}/api/v1/staff/live?token=${encodeURIComponent(this.token)}`;
  }

  connect() {
    if (this.stopped) return;
    this.onState("connecting");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (_) { return; }
      if (msg.type === "hello") {
        this.delay = 500;
        this.onState("open");
        if (this.watching) this.send({ type: "watch", ...this.watching });
      }
      this.onEvent(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.onState("closed");
      if (ev.code === 4401) {
        this.stopped = true;
        this.onUnauthorized();
        return;
      }
      if (!this.stopped) {
        setTimeout(() => this.connect(), this.delay);
        this.delay = Math.min(this.delay * 2, 10000);
      }
    };
  }

  send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  watch(sessionId, afterSeq) {
    this.watching = { session_id: sessionId, after_seq: afterSeq };
    this.send({ type: "watch", ...this.watching });
  }

  setAfter(seq) {
    if (this.watching) this.watching.after_seq = Math.max(this.watching.after_seq || 0, seq);
  }

  unwatch() {
    this.watching = null;
    this.send({ type: "unwatch" });
  }

  stop() {
    this.stopped = true;
    if (this.ws) this.ws.close();
  }
}
