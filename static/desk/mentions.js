// @mention suggestions for a textarea (the ticket reply box): typing `@` and letters lists the
// matching agents of config.agents; Enter, Tab or a click inserts `@username `, Esc closes.
// The server decides who is notified (desk/notifications/services.py); this only helps to type names.
import { config, el, t } from "./dom.js";

const TOKEN = /(^|[^\w@.])@([A-Za-z0-9_.-]*)$/;
const MAX_SHOWN = 8;

export class MentionAutocomplete {
  constructor(textarea, agents = config.agents) {
    this.box = textarea;
    this.agents = agents.filter((agent) => agent.username && agent.id !== config.agentId);
    this.menu = el("ul", {
      class: "mention-menu",
      id: `${textarea.id}-mentions`,
      role: "listbox",
      "aria-label": t.mentionSuggestions,
      hidden: true,
    });
    textarea.after(this.menu);
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", this.menu.id);
    textarea.setAttribute("aria-expanded", "false");
    this.matches = [];
    this.active = 0;
    this.bind();
  }

  bind() {
    this.box.addEventListener("input", () => this.update());
    this.box.addEventListener("click", () => this.update());
    this.box.addEventListener("blur", () => this.close());
    this.box.addEventListener("keydown", (event) => this.onKey(event), true);
    // mousedown, not click: the textarea keeps the focus (and the caret) while choosing.
    this.menu.addEventListener("mousedown", (event) => {
      const option = event.target.closest(".mention-option");
      if (!option) return;
      event.preventDefault();
      this.insert(this.matches[Number(option.dataset.index)]);
    });
  }

  /** The `@query` just before the caret, or null. */
  query() {
    if (this.box.selectionStart !== this.box.selectionEnd) return null;
    const match = TOKEN.exec(this.box.value.slice(0, this.box.selectionStart));
    return match ? match[2] : null;
  }

  update() {
    const query = this.query();
    if (query === null) return this.close();
    const q = query.toLowerCase();
    this.matches = this.agents
      .filter((a) => a.username.toLowerCase().startsWith(q) || a.name.toLowerCase().includes(q))
      .slice(0, MAX_SHOWN);
    if (!this.matches.length) return this.close();
    this.active = Math.min(this.active, this.matches.length - 1);
    this.render();
  }

  render() {
    this.menu.replaceChildren(
      ...this.matches.map((agent, index) =>
        el(
          "li",
          {
            class: "mention-option",
            id: `${this.menu.id}-${index}`,
            role: "option",
            "aria-selected": String(index === this.active),
            dataset: { index, username: agent.username },
          },
          el("span", { class: "mention-name", text: agent.name }),
          el("span", { class: "mention-username", text: `@${agent.username}` }),
        ),
      ),
    );
    // Above the box (it sits at the bottom of its panel), below it when there is no room.
    this.menu.hidden = false;
    const above = this.box.offsetTop - this.menu.offsetHeight - 2;
    const below = this.box.offsetTop + this.box.offsetHeight + 2;
    this.menu.style.top = `${above >= 0 ? above : below}px`;
    this.menu.style.left = `${this.box.offsetLeft}px`;
    this.box.setAttribute("aria-expanded", "true");
    this.box.setAttribute("aria-activedescendant", `${this.menu.id}-${this.active}`);
  }

  close() {
    this.menu.hidden = true;
    this.matches = [];
    this.active = 0;
    this.box.setAttribute("aria-expanded", "false");
    this.box.removeAttribute("aria-activedescendant");
  }

  onKey(event) {
    if (this.menu.hidden || event.isComposing) return;
    const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
    if (step) {
      this.active = (this.active + step + this.matches.length) % this.matches.length;
      this.render();
    } else if (event.key === "Enter" || event.key === "Tab") {
      this.insert(this.matches[this.active]);
    } else if (event.key === "Escape") {
      this.close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  insert(agent) {
    const caret = this.box.selectionStart;
    const before = this.box.value.slice(0, caret).replace(/@[A-Za-z0-9_.-]*$/, "");
    const after = this.box.value.slice(caret);
    const text = `@${agent.username} `;
    this.box.value = before + text + after;
    const at = before.length + text.length;
    this.box.setSelectionRange(at, at);
    this.close();
    this.box.dispatchEvent(new Event("input", { bubbles: true }));
  }
}
