// A JSON WebSocket that reconnects with backoff after it closes and queues what is sent while it is
// down. Used for WS /ws/chat.

export function wsUrl(path) {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

export class ReconnectingSocket {
  constructor(url, { onMessage, onStatus } = {}) {
    this.url = url;
    this.onMessage = onMessage || (() => {});
    this.onStatus = onStatus || (() => {});
    this.queue = [];
    this.ws = null;
    this.attempt = 0;
    this.closedByUs = false;
    this.timer = null;
  }

  connect() {
    this.closedByUs = false;
    clearTimeout(this.timer);
    this.onStatus("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.onStatus("open");
      const pending = this.queue.splice(0);
      for (const msg of pending) ws.send(msg);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== "string") return;
      let data;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.onMessage(data);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.onStatus("closed");
      if (!this.closedByUs) this.scheduleReconnect();
    };
    ws.onerror = () => {
      // onclose follows and reconnects.
    };
  }

  scheduleReconnect() {
    const delay = Math.min(10000, 500 * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  get isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send an object as JSON now, or when the socket is next open. */
  send(obj) {
    const msg = JSON.stringify(obj);
    if (this.isOpen) this.ws.send(msg);
    else {
      this.queue.push(msg);
      if (!this.ws) {
        clearTimeout(this.timer);
        this.connect();
      }
    }
  }

  close() {
    this.closedByUs = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
    this.ws = null;
  }
}
