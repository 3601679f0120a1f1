// The widget's DOM. Everything a visitor or an agent wrote goes in as text (textContent or
// attribute values), never as HTML.

const URL_RE = /(https?:\/\/[^\s<>"']+)/g;

/** el("div", {class: "x"}, "text", child): attributes as attributes, strings as text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child == null || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

export function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
}

/** Text with http(s) links as anchors; nothing else becomes markup. */
export function richText(text) {
  const span = el("span", { class: "text" });
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    span.append(text.slice(last, match.index));
    span.append(el("a", { href: match[0], target: "_blank", rel: "noopener noreferrer" }, match[0]));
    last = match.index + match[0].length;
  }
  span.append(text.slice(last));
  return span;
}

const ICONS = {
  close: "M6 6l12 12M18 6L6 18",
  attach:
    "M21 11.5l-8.5 8.5a5 5 0 0 1-7-7l9-9a3.5 3.5 0 0 1 5 5l-9 9a2 2 0 0 1-3-3l8-8",
  send: "M4 12l16-8-6 16-2.5-6.5z",
  file: "M6 2h8l4 4v16H6zM14 2v4h4",
};

export function icon(name) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

export function buildShell(root, t) {
  const refs = {};
  refs.avatar = el("span", { class: "avatar", "aria-hidden": "true" });
  refs.title = el("strong", { class: "title" });
  refs.sub = el("span", { class: "sub" });
  refs.help = el("button", { type: "button", class: "help-btn" }, t.help);
  refs.close = el("button", { type: "button", class: "icon-btn close", title: t.close, "aria-label": t.close }, icon("close"));
  refs.banner = el("div", { class: "banner", role: "status", hidden: true });
  refs.earlier = el("button", { type: "button", class: "earlier", hidden: true }, t.earlier);
  refs.list = el("ol", { class: "messages", "aria-live": "polite" });
  refs.typing = el("div", { class: "typing", hidden: true });
  refs.welcome = el("div", { class: "welcome", hidden: true });
  refs.log = el("div", { class: "log" }, refs.earlier, refs.welcome, refs.list, refs.typing);
  refs.prechat = el("form", { class: "prechat", hidden: true, novalidate: true });
  refs.input = el("textarea", { rows: 1, placeholder: t.placeholder, "aria-label": t.placeholder, maxlength: 5000 });
  refs.file = el("input", { type: "file", hidden: true, tabindex: -1 });
  refs.attach = el("button", { type: "button", class: "icon-btn attach", title: t.attach, "aria-label": t.attach }, icon("attach"));
  refs.send = el("button", { type: "submit", class: "icon-btn send", title: t.send, "aria-label": t.send }, icon("send"));
  refs.composer = el("form", { class: "composer" }, refs.attach, refs.file, refs.input, refs.send);
  refs.notice = el("div", { class: "notice", role: "alert", hidden: true });
  root.append(
    el("header", { class: "head" }, refs.avatar, el("div", { class: "who" }, refs.title, refs.sub), refs.help, refs.close),
    refs.banner,
    refs.log,
    refs.prechat,
    refs.notice,
    refs.composer,
    el("div", { class: "brand" }, t.poweredBy),
  );
  return refs;
}

export function setAvatar(node, name, url) {
  node.replaceChildren();
  if (url && /^https?:\/\//.test(url)) {
    node.append(el("img", { src: url, alt: "" }));
  } else {
    node.textContent = (name || "?").trim().charAt(0).toUpperCase();
  }
}

function sizeLabel(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function attachmentNode(file, t) {
  const type = file.content_type || "";
  if (type.startsWith("image/")) {
    return el("a", { class: "media", href: file.url, target: "_blank", rel: "noopener" }, el("img", { src: file.url, alt: file.name, loading: "lazy" }));
  }
  if (type.startsWith("video/")) return el("video", { class: "media", src: file.url, controls: true, preload: "metadata" });
  if (type.startsWith("audio/")) return el("audio", { src: file.url, controls: true, preload: "none" });
  return el(
    "a",
    { class: "file-card", href: file.url, download: file.name, title: t.download },
    icon("file"),
    el("span", { class: "file-name" }, file.name),
    el("span", { class: "file-size" }, sizeLabel(file.size || 0)),
  );
}

export function timeLabel(iso, lang) {
  const date = iso ? new Date(iso) : new Date();
  return date.toLocaleTimeString(lang === "zh-hans" ? "zh-CN" : "en", { hour: "2-digit", minute: "2-digit" });
}

/** A message bubble. `state` (customer's own): pending | delivered | read | failed. */
export function messageNode(msg, t, lang) {
  const own = msg.sender_type === "customer";
  const system = msg.sender_type === "system" || msg.content_type === "event";
  const side = own ? "customer" : system ? "system" : "agent";
  const li = el("li", { class: `msg from-${side}` });
  const bubble = el("div", { class: msg.body || !(msg.attachments || []).length ? "bubble" : "bubble bare" });
  for (const file of msg.attachments || []) bubble.append(attachmentNode(file, t));
  if (msg.body) bubble.append(richText(msg.body));
  if (side === "agent" && msg.sender && msg.sender.name) {
    li.append(el("span", { class: "sender" }, msg.sender.name));
  }
  li.append(bubble);
  const meta = el("div", { class: "meta" }, el("time", { datetime: msg.created_at || "" }, timeLabel(msg.created_at, lang)));
  if (own) meta.append(el("span", { class: "tick" }));
  li.append(meta);
  return li;
}

const TICKS = { pending: "◷", delivered: "✓", read: "✓✓", failed: "!" };
const TICK_LABELS = { pending: "sending", delivered: "delivered", read: "read", failed: "failed" };

export function setTick(li, state, t) {
  const tick = li.querySelector(".tick");
  if (!tick) return;
  li.dataset.state = state;
  tick.textContent = TICKS[state];
  tick.title = t[TICK_LABELS[state]];
  tick.setAttribute("aria-label", t[TICK_LABELS[state]]);
}

/**
 * Keeps the log at its newest item while the reader is at the bottom, also when content grows
 * later (a ticket card's rating form, an image loading, the panel opened again); a reader who has
 * scrolled up gets `hint` ("new messages") instead, which brings them down.
 */
export class Pin {
  constructor(log, content, hint) {
    this.log = log;
    this.hint = hint;
    this.atBottom = true;
    log.addEventListener("scroll", () => {
      this.atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
      if (this.atBottom) hint.hidden = true;
    });
    hint.addEventListener("click", () => this.added(true));
    if (window.ResizeObserver) {
      const observer = new ResizeObserver(() => this.atBottom && this.added(true));
      observer.observe(content);
      observer.observe(log);
    }
  }

  /** New content: follow it when at the bottom (or `force`), else show the hint. */
  added(force) {
    if (force || this.atBottom) {
      this.atBottom = true;
      this.log.scrollTop = this.log.scrollHeight;
      this.hint.hidden = true;
    } else {
      this.hint.hidden = false;
    }
  }
}

export function noteNode(text) {
  return el("li", { class: "msg from-system" }, el("div", { class: "bubble" }, text));
}

/** Keep items ordered by (conversation, seq); items still sending (no seq) stay last. */
export function place(list, li, conversationId, seq) {
  li.dataset.c = String(conversationId ?? "");
  li.dataset.s = seq == null ? "" : String(seq);
  if (seq == null) {
    list.append(li);
    return;
  }
  let anchor = null; // li goes before this node (null: at the end)
  for (let node = list.lastElementChild; node; node = node.previousElementSibling) {
    if (node === li) continue;
    if (node.dataset.s !== "") {
      const c = Number(node.dataset.c);
      const s = Number(node.dataset.s);
      if (c < conversationId || (c === conversationId && s < seq)) break;
    }
    anchor = node;
  }
  list.insertBefore(li, anchor);
}

export function buildPrechat(form, site, t, values = {}) {
  form.replaceChildren(el("h2", {}, t.prechatTitle), el("p", { class: "intro" }, t.prechatIntro));
  const labels = { name: t.fieldName, email: t.fieldEmail, phone: t.fieldPhone, topic: t.fieldTopic };
  const types = { name: "text", email: "email", phone: "tel" };
  for (const field of site.prechat.fields) {
    const id = `prechat-${field.name}`;
    let input;
    if (field.name === "topic") {
      input = el("select", { id, name: "topic" }, el("option", { value: "" }, t.chooseTopic));
      for (const topic of site.prechat.topics) input.append(el("option", { value: topic }, topic));
    } else {
      input = el("input", { id, name: field.name, type: types[field.name], autocomplete: field.name === "phone" ? "tel" : field.name });
    }
    if (values[field.name]) input.value = values[field.name];
    if (field.required) input.setAttribute("aria-required", "true");
    const label = el("label", { for: id }, labels[field.name], field.required ? " *" : ` (${t.optional})`);
    form.append(el("div", { class: "field" }, label, input, el("div", { class: "field-error", id: `${id}-error` })));
  }
  form.append(el("button", { type: "submit", class: "primary" }, t.prechatStart));
}

/** The form's answers, or null after marking the required fields left empty. */
export function readPrechat(form, site, t) {
  const values = {};
  let ok = true;
  for (const field of site.prechat.fields) {
    const input = form.elements[field.name];
    const error = form.querySelector(`#prechat-${field.name}-error`);
    values[field.name] = input.value.trim();
    error.textContent = field.required && !values[field.name] ? t.required : "";
    input.setAttribute("aria-invalid", error.textContent ? "true" : "false");
    ok = ok && !error.textContent;
  }
  return ok ? values : null;
}

/** The server's messages per field: {"email": ["Enter a valid email address."]}. */
export function prechatErrors(form, errors) {
  for (const [name, messages] of Object.entries(errors)) {
    const node = form.querySelector(`#prechat-${name}-error`);
    if (node) node.textContent = [].concat(messages).join(" ");
  }
}
