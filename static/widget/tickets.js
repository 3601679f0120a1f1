// Ticket cards in the chat (content_type "ticket", docs/protocol.md) and the rating (CSAT) of a
// resolved ticket. Every value from the server goes in as text.

import { el, format, timeLabel } from "./view.js";

const after = (a, b) => a.c > b.c || (a.c === b.c && a.s > b.s);

export class TicketCards {
  constructor(http, t, lang) {
    this.http = http;
    this.t = t;
    this.lang = lang;
    this.latest = new Map(); // ticket id -> {c, s, li, status}
  }

  /** The card of one ticket message; only the ticket's newest card may offer the rating. */
  node(msg) {
    const p = msg.payload || {};
    const t = this.t;
    const li = el("li", { class: "msg from-system ticket" });
    const status = el("span", { class: `pill s-${p.status}` }, t[`status_${p.status}`] || p.status || "");
    const card = el(
      "div",
      { class: "card" },
      el("div", { class: "card-head" }, el("strong", { class: "number" }, p.number || ""), status),
      el("div", { class: "subject" }, p.subject || ""),
      msg.body ? el("div", { class: "card-text" }, msg.body) : null,
      p.assignee_name ? el("div", { class: "handler" }, format(t.handledBy, { name: p.assignee_name })) : null,
    );
    const time = el("time", { datetime: msg.created_at || "" }, timeLabel(msg.created_at, this.lang));
    li.append(card, el("div", { class: "meta" }, time));
    const id = p.ticket_id;
    const here = { c: msg.conversation_id, s: msg.seq, li, status: p.status };
    const seen = this.latest.get(id);
    if (id != null && (!seen || after(here, seen))) {
      if (seen) seen.li.querySelector(".rate")?.remove();
      this.latest.set(id, here);
      if (p.status === "resolved") this.check(id, here);
    }
    return li;
  }

  async check(id, here) {
    let data;
    try {
      data = await this.http.ticket(id);
    } catch {
      return; // no rating offered this time
    }
    if (this.latest.get(id) !== here) return;
    const card = here.li.querySelector(".card");
    if (data.rated) card.append(el("div", { class: "rate done" }, this.t.rateThanks));
    else if (data.status === "resolved" || data.status === "closed") card.append(this.form(id, here));
  }

  form(id, here) {
    const t = this.t;
    let score = 0;
    const stars = el("div", { class: "stars", role: "group", "aria-label": t.rateTitle });
    const comment = el("textarea", { rows: 2, maxlength: 2000, placeholder: t.rateComment, "aria-label": t.rateComment });
    const submit = el("button", { type: "submit", class: "primary", disabled: true }, t.rateSubmit);
    const error = el("div", { class: "field-error", role: "alert" });
    for (let n = 1; n <= 5; n += 1) {
      const star = el("button", { type: "button", class: "star", "aria-pressed": "false", "aria-label": format(t.rateStars, { n }) }, "★");
      star.addEventListener("click", () => {
        score = n;
        submit.disabled = false;
        for (const [i, node] of [...stars.children].entries()) node.setAttribute("aria-pressed", String(i < n));
      });
      stars.append(star);
    }
    const form = el("form", { class: "rate" }, el("div", { class: "rate-title" }, t.rateTitle), stars, comment, error, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        await this.http.rate(id, score, comment.value);
        form.replaceWith(el("div", { class: "rate done" }, t.rateThanks));
      } catch (failure) {
        const code = failure.data && failure.data.error && failure.data.error.code;
        if (code === "already_rated") return form.replaceWith(el("div", { class: "rate done" }, t.rateThanks));
        if (code === "not_rateable" || code === "not_found") return form.remove();
        error.textContent = t.rateFailed;
        submit.disabled = false;
      }
    });
    return form;
  }
}
