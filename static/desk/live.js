// The supervisors' Live view: the waiting queue, a summary per team, and every agent's presence
// and load (GET /api/v1/routing/live/, docs/api.md). A `routing.changed` push (docs/protocol.md)
// reloads it shortly after (once for a burst); a 15 s poll covers pushes the channel layer lost;
// waiting times tick every second from what the server measured. A row is reassigned with the
// transfer API (POST /api/v1/conversations/<id>/transfer/), whose refusals are shown as they are
// worded (an agent at their limit: 409 agent_at_capacity). Text comes from `t.live`.
import { api, errorText } from "./api.js";
import { channelIcon, clockTime, config, customerName, el, fmt, fullTime, shortTime, t } from "./dom.js";

const HINT_DELAY_MS = 300;
const POLL_MS = 15000;
const TICK_MS = 1000;
const s = t.live;

/** "04:05" for 245 seconds, "1:02:03" past an hour. */
export function waitClock(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const mmss = `${String(minutes).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
  return hours ? `${hours}:${mmss}` : mmss;
}

export class LiveView {
  constructor({ toast }) {
    this.toast = toast;
    const $ = (id) => document.getElementById(id);
    this.teamSelect = $("live-team");
    this.updated = $("live-updated");
    this.chips = $("live-chips");
    this.error = $("live-error");
    this.queueCount = $("live-queue-count");
    this.queue = $("live-queue");
    this.queueEmpty = $("live-queue-empty");
    this.queueMore = $("live-queue-more");
    this.agents = $("live-agents");
    this.started = false;
    this.timer = null;
    this.loads = 0; // the newest load wins
    this.data = null;
    this.loadedAt = 0;
    this.stale = false; // new data arrived while a picker was open: drawn when it closes
    this.teamSelect.addEventListener("change", () => this.load());
    this.queue.addEventListener("change", (event) => this.onPick(event.target));
    this.queue.addEventListener("focusout", () => {
      setTimeout(() => {
        if (this.stale && !this.picking()) this.render();
      }, 0);
    });
    this.chips.addEventListener("click", (event) => {
      const chip = event.target.closest("button[data-team]");
      if (!chip) return;
      this.teamSelect.value = this.teamSelect.value === chip.dataset.team ? "" : chip.dataset.team;
      this.load();
    });
  }

  show() {
    if (this.started) return;
    this.started = true;
    this.load();
    setInterval(() => this.load(), POLL_MS);
    setInterval(() => this.tick(), TICK_MS);
  }

  /** `routing.changed` (or a reconnect): read again soon, once for a burst. */
  onHint() {
    if (!this.started || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.load();
    }, HINT_DELAY_MS);
  }

  async load() {
    const mine = ++this.loads;
    let data;
    try {
      data = await api.live({ team: this.teamSelect.value });
    } catch {
      if (mine === this.loads) {
        this.error.textContent = s.loadFailed;
        this.error.hidden = false;
      }
      return;
    }
    if (mine !== this.loads) return;
    this.error.hidden = true;
    this.data = data;
    this.loadedAt = performance.now();
    this.render();
  }

  /** A picker of the queue is open: redrawing the rows would close it under the cursor. */
  picking() {
    const active = document.activeElement;
    return active && active.tagName === "SELECT" && this.queue.contains(active);
  }

  render() {
    if (!this.data) return;
    if (this.picking()) {
      this.stale = true;
      return;
    }
    this.stale = false;
    const data = this.data;
    this.updated.textContent = fmt(s.updated, { time: clockTime(data.as_of) });
    this.chips.replaceChildren(...data.teams.map((team) => this.chip(team)));
    this.queueCount.textContent = fmt(s.waitingCount, { n: data.waiting_total });
    this.queue.replaceChildren(...data.waiting.map((row) => this.queueRow(row, data.agents)));
    this.queueEmpty.hidden = data.waiting.length > 0;
    this.queueMore.hidden = data.waiting_more === 0;
    this.queueMore.textContent = fmt(s.more, { n: data.waiting_more });
    this.agents.replaceChildren(...data.agents.map((agent) => this.agentRow(agent)));
  }

  chip(team) {
    const key = team.id === null ? "none" : String(team.id);
    return el(
      "li",
      {},
      el(
        "button",
        {
          type: "button",
          class: "live-chip",
          dataset: { team: key, waiting: String(team.waiting) },
          "aria-pressed": String(this.teamSelect.value === key),
        },
        el("strong", { class: "live-chip-name", text: team.name || s.noTeam }),
        el("span", { class: "live-chip-waiting", text: fmt(s.chipWaiting, { n: team.waiting }) }),
        el("span", {
          class: "live-chip-longest",
          dataset: { seconds: String(team.longest_wait_seconds), waiting: String(team.waiting) },
          text: fmt(s.chipLongest, { time: waitClock(team.longest_wait_seconds) }),
          hidden: team.waiting === 0,
        }),
        el("span", { class: "live-chip-online", text: fmt(s.chipOnline, { n: team.agents_online }) }),
        el("span", { class: "live-chip-free", text: fmt(s.chipFree, { n: team.free_slots }) }),
      ),
    );
  }

  queueRow(row, agents) {
    const name = customerName(row.customer);
    const assign = el(
      "select",
      { class: "live-assign", "aria-label": fmt(s.assignLabel, { name }) },
      el("option", { value: "", text: s.assignTo }),
      ...agents.map((agent) =>
        el("option", {
          value: String(agent.id),
          text: fmt(s.agentOption, {
            name: agent.name,
            presence: t.presences[agent.presence] || agent.presence,
            active: agent.active_chats,
            max: agent.max_concurrent_chats,
          }),
        }),
      ),
    );
    const move = el(
      "select",
      { class: "live-move", "aria-label": fmt(s.moveLabel, { name }) },
      el("option", { value: "", text: s.moveTo }),
      ...config.teams
        .filter((team) => !row.team || team.id !== row.team.id)
        .map((team) => el("option", { value: String(team.id), text: team.name })),
    );
    return el(
      "tr",
      { dataset: { id: String(row.conversation_id) } },
      el(
        "td",
        {},
        el(
          "span",
          { class: "live-customer" },
          channelIcon(row.channel, 14),
          el("span", { class: "live-customer-name", text: name }),
        ),
      ),
      el("td", { text: row.team ? row.team.name : s.noTeam }),
      el(
        "td",
        {},
        el("span", {
          class: "live-priority",
          dataset: { priority: String(row.priority) },
          text: t.priorities[String(row.priority)] || String(row.priority),
        }),
      ),
      el("td", {
        class: "live-waited",
        dataset: { seconds: String(row.waited_seconds) },
        title: fullTime(row.waiting_since),
        text: waitClock(row.waited_seconds),
      }),
      el("td", { class: "live-position", text: String(row.position) }),
      el("td", { class: "live-actions" }, assign, move),
    );
  }

  agentRow(agent) {
    const load = fmt(s.loadTitle, { active: agent.active_chats, max: agent.max_concurrent_chats });
    return el(
      "tr",
      { dataset: { id: String(agent.id), presence: agent.presence } },
      el("td", { class: "live-agent-name", text: agent.name }),
      el(
        "td",
        { class: "live-presence" },
        el("span", { class: "live-dot", dataset: { presence: agent.presence }, "aria-hidden": "true" }),
        el("span", { text: t.presences[agent.presence] || agent.presence }),
      ),
      el("td", { text: agent.teams.map((team) => team.name).join(", ") || "—" }),
      el(
        "td",
        { class: "live-load", title: load },
        el("meter", {
          min: 0,
          max: agent.max_concurrent_chats,
          value: agent.active_chats,
          high: Math.max(agent.max_concurrent_chats - 0.5, 0.5),
          "aria-label": load,
        }),
        el("span", { class: "live-load-text", text: `${agent.active_chats}/${agent.max_concurrent_chats}` }),
      ),
      el("td", { class: "live-open", text: String(agent.open_conversations) }),
      el("td", {
        title: fullTime(agent.last_seen_at),
        text: agent.last_seen_at ? shortTime(agent.last_seen_at) : s.never,
      }),
    );
  }

  /** Waiting times and each team's longest wait, counted on from the server's figures. */
  tick() {
    if (!this.data) return;
    const elapsed = (performance.now() - this.loadedAt) / 1000;
    for (const cell of this.queue.querySelectorAll(".live-waited")) {
      cell.textContent = waitClock(Number(cell.dataset.seconds) + elapsed);
    }
    for (const longest of this.chips.querySelectorAll(".live-chip-longest")) {
      const time = waitClock(Number(longest.dataset.seconds) + elapsed);
      longest.textContent = fmt(s.chipLongest, { time });
    }
  }

  async onPick(select) {
    const row = select.closest("tr[data-id]");
    if (!row || !select.value) return;
    const id = Number(row.dataset.id);
    const waiting = this.data.waiting.find((item) => item.conversation_id === id);
    const customer = waiting ? customerName(waiting.customer) : "";
    const value = Number(select.value);
    select.disabled = true;
    try {
      if (select.classList.contains("live-assign")) {
        await api.action(id, "transfer", { assignee_id: value });
        const agent = this.data.agents.find((item) => item.id === value);
        this.toast(fmt(s.assigned, { customer, name: agent ? agent.name : "" }));
      } else {
        await api.action(id, "transfer", { team_id: value });
        const team = config.teams.find((item) => item.id === value);
        this.toast(fmt(s.moved, { customer, team: team ? team.name : "" }));
      }
    } catch (error) {
      const text = error.status === 404 ? s.gone : fmt(s.refused, { reason: errorText(error) });
      this.toast(text, { error: true });
    } finally {
      select.disabled = false;
      select.value = "";
      select.blur();
      this.stale = false;
      this.load();
    }
  }
}
