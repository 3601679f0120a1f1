// The bell in the top bar (docs/protocol.md `notification`): the unread badge, a dropdown of the
// agent's notifications, and a toast for each live one. Clicking a notification marks it read
// and opens its ticket. The list is read again on every (re)connect, since pushes may be lost.
import { api } from "./api.js";
import { el, fmt, fullTime, shortTime, t } from "./dom.js";

const WHAT = {
  mention: "notificationMention",
  ticket_reply: "notificationTicketReply",
  ticket_assigned: "notificationTicketAssigned",
  ticket_created: "notificationTicketCreated",
  sla_warning: "notificationSlaWarning",
  sla_breached: "notificationSlaBreached",
  automation: "notificationAutomation",
};

function describe(item) {
  return fmt(t[WHAT[item.kind]] || t.notifications, {
    // Without an actor a ticket made itself: its source (keyword trigger, menu …) is the actor.
    actor: item.actor?.name || t.ticketSources[item.ticket?.source] || t.notificationSomeone,
    number: item.ticket?.number || "",
  });
}

export class NotificationBell {
  constructor({ openTicket, toast }) {
    const $ = (id) => document.getElementById(id);
    this.button = $("bell");
    this.badge = $("bell-badge");
    this.menu = $("bell-menu");
    this.list = $("bell-list");
    this.empty = $("bell-empty");
    this.readAll = $("bell-read-all");
    this.openTicket = openTicket;
    this.toast = toast;
    this.items = new Map(); // id -> notification, newest first by insertion order of `order`
    this.unread = 0;
    this.bind();
  }

  bind() {
    this.button.addEventListener("click", () => this.toggle(this.menu.hidden));
    this.readAll.addEventListener("click", () => this.markRead({ all: true }));
    this.list.addEventListener("click", (event) => {
      const row = event.target.closest(".bell-item");
      if (row) this.choose(Number(row.dataset.id));
    });
    document.addEventListener("click", (event) => {
      if (!this.menu.hidden && !event.target.closest("#bell-wrap")) this.toggle(false);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !this.menu.hidden) {
        this.toggle(false);
        this.button.focus();
      }
    });
  }

  /** After every `hello` or `resync`: the first page and the unread count, from the server. */
  async onConnected() {
    let page;
    try {
      page = await api.notifications({ limit: 30 });
    } catch {
      if (!this.menu.hidden) this.toast(t.notificationsLoadFailed, { error: true });
      return;
    }
    this.items = new Map(page.results.map((item) => [item.id, item]));
    this.showUnread(page.unread);
    this.render();
  }

  /** A `notification` frame: a new one, or some marked read (maybe in another tab). */
  onFrame(frame) {
    if (frame.op === "new") {
      const item = frame.notification;
      this.items = new Map([[item.id, item], ...[...this.items].filter(([id]) => id !== item.id)]);
      this.toast(item.excerpt ? `${describe(item)}: ${item.excerpt}` : describe(item));
    } else if (frame.op === "read") {
      const now = new Date().toISOString();
      for (const item of this.items.values()) {
        if (!item.read_at && (frame.all || frame.ids.includes(item.id))) item.read_at = now;
      }
    }
    this.showUnread(frame.unread);
    this.render();
  }

  toggle(open) {
    this.menu.hidden = !open;
    this.button.setAttribute("aria-expanded", String(open));
  }

  showUnread(count) {
    this.unread = count;
    this.badge.hidden = count === 0;
    this.badge.textContent = count > 99 ? "99+" : String(count);
    const label = count ? fmt(t.notificationsUnread, { n: count }) : t.notifications;
    this.button.title = label;
    this.button.setAttribute("aria-label", label);
    this.readAll.disabled = count === 0;
  }

  render() {
    const rows = [...this.items.values()].map((item) =>
      el(
        "li",
        {},
        el(
          "button",
          {
            type: "button",
            class: `bell-item${item.read_at ? "" : " is-unread"}`,
            dataset: { id: item.id, kind: item.kind },
          },
          el("span", { class: "bell-what", text: describe(item) }),
          item.excerpt ? el("span", { class: "bell-excerpt", text: item.excerpt }) : null,
          el("time", {
            class: "bell-time",
            datetime: item.created_at,
            title: fullTime(item.created_at),
            text: shortTime(item.created_at),
          }),
        ),
      ),
    );
    this.list.replaceChildren(...rows);
    this.empty.hidden = rows.length > 0;
  }

  async markRead(body) {
    try {
      const result = await api.notificationsRead(body);
      this.onFrame({ op: "read", ids: body.ids || [], all: Boolean(body.all), unread: result.unread });
    } catch {
      this.toast(t.actionFailed, { error: true });
    }
  }

  async choose(id) {
    const item = this.items.get(id);
    if (!item) return;
    this.toggle(false);
    if (item.ticket) this.openTicket(item.ticket.id);
    if (!item.read_at) await this.markRead({ ids: [id] });
  }
}
