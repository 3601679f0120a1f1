// The middle pane: one open conversation. History comes from the API (latest page, older pages
// on scroll up); live messages from the socket; gaps are filled with `sync`. Header actions,
// viewers and typing (collision warning), read receipts.

import { api, errorText } from "./api.js";
import { channelIcon, config, customerName, el, fmt, t } from "./dom.js";
import { visibleToMe } from "./inbox.js";
import { keepSla, slaBadge } from "./sla.js";

const TYPING_TIMEOUT_MS = 6000;
const REPLY_WINDOW_HOURS = { wechat: 48, whatsapp: 24 };
const SYNC_TIMEOUT_MS = 10000;

export class ConversationPane {
  constructor({ socket, inbox, timeline, composer, customerPanel, outbox, toast, tickets, kb }) {
    Object.assign(this, { socket, inbox, timeline, composer, customerPanel, outbox, toast, tickets, kb });
    this.pane = document.getElementById("conversation");
    this.empty = document.getElementById("conversation-empty");
    this.header = {
      channel: document.getElementById("conv-channel"),
      name: document.getElementById("conv-name"),
      vip: document.getElementById("conv-vip"),
      status: document.getElementById("conv-status"),
      sla: document.getElementById("conv-sla"),
      replyWindow: document.getElementById("conv-window"),
      template: document.getElementById("conv-template"),
      meta: document.getElementById("conv-meta"),
      assignMe: document.getElementById("action-assign-me"),
      transfer: document.getElementById("action-transfer"),
      close: document.getElementById("action-close"),
      closeUnresolved: document.getElementById("action-close-unresolved"),
      reopen: document.getElementById("action-reopen"),
    };
    this.transferMenu = document.getElementById("transfer-menu");
    this.transferAgent = document.getElementById("transfer-agent");
    this.transferTeam = document.getElementById("transfer-team");
    this.collision = document.getElementById("collision");
    this.typingLine = document.getElementById("typing-indicator");
    this.id = null;
    this.summary = null;
    this.bindActions();
    this.timeline.onCustomerMessage = () => this.renderReplyWindow();
    this.header.template.addEventListener("click", async () => {
      try {
        this.timeline.apply(await api.whatsappTemplate(this.id, `tpl-${Date.now()}`));
      } catch (error) {
        this.toast(errorText(error), { error: true });
      }
    });
    setInterval(() => this.renderReplyWindow(), 60000);
    this.timeline.scroller.addEventListener("scroll", () => {
      if (this.timeline.scroller.scrollTop < 60) this.loadOlder();
    });
    document.addEventListener("visibilitychange", () => this.markRead());
  }

  bindActions() {
    const h = this.header;
    h.assignMe.addEventListener("click", () => this.act("assign", { assignee_id: config.agentId }));
    h.close.addEventListener("click", () => this.act("close"));
    h.closeUnresolved.addEventListener("click", () => this.act("close", { unresolved: true }));
    h.reopen.addEventListener("click", () => this.act("reopen"));
    h.transfer.addEventListener("click", () => this.toggleTransfer());
    document.getElementById("conv-back").addEventListener("click", () => this.close());
    document.getElementById("transfer-agent-go").addEventListener("click", () => {
      if (!this.transferAgent.value) return;
      this.toggleTransfer(false);
      // through transfer, not assign: the note goes with it and a full colleague is refused
      this.act("transfer", { assignee_id: Number(this.transferAgent.value), note: this.takeTransferNote() });
    });
    document.getElementById("transfer-team-go").addEventListener("click", () => {
      if (!this.transferTeam.value) return;
      this.toggleTransfer(false);
      this.act("transfer", { team_id: Number(this.transferTeam.value), note: this.takeTransferNote() });
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !this.transferMenu.hidden) this.toggleTransfer(false);
    });
  }

  // ---- opening ------------------------------------------------------------------------------

  async open(id) {
    if (id === this.id) return;
    if (this.id !== null) this.socket.send({ type: "conversation.leave", conversation_id: this.id });
    this.id = id;
    this.summary = this.inbox.get(id);
    this.ready = false;
    this.hasMore = false;
    this.syncing = false;
    this.readSent = null;
    this.viewers = [];
    this.typers = new Map();
    this.clearCustomerTyping();
    this.timeline.reset();
    this.timeline.channel = this.summary?.channel || null;
    this.toggleTransfer(false);
    this.empty.hidden = true;
    this.pane.hidden = false;
    this.pane.setAttribute("aria-busy", "true");
    document.getElementById("app").classList.add("conversation-open");
    this.inbox.select(id);
    history.replaceState(null, "", `#c=${id}`);
    if (this.summary) this.renderHeader();
    this.renderCollision();
    this.composer.setConversation(this.summary);
    this.tickets.setConversation(id);
    this.kb.setConversation(id);
    this.customerDetail = null; // what the Customer tab shows for this conversation
    this.customerPanel.loading();
    this.socket.send({ type: "conversation.open", conversation_id: id });
    let detail;
    let page;
    try {
      [detail, page] = await Promise.all([api.detail(id), api.messages(id)]);
    } catch (error) {
      if (this.id !== id) return;
      this.toast(error.status === 404 ? t.conversationNotFound : t.loadFailed, { error: true });
      this.close();
      return;
    }
    if (this.id !== id) return;
    this.applySummary(detail);
    if (this.timeline.channel !== detail.channel) this.timeline.channel = detail.channel;
    this.customerDetail = detail;
    this.customerPanel.show(detail);
    this.tickets.setTickets(detail.tickets);
    this.timeline.loadLatest(page.results);
    this.hasMore = page.has_more;
    this.timeline.older.hidden = !page.has_more;
    for (const item of this.outbox.forConversation(id)) this.timeline.showPending(item);
    this.ready = true;
    this.pane.removeAttribute("aria-busy");
    this.timeline.scrollToBottom();
    if (page.last_seq > this.timeline.lastSeq) this.sync();
    this.markRead();
  }

  close() {
    if (this.id !== null) this.socket.send({ type: "conversation.leave", conversation_id: this.id });
    this.id = null;
    this.summary = null;
    this.pane.hidden = true;
    this.empty.hidden = false;
    document.getElementById("app").classList.remove("conversation-open");
    this.inbox.select(null);
    this.composer.setConversation(null);
    this.tickets.setConversation(null);
    this.kb.setConversation(null);
    this.customerDetail = null;
    this.customerPanel.clear();
    history.replaceState(null, "", location.pathname + location.search);
  }

  /** After every (re)connect: be a viewer again and fetch whatever was missed. */
  onConnected() {
    if (this.id === null) return;
    this.socket.send({ type: "conversation.open", conversation_id: this.id });
    if (this.ready) {
      this.syncing = false;
      this.sync();
    }
  }

  async loadOlder() {
    if (!this.ready || !this.hasMore || this.loadingOlder) return;
    const id = this.id;
    this.loadingOlder = true;
    try {
      const page = await api.messages(id, { before_seq: this.timeline.minSeq });
      if (this.id !== id) return;
      this.timeline.prependOlder(page.results);
      this.hasMore = page.has_more;
      this.timeline.older.hidden = !page.has_more;
    } catch {
      /* scrolling up again retries */
    } finally {
      this.loadingOlder = false;
    }
  }

  sync() {
    if (this.syncing || this.id === null || !this.socket.connected) return;
    this.syncing = true;
    clearTimeout(this.syncTimer);
    this.syncTimer = setTimeout(() => {
      this.syncing = false;
    }, SYNC_TIMEOUT_MS);
    this.socket.send({ type: "sync", conversation_id: this.id, after_seq: this.timeline.lastSeq });
  }

  // ---- frames -------------------------------------------------------------------------------

  onFrame(frame) {
    if (frame.conversation_id !== this.id || this.id === null) return;
    const handler = {
      "message.new": () => this.onMessage(frame.message, frame.conversation),
      "message.update": () => this.timeline.update(frame.message),
      "conversation.update": () => this.applySummary(frame.conversation),
      messages: () => this.onReplay(frame),
      viewers: () => {
        this.viewers = frame.viewers.filter((viewer) => viewer.id !== config.agentId);
        for (const [agentId, typer] of this.typers) {
          if (this.viewers.some((viewer) => viewer.id === agentId)) continue;
          clearTimeout(typer.timer); // they left: they are not typing here any more
          this.typers.delete(agentId);
        }
        this.renderCollision();
      },
      typing: () => this.onTyping(frame),
      read: () => {
        if (frame.by === "customer") this.timeline.markReadUpTo(frame.seq);
      },
    }[frame.type];
    if (handler) handler();
  }

  /** `conversation.removed`: it left this agent's scope (the server refuses it from now on). */
  onRemoved(id) {
    if (id !== this.id) return;
    this.toast(t.movedAway);
    this.close();
  }

  onMessage(message, summary) {
    // Its clock was read before the wait's clock changed (that comes in `conversation.update`).
    if (summary) this.applySummary({ ...summary, sla: this.summary ? this.summary.sla : summary.sla });
    const stick = this.timeline.nearBottom() || message.sender?.id === config.agentId;
    this.timeline.apply(message);
    if (this.ready && this.timeline.lastSeq < message.seq) this.sync(); // a gap: replay it
    if (stick) this.timeline.scrollToBottom();
    if (message.sender_type === "customer") {
      this.clearCustomerTyping();
      this.markRead();
    }
  }

  /** The server's ack of our own message: draw it now (its push may come later, or twice). */
  onAck(ack) {
    if (ack.conversation_id !== this.id) return;
    this.timeline.apply(ack.message);
    this.timeline.scrollToBottom();
  }

  onReplay(frame) {
    clearTimeout(this.syncTimer);
    this.syncing = false;
    const stick = this.timeline.nearBottom();
    for (const message of frame.messages) this.timeline.apply(message);
    if (stick) this.timeline.scrollToBottom();
    if (frame.has_more || (frame.messages.length && this.timeline.lastSeq < frame.last_seq)) {
      this.sync(); // more than one replay's worth was missing
    }
    this.markRead();
  }

  onTyping(frame) {
    if (frame.by === "customer") {
      this.clearCustomerTyping();
      if (frame.state === "start") {
        const name = frame.name || customerName(this.summary?.customer);
        this.typingLine.textContent = fmt(t.isTyping, { name });
        this.typingLine.hidden = false;
        this.customerTypingTimer = setTimeout(() => this.clearCustomerTyping(), TYPING_TIMEOUT_MS);
      }
      return;
    }
    if (frame.agent_id === config.agentId) return; // my other tab
    clearTimeout(this.typers.get(frame.agent_id)?.timer);
    if (frame.state === "start") {
      const timer = setTimeout(() => {
        this.typers.delete(frame.agent_id);
        this.renderCollision();
      }, TYPING_TIMEOUT_MS);
      this.typers.set(frame.agent_id, { name: frame.name, internal: frame.is_internal, timer });
    } else {
      this.typers.delete(frame.agent_id);
    }
    this.renderCollision();
  }

  clearCustomerTyping() {
    clearTimeout(this.customerTypingTimer);
    this.typingLine.hidden = true;
  }

  markRead() {
    if (!this.ready || document.hidden || !this.summary?.unread_by_agent) return;
    const seq = this.timeline.lastSeq;
    if (this.readSent === seq) return;
    this.readSent = seq;
    this.socket.send({ type: "read", conversation_id: this.id, seq });
  }

  // ---- header and actions -------------------------------------------------------------------

  applySummary(summary) {
    if (this.summary && summary.last_seq < this.summary.last_seq) return; // older news, late
    const old = this.summary;
    this.summary = { ...(old || {}), ...summary };
    if (old && "sla" in summary) this.summary.sla = keepSla(old.sla, summary.sla);
    if (!visibleToMe(this.summary)) {
      this.toast(t.movedAway);
      this.close();
      return;
    }
    this.renderHeader();
    this.composer.setConversation(this.summary);
    this.markRead();
  }

  /** WeChat (48 h) and WhatsApp (24 h) accept replies only so long after the customer's last
   * message (the drawn one; none drawn: nothing shown). */
  renderReplyWindow() {
    const badge = this.header.replyWindow;
    const hours = REPLY_WINDOW_HOURS[this.summary?.channel];
    const last = this.timeline.lastCustomerAt;
    badge.hidden = !hours || !last || this.summary?.status === "closed";
    const left = badge.hidden ? 1 : hours - (Date.now() - Date.parse(last)) / 3600000;
    // WhatsApp takes only the account's template once the window has closed
    this.header.template.hidden = badge.hidden || left > 0 || this.summary.channel !== "whatsapp";
    if (badge.hidden) return;
    badge.classList.toggle("reply-window-closed", left <= 0);
    badge.textContent = left > 0 ? fmt(t.replyWindowLeft, { hours: Math.floor(left) }) : t.replyWindowClosed;
  }

  renderHeader() {
    const conv = this.summary;
    const h = this.header;
    h.channel.replaceChildren(channelIcon(conv.channel, 18));
    h.name.textContent = customerName(conv.customer);
    h.vip.hidden = !conv.customer.vip_level;
    h.vip.textContent = `VIP${conv.customer.vip_level}`;
    h.status.className = `status-pill status-${conv.status}`;
    h.status.textContent = t.statuses[conv.status] || conv.status;
    const badge = conv.status !== "closed" ? slaBadge(conv.sla) : null;
    h.sla.replaceChildren(...(badge ? [badge] : []));
    h.sla.hidden = !badge;
    this.renderReplyWindow();
    const mine = conv.assignee?.id === config.agentId;
    const parts = [
      conv.assignee ? fmt(t.assignedTo, { name: mine ? t.you : conv.assignee.name }) : t.unassigned,
    ];
    if (conv.team) parts.push(conv.team.name);
    parts.push(`#${conv.id}`);
    h.meta.textContent = parts.join(" · ");
    h.assignMe.hidden = mine;
    h.close.hidden = conv.status === "closed";
    h.closeUnresolved.hidden = conv.status === "closed";
    h.reopen.hidden = conv.status !== "closed";
  }

  renderCollision() {
    const typing = [...this.typers.values()];
    const lines = [];
    if (typing.length) {
      for (const typer of typing) {
        lines.push(fmt(typer.internal ? t.agentWritingNote : t.agentTyping, { name: typer.name }));
      }
    } else if (this.viewers.length) {
      lines.push(fmt(t.alsoViewing, { names: this.viewers.map((v) => v.name).join(", ") }));
    }
    this.collision.textContent = lines.join(" · ");
    this.collision.hidden = lines.length === 0;
    this.collision.classList.toggle("is-typing", typing.length > 0);
  }

  toggleTransfer(open = this.transferMenu.hidden) {
    this.transferMenu.hidden = !open;
    this.header.transfer.setAttribute("aria-expanded", String(open));
    if (!open || !this.summary) return;
    const assigneeId = this.summary.assignee?.id;
    this.transferAgent.replaceChildren(
      el("option", { value: "", text: t.chooseAgent }),
      ...config.agents
        .filter((agent) => agent.id !== assigneeId)
        .map((agent) =>
          el("option", {
            value: String(agent.id),
            text: `${agent.id === config.agentId ? fmt(t.meName, { name: agent.name }) : agent.name} · ${t.presences[agent.presence] || agent.presence}`,
          }),
        ),
    );
    this.transferTeam.replaceChildren(
      el("option", { value: "", text: t.chooseTeam }),
      ...config.teams.map((team) => el("option", { value: String(team.id), text: team.name })),
    );
    this.transferAgent.focus();
  }

  async act(action, body = {}) {
    const id = this.id;
    try {
      const summary = await api.action(id, action, body);
      this.inbox.applySummary(summary);
      if (this.id === id) this.applySummary(summary);
    } catch (error) {
      this.toast(error.message || t.actionFailed, { error: true });
    }
  }

  /** The transfer menu's note (an internal note for the receiver), emptied once sent. */
  takeTransferNote() {
    const box = document.getElementById("transfer-note");
    const note = box.value.trim();
    box.value = "";
    return note;
  }

  /** Presence of a colleague changed: keep the transfer menu's labels true. */
  onPresence(agentId, presence) {
    const agent = config.agents.find((a) => a.id === agentId);
    if (agent) agent.presence = presence;
  }
}
