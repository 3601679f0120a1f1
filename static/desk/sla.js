// An SLA countdown (the `sla` of a ticket summary or of a waiting conversation, docs/api.md):
// time left to the target in the policy's business hours, coloured by risk (ok, at risk from the
// warning time, breached past the due time, paused while the clock stands still). The server
// gives the business time left as of its own `as_of` and the calendar's working spans of the
// coming days; the countdown runs down only inside those spans (it looks paused outside working
// hours) and needs no reload. One ticker redraws every countdown on the page each second, so a
// row turns "at risk" or "breached" live; pushes bring new values when the clock itself changes.
import { duration, el, fmt, fullTime, t } from "./dom.js";

/** Whether the calendar is open at `at` (ms); null spans: around the clock. */
export function slaOpen(sla, at) {
  if (!sla.open_spans) return true;
  return sla.open_spans.some(([start, end]) => Date.parse(start) <= at && at < Date.parse(end));
}

/** Business time (ms) left at `at`: negative when overdue. Without `left_seconds` (an older
 * payload), wall-clock time. */
export function slaLeft(sla, at) {
  const due = Date.parse(sla.due_at);
  if (sla.left_seconds === undefined) return due - (sla.paused_at ? Date.parse(sla.paused_at) : at);
  const left = sla.left_seconds * 1000;
  if (sla.paused_at) return left;
  const asOf = Date.parse(sla.as_of);
  if (!sla.open_spans) return left - (at - asOf);
  let worked = 0;
  for (const [start, end] of sla.open_spans) {
    const from = Math.max(Date.parse(start), asOf);
    const to = Math.min(Date.parse(end), at);
    if (to > from) worked += to - from;
  }
  return left - worked;
}

/** "ok", "at_risk", "breached" or "paused" at `now` (ms). */
export function slaState(sla, now = Date.now()) {
  if (sla.paused_at) return "paused";
  if (now >= Date.parse(sla.due_at)) return "breached";
  if (sla.warn_at && now >= Date.parse(sla.warn_at)) return "at_risk";
  return "ok";
}

function draw(node, now) {
  const sla = JSON.parse(node.dataset.sla);
  const at = now;
  const state = slaState(sla, at);
  const left = slaLeft(sla, at);
  const open = sla.paused_at ? false : slaOpen(sla, at);
  node.className = `sla sla-${state}${open ? "" : " sla-closed"}`;
  node.dataset.state = state;
  node.dataset.open = String(open);
  let text;
  if (state === "breached") text = fmt(t.slaOverdue, { time: duration(-left) });
  else if (state === "paused") text = fmt(t.slaPausedLeft, { time: duration(left) });
  else text = fmt(open ? t.slaLeft : t.slaOffHoursLeft, { time: duration(left) });
  node.textContent = text;
  node.title = fmt(t.slaDue, {
    target: t.slaTargets[sla.target] || sla.target,
    time: fullTime(sla.due_at),
  });
}

/** The countdown element of an `sla`, or null when there is none. */
export function slaBadge(sla) {
  if (!sla) return null;
  const node = el("span", { class: "sla", dataset: { sla: JSON.stringify(sla) } });
  draw(node, Date.now());
  return node;
}

/** The clock to keep when a summary arrives: a pushed conversation summary carries the clock
 * without its business-time part (`left_seconds`, `open_spans`); for the same due time the one
 * that has it stays. */
export function keepSla(old, fresh) {
  if (fresh && old && fresh.left_seconds === undefined && old.left_seconds !== undefined) {
    if (fresh.due_at === old.due_at && fresh.paused_at === old.paused_at) return old;
  }
  return fresh;
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
