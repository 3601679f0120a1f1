// 转工单 and the ticket panel. The conversation header's button (or Alt+T) opens a form prefilled
// from the conversation's ticket draft; the header chip shows the conversation's ticket; the side
// pane's Ticket tab works it: status, priority, timeline, replies and internal notes; its header
// editor is ticket_fields.js, merge and link are ticket_relations.js.
// `ticket.update` pushes (docs/protocol.md) keep chip and panel live. Text comes from #desk-i18n.

import { api, errorText } from "./api.js";
import { config, el, fmt, fullTime, t } from "./dom.js";
import { slaBadge } from "./sla.js";
import { draftFacts } from "./ticket_draft_facts.js";
import { TicketFields, fieldEventHead, fillSelect } from "./ticket_fields.js";
import { TicketKbDraft } from "./ticket_kb_draft.js";
import { TicketRelations } from "./ticket_relations.js";

const ACTIVE = new Set(["new", "open", "in_progress", "pending"]);
const REFRESH_DELAY_MS = 150;

/** The ticket a conversation's chip shows: its newest ticket still being worked, else its newest. */
function currentTicket(tickets) {
  const newest = [...tickets].sort((a, b) => b.id - a.id);
  return newest.find((ticket) => ACTIVE.has(ticket.status)) || newest[0] || null;
}

function statusLabel(status) {
  return t.ticketStatuses[status] || status;
}

function eventActor(event) {
  if (event.rule_name) return fmt(t.ticketAutomationActor, { name: event.rule_name });
  if (event.actor) return event.actor.name;
  if (event.customer_name !== null) return event.customer_name || t.ticketCustomer;
  return t.ticketSystemName;
}

function eventHead(event) {
  const actor = eventActor(event);
  switch (event.kind) {
    case "created":
      return fmt(t.ticketEventCreated, { actor });
    case "note":
      return fmt(t.ticketEventNote, { actor });
    case "comment":
      return `${actor} · ${t.ticketEventKinds.comment}`;
    case "status":
      return fmt(t.ticketEventStatus, {
        actor,
        old: statusLabel(event.old_value),
        new: statusLabel(event.new_value),
      });
    case "priority":
      return fmt(t.ticketEventPriority, {
        actor,
        old: t.priorities[event.old_value] || event.old_value,
        new: t.priorities[event.new_value] || event.new_value,
      });
    case "assignment":
      return event.new_value
        ? fmt(t.ticketEventAssigned, { actor, name: event.new_value })
        : fmt(t.ticketEventUnassigned, { actor });
    default: {
      const edit = event.kind === "system" ? fieldEventHead(event, actor) : null;
      if (edit) return edit;
      const what = t.ticketActions[event.action] || t.ticketEventKinds[event.kind] || event.kind;
      return [what, event.new_value].filter(Boolean).join(" · ");
    }
  }
}

const DESCRIPTION_OPEN_MAX = 600; // longer descriptions (most transcripts) start folded

/** The ticket's description (often the chat transcript) under its `created` row. */
function descriptionBlock(detail) {
  if (!detail.description.trim()) return null;
  return el(
    "details",
    { class: "ticket-description", open: detail.description.length <= DESCRIPTION_OPEN_MAX },
    el("summary", { text: t.ticketDescription }),
    el("p", { class: "ticket-event-body", text: detail.description }),
  );
}

export class TicketDesk {
  constructor({ toast, revealPanel, openConversation, showCustomer, onShown = () => {} }) {
    Object.assign(this, { toast, revealPanel, openConversation, showCustomer, onShown });
    const $ = (id) => document.getElementById(id);
    this.button = $("action-ticket");
    this.chip = $("conv-ticket");
    this.dialog = $("ticket-dialog");
    this.form = {
      root: $("ticket-form"),
      exists: $("ticket-exists"),
      existsText: $("ticket-exists-text"),
      openExisting: $("ticket-open-existing"),
      allowAdditional: $("ticket-allow-additional"),
      subject: $("ticket-form-subject"),
      description: $("ticket-form-description"),
      priority: $("ticket-form-priority"),
      team: $("ticket-form-team"),
      category: $("ticket-form-category"),
      categoryHint: $("ticket-form-category-hint"),
      facts: $("ticket-form-facts"),
      factsBody: $("ticket-form-facts-body"),
      error: $("ticket-form-error"),
      cancel: $("ticket-form-cancel"),
      submit: $("ticket-form-submit"),
    };
    this.panel = {
      root: $("ticket-panel"),
      empty: $("ticket-empty"),
      number: $("ticket-number"),
      requester: $("ticket-requester"),
      conversation: $("ticket-conversation"),
      sla: $("ticket-sla"),
      status: $("ticket-status"),
      priority: $("ticket-priority"),
      error: $("ticket-error"),
      timeline: $("ticket-timeline"),
      reply: $("ticket-reply"),
      body: $("ticket-reply-body"),
      internal: $("ticket-reply-internal"),
      send: $("ticket-reply-send"),
    };
    this.fields = new TicketFields({ change: (changes) => this.change(changes) });
    this.relations = new TicketRelations({
      toast,
      openTicket: (id) => this.showTicket(id, { reveal: true }),
      reload: (id) => this.showTicket(id),
    });
    this.kbDraft = new TicketKbDraft({ toast, showError: (text) => this.showError(text) });
    this.replyPlaceholder = this.panel.body.placeholder;
    this.canned = null; // the CannedPicker on the reply box (canned.js), set by workspace.js
    this.conversationId = null;
    this.tickets = new Map(); // the open conversation's tickets by id
    this.shown = null; // the detail in the panel
    this.draftFor = null;
    this.existing = null;
    this.creating = false;
    this.bind();
  }

  bind() {
    const f = this.form;
    const p = this.panel;
    this.button.addEventListener("click", () => this.openForm());
    document.addEventListener("keydown", (event) => {
      if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyT") {
        if (this.conversationId === null) return;
        event.preventDefault();
        this.openForm();
      }
    });
    this.chip.addEventListener("click", (event) => {
      event.preventDefault();
      this.showTicket(Number(this.chip.dataset.id), { reveal: true });
    });
    f.root.addEventListener("submit", (event) => {
      event.preventDefault();
      this.create();
    });
    f.cancel.addEventListener("click", () => this.dialog.close());
    f.allowAdditional.addEventListener("change", () => this.updateSubmit());
    f.openExisting.addEventListener("click", () => {
      this.dialog.close();
      if (this.existing) this.showTicket(this.existing.id, { reveal: true });
    });
    p.requester.addEventListener("click", () => {
      if (this.shown) this.showCustomer(this.shown.requester.id);
    });
    p.conversation.addEventListener("click", (event) => {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      if (this.shown?.conversation_id) this.openConversation(this.shown.conversation_id);
    });
    p.status.addEventListener("change", () => this.change({ status: p.status.value }));
    p.priority.addEventListener("change", () => this.change({ priority: Number(p.priority.value) }));
    p.internal.addEventListener("change", () => {
      p.reply.classList.toggle("is-note", p.internal.checked);
      p.body.placeholder = p.internal.checked ? t.notePlaceholder : this.replyPlaceholder;
      p.send.textContent = p.internal.checked ? t.addNote : t.send;
    });
    p.reply.addEventListener("submit", (event) => {
      event.preventDefault();
      this.reply();
    });
  }

  // ---- the conversation pane's hooks -----------------------------------------------------------

  /** A conversation was opened (or, with null, closed): forget the previous one's tickets. */
  setConversation(id) {
    this.conversationId = id;
    this.tickets = new Map();
    this.renderChip();
    this.clearPanel();
    if (this.dialog.open) this.dialog.close();
  }

  /** The conversation's detail arrived: its customer's tickets, of which we keep this chat's. */
  setTickets(tickets) {
    for (const ticket of tickets || []) {
      if (ticket.conversation_id === this.conversationId) this.tickets.set(ticket.id, ticket);
    }
    this.renderChip();
    const current = currentTicket(this.tickets.values());
    if (current) this.showTicket(current.id);
  }

  /** A `ticket.update` push: update the chip, and the panel if it shows that ticket. */
  onUpdate(frame) {
    const ticket = frame.ticket;
    if (this.conversationId !== null && ticket.conversation_id === this.conversationId) {
      this.remember(ticket);
      if (!this.shown) this.showTicket(ticket.id);
    }
    if (this.shown?.id === ticket.id) this.refreshSoon();
  }

  /** After a reconnect: pushes may have been missed. */
  onConnected() {
    if (this.shown) this.refreshSoon();
  }

  remember(ticket) {
    if (ticket.conversation_id !== this.conversationId) return;
    this.tickets.set(ticket.id, { ...(this.tickets.get(ticket.id) || {}), ...ticket });
    this.renderChip();
  }

  renderChip() {
    const ticket = currentTicket(this.tickets.values());
    this.chip.hidden = !ticket;
    if (!ticket) return;
    this.chip.dataset.id = String(ticket.id);
    this.chip.dataset.status = ticket.status;
    this.chip.textContent = fmt(t.ticketChip, {
      number: ticket.number,
      status: statusLabel(ticket.status),
    });
    this.chip.title = fmt(t.ticketChipTitle, { number: ticket.number });
  }

  // ---- 转工单 form ------------------------------------------------------------------------------

  async openForm() {
    if (this.conversationId === null || this.dialog.open) return;
    const id = this.conversationId;
    const f = this.form;
    this.draftFor = null;
    this.existing = null;
    f.exists.hidden = true;
    f.allowAdditional.checked = false;
    f.error.hidden = true;
    f.subject.value = "";
    f.description.value = "";
    f.categoryHint.hidden = true;
    f.facts.hidden = true;
    f.factsBody.replaceChildren();
    f.root.setAttribute("aria-busy", "true");
    this.updateSubmit();
    this.dialog.showModal();
    let draft;
    try {
      draft = await api.ticketDraft(id);
    } catch (error) {
      if (this.conversationId !== id) return;
      this.showFormError(error.status === 404 ? t.conversationNotFound : errorText(error));
      return;
    } finally {
      f.root.removeAttribute("aria-busy");
    }
    if (this.conversationId !== id || !this.dialog.open) return;
    this.draftFor = id;
    f.subject.value = draft.subject;
    // The extractive summary (tickets/assist/summary.py) above the transcript; the agent edits both.
    f.description.value = draft.summary
      ? `${t.ticketSummary}\n${draft.summary}\n\n${draft.description}`
      : draft.description;
    fillSelect(f.priority, Object.entries(t.priorities), draft.priority);
    const none = ["", t.ticketNone];
    fillSelect(f.team, [none, ...config.teams.map((x) => [x.id, x.name])], draft.team?.id);
    fillSelect(f.category, [none, ...config.categories.map((x) => [x.id, x.name])], draft.category?.id);
    f.factsBody.replaceChildren(...draftFacts(draft));
    f.facts.hidden = false;
    const why = draft.category_reason;
    f.categoryHint.hidden = !why;
    f.categoryHint.textContent = why ? fmt(t.ticketCategorySuggested, why) : "";
    this.existing = draft.open_ticket;
    if (this.existing) {
      this.remember(this.existing);
      f.existsText.textContent = fmt(t.ticketExists, {
        number: this.existing.number,
        status: statusLabel(this.existing.status),
      });
      f.exists.hidden = false;
    }
    this.updateSubmit();
    f.subject.focus();
  }

  updateSubmit() {
    const blocked = this.existing && !this.form.allowAdditional.checked;
    this.form.submit.disabled = this.creating || this.draftFor === null || Boolean(blocked);
  }

  showFormError(text) {
    this.form.error.textContent = text;
    this.form.error.hidden = false;
  }

  async create() {
    const f = this.form;
    const id = this.draftFor;
    if (this.creating || id === null || id !== this.conversationId || f.submit.disabled) return;
    this.creating = true; // a second click while this one is on its way does nothing
    this.updateSubmit();
    f.error.hidden = true;
    const optional = (select) => (select.value ? Number(select.value) : null);
    const body = {
      subject: f.subject.value,
      description: f.description.value,
      priority: Number(f.priority.value),
      team_id: optional(f.team),
      category_id: optional(f.category),
      allow_additional: Boolean(this.existing && f.allowAdditional.checked),
    };
    try {
      const result = await api.ticketCreate(id, body);
      this.dialog.close();
      const message = result.created ? t.ticketCreated : t.ticketReturned;
      this.toast(fmt(message, { number: result.ticket.number }));
      this.remember(result.ticket);
      if (this.conversationId === id) this.showTicket(result.ticket.id, { reveal: true });
    } catch (error) {
      this.showFormError(errorText(error));
    } finally {
      this.creating = false;
      this.updateSubmit();
    }
  }

  // ---- the ticket panel ------------------------------------------------------------------------

  clearPanel() {
    this.shown = null;
    this.loadingId = null;
    this.panel.root.hidden = true;
    this.panel.empty.hidden = false;
    this.panel.timeline.replaceChildren();
  }

  async showTicket(id, { reveal = false } = {}) {
    if (reveal) this.revealPanel();
    this.loadingId = id;
    let detail;
    try {
      detail = await api.ticket(id);
    } catch {
      if (this.loadingId === id) this.toast(t.ticketLoadFailed, { error: true });
      return;
    }
    if (this.loadingId !== id) return;
    this.render(detail);
  }

  refreshSoon() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      if (this.shown && this.loadingId === this.shown.id) this.showTicket(this.shown.id);
    }, REFRESH_DELAY_MS);
  }

  render(detail) {
    const p = this.panel;
    this.shown = detail;
    this.remember(detail);
    this.onShown(detail);
    p.root.hidden = false;
    p.empty.hidden = true;
    p.root.dataset.ticketId = String(detail.id);
    p.root.dataset.status = detail.status;
    p.number.textContent = detail.number;
    p.requester.textContent = fmt(t.ticketRequester, { name: detail.requester.name || t.ticketCustomer });
    const conversationId = detail.conversation_id;
    p.conversation.hidden = !conversationId;
    p.conversation.href = conversationId ? `#c=${conversationId}` : "#";
    p.conversation.textContent = conversationId ? fmt(t.ticketConversation, { id: conversationId }) : "";
    const badge = slaBadge(detail.sla);
    p.sla.hidden = !badge;
    p.sla.replaceChildren(
      ...(badge ? [t.slaTargets[detail.sla.target] || detail.sla.target, " ", badge] : []),
    );
    fillSelect(p.status, Object.entries(t.ticketStatuses), detail.status);
    fillSelect(p.priority, Object.entries(t.priorities), detail.priority);
    this.fields.render(detail);
    this.relations.render(detail);
    this.kbDraft.render(detail);
    p.timeline.replaceChildren(...detail.timeline.map((event) => this.eventItem(event, detail)));
    p.timeline.scrollTop = p.timeline.scrollHeight;
  }

  eventItem(event, detail) {
    const head = eventHead(event);
    const from = event.ticket_id !== detail.id ? ` (${event.ticket_number})` : "";
    return el(
      "li",
      { class: `ticket-event kind-${event.kind}`, dataset: { kind: event.kind } },
      el(
        "div",
        { class: "ticket-event-head" },
        el("span", { text: head + from }),
        el("time", { datetime: event.created_at, text: fullTime(event.created_at) }),
      ),
      event.body && event.action !== "field_changed"
        ? el("p", { class: "ticket-event-body", text: event.body })
        : null,
      event.kind === "created" && event.ticket_id === detail.id ? descriptionBlock(detail) : null,
    );
  }

  showError(text) {
    this.panel.error.textContent = text;
    this.panel.error.hidden = false;
  }

  /** PATCH the shown ticket and render the answer; true when the server took the changes. */
  async change(changes) {
    const p = this.panel;
    const ticket = this.shown;
    if (!ticket) return false;
    p.root.setAttribute("aria-busy", "true");
    p.error.hidden = true;
    try {
      this.render(await api.ticketUpdate(ticket.id, changes));
      return true;
    } catch (error) {
      this.render(ticket); // the refused value goes back to what the server has
      this.showError(errorText(error));
      return false;
    } finally {
      p.root.removeAttribute("aria-busy");
    }
  }

  async reply() {
    const p = this.panel;
    const ticket = this.shown;
    const body = p.body.value.trim();
    if (!ticket || !body || this.replying) return;
    // A reply that starts with a `/word` goes only once the agent has seen the picker.
    if (this.canned && !this.canned.guard(body)) return;
    this.replying = true;
    p.send.disabled = true;
    p.error.hidden = true;
    const internal = p.internal.checked;
    try {
      await api.ticketReply(ticket.id, { body, internal });
      p.body.value = "";
      this.toast(internal ? t.ticketNoteAdded : t.ticketReplySent);
      await this.showTicket(ticket.id);
    } catch (error) {
      this.showError(errorText(error));
    } finally {
      this.replying = false;
      p.send.disabled = false;
    }
  }
}
