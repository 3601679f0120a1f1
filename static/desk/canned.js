// Canned replies in a reply box (the conversation composer and the ticket reply box): typing `/`
// at the start of the box opens a picker filtered as you type (`/ref`, `/退`), or the box's
// canned-replies button opens it with a search field. ↑ ↓ choose, Enter or Tab insert, Esc
// closes. Inserting puts the reply's text, its variables filled by the server, into the box for
// the agent to review; nothing is sent.
//
// A message whose first word is a `/word` is never sent by one keystroke: `guard(body)` (called
// by the box before sending) opens the picker instead, and when no reply matches, the picker says
// so; the agent edits the text, presses "Send as text", or presses Enter a second time on that
// warning. IME composition (Chinese input) never picks nor sends (`event.isComposing`).
import { api, errorText } from "./api.js";
import { cannedReplyDialog } from "./canned_form.js";
import { el, fmt, t } from "./dom.js";

// What may follow "/" in a shortcut (desk.models.SHORTCUT_PATTERN): letters of any script,
// digits (and combining marks), "-" and "_".
const WORD = "[\\p{L}\\p{M}\\p{N}_-]";
const TYPING = new RegExp(`^/(${WORD}*)$`, "u"); // the box's text up to the caret, while typing
const LEADING = new RegExp(`^\\s*/(${WORD}+)(?=\\s|$)`, "u"); // a message that starts with /word
const DEBOUNCE_MS = 120;
const PREVIEW = 90;

let pickers = 0;

export class CannedPicker {
  /**
   * @param {HTMLTextAreaElement} box the reply box
   * @param {object} options
   * @param {() => object|null} options.context `{conversation}` or `{ticket}`, null when none
   * @param {() => void} options.sendAsText sends the box's text as it is (the agent confirmed)
   * @param {HTMLButtonElement} [options.button] opens the picker with a search field
   * @param {(text: string, opts?: object) => void} options.toast
   */
  constructor(box, { context, sendAsText, button, toast }) {
    this.box = box;
    this.context = context;
    this.sendAsText = sendAsText;
    this.toast = toast;
    this.id = `canned-${++pickers}`;
    this.results = [];
    this.active = 0;
    this.query = null; // what is being searched (without "/"), null when closed
    this.mode = "typing"; // "typing": the box's /word; "search": the button's search field
    this.loading = false;
    this.armed = false; // a first Enter on "no match": the second one sends the text
    this.pickWhenLoaded = false; // Enter or Tab came before the answer for the typed word
    this.confirmed = null; // the exact text the agent chose to send as it is
    this.seq = 0;
    this.timer = null;
    this.build();
    this.bind(button);
  }

  build() {
    this.search = el("input", {
      type: "search",
      class: "canned-search",
      maxlength: "50",
      autocomplete: "off",
      placeholder: t.cannedSearch,
      "aria-label": t.cannedSearch,
      "aria-controls": `${this.id}-list`,
    });
    this.list = el("ul", {
      class: "canned-list",
      id: `${this.id}-list`,
      role: "listbox",
      "aria-label": t.cannedReplies,
    });
    this.status = el("p", { class: "canned-status", role: "status" });
    this.sendText = el("button", {
      type: "button",
      class: "btn btn-sm canned-send-text",
      text: t.cannedSendAsText,
    });
    this.hint = el("span", { class: "canned-hint" });
    this.newReply = el("button", {
      type: "button",
      class: "btn btn-sm btn-ghost canned-new",
      text: t.cannedNew,
    });
    this.menu = el(
      "div",
      { class: "canned-picker", id: this.id, hidden: true },
      this.search,
      this.list,
      this.status,
      el("div", { class: "canned-actions" }, this.hint, this.newReply, this.sendText),
    );
    const host = this.box.closest("form") || this.box.parentElement;
    host.classList.add("canned-host");
    host.append(this.menu);
    this.box.setAttribute("aria-autocomplete", "list");
    this.box.setAttribute("aria-controls", this.list.id);
    this.box.setAttribute("aria-expanded", "false");
  }

  bind(button) {
    this.box.addEventListener("input", (event) => {
      if (!event.isComposing) this.onType();
    });
    this.box.addEventListener("compositionend", () => this.onType());
    this.box.addEventListener("keydown", (event) => this.onKey(event), true);
    // Leaving the box and the picker closes it; moving between them (the search field, the
    // "Send as text" button) does not.
    const leave = () =>
      setTimeout(() => {
        const focus = document.activeElement;
        if (focus !== this.box && !this.menu.contains(focus)) this.close();
      }, 0);
    this.box.addEventListener("blur", leave);
    this.menu.addEventListener("focusout", leave);
    this.search.addEventListener("input", (event) => {
      if (!event.isComposing) this.find(this.search.value.trim().replace(/^\//, ""));
    });
    this.search.addEventListener("compositionend", () =>
      this.find(this.search.value.trim().replace(/^\//, "")),
    );
    this.search.addEventListener("keydown", (event) => this.onKey(event));
    // mousedown, not click: the box keeps the focus (and the caret) while choosing.
    this.list.addEventListener("mousedown", (event) => {
      const option = event.target.closest(".canned-option");
      if (!option) return;
      event.preventDefault();
      const reply = this.results[Number(option.dataset.index)];
      if (event.target.closest(".canned-edit")) this.edit(reply);
      else this.insert(reply);
    });
    this.newReply.addEventListener("click", () => this.edit(null));
    this.sendText.addEventListener("click", () => this.confirmAsText());
    button?.addEventListener("click", () => this.openSearch());
  }

  // ---- what the box asks --------------------------------------------------------------------

  /** May `body` be sent now? Not when it starts with a `/word` the agent has not confirmed:
   * then the picker opens on that word (replies to insert, or "no canned reply matches"). */
  guard(body) {
    const match = LEADING.exec(body);
    if (!match) return true;
    if (this.confirmed !== null && this.confirmed === body.trim()) {
      this.confirmed = null;
      return true;
    }
    this.mode = "typing";
    this.box.focus(); // from the Send button: back to the text, so the picker stays open
    this.find(match[1], { immediate: true });
    return false;
  }

  /** The box changed conversation or ticket: forget what was open. */
  reset() {
    this.confirmed = null;
    this.close();
  }

  // ---- typing and searching -----------------------------------------------------------------

  onType() {
    if (this.mode === "search" && !this.menu.hidden) return;
    const caret = this.box.selectionStart;
    const match =
      this.box.selectionStart === this.box.selectionEnd
        ? TYPING.exec(this.box.value.slice(0, caret))
        : null;
    if (!match) {
      if (this.mode === "typing") this.close();
      return;
    }
    this.mode = "typing";
    this.find(match[1]);
  }

  openSearch() {
    this.mode = "search";
    this.search.value = "";
    this.find("", { immediate: true });
    this.search.focus();
  }

  find(query, { immediate = false } = {}) {
    const changed = query !== this.query;
    this.query = query;
    if (changed) {
      this.armed = false;
      this.pickWhenLoaded = false;
    }
    this.loading = true;
    this.open();
    clearTimeout(this.timer);
    const seq = ++this.seq;
    const run = () => this.load(query, seq);
    if (immediate) run();
    else this.timer = setTimeout(run, DEBOUNCE_MS);
  }

  async load(query, seq) {
    let results = [];
    try {
      const data = await api.cannedReplies({ q: query, ...(this.context() || {}) });
      results = data.results;
    } catch (error) {
      if (seq === this.seq) this.toast(errorText(error), { error: true });
    }
    if (seq !== this.seq || this.query === null) return; // a newer search, or closed meanwhile
    this.results = results;
    this.active = 0;
    this.loading = false;
    const pick = this.pickWhenLoaded;
    this.pickWhenLoaded = false;
    if (pick && results.length) this.insert(results[0]);
    else this.render();
  }

  // ---- showing ------------------------------------------------------------------------------

  open() {
    this.menu.hidden = false;
    this.menu.classList.toggle("is-search", this.mode === "search");
    this.search.hidden = this.mode !== "search";
    this.box.setAttribute("aria-expanded", "true");
    this.render();
  }

  render() {
    if (this.query === null) return;
    const word = `/${this.query}`;
    this.list.replaceChildren(
      ...this.results.map((reply, index) =>
        el(
          "li",
          {
            class: "canned-option",
            id: `${this.id}-${index}`,
            role: "option",
            "aria-selected": String(index === this.active),
            dataset: { index, shortcut: reply.shortcut },
          },
          el("span", { class: "canned-shortcut", text: `/${reply.shortcut}` }),
          el("span", { class: "canned-title", text: reply.title }),
          el("span", { class: `canned-scope is-${reply.scope}`, text: t.cannedScopes[reply.scope] }),
          el("span", { class: "canned-preview", text: preview(reply.body) }),
          reply.mine
            ? el("button", {
                type: "button",
                class: "link-btn canned-edit",
                tabindex: "-1",
                text: t.cannedEdit,
                "aria-label": fmt(t.cannedEditLabel, { word: `/${reply.shortcut}` }),
              })
            : null,
        ),
      ),
    );
    const empty = !this.loading && this.results.length === 0;
    const typed = this.mode === "typing" && this.query !== "";
    this.menu.classList.toggle("is-empty", empty);
    this.menu.classList.toggle("is-armed", this.armed);
    if (this.loading && !this.results.length) this.status.textContent = t.cannedLoading;
    else if (empty && typed) this.status.textContent = fmt(t.cannedNoMatch, { word });
    else if (empty) this.status.textContent = t.cannedNone;
    else this.status.textContent = "";
    this.status.hidden = !this.status.textContent;
    // "Send as text" is offered where a /word is in the box and nothing is chosen yet.
    this.sendText.hidden = !(empty && typed);
    if (this.armed) this.hint.textContent = fmt(t.cannedConfirmHint, { word });
    else if (empty && typed) this.hint.textContent = t.cannedEditHint;
    else this.hint.textContent = this.results.length ? t.cannedKeysHint : "";
    if (this.results.length) {
      this.box.setAttribute("aria-activedescendant", `${this.id}-${this.active}`);
      this.list.children[this.active]?.scrollIntoView({ block: "nearest" });
    } else {
      this.box.removeAttribute("aria-activedescendant");
    }
  }

  close() {
    clearTimeout(this.timer);
    this.seq += 1;
    this.menu.hidden = true;
    this.query = null;
    this.results = [];
    this.active = 0;
    this.armed = false;
    this.loading = false;
    this.pickWhenLoaded = false;
    this.mode = "typing";
    this.box.setAttribute("aria-expanded", "false");
    this.box.removeAttribute("aria-activedescendant");
  }

  // ---- keys ---------------------------------------------------------------------------------

  onKey(event) {
    // Mid-composition keys (Chinese input) belong to the input method: never pick nor send.
    if (this.menu.hidden || event.isComposing || event.keyCode === 229) return;
    const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
    const plainEnter = event.key === "Enter" && !event.shiftKey;
    if ((plainEnter || event.key === "Tab") && this.loading) {
      // The list on screen is for what was typed before: pick from this word's answer when it
      // comes (the best match first), or show that nothing matches. Never a send.
      this.pickWhenLoaded = true;
    } else if (step && this.results.length) {
      this.active = (this.active + step + this.results.length) % this.results.length;
      this.render();
    } else if ((plainEnter || event.key === "Tab") && this.results.length) {
      this.insert(this.results[this.active]);
    } else if (plainEnter) {
      // Nothing matches: never send on this key. A second, deliberate Enter on the "no
      // canned reply matches" warning sends the text as it is.
      if (event.repeat || this.mode !== "typing" || this.query === "") {
        // nothing
      } else if (this.armed) {
        this.confirmAsText();
      } else {
        this.armed = true;
        this.render();
      }
    } else if (event.key === "Escape") {
      const fromSearch = this.mode === "search";
      this.close();
      if (fromSearch) this.box.focus();
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  confirmAsText() {
    this.confirmed = this.box.value.trim();
    this.close();
    this.box.focus();
    this.sendAsText();
  }

  /** The "my canned reply" dialog: one of ours (`reply`), or a new one started from the box
   * (the typed /word as its shortcut, the rest of the text as its body). */
  edit(reply) {
    const typed = this.mode === "typing" ? this.query || "" : "";
    const rest = this.box.value.replace(LEADING, "").trim();
    this.close();
    cannedReplyDialog().open({ reply, draft: { shortcut: typed, body: rest }, toast: this.toast });
  }

  // ---- inserting ----------------------------------------------------------------------------

  async insert(reply) {
    if (!reply) return;
    const mode = this.mode;
    const context = this.context() || {};
    this.close();
    let rendered;
    try {
      rendered = await api.cannedRender(reply.id, context);
    } catch (error) {
      this.toast(errorText(error), { error: true });
      return;
    }
    const value = this.box.value;
    let start;
    let end;
    if (mode === "typing") {
      // Replace the `/word` at the start of the box (what was typed to find it).
      const match = LEADING.exec(value) || /^\s*\/?/.exec(value);
      start = 0;
      end = match[0].length;
    } else {
      start = this.box.selectionStart;
      end = this.box.selectionEnd;
    }
    this.box.value = value.slice(0, start) + rendered.body + value.slice(end);
    const caret = start + rendered.body.length;
    this.box.focus();
    this.box.setSelectionRange(caret, caret);
    this.box.dispatchEvent(new Event("input", { bubbles: true }));
    if (rendered.unfilled.length) {
      const names = rendered.unfilled.map((name) => `{{${name}}}`).join(" ");
      this.toast(fmt(t.cannedUnfilled, { names }));
    }
    api.cannedUse(reply.id, context).catch(() => {
      /* a lost count only changes the ranking a little */
    });
  }
}

function preview(body) {
  const line = body.replace(/\s+/g, " ").trim();
  return line.length > PREVIEW ? `${line.slice(0, PREVIEW - 1)}…` : line;
}
