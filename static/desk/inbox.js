// The left pane: the live conversation list with filters, search and keyset paging.
// Rows come from GET /api/v1/conversations/ and are then kept live by socket pushes.

import { api } from "./api.js";
import { channelIcon, config, customerName, duration, el, fmt, shortTime, t } from "./dom.js";
import { snippetNodes } from "./safe_html.js";
import { keepSla, slaBadge } from "./sla.js";

const FILTER_KEY = `unidesk.inbox.${config.agentId}`;
const SEARCH_DELAY_MS = 300;

function activity(conv) {
  return Date.parse(conv.last_message_at || conv.created_at) || 0;
}

/** Newest activity first, then the higher id: the order the API pages in. */
function before(a, b) {
  return activity(a) > activity(b) || (activity(a) === activity(b) && a.id > b.id);
}

/** Whether this agent may see the conversation at all (desk/kernel/access.py, client side). */
export function visibleToMe(conv) {
  if (config.isSupervisor) return true;
  if (conv.assignee && conv.assignee.id === config.agentId) return true;
  return !conv.team || config.teamIds.includes(conv.team.id);
}

/** "You: …" for the viewer's own words only; a colleague's or the bot's carry their name. */
function previewText(last, text) {
  if (last.sender_type === "customer") return text;
  if (last.sender?.id === config.agentId) return fmt(t.youPrefix, { text });
  const name = last.sender?.name || (last.sender_type === "bot" ? t.bot : "");
  return name ? fmt(t.senderPrefix, { name, text }) : text;
}


/** 紧急 Urgent / 不满 Upset from the offline assistance flags (chat/mood.py), the words as its tooltip. */
function moodBadge(assist) {
  if (!assist || !(assist.urgent || assist.angry)) return null;
  const text = [assist.urgent ? t.assistUrgent : null, assist.angry ? t.assistAngry : null]
    .filter(Boolean)
    .join(" · ");
  return el("span", {
    class: assist.angry ? "mood-badge angry" : "mood-badge",
    text,
    title: assist.words?.length ? `${text}: ${assist.words.join(", ")}` : text,
  });
}

export class Inbox {
  constructor({ onSelect }) {
    this.onSelect = onSelect;
    this.list = document.getElementById("conversation-items");
    this.scroller = document.getElementById("conversation-list");
    this.empty = document.getElementById("list-empty");
    this.more = document.getElementById("list-more");
    this.count = document.getElementById("list-count");
    this.search = document.getElementById("conversation-search");
    this.selects = {
      team: document.getElementById("filter-team"),
      channel: document.getElementById("filter-channel"),
      status: document.getElementById("filter-status"),
    };
    this.rows = new Map(); // id -> {conv, node}
    this.selectedId = null;
    this.cursor = null;
    this.loading = false;
    this.heardWhileLoading = null;
    this.generation = 0;
    this.filters = { filter: "all", team: "", channel: "", status: "active", q: "" };
    try {
      Object.assign(this.filters, JSON.parse(localStorage.getItem(FILTER_KEY) || "{}"), { q: "" });
    } catch {
      /* a broken saved value: keep the defaults */
    }
  }

  start() {
    for (const tab of document.querySelectorAll("[data-filter]")) {
      const selected = tab.dataset.filter === this.filters.filter;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      tab.addEventListener("click", () => this.setFilter({ filter: tab.dataset.filter }));
    }
    for (const [key, select] of Object.entries(this.selects)) {
      select.value = this.filters[key];
      if (select.value !== this.filters[key]) this.filters[key] = select.value;
      select.addEventListener("change", () => this.setFilter({ [key]: select.value }));
    }
    let timer = null;
    this.search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.setFilter({ q: this.search.value.trim() }), SEARCH_DELAY_MS);
    });
    this.scroller.addEventListener("scroll", () => {
      const { scrollTop, scrollHeight, clientHeight } = this.scroller;
      if (scrollHeight - scrollTop - clientHeight < 120) this.loadMore();
    });
    this.list.addEventListener("click", (event) => {
      const row = event.target.closest("[data-id]");
      if (row) this.onSelect(Number(row.dataset.id));
    });
    this.list.addEventListener("keydown", (event) => {
      const row = event.target.closest("[data-id]");
      if (!row) return;
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        this.onSelect(Number(row.dataset.id));
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const next = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
        next?.focus();
      }
    });
    setInterval(() => this.tick(), 1000);
    this.reload();
  }

  setFilter(change) {
    Object.assign(this.filters, change);
    const { q, ...saved } = this.filters;
    localStorage.setItem(FILTER_KEY, JSON.stringify(saved));
    for (const tab of document.querySelectorAll("[data-filter]")) {
      const selected = tab.dataset.filter === this.filters.filter;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    this.reload();
  }

  params() {
    return { ...this.filters, limit: 30 };
  }

  /** Load the first page again (filters changed, or after a reconnect). */
  async reload() {
    const generation = ++this.generation;
    this.loading = true;
    this.heardWhileLoading = []; // pushes that may be newer than the page being fetched
    this.scroller.setAttribute("aria-busy", "true");
    try {
      const page = await api.list(this.params());
      if (generation !== this.generation) return;
      this.rows.clear();
      this.list.replaceChildren();
      this.cursor = page.next_cursor;
      for (const conv of page.results) this.upsert(conv, { append: true });
      const heard = this.heardWhileLoading;
      this.heardWhileLoading = null;
      for (const [summary, message] of heard) this.applySummary(summary, message);
    } catch {
      if (generation === this.generation) this.cursor = null;
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.heardWhileLoading = null;
        this.scroller.removeAttribute("aria-busy");
        this.refreshChrome();
      }
    }
  }

  async loadMore() {
    if (this.loading || !this.cursor) return;
    const generation = this.generation;
    this.loading = true;
    this.more.hidden = false;
    try {
      const page = await api.list({ ...this.params(), cursor: this.cursor });
      if (generation !== this.generation) return;
      this.cursor = page.next_cursor;
      for (const conv of page.results) if (!this.rows.has(conv.id)) this.upsert(conv, { append: true });
    } catch {
      /* the next scroll tries again */
    } finally {
      this.loading = false;
      this.more.hidden = true;
      this.refreshChrome();
    }
  }

  matches(conv) {
    const f = this.filters;
    if (!visibleToMe(conv)) return false;
    if (f.filter === "mine" && conv.assignee?.id !== config.agentId) return false;
    if (f.filter === "unassigned" && conv.assignee) return false;
    if (f.team && String(conv.team?.id ?? "") !== f.team) return false;
    if (f.channel && conv.channel !== f.channel) return false;
    if (f.status === "active" && conv.status === "closed") return false;
    if (f.status && f.status !== "active" && conv.status !== f.status) return false;
    return true;
  }

  get(id) {
    return this.rows.get(id)?.conv || null;
  }

  /** A pushed summary (`conversation.update`, or `message.new` with its message). */
  applySummary(summary, message = null) {
    this.heardWhileLoading?.push([summary, message]);
    const known = this.rows.get(summary.id)?.conv;
    if (known && summary.last_seq < known.last_seq) return known; // an older event, late
    const conv = { ...(known || { last_message: null, waiting_since: null }), ...summary };
    // A message's summary was read before its wait's clock changed (that comes after commit, in
    // its own `conversation.update`): keep the clock we have.
    if (known && message) conv.sla = known.sla;
    else if (known && "sla" in summary) conv.sla = keepSla(known.sla, summary.sla);
    if (message && !message.is_internal) {
      conv.last_message = {
        body: message.body,
        content_type: message.content_type,
        sender_type: message.sender_type,
        sender: message.sender ? { id: message.sender.id, name: message.sender.name } : null,
      };
      if (message.sender_type === "customer") conv.waiting_since ||= message.created_at;
      else if (message.sender_type === "agent" || message.sender_type === "bot") {
        conv.waiting_since = null;
      }
    }
    if (!this.matches(conv) || (this.filters.q && !known)) {
      if (known) this.remove(conv.id);
      return conv;
    }
    this.upsert(conv);
    this.refreshChrome();
    return conv;
  }

  upsert(conv, { append = false } = {}) {
    let entry = this.rows.get(conv.id);
    const node = this.renderRow(conv);
    if (entry) {
      entry.node.replaceWith(node);
      entry.node = node;
      entry.conv = conv;
    } else {
      entry = { conv, node };
      this.rows.set(conv.id, entry);
    }
    if (append) {
      this.list.append(node);
      return;
    }
    // Move to its place: before the first row it sorts ahead of.
    node.remove();
    const after = [...this.list.children].find((child) => {
      const other = this.rows.get(Number(child.dataset.id));
      return other && before(conv, other.conv);
    });
    if (after) this.list.insertBefore(node, after);
    else if (!this.cursor) this.list.append(node);
    else this.rows.delete(conv.id); // it belongs to a page not loaded yet
  }

  remove(id) {
    const entry = this.rows.get(id);
    if (!entry) return;
    entry.node.remove();
    this.rows.delete(id);
    this.refreshChrome();
  }

  select(id) {
    this.selectedId = id;
    for (const row of this.list.children) {
      row.setAttribute("aria-selected", String(Number(row.dataset.id) === id));
    }
  }

  refreshChrome() {
    this.empty.hidden = this.rows.size > 0 || this.loading;
    this.count.textContent = this.rows.size ? String(this.rows.size) + (this.cursor ? "+" : "") : "";
  }

  renderRow(conv) {
    const me = config.agentId;
    const last = conv.last_message;
    let preview = "";
    if (last) {
      const text = last.body || t.contentTypes[last.content_type] || "";
      preview = previewText(last, text);
    }
    const assignee = conv.assignee
      ? conv.assignee.id === me
        ? t.assignedToYou
        : conv.assignee.name
      : t.unassigned;
    const meta = [el("span", { class: "conv-assignee", text: assignee })];
    if (conv.team) meta.push(el("span", { class: "conv-team", text: conv.team.name }));
    if (conv.status !== "open") {
      meta.push(el("span", { class: `status-pill status-${conv.status}`, text: t.statuses[conv.status] }));
    }
    const row = el(
      "li",
      {
        class: "conv-row",
        role: "option",
        tabindex: "0",
        dataset: { id: conv.id, status: conv.status },
        "aria-selected": String(conv.id === this.selectedId),
      },
      channelIcon(conv.channel, 18),
      el(
        "div",
        { class: "conv-main" },
        el(
          "div",
          { class: "conv-line" },
          el("span", { class: "conv-name", text: customerName(conv.customer) }),
          conv.customer.vip_level ? el("span", { class: "vip", text: `VIP${conv.customer.vip_level}` }) : null,
          moodBadge(conv.assist),
          el("time", {
            class: "conv-time",
            datetime: conv.last_message_at || conv.created_at,
            text: shortTime(conv.last_message_at || conv.created_at),
          }),
        ),
        el(
          "div",
          { class: "conv-line" },
          el("span", { class: "conv-preview", text: preview || "\u00a0" }),
          conv.unread_by_agent
            ? el("span", {
                class: "unread",
                text: conv.unread_by_agent > 99 ? "99+" : String(conv.unread_by_agent),
                title: fmt(t.unreadCount, { n: conv.unread_by_agent }),
              })
            : null,
        ),
        // a search's words around the matches: only <mark> survives (safe_html.js)
        conv.snippet ? el("div", { class: "conv-snippet" }, ...snippetNodes(conv.snippet)) : null,
        el(
          "div",
          { class: "conv-line conv-meta" },
          ...meta,
          conv.waiting_since && conv.status !== "closed"
            ? el("span", {
                class: "waiting",
                title: t.waitingTitle,
                dataset: { since: conv.waiting_since },
              })
            : null,
          conv.status !== "closed" ? slaBadge(conv.sla) : null,
        ),
      ),
    );
    this.tickRow(row);
    return row;
  }

  tickRow(row) {
    for (const node of row.querySelectorAll("[data-since]")) {
      const waited = Date.now() - Date.parse(node.dataset.since);
      node.textContent = fmt(t.waitingFor, { time: duration(waited) });
      node.classList.toggle("is-long", waited > 5 * 60 * 1000);
    }
  }

  tick() {
    this.tickRow(this.list);
  }
}
