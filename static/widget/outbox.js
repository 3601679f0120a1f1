// Messages the visitor has written and the server has not acked yet, kept in localStorage.
//
// One is on the wire at a time (so they are stored in the order written). No ack in time, or a
// reconnect, sends the same client_msg_id again: the server returns the stored row, never a
// second one.

const SEND_TIMEOUT_MS = 10000;
const RATE_LIMIT_WAIT_MS = 1500;

export class Outbox {
  /**
   * store: {get, set}; send(frame) -> bool; ready() -> may send now;
   * onRejected(item, code): the server refused it for good (it leaves the outbox);
   * onBlocked(code): "rate_limited" (retried by itself) or "prechat_required" (waits for resume()).
   */
  constructor({ store, send, ready, onRejected, onBlocked }) {
    this.store = store;
    this.send = send;
    this.ready = ready;
    this.onRejected = onRejected;
    this.onBlocked = onBlocked;
    this.items = store.get("outbox") || [];
    this.inFlight = null;
    this.timer = null;
  }

  save() {
    this.store.set("outbox", this.items.length ? this.items : null);
  }

  add(item) {
    item.created_at = new Date().toISOString();
    this.items.push(item);
    this.save();
    this.pump();
    return item;
  }

  /** The server has this message (ack, push or history): forget it, send the next. */
  done(clientMsgId) {
    const index = this.items.findIndex((item) => item.client_msg_id === clientMsgId);
    if (index >= 0) {
      this.items.splice(index, 1);
      this.save();
    }
    if (this.inFlight === clientMsgId) this.inFlight = null;
  }

  /** Forget everything unsent (the visitor signed out or is no longer this one). */
  clear() {
    this.items = [];
    this.inFlight = null;
    clearTimeout(this.timer);
    this.save();
  }

  /** The connection is gone: whatever was on the wire goes again after the reconnect. */
  lost() {
    this.inFlight = null;
    clearTimeout(this.timer);
  }

  pump() {
    const item = this.items[0];
    if (!item || this.inFlight || !this.ready()) return;
    const frame = {
      type: "message.send",
      ref: `m:${item.client_msg_id}`,
      client_msg_id: item.client_msg_id,
      body: item.body,
      attachment_ids: item.attachment_ids,
    };
    if (!this.send(frame)) return;
    this.inFlight = item.client_msg_id;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.inFlight === item.client_msg_id) {
        this.inFlight = null;
        this.pump();
      }
    }, SEND_TIMEOUT_MS);
  }

  /** An `error` frame: true when it answered the message on the wire. */
  failed(frame) {
    const ref = typeof frame.ref === "string" && frame.ref.startsWith("m:") ? frame.ref.slice(2) : null;
    if (!ref || ref !== this.inFlight) return false;
    this.inFlight = null;
    clearTimeout(this.timer);
    if (frame.code === "rate_limited") {
      this.onBlocked(frame.code);
      this.timer = setTimeout(() => this.pump(), RATE_LIMIT_WAIT_MS);
    } else if (frame.code === "prechat_required") {
      this.onBlocked(frame.code);
    } else {
      const item = this.items.find((i) => i.client_msg_id === ref);
      this.done(ref);
      this.onRejected(item, frame.code);
      this.pump();
    }
    return true;
  }
}
