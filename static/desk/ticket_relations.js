// Merge and link from the ticket panel: "Merge into…" and "Link ticket…" open a dialog where the
// agent types a ticket number (T-YYYYMMDD-NNNN) or words, picks a match from the ticket search
// (GET /api/v1/tickets/?q=) and confirms. The panel shows where a merged ticket went and the
// related tickets; each opens in the panel.

import { api, errorText } from "./api.js";
import { el, fmt, t } from "./dom.js";

const NUMBER = /^T-\d{8}-\d{4}$/i;
const SEARCH_DELAY_MS = 250;
const SEARCH_LIMIT = 8;

export class TicketRelations {
  constructor({ openTicket, reload, toast }) {
    Object.assign(this, { openTicket, reload, toast });
    const $ = (id) => document.getElementById(id);
    this.e = {
      merged: $("ticket-merged"),
      mergedLink: $("ticket-merged-link"),
      related: $("ticket-related"),
      mergeOpen: $("ticket-merge-open"),
      linkOpen: $("ticket-link-open"),
      dialog: $("relation-dialog"),
      form: $("relation-form"),
      title: $("relation-title"),
      query: $("relation-query"),
      results: $("relation-results"),
      choice: $("relation-choice"),
      error: $("relation-error"),
      cancel: $("relation-cancel"),
      confirm: $("relation-confirm"),
    };
    this.detail = null;
    this.mode = null; // "merge" or "link"
    this.chosen = null;
    this.bind();
  }

  bind() {
    const e = this.e;
    e.mergeOpen.addEventListener("click", () => this.open("merge"));
    e.linkOpen.addEventListener("click", () => this.open("link"));
    e.mergedLink.addEventListener("click", (event) => {
      event.preventDefault();
      this.openTicket(Number(e.mergedLink.dataset.id));
    });
    e.cancel.addEventListener("click", () => e.dialog.close());
    e.query.addEventListener("input", () => {
      this.choose(null);
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.search(), SEARCH_DELAY_MS);
    });
    e.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.confirm();
    });
  }

  render(detail) {
    const e = this.e;
    this.detail = detail;
    const merged = detail.merged_into;
    e.merged.hidden = !merged;
    e.mergedLink.textContent = merged ? merged.number : "";
    e.mergedLink.dataset.id = merged ? String(merged.id) : "";
    e.mergeOpen.disabled = Boolean(merged);
    e.related.replaceChildren(
      ...detail.related.map((ticket) => el("li", {}, this.ticketLink(ticket))),
      detail.related.length ? null : el("li", { class: "empty-text", text: t.ticketRelatedEmpty }),
    );
  }

  ticketLink(ticket) {
    const label = `${ticket.number} · ${ticket.subject} · ${t.ticketStatuses[ticket.status] || ticket.status}`;
    return el("a", {
      href: "#",
      text: label,
      dataset: { id: ticket.id },
      onclick: (event) => {
        event.preventDefault();
        this.openTicket(ticket.id);
      },
    });
  }

  // ---- the dialog ------------------------------------------------------------------------------

  open(mode) {
    const e = this.e;
    if (!this.detail) return;
    this.mode = mode;
    const number = this.detail.number;
    e.title.textContent = fmt(mode === "merge" ? t.ticketMergeTitle : t.ticketLinkTitle, { number });
    e.confirm.textContent = mode === "merge" ? t.ticketMergeConfirm : t.ticketLinkConfirm;
    e.query.value = "";
    e.results.replaceChildren();
    e.error.hidden = true;
    this.choose(null);
    e.dialog.showModal();
    e.query.focus();
  }

  choose(ticket) {
    const e = this.e;
    this.chosen = ticket;
    e.confirm.disabled = !ticket;
    e.choice.textContent = ticket
      ? fmt(t.ticketRelationChosen, { number: ticket.number, subject: ticket.subject })
      : t.ticketRelationHint;
    for (const option of e.results.children) {
      option.setAttribute("aria-selected", String(Number(option.dataset.id) === ticket?.id));
    }
  }

  async search() {
    const e = this.e;
    const q = e.query.value.trim();
    if (!q) {
      e.results.replaceChildren();
      return null;
    }
    const params = new URLSearchParams({ q, limit: String(SEARCH_LIMIT) });
    let page;
    try {
      page = await api.ticketList(params);
    } catch (error) {
      this.showError(errorText(error));
      return null;
    }
    if (e.query.value.trim() !== q) return null; // the agent typed on
    const rows = page.results.filter((row) => row.id !== this.detail.id);
    e.results.replaceChildren(...rows.map((row) => this.resultItem(row)));
    if (!rows.length) e.results.append(el("li", { class: "empty-text", text: t.ticketRelationNotFound }));
    const exact = NUMBER.test(q) && rows.find((row) => row.number.toUpperCase() === q.toUpperCase());
    if (exact) this.choose(exact);
    return exact || null;
  }

  resultItem(row) {
    const status = t.ticketStatuses[row.status] || row.status;
    return el("li", {
      role: "option",
      class: "relation-result",
      dataset: { id: row.id, number: row.number },
      "aria-selected": "false",
      tabindex: "0",
      text: `${row.number} · ${row.subject} · ${status}`,
      onclick: () => this.choose(row),
      onkeydown: (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          this.choose(row);
        }
      },
    });
  }

  showError(text) {
    this.e.error.textContent = text;
    this.e.error.hidden = false;
  }

  async confirm() {
    const e = this.e;
    const source = this.detail;
    if (this.busy || !source) return;
    const target = this.chosen || (await this.search());
    if (!target) {
      this.showError(t.ticketRelationHint);
      return;
    }
    this.busy = true;
    e.confirm.disabled = true;
    e.error.hidden = true;
    try {
      if (this.mode === "merge") {
        await api.ticketMerge(source.id, { into: target.id });
        this.toast(fmt(t.ticketMergedToast, { number: target.number }));
      } else {
        const result = await api.ticketLink(source.id, { other: target.id });
        const message = result.linked ? t.ticketLinkedToast : t.ticketAlreadyLinked;
        this.toast(fmt(message, { number: target.number }));
      }
      e.dialog.close();
      this.reload(source.id);
    } catch (error) {
      this.showError(errorText(error));
    } finally {
      this.busy = false;
      e.confirm.disabled = !this.chosen;
    }
  }
}
