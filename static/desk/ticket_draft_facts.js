// What the 转工单 form attaches besides the fields the agent edits: the customer with every
// identity, where they were (device, app, page) and their attributes (order number, VIP …).
// The server stores them in the ticket's custom fields; the form shows them read-only.

import { el, fmt, t, valueText } from "./dom.js";

function group(title, rows) {
  if (!rows.length) return null;
  const list = el("dl", { class: "pairs" });
  for (const [label, value] of rows) list.append(el("dt", { text: label }), el("dd", { text: value }));
  return el("div", { class: "draft-facts-group" }, el("h3", { text: title }), list);
}

/** The facts of a ticket draft (GET …/ticket-draft/) as a read-only block. */
export function draftFacts(draft) {
  const requester = draft.requester;
  const who = [[t.ticketCustomer, requester.name || t.ticketCustomer]];
  if (requester.vip_level) who.push(["VIP", fmt(t.vipLevel, { level: requester.vip_level })]);
  for (const identity of requester.identities) {
    const label = t.identityKinds[identity.kind] || identity.kind;
    who.push([label, identity.external_id + (identity.verified ? " ✓" : "")]);
  }
  const context = Object.entries(draft.context).map(([key, value]) => [
    t.ctx[key] || key,
    key === "channel" ? t.channels[value] || value : value,
  ]);
  const attributes = Object.entries(draft.attributes).map(([key, value]) => [key, valueText(value)]);
  return [
    group(t.identities, who),
    group(t.deviceAndPage, context),
    group(t.attributes, attributes),
  ].filter(Boolean);
}
