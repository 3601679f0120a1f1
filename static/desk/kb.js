// The Knowledge base tab of the side panel: a search box with its results, the suggestions for
// the open conversation (the best three articles for the customer's latest messages, refreshed
// when the customer writes), and an article view. One click inserts an article's answer (plain
// text) or its link into the conversation's reply box at the caret, for the agent to review;
// nothing is sent.
//
// Snippets come as HTML with <mark> around matches and article bodies as sanitised HTML; both are
// rebuilt from an inert parse keeping only safe tags and links (safe_html.js): user data never
// reaches innerHTML.
import { api } from "./api.js";
import { el, fmt, t } from "./dom.js";
import { articleNodes, snippetNodes } from "./safe_html.js";

const SEARCH_DEBOUNCE_MS = 250;
const SUGGEST_DEBOUNCE_MS = 600;

function publicLink(url) {
  return new URL(url, window.location.origin).href;
}

export class KbPanel {
  /**
   * @param {object} options
   * @param {HTMLTextAreaElement} options.box the conversation's reply box
   * @param {() => boolean} options.canInsert whether a conversation is open to reply to
   * @param {(text: string, opts?: object) => void} options.toast
   */
  constructor({ box, canInsert, toast }) {
    Object.assign(this, { box, canInsert, toast });
    this.form = document.getElementById("kb-search");
    this.input = document.getElementById("kb-q");
    this.lang = document.getElementById("kb-lang");
    this.status = document.getElementById("kb-status");
    this.list = document.getElementById("kb-result-list");
    this.found = document.getElementById("kb-found");
    this.empty = document.getElementById("kb-empty");
    this.suggestions = document.getElementById("kb-suggestions");
    this.suggestionList = document.getElementById("kb-suggestion-list");
    this.suggestionStatus = document.getElementById("kb-suggestions-status");
    this.article = document.getElementById("kb-article");
    this.conversationId = null;
    this.searchSeq = 0;
    this.suggestSeq = 0;
    this.articleSeq = 0;
    this.suggestionsWereShown = null; // while an article is open: whether to show them after
    this.searchTimer = null;
    this.suggestTimer = null;
    this.bind();
    this.showEmpty();
  }

  bind() {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.search();
    });
    this.input.addEventListener("input", () => this.searchSoon());
    this.lang.addEventListener("change", () => this.search());
    document.getElementById("kb-back").addEventListener("click", () => this.closeArticle());
  }

  // ---- the open conversation ----------------------------------------------------------------

  /** The conversation the reply box answers (null: none); its suggestions load at once. */
  setConversation(id) {
    if (id === this.conversationId) return;
    this.closeArticle();
    this.conversationId = id;
    this.suggestSeq += 1;
    clearTimeout(this.suggestTimer);
    this.suggestionList.replaceChildren();
    this.suggestions.hidden = id === null;
    if (id !== null) this.suggest();
    this.showEmpty();
  }

  /** A pushed message: the customer's words in the open conversation refresh the suggestions. */
  onMessage(frame) {
    const message = frame.message;
    if (!message || frame.conversation_id !== this.conversationId) return;
    if (message.sender_type !== "customer") return;
    clearTimeout(this.suggestTimer);
    this.suggestTimer = setTimeout(() => this.suggest(), SUGGEST_DEBOUNCE_MS);
  }

  async suggest() {
    const id = this.conversationId;
    if (id === null) return;
    const seq = ++this.suggestSeq;
    let answer;
    try {
      answer = await api.kbSuggestions({ conversation: id });
    } catch {
      if (seq === this.suggestSeq) this.suggestions.hidden = true;
      return;
    }
    if (seq !== this.suggestSeq || id !== this.conversationId) return;
    if (this.article.hidden) this.suggestions.hidden = !answer.question;
    else this.suggestionsWereShown = Boolean(answer.question); // shown again on "back"
    this.suggestionStatus.textContent = answer.results.length ? "" : t.kbNoSuggestions;
    this.suggestionList.replaceChildren(...answer.results.map((hit) => this.item(hit)));
    this.showEmpty();
  }

  // ---- search -------------------------------------------------------------------------------

  searchSoon() {
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => this.search(), SEARCH_DEBOUNCE_MS);
  }

  async search() {
    clearTimeout(this.searchTimer);
    const q = this.input.value.trim();
    const seq = ++this.searchSeq;
    this.closeArticle();
    if (!q) {
      this.list.replaceChildren();
      this.status.textContent = "";
      this.showEmpty();
      return;
    }
    this.status.textContent = t.kbSearching;
    let answer;
    try {
      answer = await api.kbSearch({ q, lang: this.lang.value });
    } catch {
      if (seq === this.searchSeq) this.status.textContent = t.kbSearchFailed;
      return;
    }
    if (seq !== this.searchSeq) return;
    const n = answer.results.length;
    this.status.textContent = n ? fmt(t.kbResultCount, { n }) : t.kbNoResults;
    this.list.replaceChildren(...answer.results.map((hit) => this.item(hit)));
    this.showEmpty();
  }

  showEmpty() {
    const searching = this.input.value.trim() !== "";
    const suggesting = !this.suggestions.hidden;
    this.empty.hidden = searching || suggesting || !this.article.hidden;
  }

  /** One result: its title (opens the article), category, language, snippet and actions. */
  item(hit) {
    const meta = [hit.category.name, t.kbLanguages[hit.language] || hit.language];
    return el(
      "li",
      { class: "kb-hit", dataset: { id: hit.id } },
      el("button", {
        type: "button",
        class: "kb-hit-title",
        text: hit.title,
        lang: hit.language,
        onclick: () => this.openArticle(hit.id),
      }),
      el(
        "p",
        { class: "kb-meta" },
        meta.join(" · "),
        hit.status === "internal" ? el("span", { class: "kb-badge", text: t.kbInternal }) : null,
      ),
      el("p", { class: "kb-snippet", lang: hit.language }, snippetNodes(hit.snippet_html)),
      this.actions(hit),
    );
  }

  actions(article) {
    return el(
      "div",
      { class: "kb-actions" },
      el("button", {
        type: "button",
        class: "btn btn-sm kb-insert-answer",
        text: t.kbInsertAnswer,
        title: fmt(t.kbInsertAnswerOf, { title: article.title }),
        onclick: () => this.insert(article.answer, article.title),
      }),
      article.url
        ? el("button", {
            type: "button",
            class: "btn btn-sm btn-ghost kb-insert-link",
            text: t.kbInsertLink,
            title: fmt(t.kbInsertLinkOf, { title: article.title }),
            onclick: () => this.insert(`${article.title}: ${publicLink(article.url)}`, article.title),
          })
        : null,
    );
  }

  // ---- inserting ----------------------------------------------------------------------------

  /** Put `text` into the reply box at its caret (replacing a selection), as canned replies do. */
  insert(text, title) {
    if (!this.canInsert()) {
      this.toast(t.kbNoConversation, { error: true });
      return;
    }
    const value = this.box.value;
    const start = this.box.selectionStart ?? value.length;
    const end = this.box.selectionEnd ?? value.length;
    const before = value.slice(0, start);
    const glue = before && !before.endsWith("\n") ? "\n" : "";
    this.box.value = before + glue + text + value.slice(end);
    const caret = start + glue.length + text.length;
    this.box.focus();
    this.box.setSelectionRange(caret, caret);
    this.box.dispatchEvent(new Event("input", { bubbles: true }));
    this.toast(fmt(t.kbInserted, { title }));
  }

  // ---- the article view ---------------------------------------------------------------------

  async openArticle(id) {
    const seq = ++this.articleSeq;
    let article;
    try {
      article = await api.kbArticle(id);
    } catch {
      if (seq === this.articleSeq) this.toast(t.kbLoadFailed, { error: true });
      return;
    }
    if (seq !== this.articleSeq) return;
    document.getElementById("kb-article-title").textContent = article.title;
    document.getElementById("kb-article-title").lang = article.language;
    const meta = [article.category.name, t.kbLanguages[article.language] || article.language];
    document.getElementById("kb-article-meta").replaceChildren(
      meta.join(" · "),
      article.status === "internal" ? el("span", { class: "kb-badge", text: t.kbInternal }) : "",
    );
    const body = document.getElementById("kb-article-body");
    body.lang = article.language;
    body.replaceChildren(...articleNodes(article.body_html));
    const versions = document.getElementById("kb-article-versions");
    versions.replaceChildren(
      ...article.versions.map((version) =>
        el("button", {
          type: "button",
          class: "btn btn-sm btn-ghost",
          text: fmt(t.kbOtherLanguage, { language: t.kbLanguages[version.language] || version.language }),
          title: version.title,
          onclick: () => this.openArticle(version.id),
        }),
      ),
    );
    document.getElementById("kb-article-actions").replaceChildren(this.actions(article));
    this.found.hidden = true;
    this.suggestionsWereShown = this.suggestionsWereShown ?? !this.suggestions.hidden;
    this.suggestions.hidden = true;
    this.article.hidden = false;
    this.showEmpty();
  }

  closeArticle() {
    this.articleSeq += 1;
    if (this.article.hidden) return;
    this.article.hidden = true;
    this.found.hidden = false;
    if (this.suggestionsWereShown && this.conversationId !== null) this.suggestions.hidden = false;
    this.suggestionsWereShown = null;
    this.showEmpty();
  }
}
