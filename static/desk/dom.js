// Shared helpers of the workspace modules: config and strings from the page, DOM building with
// text only (user data never goes through innerHTML), time formatting and channel icons.

export const config = JSON.parse(document.getElementById("desk-config").textContent);
export const t = JSON.parse(document.getElementById("desk-i18n").textContent);

/** "%(name)s is typing…" with {name: "Lina"}; the template's placeholders are Python's. */
export function fmt(template, params = {}) {
  return template.replace(/%\((\w+)\)[sd]/g, (_, key) => String(params[key] ?? ""));
}

/** Build an element: el("a", {class: "x", href, text: "label", dataset: {id: 1}}, ...children). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A JSON value (custom fields, attributes) as one line of text: "" for null, a yes/no as words,
 * a list joined, an object as "key: value, …"; a `channel` by its name. */
export function valueText(value, key = "") {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return key === "channel" ? t.channels[value] || value : value;
  if (typeof value === "boolean") return value ? t.yes : t.no;
  if (Array.isArray(value)) return value.map((item) => valueText(item)).filter(Boolean).join(", ");
  if (typeof value === "object") {
    return Object.entries(value)
      .filter(([, item]) => item !== null && item !== undefined)
      .map(([inner, item]) => `${inner}: ${valueText(item, inner)}`)
      .join(", ");
  }
  return String(value);
}

/** Only http(s) links from user data become clickable (no javascript: URLs). */
export function safeUrl(value) {
  return typeof value === "string" && /^https?:\/\//i.test(value) ? value : null;
}

// ---- time -----------------------------------------------------------------------------------

const lang = document.documentElement.lang || undefined;
const clock = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
const dayMonth = new Intl.DateTimeFormat(lang, { month: "short", day: "numeric" });
// Every time is the browser's (the agent's zone); the full form names it ("GMT+8"), as the
// transcripts stored on tickets do ("UTC+08:00").
const full = new Intl.DateTimeFormat(lang, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "shortOffset",
});

function sameDay(a, b) {
  return a.toDateString() === b.toDateString();
}

/** Short time for lists: "14:03" today, "Nov 20" before. */
export function shortTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return sameDay(date, new Date()) ? clock.format(date) : dayMonth.format(date);
}

export function clockTime(iso) {
  return iso ? clock.format(new Date(iso)) : "";
}

export function fullTime(iso) {
  return iso ? full.format(new Date(iso)) : "";
}

export function dayLabel(iso) {
  const date = new Date(iso);
  const today = new Date();
  if (sameDay(date, today)) return t.today;
  const yesterday = new Date(today);
  yesterday.setDate(today.getDate() - 1);
  if (sameDay(date, yesterday)) return t.yesterday;
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium" }).format(date);
}

/** "42s", "3m", "1h 05m", "2d 3h": how long someone has been waiting. */
export function duration(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return fmt(t.durationSeconds, { n: seconds });
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return fmt(t.durationMinutes, { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return fmt(t.durationHours, { h: hours, m: String(minutes % 60).padStart(2, "0") });
  return fmt(t.durationDays, { d: Math.floor(hours / 24), h: hours % 24 });
}

export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// ---- channel icons (constant markup, no user data) ------------------------------------------

const ICONS = {
  web: '<circle cx="12" cy="12" r="8"/><path d="M4 12h16M12 4c2.5 2.6 2.5 13.4 0 16M12 4c-2.5 2.6-2.5 13.4 0 16"/>',
  app: '<rect x="7" y="3" width="10" height="18" rx="2"/><path d="M11 17.5h2"/>',
  wechat: '<path d="M9.5 5C5.9 5 3 7.3 3 10.2c0 1.6.9 3 2.3 4l-.6 2 2.3-1.2c.8.2 1.6.4 2.5.4"/><path d="M15 9.5c3.3 0 6 2.1 6 4.7 0 1.4-.8 2.7-2 3.5l.5 1.8-2-1.1c-.8.2-1.6.4-2.5.4-3.3 0-6-2.1-6-4.6S11.7 9.5 15 9.5z"/>',
  whatsapp: '<path d="M4 20l1.3-4A8 8 0 1 1 8 18.8z"/><path d="M9 9.5c.3 2.2 2.3 4.3 4.6 4.8l1.1-1.1 1.8.8-.4 1.5c-3.6.3-7.6-3.6-7.4-7.3L10.2 8l.8 1.8z"/>',
  telegram: '<path d="M21 4 3 11l6 2 2 6 3-4 4 3z"/><path d="m9 13 8-6"/>',
  email: '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m4 7 8 6 8-6"/>',
};

export function channelIcon(channel, size = 16) {
  const wrap = el("span", {
    class: `channel-icon channel-${ICONS[channel] ? channel : "web"}`,
    title: t.channels[channel] || channel,
  });
  // Constant SVG from this file only.
  wrap.innerHTML = `<svg viewBox="0 0 24 24" width="${size}" height="${size}" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">${ICONS[channel] || ICONS.web}</svg>`;
  wrap.append(el("span", { class: "visually-hidden", text: t.channels[channel] || channel }));
  return wrap;
}

/** A random id for `client_msg_id` (crypto.randomUUID needs a secure context; this does not). */
export function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function customerName(customer) {
  return customer?.name || fmt(t.customerNumber, { id: customer?.id ?? "" });
}
