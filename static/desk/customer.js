// The right pane's Customer tab: identities, VIP level, attributes, device and page context,
// earlier conversations and tickets. Everything is drawn as text.

import { channelIcon, customerName, el, fmt, fullTime, safeUrl, shortTime, t, valueText } from "./dom.js";

function section(title, ...children) {
  return el("section", { class: "panel-section" }, el("h3", { text: title }), ...children);
}

function pairs(rows) {
  const list = el("dl", { class: "pairs" });
  for (const [label, value] of rows) {
    if (value === null || value === undefined || value === "") continue;
    list.append(el("dt", { text: label }), el("dd", {}, value));
  }
  return list.children.length ? list : el("p", { class: "muted", text: t.nothingKnown });
}

function pageLink(context) {
  const url = safeUrl(context.page_url);
  const label = context.page_title || context.page_url;
  if (!label) return null;
  return url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: label }) : label;
}

export class CustomerPanel {
  constructor({ openTicket }) {
    this.root = document.getElementById("customer-panel");
    this.empty = document.getElementById("customer-empty");
    this.customerId = null; // whose panel is shown
    // A ticket of the history opens in the Ticket tab (a modified click follows the link).
    this.root.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-ticket-id]");
      if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      openTicket(Number(link.dataset.ticketId));
    });
  }

  clear() {
    this.customerId = null;
    this.root.replaceChildren();
    this.root.hidden = true;
    this.empty.hidden = false;
  }

  loading() {
    this.customerId = null;
    this.empty.hidden = true;
    this.root.hidden = false;
    this.root.replaceChildren(el("p", { class: "panel-loading muted", text: t.loading }));
  }

  show(detail) {
    const { customer, context } = detail;
    const name = customerName(customer);
    const head = el(
      "div",
      { class: "customer-head" },
      el("span", { class: "avatar avatar-lg", "aria-hidden": "true", text: name.slice(0, 1).toUpperCase() }),
      el(
        "div",
        { class: "customer-title" },
        el("div", { class: "customer-name", text: name }),
        el(
          "div",
          { class: "customer-sub" },
          customer.vip_level
            ? el("span", { class: "vip", text: fmt(t.vipLevel, { level: customer.vip_level }) })
            : el("span", { class: "muted", text: t.notVip }),
          customer.language ? el("span", { class: "muted", text: customer.language }) : null,
        ),
      ),
    );

    const identities = customer.identities.length
      ? el(
          "ul",
          { class: "identity-list" },
          ...customer.identities.map((identity) =>
            el(
              "li",
              {},
              el("span", { class: "identity-kind", text: identity.kind_label }),
              el("span", { class: "identity-id", text: identity.external_id }),
              identity.verified ? el("span", { class: "verified", title: t.verified, text: "✓" }) : null,
            ),
          ),
        )
      : el("p", { class: "muted", text: t.nothingKnown });

    const attributes = pairs(
      Object.entries(customer.attributes || {}).map(([key, value]) => [key, valueText(value)]),
    );

    const device = pairs([
      [t.ctx.device, context.device],
      [t.ctx.os, context.os],
      [t.ctx.browser, context.browser],
      [t.ctx.app_version, context.app_version],
      [t.ctx.network_type, context.network_type],
      [t.ctx.ip_address, context.ip_address],
      [t.ctx.page, pageLink(context)],
      [t.ctx.referrer, context.referrer],
    ]);

    const past = detail.previous_conversations.length
      ? el(
          "ul",
          { class: "history-list" },
          ...detail.previous_conversations.map((conv) =>
            el(
              "li",
              {},
              el(
                "a",
                { href: conv.url, title: fullTime(conv.created_at) },
                channelIcon(conv.channel, 14),
                el("span", { class: "history-title", text: conv.subject || fmt(t.conversationNumber, { id: conv.id }) }),
                el("span", { class: `status-pill status-${conv.status}`, text: t.statuses[conv.status] }),
                el("time", { text: shortTime(conv.last_message_at || conv.created_at) }),
              ),
            ),
          ),
        )
      : el("p", { class: "muted", text: t.noPreviousConversations });

    const tickets = detail.tickets.length
      ? el(
          "ul",
          { class: "history-list" },
          ...detail.tickets.map((ticket) => {
            const parts = [
              el("span", { class: "ticket-number", text: ticket.number }),
              el("span", { class: "history-title", text: ticket.subject }),
              el("span", { class: "status-pill", text: ticket.status_label }),
            ];
            return el(
              "li",
              {},
              el("a", { href: ticket.url, dataset: { ticketId: ticket.id } }, ...parts),
            );
          }),
        )
      : el("p", { class: "muted", text: t.noTickets });

    this.customerId = customer.id;
    this.empty.hidden = true;
    this.root.hidden = false;
    this.root.replaceChildren(
      head,
      section(t.identities, identities),
      section(t.attributes, attributes),
      section(t.deviceAndPage, device),
      section(t.previousConversations, past),
      section(t.tickets, tickets),
    );
  }
}
