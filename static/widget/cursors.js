// Per conversation: up to which seq everything the widget may see has been drawn, and the `sync`
// requests in flight. Internal notes take numbers the widget never sees, so the server's
// `last_seq` moves the cursor past them (docs/protocol.md, "The cursor").

export class Cursors {
  constructor(send) {
    this.send = send; // (frame) -> bool
    this.seqs = new Map();
    this.syncing = new Set();
    this.again = new Set();
  }

  get(id) {
    return this.seqs.get(id) || 0;
  }

  bump(id, seq) {
    if (seq > this.get(id)) this.seqs.set(id, seq);
  }

  /** Ask for everything after the cursor (once at a time; asked again when it answers). */
  sync(id) {
    if (this.syncing.has(id)) {
      this.again.add(id);
    } else if (this.send({ type: "sync", conversation_id: id, after_seq: this.get(id) })) {
      this.syncing.add(id);
    }
  }

  /** A pushed or acked message: the next number moves the cursor, a gap asks for it. */
  heard(id, seq) {
    if (seq > this.get(id) + 1) this.sync(id);
    else this.bump(id, seq);
  }

  /** The `messages` answer to a sync. */
  answered(frame) {
    this.bump(frame.conversation_id, frame.last_seq);
    this.syncing.delete(frame.conversation_id);
    if (frame.has_more || this.again.delete(frame.conversation_id)) this.sync(frame.conversation_id);
  }

  /** A new socket: nothing is in flight any more. */
  reset() {
    this.syncing.clear();
    this.again.clear();
  }
}
