// The message history of the open conversation. Messages are keyed by seq, so a message heard
// twice (push and replay, ack and push) is drawn once; unsent ones wait below, keyed by
// client_msg_id, until their ack or push replaces them.

import { clockTime, config, dayLabel, duration, el, fileSize, fmt, fullTime, t } from "./dom.js";

const agentsByUsername = new Map(config.agents.map((agent) => [agent.username, agent.name]));

function attachmentUrl(url) {
  return typeof url === "string" && (url.startsWith("/") || /^https?:\/\//i.test(url)) ? url : null;
}

function attachmentNode(attachment) {
  const url = attachmentUrl(attachment.url);
  const type = attachment.content_type || "";
  if (url && type.startsWith("image/")) {
    return el(
      "a",
      { class: "att att-image", href: url, target: "_blank", rel: "noopener" },
      el("img", { src: url, alt: attachment.name, loading: "lazy" }),
    );
  }
  if (url && type.startsWith("video/")) {
    return el("video", { class: "att att-video", src: url, controls: true, preload: "metadata" });
  }
  if (url && type.startsWith("audio/")) {
    return el("audio", { class: "att att-audio", src: url, controls: true, preload: "none" });
  }
  return el(
    "a",
    { class: "att att-file", href: url || undefined, download: attachment.name, title: t.download },
    el("span", { class: "att-file-icon", "aria-hidden": "true", text: "⤓" }),
    el(
      "span",
      { class: "att-file-text" },
      el("span", { class: "att-file-name", text: attachment.name }),
      el("span", { class: "att-file-size", text: attachment.size ? fileSize(attachment.size) : "" }),
    ),
  );
}

function eventText(message) {
  const { payload = {}, sender } = message;
  const actor = sender?.name || t.system;
  const who = (username) => agentsByUsername.get(username) || username;
  switch (payload.event) {
    case "conversation.status":
      return fmt(t.eventStatus, {
        actor,
        old: t.statuses[payload.old] || payload.old,
        new: t.statuses[payload.new] || payload.new,
      });
    case "conversation.assignee":
      if (!payload.new) return fmt(t.eventUnassigned, { actor });
      if (who(payload.new) === actor) return fmt(t.eventTookOver, { actor });
      return fmt(t.eventAssigned, { actor, name: who(payload.new) });
    case "conversation.team":
      return payload.new ? fmt(t.eventTeam, { actor, team: payload.new }) : fmt(t.eventNoTeam, { actor });
    case "conversation.overflow":
      return fmt(t.eventOverflow, { time: duration((payload.waited_seconds || 0) * 1000), team: payload.team });
    case "conversation.offer":
      return fmt(t.eventOffered, { name: payload.name });
    case "conversation.offer_passed":
      return fmt(t.eventOfferPassed[payload.reason] || t.eventOfferPassed.declined, { name: payload.name });
    default:
      return message.body;
  }
}

// A reply's delivery moves forward only; an older copy of it (a push or ack built before the
// send finished) never takes a drawn state back. `failed` → `pending` is a retry: message.update.
const STATE_RANK = { pending: 0, sent: 1, failed: 1, delivered: 2, read: 3 };

function tick(state) {
  const read = state === "read";
  return el("span", {
    class: `tick tick-${state}`,
    title: t.deliveryStates[state] || state,
    text: read ? "✓✓" : state === "pending" ? "◷" : state === "failed" ? "!" : "✓",
  });
}

/** A reply a provider (Telegram …) did not take: why, and a button that sends it again. */
function failedNote(message, onResend) {
  const error = message.payload?.delivery_error;
  const label = (error && t.deliveryErrors[error.code]) || "";
  const reason = [label, error?.reason].filter(Boolean).join(" — ") || t.deliveryStates.failed;
  return el(
    "div",
    { class: "msg-actions msg-failed" },
    el("span", { class: "msg-failed-reason", text: fmt(t.notDelivered, { reason }) }),
    el("button", { type: "button", class: "link-btn", text: t.retry, onclick: () => onResend(message) }),
  );
}

export class Timeline {
  constructor({ onRetry, onDiscard, onResend }) {
    this.scroller = document.getElementById("timeline");
    this.list = document.getElementById("messages");
    this.pendingList = document.getElementById("pending");
    this.older = document.getElementById("timeline-older");
    this.onRetry = onRetry;
    this.onDiscard = onDiscard;
    this.onResend = onResend; // a failed reply to a provider: send it again
    this.channel = null; // the conversation's channel, labelled on the customer's messages
    this.pinned = true; // following the newest message
    this.scroller.addEventListener("scroll", () => {
      this.pinned = this.nearBottom();
    });
    // Images and videos get their height when they load: stay at the bottom if we were there.
    this.list.addEventListener("load", () => this.pinned && this.scrollToBottom(), true);
    this.list.addEventListener("loadedmetadata", () => this.pinned && this.scrollToBottom(), true);
    // So does a taller composer or a collision warning that shrinks the visible history.
    new ResizeObserver(() => this.pinned && this.scrollToBottom()).observe(this.scroller);
    this.reset();
  }

  reset() {
    this.nodes = new Map(); // seq -> li
    this.early = new Map(); // seq -> a message.update heard before the message itself
    this.pending = new Map(); // client_msg_id -> li
    this.base = null; // seq before the oldest loaded message
    this.lastCustomerAt = null; // the newest customer message drawn (ISO time)
    this.contiguous = 0; // every seq up to this one is drawn
    this.list.replaceChildren();
    this.pendingList.replaceChildren();
    this.older.hidden = true;
  }

  get lastSeq() {
    return this.contiguous;
  }

  get minSeq() {
    return this.nodes.size ? Math.min(...this.nodes.keys()) : null;
  }

  /** The first page: everything before its oldest message is "loaded on scroll". */
  loadLatest(messages) {
    this.base = messages.length ? messages[0].seq - 1 : 0;
    this.contiguous = this.base;
    for (const message of messages) this.apply(message);
  }

  prependOlder(messages) {
    const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
    for (const message of messages) this.apply(message);
    this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
  }

  /** Draw a message once; returns false when it was already there. */
  apply(message) {
    if (this.early.has(message.seq)) {
      message = this.early.get(message.seq); // its state is newer than this copy's
      this.early.delete(message.seq);
    }
    const pending = message.client_msg_id && this.pending.get(message.client_msg_id);
    if (pending) {
      pending.remove();
      this.pending.delete(message.client_msg_id);
    }
    const existing = this.nodes.get(message.seq);
    if (existing) {
      const older = (STATE_RANK[message.delivery_state] ?? 0) < (STATE_RANK[existing.dataset.state] ?? 0);
      if (existing.dataset.state !== message.delivery_state && existing.querySelector(".tick") && !older) {
        if (message.delivery_state === "failed" || existing.dataset.state === "failed") {
          this.update(message); // the reason and the Retry button come and go with it
        } else {
          this.setState(existing, message.delivery_state);
        }
      }
      return false;
    }
    const node = this.render(message);
    this.nodes.set(message.seq, node);
    this.insert(node, message.seq);
    if (message.sender_type === "customer" && !(message.created_at <= this.lastCustomerAt)) {
      this.lastCustomerAt = message.created_at; // the provider's reply window counts from it
      this.onCustomerMessage?.();
    }
    if (this.base !== null) {
      while (this.nodes.has(this.contiguous + 1)) this.contiguous += 1;
    }
    return true;
  }

  /** `message.update`: a message changed (a reply's delivery state). One not drawn yet (its
   * ack or push still on the way) takes this state when it comes. */
  update(message) {
    const existing = this.nodes.get(message.seq);
    if (!existing) {
      this.early.set(message.seq, message);
      return;
    }
    const node = this.render(message);
    existing.replaceWith(node);
    this.nodes.set(message.seq, node);
    this.refreshDay(node);
  }

  insert(node, seq) {
    const last = this.list.lastElementChild;
    if (!last || Number(last.dataset.seq) < seq) {
      this.list.append(node);
    } else {
      const after = [...this.list.children].find((child) => Number(child.dataset.seq) > seq);
      this.list.insertBefore(node, after);
    }
    this.refreshDay(node);
    if (node.nextElementSibling) this.refreshDay(node.nextElementSibling);
  }

  refreshDay(node) {
    const previous = node.previousElementSibling;
    const show = !previous || previous.dataset.day !== node.dataset.day;
    const current = node.querySelector(":scope > .day-sep");
    if (show && !current) {
      node.prepend(el("div", { class: "day-sep" }, el("span", { text: dayLabel(node.dataset.at) })));
    } else if (!show && current) {
      current.remove();
    }
  }

  render(message) {
    const at = message.created_at;
    const base = { dataset: { seq: message.seq, day: new Date(at).toDateString(), at } };
    if (message.sender_type === "system" || message.content_type === "event") {
      return el(
        "li",
        { class: "msg msg-system", ...base },
        el("span", { class: "msg-system-text", text: eventText(message), title: fullTime(at) }),
      );
    }
    const outgoing = message.sender_type === "agent" || message.sender_type === "bot";
    const classes = ["msg", outgoing ? "msg-out" : "msg-in"];
    if (message.is_internal) classes.push("msg-note");
    const mine = message.sender?.id === config.agentId;
    const author = message.is_internal
      ? fmt(t.noteBy, { name: mine ? t.you : message.sender?.name || t.system })
      : outgoing && !mine
        ? message.sender?.name || t.bot
        : null;
    const node = el(
      "li",
      { class: classes.join(" "), ...base, dataset: { ...base.dataset, state: message.delivery_state } },
      el(
        "div",
        { class: "msg-bubble" },
        author ? el("div", { class: "msg-author", text: author }) : null,
        message.body ? el("div", { class: "msg-body", text: message.body }) : null,
        ...(message.attachments || []).map(attachmentNode),
        el(
          "div",
          { class: "msg-meta" },
          !outgoing && this.channel
            ? el("span", { class: `msg-channel msg-channel-${this.channel}`, text: t.channels[this.channel] || this.channel })
            : null,
          el("time", { datetime: at, title: fullTime(at), text: clockTime(at) }),
          outgoing && !message.is_internal ? tick(message.delivery_state) : null,
        ),
        outgoing && !message.is_internal && message.delivery_state === "failed"
          ? failedNote(message, (failed) => this.onResend(failed))
          : null,
      ),
    );
    return node;
  }

  setState(node, state) {
    node.dataset.state = state;
    node.querySelector(".tick")?.replaceWith(tick(state));
  }

  /** The customer has read up to `seq`: our replies up to it get the double tick. */
  markReadUpTo(seq) {
    for (const [messageSeq, node] of this.nodes) {
      if (messageSeq <= seq && node.classList.contains("msg-out") && node.querySelector(".tick")) {
        this.setState(node, "read");
      }
    }
  }

  /** An outbox item not yet acknowledged (or refused). */
  showPending(item) {
    const node = el(
      "li",
      {
        class: `msg msg-out is-pending${item.is_internal ? " msg-note" : ""}`,
        dataset: { clientMsgId: item.client_msg_id, state: item.error ? "failed" : "pending" },
      },
      el(
        "div",
        { class: "msg-bubble" },
        item.is_internal ? el("div", { class: "msg-author", text: fmt(t.noteBy, { name: t.you }) }) : null,
        item.body ? el("div", { class: "msg-body", text: item.body }) : null,
        ...(item.attachments || []).map(attachmentNode),
        el(
          "div",
          { class: "msg-meta" },
          el("span", { text: item.error ? item.error : t.sending }),
          tick(item.error ? "failed" : "pending"),
        ),
        item.error
          ? el(
              "div",
              { class: "msg-actions" },
              el("button", { type: "button", class: "link-btn", text: t.retry, onclick: () => this.onRetry(item) }),
              el("button", { type: "button", class: "link-btn", text: t.discard, onclick: () => this.onDiscard(item) }),
            )
          : null,
      ),
    );
    const existing = this.pending.get(item.client_msg_id);
    if (existing) existing.replaceWith(node);
    else this.pendingList.append(node);
    this.pending.set(item.client_msg_id, node);
  }

  dropPending(clientMsgId) {
    this.pending.get(clientMsgId)?.remove();
    this.pending.delete(clientMsgId);
  }

  nearBottom() {
    const { scrollTop, scrollHeight, clientHeight } = this.scroller;
    return scrollHeight - scrollTop - clientHeight < 80;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.pinned = true;
  }
}
