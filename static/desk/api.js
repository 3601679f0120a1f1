// The conversation and ticket REST API (docs/api.md): JSON in, JSON out, errors as ApiError.

import { config, t } from "./dom.js";

export class ApiError extends Error {
  constructor(status, code, message, fields = null) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.fields = fields; // per-field messages of a 400 `invalid`
  }
}

/** The words of an API error: its message, then what it says about each field (a field's
 * messages may be a list, or an object of lists for a nested field such as a filter). */
export function errorText(error) {
  const parts = [error.message || t.actionFailed];
  for (const messages of Object.values(error.fields || {})) {
    if (Array.isArray(messages)) parts.push(...messages.map(String));
    else if (messages && typeof messages === "object") parts.push(...Object.values(messages).flat());
    else parts.push(String(messages));
  }
  return parts.join(" ");
}

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

async function call(method, path, { params, json, form } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(url, { method, headers, body, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "network", "");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data?.error || {};
    throw new ApiError(response.status, error.code || "error", error.message || "", error.fields);
  }
  return data;
}

const base = config.conversationsUrl;
const tickets = config.ticketsUrl;

export const api = {
  list: (params) => call("GET", base, { params }),
  detail: (id) => call("GET", `${base}${id}/`),
  messages: (id, params) => call("GET", `${base}${id}/messages/`, { params }),
  /** Send a reply that failed to reach the customer's channel again (it becomes pending). */
  resend: (id, messageId) => call("POST", `${base}${id}/messages/${messageId}/retry/`),
  whatsappTemplate: (id, clientMsgId) =>
    call("POST", `${base}${id}/whatsapp-template/`, { client_msg_id: clientMsgId }),
  action: (id, action, json = {}) => call("POST", `${base}${id}/${action}/`, { json }),
  upload(id, file) {
    const form = new FormData();
    form.append("file", file);
    return call("POST", `${base}${id}/attachments/`, { form });
  },
  /** Delete an upload of ours no message has taken (a removed chip). */
  discardUpload: (id, attachmentId) => call("DELETE", `${base}${id}/attachments/${attachmentId}/`),
  customer: (id) => call("GET", `${config.customersUrl}${id}/`),
  /** A reply written by the language model, for the agent to edit (never sent). */
  replyDraft: (id) => call("POST", `${base}${id}/reply-draft/`),
  /** The 转工单 form's start; its transcript's times in the browser's time zone. */
  ticketDraft(id) {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return call("GET", `${base}${id}/ticket-draft/`, { params: { tz } });
  },
  ticketCreate: (id, json) => call("POST", `${base}${id}/tickets/`, { json }),
  ticket: (id) => call("GET", `${tickets}${id}/`),
  ticketUpdate: (id, json) => call("PATCH", `${tickets}${id}/`, { json }),
  ticketReply: (id, json) => call("POST", `${tickets}${id}/replies/`, { json }),
  ticketKbDraft: (id) => call("POST", `${tickets}${id}/kb-draft/`),
  ticketMerge: (id, json) => call("POST", `${tickets}${id}/merge/`, { json }),
  ticketLink: (id, json) => call("POST", `${tickets}${id}/links/`, { json }),
  ticketList: (params) => call("GET", `${tickets}?${params}`),
  ticketBulk: (json) => call("POST", `${tickets}bulk/`, { json }),
  ticketViews: () => call("GET", config.ticketViewsUrl),
  slaWatch: () => call("GET", config.slaWatchUrl),
  live: (params) => call("GET", config.liveUrl, { params }),
  ticketViewCreate: (json) => call("POST", config.ticketViewsUrl, { json }),
  ticketViewDelete: (id) => call("DELETE", `${config.ticketViewsUrl}${id}/`),
  notifications: (params) => call("GET", config.notificationsUrl, { params }),
  notificationsRead: (json) => call("POST", `${config.notificationsUrl}read/`, { json }),
  cannedReplies: (params) => call("GET", config.cannedRepliesUrl, { params }),
  cannedRender: (id, params) => call("GET", `${config.cannedRepliesUrl}${id}/render/`, { params }),
  cannedUse: (id, json) => call("POST", `${config.cannedRepliesUrl}${id}/uses/`, { json }),
  cannedCreate: (json) => call("POST", config.cannedRepliesUrl, { json }),
  cannedUpdate: (id, json) => call("PATCH", `${config.cannedRepliesUrl}${id}/`, { json }),
  cannedDelete: (id) => call("DELETE", `${config.cannedRepliesUrl}${id}/`),
  kbSearch: (params) => call("GET", config.kbSearchUrl, { params }),
  kbSuggestions: (params) => call("GET", config.kbSuggestionsUrl, { params }),
  kbArticle: (id) => call("GET", `${config.kbArticlesUrl}${id}/`),
};
