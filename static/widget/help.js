// Self-service help (docs/api.md, "Widget help"): search the published articles, read one, say
// whether it helped, back to the chat. Loaded by import() on the first click of Help.
//
// Only the article body is HTML, as the server rendered and cleaned it (nh3); it is parsed in an
// inert document (nothing loads or runs there) and moved in. A snippet keeps only its text and
// <mark>; titles and everything else go in as text.

import { el } from "./view.js";

const MAX_QUERY = 200;
const TYPING_PAUSE_MS = 300;
const JSON_HEADERS = { Accept: "application/json", "Content-Type": "application/json" };

function inert(html) {
  return new DOMParser().parseFromString(html, "text/html").body;
}

/** A server snippet as text nodes and <mark>s; any other markup is dropped to its text. */
function snippetNodes(html) {
  return [...inert(html).childNodes].map((node) =>
    node.nodeName === "MARK" ? el("mark", {}, node.textContent) : document.createTextNode(node.textContent),
  );
}

/** The article's cleaned HTML, with a second guard: no handlers, only web links, opened outside. */
function articleBody(html, lang) {
  const body = inert(html);
  for (const node of body.querySelectorAll("script, style, iframe, object, embed, form")) node.remove();
  for (const node of body.querySelectorAll("*")) {
    for (const attr of [...node.attributes]) if (/^on/i.test(attr.name)) node.removeAttribute(attr.name);
  }
  for (const link of body.querySelectorAll("a")) {
    if (!/^(https?:|mailto:|\/)/i.test(link.getAttribute("href") || "")) link.removeAttribute("href");
    link.setAttribute("target", "_blank");
    link.setAttribute("rel", "noopener noreferrer");
  }
  const box = el("div", { class: "help-body", lang });
  box.append(...body.childNodes);
  return box;
}

export class HelpPanel {
  constructor(app, { t, lang, config, http, onClose }) {
    Object.assign(this, { app, t, lang, config, http, onClose });
    this.seq = 0;
    this.input = el("input", { type: "search", maxlength: MAX_QUERY, placeholder: t.helpSearch, "aria-label": t.helpSearch });
    this.form = el("form", { class: "help-search", role: "search" }, this.input);
    this.toChat = el("button", { type: "button", class: "link help-chat" }, t.helpBack);
    this.toResults = el("button", { type: "button", class: "link help-results-btn", hidden: true }, t.helpResults);
    this.status = el("p", { class: "help-status", role: "status" });
    this.list = el("ul", { class: "help-list" });
    this.article = el("article", { class: "help-article", hidden: true });
    this.root = el("section", { class: "help", "aria-label": t.help, hidden: true },
      el("div", { class: "help-bar" }, this.toResults, this.toChat), this.form, this.status, this.list, this.article);
    app.append(this.root);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.search();
    });
    // A pause in typing searches; pinyin still being composed (IME) does not.
    const soon = (event) => {
      clearTimeout(this.timer);
      if (!event.isComposing) this.timer = setTimeout(() => this.search(), TYPING_PAUSE_MS);
    };
    this.input.addEventListener("input", soon);
    this.input.addEventListener("compositionend", soon);
    this.toChat.addEventListener("click", () => this.close());
    this.toResults.addEventListener("click", () => this.showList());
  }

  open() {
    this.app.classList.add("helping");
    this.root.hidden = false;
    this.input.focus();
  }

  close() {
    this.root.hidden = true;
    this.app.classList.remove("helping");
    this.onClose();
  }

  showList() {
    this.article.hidden = true;
    this.article.replaceChildren();
    this.toResults.hidden = true;
    this.form.hidden = false;
    this.list.hidden = false;
    this.input.focus();
  }

  async search() {
    clearTimeout(this.timer);
    const q = this.input.value.trim().slice(0, MAX_QUERY);
    const seq = ++this.seq;
    this.status.textContent = "";
    if (!q) return this.list.replaceChildren();
    const url = `${this.config.kbSearchUrl}?${new URLSearchParams({ q, lang: this.lang })}`;
    try {
      const data = await this.http.authed(url, { headers: { Accept: "application/json" } });
      if (seq !== this.seq) return;
      this.status.textContent = data.results.length ? "" : this.t.helpEmpty;
      this.list.replaceChildren(...data.results.map((hit) => this.hitNode(hit)));
    } catch {
      if (seq === this.seq) this.status.textContent = this.t.helpFailed;
    }
  }

  hitNode(hit) {
    const button = el("button", { type: "button", class: "help-hit", lang: hit.language },
      el("strong", {}, hit.title), el("span", { class: "help-snippet" }, ...snippetNodes(hit.snippet_html)));
    button.addEventListener("click", () => this.openArticle(hit.id));
    return el("li", {}, button);
  }

  async openArticle(id) {
    this.status.textContent = "";
    try {
      const data = await this.http.authed(this.config.kbViewUrl.replace("{id}", id), { method: "POST", headers: JSON_HEADERS });
      const article = data.article;
      this.article.replaceChildren(
        el("h2", { lang: article.language }, article.title),
        articleBody(article.body_html, article.language),
        this.voteNode(data.view_id),
      );
      this.form.hidden = true;
      this.list.hidden = true;
      this.toResults.hidden = false;
      this.article.hidden = false;
      this.article.scrollIntoView();
    } catch {
      this.status.textContent = this.t.helpFailed;
    }
  }

  voteNode(viewId) {
    const t = this.t;
    const box = el("div", { class: "help-vote", role: "group", "aria-label": t.helpHelpful }, el("span", {}, t.helpHelpful));
    for (const [helpful, label] of [[true, t.helpYes], [false, t.helpNo]]) {
      const button = el("button", { type: "button", class: "chip", "data-helpful": String(helpful) }, label);
      button.addEventListener("click", async () => {
        try {
          await this.http.authed(this.config.kbVoteUrl.replace("{id}", viewId), {
            method: "POST",
            headers: JSON_HEADERS,
            body: JSON.stringify({ helpful }),
          });
          box.replaceChildren(el("span", { role: "status" }, t.helpThanks));
        } catch {
          this.status.textContent = t.helpFailed;
        }
      });
      box.append(button);
    }
    return box;
  }
}
