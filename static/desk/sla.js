// A ticket's SLA countdown (the `sla` of a ticket summary, docs/api.md): time left to the next
// target, coloured by risk (ok, at risk from the warning time, breached past the due time, paused
// while the ticket waits for the customer). One ticker redraws every countdown on the page each
// second, so a row turns "at risk" or "breached" live; the sweep's `ticket.update` pushes bring
// new values when the clock itself changes.
import { duration, el, fmt, fullTime, t } from "./dom.js";

/** "ok", "at_risk", "breached" or "paused" at `now` (ms). */
export function slaState(sla, now = Date.now()) {
  if (sla.paused_at) return "paused";
  if (now >= Date.parse(sla.due_at)) return "breached";
  if (sla.warn_at && now >= Date.parse(sla.warn_at)) return "at_risk";
  return "ok";
}

function draw(node, now) {
  const sla = JSON.parse(node.dataset.sla);
  const state = slaState(sla, now);
  const due = Date.parse(sla.due_at);
  const left = due - (sla.paused_at ? Date.parse(sla.paused_at) : now);
  node.className = `sla sla-${state}`;
  node.dataset.state = state;
  node.textContent =
    state === "breached"
      ? fmt(t.slaOverdue, { time: duration(-left) })
      : fmt(state === "paused" ? t.slaPausedLeft : t.slaLeft, { time: duration(left) });
  node.title = fmt(t.slaDue, {
    target: t.slaTargets[sla.target] || sla.target,
    time: fullTime(sla.due_at),
  });
}

/** The countdown element of a ticket summary's `sla`, or null when there is none. */
export function slaBadge(sla) {
  if (!sla) return null;
  const node = el("span", { class: "sla", dataset: { sla: JSON.stringify(sla) } });
  draw(node, Date.now());
  return node;
}

let ticker = null;

/** Redraw every countdown on the page once a second (started once). */
export function startSlaTicker() {
  if (ticker) return;
  ticker = setInterval(() => {
    const now = Date.now();
    for (const node of document.querySelectorAll(".sla[data-sla]")) draw(node, now);
  }, 1000);
}
