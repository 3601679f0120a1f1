// The Tickets view: the agent's ticket list with filters, sort, keyset "load more", saved views
// and bulk actions (docs/api.md). A row opens the ticket panel (tickets.js); `ticket.update`
// pushes and the panel's answers refresh rows in place. Text comes from #desk-i18n.

import { api, errorText } from "./api.js";
import { config, el, fmt, shortTime, t } from "./dom.js";
import { snippetNodes } from "./safe_html.js";
import { slaBadge } from "./sla.js";

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 300;

export class TicketList {
  constructor({ toast, openTicket }) {
    Object.assign(this, { toast, openTicket });
    const $ = (id) => document.getElementById(id);
    this.root = $("tickets-view");
    this.f = {
      statuses: [...this.root.querySelectorAll(".tl-statuses input[name=status]")],
      q: $("tl-q"),
      priority: $("tl-priority"),
      assignee: $("tl-assignee"),
      team: $("tl-team"),
      category: $("tl-category"),
      channel: $("tl-channel"),
      tag: $("tl-tag"),
      sort: $("tl-sort"),
      sla: $("tl-sla"),
      risk: $("tl-risk"),
    };
    this.ui = {
      count: $("tl-count"),
      rows: $("tl-rows"),
      empty: $("tl-empty"),
      error: $("tl-error"),
      more: $("tl-more"),
      fresh: $("tl-fresh"),
      all: $("tl-all"),
      bulk: $("tl-bulk"),
      selected: $("tl-selected"),
      bulkMe: $("tl-bulk-me"),
      bulkAssign: $("tl-bulk-assign"),
      bulkStatus: $("tl-bulk-status"),
      bulkPriority: $("tl-bulk-priority"),
      bulkTagForm: $("tl-bulk-tag-form"),
      bulkTag: $("tl-bulk-tag"),
      bulkClear: $("tl-bulk-clear"),
      view: $("tl-view"),
      viewDelete: $("tl-view-delete"),
      viewForm: $("tl-view-form"),
      viewName: $("tl-view-name"),
    };
    this.rows = new Map(); // id -> row data, in list order
    this.selected = new Set();
    this.unseen = new Set(); // tickets pushed to us that the list does not show yet
    this.cursor = null;
    this.loadToken = 0;
    this.started = false;
    this.views = [];
    for (const agent of config.agents || []) {
      this.f.assignee.append(el("option", { value: String(agent.id), text: agent.name }));
      this.ui.bulkAssign.append(el("option", { value: String(agent.id), text: agent.name }));
    }
    for (const category of config.categories || []) {
      this.f.category.append(el("option", { value: String(category.id), text: category.name }));
    }
    this.bind();
  }

  bind() {
    const reload = () => this.reload();
    for (const box of this.f.statuses) box.addEventListener("change", reload);
    const f = this.f;
    for (const input of [f.priority, f.assignee, f.team, f.category, f.channel, f.sort, f.sla, f.risk]) {
      input.addEventListener("change", reload);
    }
    for (const input of [f.q, f.tag]) {
      input.addEventListener("input", () => {
        clearTimeout(this.searchTimer);
        this.searchTimer = setTimeout(reload, SEARCH_DELAY_MS);
      });
    }
    this.ui.more.addEventListener("click", () => this.load({ append: true }));
    this.ui.fresh.addEventListener("click", reload);
    this.ui.rows.addEventListener("click", (event) => {
      const row = event.target.closest("tr[data-id]");
      if (!row) return;
      if (event.target.closest(".tl-pick")) return;
      this.openTicket(Number(row.dataset.id));
      for (const other of this.ui.rows.querySelectorAll("tr.is-open")) other.classList.remove("is-open");
      row.classList.add("is-open");
    });
    this.ui.rows.addEventListener("change", (event) => {
      const box = event.target.closest("input[type=checkbox]");
      if (!box) return;
      const id = Number(box.closest("tr").dataset.id);
      if (box.checked) this.selected.add(id);
      else this.selected.delete(id);
      this.renderSelection();
    });
    this.ui.all.addEventListener("change", () => {
      this.selected = this.ui.all.checked ? new Set(this.rows.keys()) : new Set();
      for (const box of this.ui.rows.querySelectorAll(".tl-pick input")) box.checked = this.ui.all.checked;
      this.renderSelection();
    });
    this.ui.bulkMe.addEventListener("click", () => this.bulk("assign", "me"));
    this.ui.bulkAssign.addEventListener("change", () => {
      const value = this.ui.bulkAssign.value;
      this.ui.bulkAssign.value = "";
      if (value) this.bulk("assign", value === "none" ? null : Number(value));
    });
    this.ui.bulkStatus.addEventListener("change", () => {
      const value = this.ui.bulkStatus.value;
      this.ui.bulkStatus.value = "";
      if (value) this.bulk("status", value);
    });
    this.ui.bulkPriority.addEventListener("change", () => {
      const value = this.ui.bulkPriority.value;
      this.ui.bulkPriority.value = "";
      if (value !== "") this.bulk("priority", Number(value));
    });
    this.ui.bulkTagForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const tag = this.ui.bulkTag.value.trim();
      if (tag) this.bulk("tag", tag).then(() => (this.ui.bulkTag.value = ""));
    });
    this.ui.bulkClear.addEventListener("click", () => this.clearSelection());
    this.ui.view.addEventListener("change", () => this.pickView());
    this.ui.viewDelete.addEventListener("click", () => this.deleteView());
    this.ui.viewForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveView();
    });
  }

  /** The view became visible: load it the first time. */
  show() {
    if (this.started) return;
    this.started = true;
    this.loadViews();
    this.reload();
  }

  // ---- filters ---------------------------------------------------------------------------------

  filters() {
    const filters = {};
    const statuses = this.f.statuses.filter((box) => box.checked).map((box) => box.value);
    if (statuses.length) filters.status = statuses;
    if (this.f.priority.value !== "") filters.priority = Number(this.f.priority.value);
    if (this.f.assignee.value) {
      const value = this.f.assignee.value;
      filters.assignee = /^\d+$/.test(value) ? Number(value) : value;
    }
    if (this.f.team.value) filters.team = Number(this.f.team.value);
    if (this.f.category.value) filters.category = Number(this.f.category.value);
    if (this.f.channel.value) filters.channel = this.f.channel.value;
    const tag = this.f.tag.value.trim();
    if (tag) filters.tag = tag;
    if (this.f.sla.checked) filters.sla_at_risk = true;
    if (this.f.risk.value) filters.sla_risk = [this.f.risk.value];
    const q = this.f.q.value.trim();
    if (q) filters.q = q;
    if (this.f.sort.value !== "updated_at") filters.sort = this.f.sort.value;
    return filters;
  }

  applyFilters(filters) {
    const statuses = new Set(filters.status || []);
    for (const box of this.f.statuses) box.checked = statuses.has(box.value);
    this.f.priority.value = filters.priority ?? "";
    this.f.assignee.value = filters.assignee ?? "";
    this.f.team.value = filters.team ?? "";
    this.f.category.value = filters.category ?? "";
    this.f.channel.value = filters.channel || "";
    this.f.tag.value = filters.tag || "";
    this.f.sla.checked = Boolean(filters.sla_at_risk);
    this.f.risk.value = (filters.sla_risk || [])[0] || "";
    this.f.q.value = filters.q || "";
    this.f.sort.value = filters.sort || "updated_at";
  }

  /** The filters as query parameters (statuses repeated). */
  params() {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(this.filters())) {
      for (const one of Array.isArray(value) ? value : [value]) params.append(key, String(one));
    }
    params.set("limit", String(PAGE_SIZE));
    return params;
  }

  // ---- loading ---------------------------------------------------------------------------------

  reload() {
    this.rows = new Map();
    this.unseen.clear();
    this.renderFresh();
    this.cursor = null;
    this.clearSelection();
    this.ui.rows.replaceChildren();
    return this.load({ append: false });
  }

  async load({ append }) {
    const token = ++this.loadToken;
    const params = this.params();
    if (append && this.cursor) params.set("cursor", this.cursor);
    this.ui.error.hidden = true;
    this.ui.more.disabled = true;
    this.root.setAttribute("aria-busy", "true");
    let page;
    try {
      page = await api.ticketList(params);
    } catch (error) {
      if (token !== this.loadToken) return;
      this.ui.error.textContent = error.status === 400 ? errorText(error) : t.ticketListLoadFailed;
      this.ui.error.hidden = false;
      return;
    } finally {
      if (token === this.loadToken) {
        this.root.removeAttribute("aria-busy");
        this.ui.more.disabled = false;
      }
    }
    if (token !== this.loadToken) return;
    for (const row of page.results) {
      if (this.rows.has(row.id)) continue;
      this.rows.set(row.id, row);
      this.ui.rows.append(this.rowElement(row));
    }
    this.cursor = page.next_cursor;
    this.ui.more.hidden = !this.cursor;
    this.ui.empty.hidden = this.rows.size > 0;
    this.ui.count.textContent = fmt(t.ticketListCount, { n: this.rows.size });
  }

  rowElement(row) {
    const checked = this.selected.has(row.id);
    const risk = row.sla_at_risk
      ? el("span", { class: "tl-risk", title: t.ticketListSlaAtRisk, text: "!" })
      : null;
    return el(
      "tr",
      {
        dataset: {
          id: String(row.id),
          status: row.status,
          priority: String(row.priority),
          risk: row.sla_risk || "none",
        },
      },
      el(
        "td",
        { class: "tl-pick" },
        el("input", { type: "checkbox", checked, "aria-label": row.number }),
      ),
      el("td", { class: "tl-number", text: row.number }),
      el(
        "td",
        { class: "tl-subject" },
        risk,
        el("span", { text: row.subject }),
        // a search's words around the matches: only <mark> survives (safe_html.js)
        row.snippet ? el("div", { class: "tl-snippet" }, ...snippetNodes(row.snippet)) : null,
      ),
      el("td", { text: row.requester?.name || "" }),
      el("td", { class: "tl-status" }, el("span", {
        class: `status-pill tl-status-${row.status}`,
        text: t.ticketStatuses[row.status] || row.status,
      })),
      el("td", { class: "tl-priority", text: t.priorities[String(row.priority)] || row.priority }),
      el("td", { class: "tl-sla" }, slaBadge(row.sla)),
      el("td", { class: "tl-assignee", text: row.assignee ? row.assignee.name : t.unassigned }),
      el("td", { text: row.team ? row.team.name : "" }),
      el("td", { class: "tl-updated" }, el("time", {
        datetime: row.updated_at,
        text: shortTime(row.updated_at),
      })),
    );
  }

  /** A ticket's new summary (a push or the panel): update its row if it is shown. */
  update(ticket) {
    const old = this.rows.get(ticket.id);
    if (!old) return;
    const row = { ...old, ...ticket };
    if ("sla" in ticket) {
      // A summary's clock carries its risk: the row's own (from the list) would be stale.
      row.sla_risk = ticket.sla ? ticket.sla.risk : "none";
      row.sla_at_risk = row.sla_risk === "at_risk" || row.sla_risk === "breached";
    }
    this.rows.set(ticket.id, row);
    const node = this.ui.rows.querySelector(`tr[data-id="${ticket.id}"]`);
    if (!node) return;
    const fresh = this.rowElement(row);
    if (node.classList.contains("is-open")) fresh.classList.add("is-open");
    node.replaceWith(fresh);
  }

  /** A `ticket.update` push: refresh its row, or count it as new or changed (a reload shows it). */
  onUpdate(frame) {
    const ticket = frame.ticket;
    if (!ticket) return;
    if (this.rows.has(ticket.id)) this.update(ticket);
    else if (this.started) {
      this.unseen.add(ticket.id);
      this.renderFresh();
    }
  }

  renderFresh() {
    this.ui.fresh.hidden = this.unseen.size === 0;
    this.ui.fresh.textContent = fmt(t.ticketListFresh, { n: this.unseen.size });
  }

  onConnected() {
    if (this.started) this.reload();
  }

  // ---- selection and bulk ----------------------------------------------------------------------

  clearSelection() {
    this.selected = new Set();
    this.ui.all.checked = false;
    for (const box of this.ui.rows.querySelectorAll(".tl-pick input")) box.checked = false;
    this.renderSelection();
  }

  renderSelection() {
    this.ui.bulk.hidden = this.selected.size === 0;
    this.ui.selected.textContent = fmt(t.ticketListSelected, { n: this.selected.size });
  }

  async bulk(action, value) {
    const ids = [...this.selected];
    if (!ids.length) return;
    let answer;
    try {
      answer = await api.ticketBulk({ ids, action, value });
    } catch (error) {
      this.toast(errorText(error), { error: true });
      return;
    }
    const refused = answer.results.filter((result) => !result.ok);
    const ok = answer.results.length - refused.length;
    const parts = [fmt(t.ticketListBulkDone, { ok, n: answer.results.length })];
    for (const result of refused) {
      const number = this.rows.get(result.id)?.number || `#${result.id}`;
      const reason = t.ticketListCodes[result.code] || result.code;
      parts.push(fmt(t.ticketListBulkRefused, { number, reason }));
    }
    this.toast(parts.join(" "), { error: refused.length > 0 });
    await this.reload();
  }

  // ---- saved views -----------------------------------------------------------------------------

  async loadViews(selectId = null) {
    try {
      this.views = await api.ticketViews();
    } catch {
      return;
    }
    const first = this.ui.view.options[0];
    this.ui.view.replaceChildren(
      first,
      ...this.views.map((view) => el("option", { value: String(view.id), text: view.name })),
    );
    this.ui.view.value = selectId ? String(selectId) : "";
    this.ui.viewDelete.disabled = !this.ui.view.value;
  }

  pickView() {
    const view = this.views.find((one) => String(one.id) === this.ui.view.value);
    this.ui.viewDelete.disabled = !view;
    if (!view) return;
    this.applyFilters(view.filters);
    this.reload();
  }

  async saveView() {
    const name = this.ui.viewName.value.trim();
    if (!name) {
      this.toast(t.ticketListViewNameNeeded, { error: true });
      return;
    }
    try {
      const view = await api.ticketViewCreate({ name, filters: this.filters() });
      this.ui.viewName.value = "";
      this.toast(fmt(t.ticketListViewSaved, { name: view.name }));
      await this.loadViews(view.id);
    } catch (error) {
      this.toast(errorText(error), { error: true });
    }
  }

  async deleteView() {
    const view = this.views.find((one) => String(one.id) === this.ui.view.value);
    if (!view) return;
    try {
      await api.ticketViewDelete(view.id);
      this.toast(fmt(t.ticketListViewDeleted, { name: view.name }));
    } catch (error) {
      this.toast(errorText(error), { error: true });
    }
    await this.loadViews();
  }
}
