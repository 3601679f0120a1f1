// One WebSocket per workspace tab, with heartbeats, request/ack matching and reconnection.
// Frames are described in docs/protocol.md. The socket holds no user-visible text.

export const PING_INTERVAL_MS = 25000;
const PONG_TIMEOUT_MS = 10000;
const REQUEST_TIMEOUT_MS = 10000;
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;
export const CLOSE_FORBIDDEN = 4403;

/** ws:// or wss:// following the page, so HTTPS pages never open a plain socket. */
export function socketUrl(path, loc = window.location) {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${loc.host}${path}`;
}

/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class RequestError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

/**
 * States: "connecting" (first attempt), "connected" (server said hello), "reconnecting"
 * (lost, retrying with backoff), "offline" (the browser is offline, or the server refused us).
 */
export class DeskSocket {
  constructor(url, { onState = () => {}, onFrame = () => {}, onForbidden = () => {} } = {}) {
    this.url = url;
    this.onState = onState;
    this.onFrame = onFrame;
    this.onForbidden = onForbidden;
    this.ws = null;
    this.state = null;
    this.attempt = 0;
    this.everConnected = false;
    this.stopped = false;
    this.nextRef = 1;
    this.pending = new Map();
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
  }

  start() {
    window.addEventListener("offline", () => this.drop("offline"));
    window.addEventListener("online", () => {
      if (!this.stopped && !this.ws) {
        this.attempt = 0;
        this.connect();
      }
    });
    this.connect();
  }

  get connected() {
    return this.state === "connected";
  }

  setState(state) {
    if (state !== this.state) {
      this.state = state;
      this.onState(state);
    }
  }

  connect() {
    clearTimeout(this.retryTimer);
    if (this.stopped) return;
    if (navigator.onLine === false) {
      this.setState("offline");
      return;
    }
    this.setState(this.everConnected ? "reconnecting" : "connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("message", (event) => {
      if (ws === this.ws) this.receive(event.data);
    });
    ws.addEventListener("close", (event) => {
      if (ws === this.ws) this.closed(event.code);
    });
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === "hello") {
      this.attempt = 0;
      this.everConnected = true;
      this.setState("connected");
      this.startHeartbeat();
    } else if (frame.type === "pong") {
      clearTimeout(this.pongTimer);
    }
    if ((frame.type === "ack" || frame.type === "error") && this.pending.has(frame.ref)) {
      const { resolve, reject, timer } = this.pending.get(frame.ref);
      clearTimeout(timer);
      this.pending.delete(frame.ref);
      if (frame.type === "ack") resolve(frame);
      else reject(new RequestError(frame.code, frame.message));
    }
    this.onFrame(frame);
  }

  closed(code) {
    this.ws = null;
    this.stopHeartbeat();
    this.failPending("connection_lost");
    if (code === CLOSE_FORBIDDEN) {
      this.stopped = true;
      this.setState("offline");
      this.onForbidden();
      return;
    }
    this.scheduleReconnect();
  }

  /** Give up on the current socket now (dead heartbeat, browser offline) without waiting. */
  drop(nextState) {
    const ws = this.ws;
    this.ws = null;
    this.stopHeartbeat();
    this.failPending("connection_lost");
    if (ws) ws.close();
    if (nextState === "offline") {
      clearTimeout(this.retryTimer);
      this.setState("offline");
    } else {
      this.scheduleReconnect();
    }
  }

  scheduleReconnect() {
    if (this.stopped) return;
    if (navigator.onLine === false) {
      this.setState("offline");
      return;
    }
    this.setState(this.everConnected ? "reconnecting" : "connecting");
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), backoffDelay(this.attempt));
    this.attempt += 1;
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.pingTimer = setInterval(() => {
      if (!this.send({ type: "ping", ref: this.makeRef("ping") })) return;
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => this.drop("reconnecting"), PONG_TIMEOUT_MS);
    }, PING_INTERVAL_MS);
  }

  stopHeartbeat() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }

  makeRef(prefix) {
    const ref = `${prefix}-${this.nextRef}`;
    this.nextRef += 1;
    return ref;
  }

  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Send a frame that the server answers with `ack` or `error` carrying the same `ref`. */
  request(frame) {
    return new Promise((resolve, reject) => {
      if (!this.connected) {
        reject(new RequestError("not_connected"));
        return;
      }
      const ref = this.makeRef(frame.type);
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new RequestError("timeout"));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(ref, { resolve, reject, timer });
      if (!this.send({ ...frame, ref })) {
        clearTimeout(timer);
        this.pending.delete(ref);
        reject(new RequestError("not_connected"));
      }
    });
  }

  failPending(code) {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new RequestError(code));
    }
    this.pending.clear();
  }
}
