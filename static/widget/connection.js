// The widget's one WebSocket: heartbeat, honest states, reconnection with backoff and jitter.
// Frames are in docs/protocol.md ("Widget socket"). No user-visible text lives here.

const PING_MS = 25000;
const PONG_TIMEOUT_MS = 10000;
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;
export const CLOSE_FORBIDDEN = 4403;

/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * States: "connecting" (never connected yet), "connected" (hello received), "reconnecting"
 * (lost, retrying), "offline" (the browser is offline). A 4403 close calls onForbidden and stops.
 */
export class WidgetSocket {
  constructor(url, { token, onState, onFrame, onForbidden }) {
    this.url = url;
    this.token = token; // () => the current visitor token, sent in the first frame (never the URL)
    this.onState = onState;
    this.onFrame = onFrame;
    this.onForbidden = onForbidden;
    this.ws = null;
    this.state = null;
    this.attempt = 0;
    this.everConnected = false;
    this.stopped = true;
    this.timers = {};
    window.addEventListener("offline", () => this.drop(true));
    window.addEventListener("online", () => {
      if (!this.stopped && !this.ws) {
        this.attempt = 0;
        this.connect();
      }
    });
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

  start() {
    this.stopped = false;
    this.attempt = 0;
    this.connect();
  }

  connect() {
    clearTimeout(this.timers.retry);
    if (this.stopped || this.ws) return;
    if (navigator.onLine === false) {
      this.setState("offline");
      return;
    }
    this.setState(this.everConnected ? "reconnecting" : "connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "auth", token: this.token() })));
    ws.addEventListener("message", (event) => ws === this.ws && this.receive(event.data));
    ws.addEventListener("close", (event) => ws === this.ws && this.closed(event.code));
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
      this.heartbeat();
    } else if (frame.type === "pong") {
      clearTimeout(this.timers.pong);
    }
    this.onFrame(frame);
  }

  closed(code) {
    this.ws = null;
    this.stopHeartbeat();
    if (code === CLOSE_FORBIDDEN) {
      this.stopped = true;
      this.onForbidden();
      return;
    }
    this.retry();
  }

  /** Close for good (sign-out): no reconnect, no callbacks. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timers.retry);
    const ws = this.ws;
    this.ws = null;
    this.stopHeartbeat();
    if (ws) ws.close();
  }

  /** Give up on the current socket now (dead heartbeat, browser offline). */
  drop(offline = false) {
    const ws = this.ws;
    this.ws = null;
    this.stopHeartbeat();
    if (ws) ws.close();
    if (offline) {
      clearTimeout(this.timers.retry);
      if (!this.stopped) this.setState("offline");
    } else {
      this.retry();
    }
  }

  retry() {
    if (this.stopped) return;
    if (navigator.onLine === false) {
      this.setState("offline");
      return;
    }
    this.setState(this.everConnected ? "reconnecting" : "connecting");
    clearTimeout(this.timers.retry);
    this.timers.retry = setTimeout(() => this.connect(), backoffDelay(this.attempt));
    this.attempt += 1;
  }

  heartbeat() {
    this.stopHeartbeat();
    this.timers.ping = setInterval(() => {
      if (!this.send({ type: "ping" })) return;
      clearTimeout(this.timers.pong);
      this.timers.pong = setTimeout(() => this.drop(), PONG_TIMEOUT_MS);
    }, PING_MS);
  }

  stopHeartbeat() {
    clearInterval(this.timers.ping);
    clearTimeout(this.timers.pong);
  }

  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || !this.connected) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }
}
