// The chat widget inside the iframe (/widget/frame/). Protocol: docs/protocol.md, "Widget socket".
//
// Messages are drawn once per (conversation, seq). The cursor of each conversation says up to
// which seq everything visible is drawn; a gap, a reconnect or a new conversation asks the
// server to `sync` from it. What the visitor writes waits in the outbox (outbox.js) until acked.

import { Store, WidgetApi, errorCode, pickLanguage, randomId, readContext } from "./client.js";
import { Composer } from "./composer.js";
import { WidgetSocket, backoffDelay } from "./connection.js";
import { Cursors } from "./cursors.js";
import { Outbox } from "./outbox.js";
import { TicketCards } from "./tickets.js";
import * as view from "./view.js";

const config = JSON.parse(document.getElementById("widget-config").textContent);
const catalogue = JSON.parse(document.getElementById("widget-i18n").textContent);
const context = readContext();
let site = config.site;
const lang = pickLanguage(site.language, context.lang);
const t = catalogue[lang];
const app = document.getElementById("app");
const refs = view.buildShell(app, t);
const store = new Store(site.key);
const http = new WidgetApi(config, context);
http.token = store.get("token") || "";
const tickets = new TicketCards(http, t, lang);

const state = {
  conversation: null, // the current one: {id, status, assignee, ...}
  items: new Map(), // "conversation:seq" -> <li>
  pending: new Map(), // client_msg_id -> <li> not yet acked
  agentSeq: new Map(), // conversation id -> newest agent message seq
  readSent: new Map(),
  readByAgent: new Map(), // conversation id -> seq the agent has read up to
  earliest: null, // {id, seq} of the oldest drawn message of the current conversation
  open: true,
  unread: 0,
  prechat: false,
  forbidden: 0,
  agentsOnline: true,
  queue: null, // {conversation_id, position, wait_seconds} while the current one waits
  shown: false, // the first session's history is drawn
};
// Leave-a-message notice, and the menu (its form's code, menu.js, loads on the first choice).
refs.away = view.el("div", { class: "away", role: "status", hidden: true }, t.agentsOffline);
refs.menu = view.el("div", { class: "menu", role: "group", "aria-label": t.menuTitle, hidden: true });
refs.menuForm = view.el("form", { class: "menu-form", hidden: true, novalidate: true });
refs.composer.before(refs.away, refs.menu, refs.menuForm);
// Newest messages stay in view while the visitor is at the bottom; else a hint offers them.
refs.newer = view.el("button", { type: "button", class: "newer", hidden: true }, t.newMessages);
refs.log.append(refs.newer);
const pin = new view.Pin(refs.log, refs.list, refs.newer);

const socket = new WidgetSocket(`${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${config.socketPath}`, {
  token: () => http.token, // sent in the first frame, never in the URL
  onState: connectionState,
  onFrame: receive,
  onForbidden: forbidden,
});
http.renew = () => openSession(); // a refused (expired) token: the session endpoint renews it

const cursors = new Cursors((frame) => socket.send(frame));

const outbox = new Outbox({
  store,
  send: (frame) => socket.send(frame),
  ready: () => socket.connected && !state.prechat,
  onRejected(item, code) {
    const li = item && state.pending.get(item.client_msg_id);
    if (li) failed(li, item);
    if (item) state.pending.delete(item.client_msg_id);
    // Refused for good: its uploads will never be sent, so they go now (else the server
    // sweeps them later).
    for (const id of (item && item.attachment_ids) || []) http.discardUpload(id).catch(() => {});
    notice(t[code] || t.invalid_message);
  },
  onBlocked(code) {
    if (code === "rate_limited") notice(t.rate_limited);
    if (code === "prechat_required") {
      state.prechat = true;
      showPrechat(true);
    }
  },
});

// ---- session ------------------------------------------------------------------------------

async function openSession(extra) {
  const had = http.token;
  const data = await http.session(site.key, extra);
  http.token = data.visitor_token;
  store.set("token", http.token);
  if (had && !data.resumed) {
    // The token no longer names this visitor (signed out, or too old): nothing of the old
    // visitor is sent as, or shown to, the new one.
    outbox.clear();
    store.set("prechat", null);
    if (state.shown) location.reload();
  }
  site = data.site;
  state.prechat = data.prechat_pending;
  setAgentsOnline(data.agents_online);
  return data;
}

async function start() {
  document.documentElement.lang = lang === "zh-hans" ? "zh-Hans" : "en";
  document.documentElement.style.setProperty("--accent", site.theme_color);
  connectionState("connecting");
  composerReady(false); // nothing can be written before the session says what comes first
  if (context.signed_out) await forget();
  let data;
  for (let attempt = 0; !data; attempt += 1) {
    try {
      data = await openSession();
    } catch (error) {
      if (error.status && error.status < 500) return end(errorCode(error));
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt)));
    }
  }
  const welcome = site.welcome[lang] || site.welcome.en || site.welcome["zh-hans"];
  refs.welcome.hidden = !welcome;
  if (welcome) refs.welcome.replaceChildren(view.el("div", { class: "bubble" }, welcome));
  renderHeader();
  drawMenu();
  for (const item of outbox.items) drawPending(item);
  if (data.conversation) {
    setConversation(data.conversation);
    await loadHistory(data.conversation.id, null);
  }
  // Messages already written wait for the form: they go once it is done.
  showPrechat(state.prechat);
  composerReady(true);
  state.shown = true;
  socket.start();
  pin.added(true);
}

function composerReady(ready) {
  for (const node of [refs.input, refs.send, refs.attach]) node.disabled = !ready;
  refs.input.placeholder = ready ? t.placeholder : t.connecting;
  refs.composer.setAttribute("aria-busy", String(!ready));
}

async function loadHistory(id, beforeSeq) {
  try {
    const page = await http.history(id, beforeSeq);
    const keep = refs.log.scrollHeight - refs.log.scrollTop;
    for (const msg of page.messages) apply(msg);
    if (beforeSeq == null) cursors.bump(id, page.last_seq);
    else refs.log.scrollTop = refs.log.scrollHeight - keep;
    refs.earlier.hidden = !page.has_more;
  } catch {
    /* the socket's sync fills in what the page could not load */
  }
}

// ---- drawing ------------------------------------------------------------------------------

function renderHeader() {
  const conv = state.conversation;
  const agent = conv && conv.status !== "closed" ? conv.assignee : null;
  refs.title.textContent = site.name;
  refs.sub.textContent = agent ? view.format(t.assigned, { name: agent.name }) : waitingText(conv);
  view.setAvatar(refs.avatar, agent ? agent.name : site.name, agent && agent.avatar_url);
}

/** One truthful line while nobody has the chat: leave-a-message says it all when nobody is
 * online (the notice above the composer); otherwise the place in the queue and the wait. */
function waitingText(conv) {
  if (!conv || conv.status === "closed") return "";
  if (!state.agentsOnline) return site.offline_tickets ? "" : t.nobodyOnline;
  const place = state.queue && state.queue.conversation_id === conv.id ? state.queue : null;
  if (place) {
    const minutes = Math.max(1, Math.ceil(place.wait_seconds / 60));
    return view.format(t.queuePosition, { position: place.position, minutes });
  }
  return conv.status === "waiting" ? t.waiting : "";
}

function setQueue(place, conversationId) {
  if (place) {
    state.queue = { conversation_id: conversationId, position: place.position, wait_seconds: place.wait_seconds };
    setAgentsOnline(place.agents_online);
  } else if (state.queue && state.queue.conversation_id === conversationId) {
    state.queue = null;
  }
  app.dataset.queue = state.queue ? String(state.queue.position) : "";
  renderHeader();
}

function note(conversationId, seq, text) {
  const key = `${conversationId}:${seq}`;
  if (state.items.has(key)) return;
  const li = view.noteNode(text);
  state.items.set(key, li);
  view.place(refs.list, li, conversationId, seq);
}

function ownState(msg) {
  const readUpTo = state.readByAgent.get(msg.conversation_id) || 0;
  return msg.delivery_state === "read" || msg.seq <= readUpTo ? "read" : "delivered";
}

/** Draw a stored message once; `live` when it just arrived (counts as unread). */
function apply(msg, live = false) {
  const key = `${msg.conversation_id}:${msg.seq}`;
  const own = msg.sender_type === "customer";
  const existing = state.items.get(key);
  if (existing) {
    if (own) view.setTick(existing, ownState(msg), t);
    return;
  }
  const li = msg.content_type === "ticket" ? tickets.node(msg) : view.messageNode(msg, t, lang);
  state.items.set(key, li);
  const waiting = own && msg.client_msg_id && state.pending.get(msg.client_msg_id);
  if (waiting) {
    waiting.replaceWith(li);
    state.pending.delete(msg.client_msg_id);
  }
  if (own) {
    view.setTick(li, ownState(msg), t);
    outbox.done(msg.client_msg_id);
  }
  view.place(refs.list, li, msg.conversation_id, msg.seq);
  const conv = state.conversation;
  if (conv && msg.conversation_id === conv.id && (!state.earliest || msg.seq < state.earliest.seq)) {
    state.earliest = { id: conv.id, seq: msg.seq };
  }
  if (msg.sender_type === "agent" || msg.sender_type === "bot") agentMessage(msg, live);
  if (live || own) pin.added(own);
}

function agentMessage(msg, live) {
  const conv = state.conversation;
  refs.typing.hidden = true;
  if (conv && conv.id === msg.conversation_id && conv.status === "waiting") {
    conv.status = "open"; // an agent has answered (the server did the same)
    renderHeader();
  }
  state.agentSeq.set(msg.conversation_id, Math.max(state.agentSeq.get(msg.conversation_id) || 0, msg.seq));
  if (live && !visible()) {
    state.unread += 1;
    tellHost({ unidesk: "unread", count: state.unread });
  }
}

function drawPending(item) {
  if (state.pending.has(item.client_msg_id)) return; // drawn once, whatever asks again
  const li = view.messageNode({ sender_type: "customer", body: item.body, attachments: item.attachments, created_at: item.created_at }, t, lang);
  view.setTick(li, "pending", t);
  state.pending.set(item.client_msg_id, li);
  view.place(refs.list, li, null, null);
  pin.added(true);
}

/** Refused for good: marked failed, with a retry that sends the text again as a new message. */
function failed(li, item) {
  view.setTick(li, "failed", t);
  if (!item.body) return;
  const retry = view.el("button", { type: "button", class: "retry" }, t.retry);
  retry.addEventListener("click", () => {
    li.remove();
    drawPending(outbox.add({ client_msg_id: randomId(), body: item.body, attachment_ids: [], attachments: [] }));
  });
  li.querySelector(".meta").append(retry);
}

function notice(text) {
  refs.notice.textContent = text;
  refs.notice.hidden = false;
  clearTimeout(state.noticeTimer);
  state.noticeTimer = setTimeout(() => (refs.notice.hidden = true), 6000);
}

function setConversation(conv) {
  if (!conv) return;
  const current = state.conversation;
  if (current && conv.id < current.id) return;
  if (current && conv.id > current.id) {
    note(conv.id, 0, t.newConversation);
    state.earliest = null;
  }
  state.conversation = conv;
  if (conv.status === "closed") note(conv.id, Infinity, t.closed);
  renderHeader();
}

// ---- the socket ---------------------------------------------------------------------------

function connectionState(name) {
  app.dataset.state = name;
  refs.banner.hidden = name === "connected";
  refs.banner.textContent = t[name] || "";
  if (name !== "connected") outbox.lost();
}

function end(code) {
  socket.stopped = true;
  connectionState("ended");
  if (code === "identity_invalid") refs.banner.textContent = t.signIn;
  refs.composer.hidden = true;
  refs.prechat.hidden = true;
}

async function forbidden() {
  // The token no longer opens a socket (expired, signed out, site changed): the session endpoint
  // renews it for the same visitor, or starts a new one (then the frame starts afresh).
  state.forbidden += 1;
  if (state.forbidden > 2) return end();
  try {
    await openSession();
    socket.start();
  } catch (error) {
    end(errorCode(error));
  }
}

function receive(frame) {
  switch (frame.type) {
    case "hello":
      state.forbidden = 0;
      setAgentsOnline(frame.agents_online);
      cursors.reset();
      setConversation(frame.conversation);
      if (state.conversation) setQueue(frame.queue || null, state.conversation.id);
      if (state.conversation) cursors.sync(state.conversation.id);
      outbox.pump();
      sendRead();
      break;
    case "message.new":
      apply(frame.message, true);
      cursors.heard(frame.conversation_id, frame.seq);
      sendRead();
      break;
    case "messages":
      for (const msg of frame.messages) apply(msg, true);
      cursors.answered(frame);
      sendRead();
      break;
    case "ack":
      if (frame.conversation_id !== (state.conversation && state.conversation.id)) {
        setConversation({ id: frame.conversation_id, status: "waiting", assignee: null });
      }
      apply(frame.message);
      outbox.done(frame.client_msg_id);
      cursors.heard(frame.conversation_id, frame.seq);
      outbox.pump();
      break;
    case "resync":
      // the server could not hear this conversation for a while (Redis was down)
      if (state.conversation) cursors.sync(state.conversation.id);
      break;
    case "conversation.new":
      setConversation(frame.conversation);
      cursors.sync(frame.conversation_id);
      break;
    case "conversation.update":
      if (state.conversation && frame.conversation_id === state.conversation.id) {
        if (frame.conversation.assignee || frame.conversation.status === "closed") setQueue(null, frame.conversation_id);
        if (frame.conversation.assignee && frame.conversation.status !== "closed") setAgentsOnline(true); // someone is here now
        setConversation(frame.conversation);
      }
      break;
    case "queue.update":
      // our place in the waiting queue, live (docs/protocol.md, "Waiting queue")
      if (!state.conversation || frame.conversation_id === state.conversation.id) setQueue(frame, frame.conversation_id);
      break;
    case "typing":
      typing(frame);
      break;
    case "read":
      if (frame.by === "agent") agentRead(frame.conversation_id, frame.seq);
      break;
    case "error":
      outbox.failed(frame);
      break;
    default:
      break;
  }
}

function typing(frame) {
  if (frame.by !== "agent") return;
  clearTimeout(state.typingTimer);
  refs.typing.hidden = frame.state !== "start";
  refs.typing.textContent = view.format(t.typing, { name: frame.name || t.agent });
  if (frame.state === "start") state.typingTimer = setTimeout(() => (refs.typing.hidden = true), 6000);
}

function agentRead(id, seq) {
  state.readByAgent.set(id, Math.max(seq, state.readByAgent.get(id) || 0));
  for (const [key, li] of state.items) {
    const [c, s] = key.split(":").map(Number);
    if (c === id && s <= seq && li.dataset.state === "delivered") view.setTick(li, "read", t);
  }
}

// ---- writing ------------------------------------------------------------------------------

function sendText(body) {
  if (!body.trim()) return false;
  if (body.length > 5000) {
    notice(t.tooLong);
    return false;
  }
  drawPending(outbox.add({ client_msg_id: randomId(), body, attachment_ids: [], attachments: [] }));
  return true;
}

async function upload(file) {
  const li = view.messageNode({ sender_type: "customer", body: t.uploading, attachments: [] }, t, lang);
  view.setTick(li, "pending", t);
  view.place(refs.list, li, null, null);
  pin.added(true);
  try {
    const data = await http.upload(file);
    li.remove();
    drawPending(outbox.add({ client_msg_id: randomId(), body: "", attachment_ids: [data.id], attachments: [data] }));
  } catch (error) {
    li.remove();
    const code = errorCode(error);
    if (code === "prechat_required") showPrechat(true);
    notice(t[code] || t.uploadFailed);
  }
}

// ---- pre-chat form ------------------------------------------------------------------------

function showPrechat(show) {
  refs.prechat.hidden = !show;
  refs.composer.hidden = show;
  refs.menu.hidden = show || !site.menu || !site.menu.length;
  if (show) refs.menuForm.hidden = true;
  if (show) view.buildPrechat(refs.prechat, site, t, store.get("prechat") || {});
}

async function submitPrechat(event) {
  event.preventDefault();
  const values = view.readPrechat(refs.prechat, site, t);
  if (!values) return;
  try {
    const data = await openSession({ prechat: values });
    store.set("prechat", values);
    state.prechat = false;
    showPrechat(false);
    setConversation(data.conversation);
    if (data.conversation) cursors.sync(data.conversation.id);
    outbox.pump();
    refs.input.focus();
  } catch (error) {
    const fields = error.data && error.data.error && error.data.error.fields;
    if (fields && fields.prechat) view.prechatErrors(refs.prechat, fields.prechat);
    else notice(t.reconnecting);
  }
}

// ---- leave-a-message mode and the menu (转工单) -----------------------------------------------

function setAgentsOnline(online) {
  if (online === undefined) return;
  state.agentsOnline = online;
  refs.away.hidden = online || !site.offline_tickets;
  renderHeader();
}

function drawMenu() {
  const options = site.menu || [];
  refs.menu.replaceChildren(
    ...options.map((option) => {
      const chip = view.el("button", { type: "button", class: "chip" }, option.label[lang] || option.label.en);
      chip.addEventListener("click", () => openMenu(option));
      return chip;
    }),
  );
  refs.menu.hidden = !options.length || state.prechat;
}

async function openMenu(option) {
  try {
    const { showMenuForm } = await import("./menu.js");
    showMenuForm(refs, option, { t, lang, config, http, onClose: () => (refs.menu.hidden = false) });
    refs.menu.hidden = true;
  } catch {
    notice(t.menuFailed);
  }
}

// ---- self-service help (help.js, loaded on the first click) --------------------------------

let help = null;

async function openHelp() {
  try {
    if (!help) {
      const { HelpPanel } = await import("./help.js");
      help = help || new HelpPanel(app, { t, lang, config, http, onClose: () => refs.input.focus() });
    }
    help.open();
  } catch {
    notice(t.helpFailed);
  }
}

// ---- visibility, read receipts, the host page ---------------------------------------------

function visible() {
  return state.open && document.visibilityState === "visible";
}

function sendRead() {
  const conv = state.conversation;
  if (!conv || !visible()) return;
  const seq = state.agentSeq.get(conv.id) || 0;
  if (seq > (state.readSent.get(conv.id) || 0) && socket.send({ type: "read", conversation_id: conv.id, seq })) {
    state.readSent.set(conv.id, seq);
  }
}

function tellHost(message) {
  const origin = context.origin && context.origin !== "null" ? context.origin : "*"; // only counts
  if (window.parent !== window) window.parent.postMessage(message, origin);
}

/** Sign-out (the host page's `Unidesk.signOut()`): every token of this visitor is revoked and
 * this browser forgets it; the loader then opens a fresh frame. */
async function forget() {
  socket.stop();
  if (http.token) await http.signOut().catch(() => {});
  http.token = "";
  store.set("token", null);
  outbox.clear();
  store.set("prechat", null);
  tellHost({ unidesk: "signedOut" });
}

window.addEventListener("message", (event) => {
  if (event.source !== window.parent || !event.data) return;
  if (event.data.unidesk === "signOut") forget();
  if (event.data.unidesk !== "visible") return;
  state.open = Boolean(event.data.open);
  if (state.open) {
    state.unread = 0;
    tellHost({ unidesk: "unread", count: 0 });
    sendRead();
    refs.input.focus();
  }
});
document.addEventListener("visibilitychange", sendRead);

refs.close.addEventListener("click", () => {
  state.open = false;
  tellHost({ unidesk: "close" });
});
new Composer(refs, {
  onText: sendText,
  onFile: upload,
  onTyping: (typingState) => socket.send({ type: "typing", state: typingState }),
});
refs.earlier.addEventListener("click", () => {
  if (state.earliest) loadHistory(state.earliest.id, state.earliest.seq);
});
refs.prechat.addEventListener("submit", submitPrechat);
refs.help.addEventListener("click", openHelp);

start();
