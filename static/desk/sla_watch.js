// The SLA watch at the top of the Tickets view: every breached or at-risk ticket and waiting chat
// the agent may see (a supervisor: all teams), due soonest first (GET /api/v1/sla/watch/,
// docs/api.md). Countdowns tick with sla.js; `ticket.update` and `conversation.update` pushes
// (the sweep sends them when a warning or breach fires) reload it, a few at a time, and so does
// a slow poll for clocks that cross their warning time between pushes.
import { api } from "./api.js";
import { customerName, el, fmt, t } from "./dom.js";
import { slaBadge } from "./sla.js";

const RELOAD_DELAY_MS = 1500;
const POLL_MS = 60000;

export class SlaWatch {
  constructor({ openTicket, openConversation }) {
    Object.assign(this, { openTicket, openConversation });
    const $ = (id) => document.getElementById(id);
    this.root = $("sla-watch");
    this.title = $("sla-watch-title");
    this.tickets = $("sla-watch-tickets");
    this.chats = $("sla-watch-chats");
    this.started = false;
    this.timer = null;
    this.tickets.addEventListener("click", (event) => {
      const item = event.target.closest("li[data-id]");
      if (item) this.openTicket(Number(item.dataset.id));
    });
    this.chats.addEventListener("click", (event) => {
      const item = event.target.closest("li[data-id]");
      if (item) this.openConversation(Number(item.dataset.id));
    });
  }

  show() {
    if (this.started) return;
    this.started = true;
    this.load();
    setInterval(() => this.load(), POLL_MS);
  }

  /** A push that may change what the watch lists: reload soon (once for a burst). */
  onPush() {
    if (!this.started || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.load();
    }, RELOAD_DELAY_MS);
  }

  async load() {
    let watch;
    try {
      watch = await api.slaWatch();
    } catch {
      return;
    }
    this.title.textContent = fmt(t.slaWatchCount, {
      tickets: watch.tickets.length,
      chats: watch.conversations.length,
    });
    this.tickets.replaceChildren(
      ...watch.tickets.map((row) =>
        el(
          "li",
          { dataset: { id: String(row.id), risk: row.sla_risk }, tabindex: "0" },
          el("span", { class: "sla-watch-name", text: `${row.number} ${row.subject}` }),
          el("span", { class: "sla-watch-who", text: row.team ? row.team.name : "" }),
          slaBadge(row.sla),
        ),
      ),
    );
    this.chats.replaceChildren(
      ...watch.conversations.map((conv) =>
        el(
          "li",
          { dataset: { id: String(conv.id), risk: conv.sla ? conv.sla.risk : "" }, tabindex: "0" },
          el("span", { class: "sla-watch-name", text: customerName(conv.customer) }),
          el("span", { class: "sla-watch-who", text: conv.team ? conv.team.name : "" }),
          slaBadge(conv.sla),
        ),
      ),
    );
  }
}
