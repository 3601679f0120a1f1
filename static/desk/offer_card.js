// Chats offered to this agent (`conversation.offered`, a team in offer mode): a card per offer
// with the customer, their first words, a countdown and Accept / Decline, with the tone and the
// blinking title of new_chat_alert.js. Accept makes the chat the agent's (POST …/offer/accept/)
// and opens it; Decline, or the time running out, passes it to the next agent (the server's
// sweep withdraws an unanswered offer). Text comes from #desk-i18n.
import { api, errorText } from "./api.js";
import { customerName, el, fmt, t } from "./dom.js";
import { attention } from "./new_chat_alert.js";

export class OfferCards {
  /** `onAccepted(conversation)`: the summary of the chat now assigned; `toast(text, opts)`. */
  constructor({ onAccepted, toast }) {
    this.onAccepted = onAccepted;
    this.toast = toast;
    this.cards = new Map(); // conversation id -> {node, deadline, count}
    this.timer = null;
    this.stack = el("div", { class: "offer-stack", id: "offers", "aria-live": "polite" });
    document.body.append(this.stack);
  }

  /** A `conversation.offered` frame (or an offer of `hello`, `quiet`: no tone): show (or
   * refresh) its card. */
  show(frame, { quiet = false } = {}) {
    const id = frame.conversation_id;
    this.remove(id);
    // the browser's clock may differ from the server's: count down from what the frame allows
    const deadline = Date.now() + Math.max(1, Number(frame.seconds) || 0) * 1000;
    const name = customerName(frame.conversation?.customer);
    const count = el("span", { class: "offer-countdown" });
    const accept = el("button", {
      type: "button",
      class: "btn btn-primary offer-accept",
      text: t.offerAccept,
      onclick: () => this.answer(id, "accept"),
    });
    const decline = el("button", {
      type: "button",
      class: "btn offer-decline",
      text: t.offerDecline,
      onclick: () => this.answer(id, "decline"),
    });
    const node = el(
      "section",
      { class: "offer-card", dataset: { id }, "aria-label": fmt(t.offerTitle, { name }) },
      el("header", { class: "offer-head" }, el("strong", { text: fmt(t.offerTitle, { name }) }), count),
      frame.first_message ? el("p", { class: "offer-first", text: frame.first_message }) : null,
      el("div", { class: "offer-actions" }, accept, decline),
    );
    this.stack.append(node);
    this.cards.set(id, { node, deadline, count, buttons: [accept, decline] });
    this.tick();
    if (!this.timer) this.timer = setInterval(() => this.tick(), 500);
    if (!quiet) attention(t.offerWindowTitle);
  }

  tick() {
    const now = Date.now();
    for (const [id, card] of this.cards) {
      const left = Math.ceil((card.deadline - now) / 1000);
      if (left <= 0) {
        this.remove(id);
        this.toast(t.offerTimedOut);
      } else {
        card.count.textContent = fmt(t.offerSecondsLeft, { n: left });
      }
    }
    if (!this.cards.size) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  async answer(id, action) {
    const card = this.cards.get(id);
    if (!card) return;
    for (const button of card.buttons) button.disabled = true;
    try {
      const summary = await api.action(id, `offer/${action}`);
      this.remove(id);
      if (action === "accept") this.onAccepted(summary);
    } catch (error) {
      this.remove(id);
      const gone = error.code === "offer_expired" || error.code === "offer_not_yours";
      this.toast(gone ? t.offerGone : errorText(error), { error: true });
    }
  }

  /** The chat is no longer on offer here (answered, assigned, or answered in another tab). */
  remove(id) {
    const card = this.cards.get(id);
    if (!card) return;
    card.node.remove();
    this.cards.delete(id);
  }
}
