// What the widget knows about its surroundings, and its HTTP calls (docs/api.md, "Widget API").

/** Page context the loader put in the fragment: url, title, referrer, lang, origin, user. */
export function readContext(hash = location.hash) {
  try {
    return JSON.parse(decodeURIComponent(hash.slice(1))) || {};
  } catch {
    return {};
  }
}

/** The site's language, else the host page's, else the browser's. */
export function pickLanguage(setting, hostLang) {
  if (setting === "zh-hans" || setting === "en") return setting;
  const guess = (hostLang || navigator.language || "").toLowerCase();
  return guess.startsWith("zh") ? "zh-hans" : "en";
}

/** localStorage per site key; quietly nothing in private modes that refuse it. */
export class Store {
  constructor(siteKey) {
    this.prefix = `unidesk:${siteKey}:`;
  }

  get(name) {
    try {
      return JSON.parse(localStorage.getItem(this.prefix + name));
    } catch {
      return null;
    }
  }

  set(name, value) {
    try {
      if (value == null) localStorage.removeItem(this.prefix + name);
      else localStorage.setItem(this.prefix + name, JSON.stringify(value));
    } catch {
      /* the widget still works for this page */
    }
  }
}

export function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function find(ua, pairs) {
  for (const [re, name] of pairs) {
    const m = ua.match(re);
    if (m) return m[1] ? `${name} ${m[1]}` : name;
  }
  return "";
}

/** Browser, OS and device as an agent wants to read them. */
export function deviceContext(ua = navigator.userAgent) {
  return {
    browser: find(ua, [[/Edg\/(\d+)/, "Edge"], [/Firefox\/(\d+)/, "Firefox"], [/Chrome\/(\d+)/, "Chrome"], [/Version\/(\d+).*Safari/, "Safari"]]),
    os: find(ua, [[/Windows NT/, "Windows"], [/Android (\d+)/, "Android"], [/iPhone OS (\d+)/, "iOS"], [/Mac OS X/, "macOS"], [/Linux/, "Linux"]]),
    device: /iPad|Tablet/.test(ua) ? "Tablet" : /Mobi|iPhone|Android/.test(ua) ? "Mobile" : "Desktop",
    language: navigator.language || "",
    network_type: (navigator.connection && navigator.connection.effectiveType) || "",
  };
}

/** JSON in and out; a non-2xx answer throws with `status` and the error body as `data`. */
export async function api(url, options = {}) {
  const response = await fetch(url, { credentials: "omit", ...options });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error("request failed"), { status: response.status, data });
  return data;
}

export function errorCode(error) {
  return error && error.data && error.data.error ? error.data.error.code : null;
}

export class WidgetApi {
  constructor(config, context) {
    this.config = config;
    this.context = context;
    this.token = "";
    this.renew = null; // () => a promise of a fresh token (the session endpoint)
    this.renewing = null;
  }

  /** A call with the visitor token; a refused (expired) token is renewed once and tried again. */
  async authed(url, options = {}) {
    const call = () => api(url, { ...options, headers: { ...options.headers, "X-Visitor-Token": this.token } });
    try {
      return await call();
    } catch (error) {
      if (errorCode(error) !== "invalid_token" || !this.renew) throw error;
      this.renewing = this.renewing || this.renew().finally(() => (this.renewing = null));
      await this.renewing;
      return call();
    }
  }

  /** Revoke every token of this visitor (sign-out); survives the page going away. */
  signOut() {
    return fetch(`${this.config.sessionUrl}sign-out/`, { method: "POST", keepalive: true, credentials: "omit", headers: { "X-Visitor-Token": this.token } });
  }

  /** Start or resume the visitor (and submit the pre-chat answers, if given). */
  session(siteKey, extra = {}) {
    const ctx = this.context;
    const body = {
      site: siteKey,
      visitor_token: this.token,
      context: { page_url: ctx.url || "", page_title: ctx.title || "", referrer: ctx.referrer || "", ...deviceContext() },
      ...extra,
    };
    if (ctx.user && ctx.user.id != null) {
      body.user = ctx.user;
      body.user_hash = ctx.user_hash || "";
    }
    return api(this.config.sessionUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
  }

  history(conversationId, beforeSeq) {
    const query = beforeSeq ? `?before_seq=${beforeSeq}` : "";
    return this.authed(this.config.messagesUrl.replace("{id}", conversationId) + query, { headers: { Accept: "application/json" } });
  }

  ticket(id) {
    return this.authed(this.config.ticketUrl.replace("{id}", id));
  }

  rate(id, score, comment) {
    return this.authed(`${this.config.ticketUrl.replace("{id}", id)}rating/`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ score, comment }),
    });
  }

  upload(file) {
    const form = new FormData();
    form.append("file", file);
    return this.authed(this.config.attachmentUrl, { method: "POST", body: form });
  }

  /** Delete an upload of this visitor that no message has taken (404 when there is none). */
  discardUpload(id) {
    return fetch(`${this.config.attachmentUrl}${id}/`, { method: "DELETE", credentials: "omit", headers: { "X-Visitor-Token": this.token } });
  }
}
