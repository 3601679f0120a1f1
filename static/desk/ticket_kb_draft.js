// The ticket panel's "Draft a KB article" (resolved and closed tickets): POST
// /api/v1/tickets/<id>/kb-draft/ writes a draft from the ticket's question and answers, or returns
// the ticket's existing one; the link opens it in the admin to edit and publish.

import { api, errorText } from "./api.js";
import { fmt, t } from "./dom.js";

const DONE = new Set(["resolved", "closed"]);

export class TicketKbDraft {
  constructor({ toast, showError }) {
    Object.assign(this, { toast, showError });
    this.row = document.getElementById("ticket-kb-draft-row");
    this.button = document.getElementById("ticket-kb-draft");
    this.link = document.getElementById("ticket-kb-draft-link");
    this.ticketId = null;
    this.button.addEventListener("click", () => this.draft());
  }

  render(detail) {
    if (detail.id !== this.ticketId) {
      this.ticketId = detail.id;
      this.link.hidden = true;
      this.link.removeAttribute("href");
    }
    this.row.hidden = !DONE.has(detail.status);
  }

  async draft() {
    const id = this.ticketId;
    if (id === null || this.button.disabled) return;
    this.button.disabled = true; // a second click while the first is on its way does nothing
    try {
      const result = await api.ticketKbDraft(id);
      if (this.ticketId !== id) return;
      this.link.href = result.admin_url;
      this.link.hidden = false;
      this.toast(fmt(result.created ? t.kbDraftCreated : t.kbDraftExists, { title: result.title }));
    } catch (error) {
      this.showError(errorText(error));
    } finally {
      this.button.disabled = false;
    }
  }
}
