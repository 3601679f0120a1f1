// The agent workspace shell: live connection, presence, tabs, and the wiring of the panes
// (inbox.js, conversation.js, timeline.js, composer.js, customer.js, tickets.js), the offer cards
// (offer_card.js), of the Tickets view (ticket_list.js), the supervisors' Live view (live.js),
// the bell (notifications.js), @mentions in ticket replies (mentions.js), canned replies in
// both reply boxes (canned.js) and the Knowledge base tab (kb.js).
// Text comes from #desk-i18n.
import { api } from "./api.js";
import { CannedPicker } from "./canned.js";
import { Composer, Outbox } from "./composer.js";
import { ConversationPane } from "./conversation.js";
import { CustomerPanel } from "./customer.js";
import { config, t } from "./dom.js";
import { Inbox } from "./inbox.js";
import { KbPanel } from "./kb.js";
import { LiveView } from "./live.js";
import { MentionAutocomplete } from "./mentions.js";
import { newChatAssigned } from "./new_chat_alert.js";
import { NotificationBell } from "./notifications.js";
import { OfferCards } from "./offer_card.js";
import { DeskSocket, socketUrl } from "./socket.js";
import { startSlaTicker } from "./sla.js";
import { SlaWatch } from "./sla_watch.js";
import { TicketList } from "./ticket_list.js";
import { TicketDesk } from "./tickets.js";
import { Timeline } from "./timeline.js";

const app = document.getElementById("app");
const connection = document.getElementById("connection");
const connectionLabel = document.getElementById("connection-label");
const presenceWrap = document.getElementById("presence-wrap");
const presenceSelect = document.getElementById("presence");
const banner = document.getElementById("banner");
const toast = document.getElementById("toast");

// ---- connection indicator -------------------------------------------------------------------

function showConnection(state) {
  connection.dataset.state = state;
  connectionLabel.textContent = t[state];
  connection.title = t[state];
}

function showSessionEnded() {
  banner.replaceChildren(document.createTextNode(t.sessionEnded));
  const link = document.createElement("a");
  link.href = `${config.loginUrl}?next=${encodeURIComponent(location.pathname + location.hash)}`;
  link.textContent = t.signIn;
  banner.append(link);
  banner.hidden = false;
}

let toastTimer = null;
function showToast(text, { error = false } = {}) {
  toast.textContent = text;
  toast.classList.toggle("is-error", error);
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    toast.hidden = true;
  }, 5000);
}

// ---- presence -------------------------------------------------------------------------------

// The value the server last confirmed; the selector falls back to it when a change fails.
let confirmedPresence = presenceSelect.value;

function showPresence(value) {
  confirmedPresence = value;
  presenceSelect.value = value;
  presenceWrap.dataset.presence = value;
}

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

async function savePresenceOverHttp(presence) {
  const response = await fetch(config.presenceUrl, {
    method: "PUT",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify({ presence }),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()).presence;
}

async function changePresence(presence) {
  presenceWrap.classList.add("is-saving");
  presenceWrap.dataset.presence = presence;
  try {
    const saved = socket.connected
      ? (await socket.request({ type: "presence.set", presence })).presence
      : await savePresenceOverHttp(presence);
    showPresence(saved);
  } catch {
    showPresence(confirmedPresence);
    showToast(t.presenceFailed, { error: true });
  } finally {
    presenceWrap.classList.remove("is-saving");
  }
}

presenceSelect.addEventListener("change", () => changePresence(presenceSelect.value));

// ---- socket ---------------------------------------------------------------------------------

function onFrame(frame) {
  switch (frame.type) {
    case "hello":
      showPresence(frame.agent.presence);
      // offers still waiting for an answer (this tab was opened or reloaded meanwhile)
      for (const offer of frame.offers || []) offers.show(offer, { quiet: true });
      inbox.reload(); // pushes sent before this socket joined its inboxes were not heard
      pane.onConnected();
      ticketDesk.onConnected();
      ticketList.onConnected();
      slaWatch.onPush();
      liveView?.onHint();
      bell.onConnected();
      outbox.flush();
      break;
    case "resync":
      // the server could not hear our groups for a while (Redis was down): catch up
      inbox.reload();
      pane.onConnected();
      ticketDesk.onConnected();
      ticketList.onConnected();
      liveView?.onHint();
      bell.onConnected();
      break;
    case "routing.changed":
      // a supervisor's Live view is stale (presence, queue or load): read it again
      liveView?.onHint();
      break;
    case "agent.presence":
      // Another tab (or a supervisor, or the idle sweep) changed this agent's presence.
      if (frame.agent_id === config.agentId) showPresence(frame.presence);
      pane.onPresence(frame.agent_id, frame.presence);
      break;
    case "message.new":
      inbox.applySummary(frame.conversation, frame.message);
      pane.onFrame(frame);
      kb.onMessage(frame);
      break;
    case "conversation.update":
      inbox.applySummary(frame.conversation);
      pane.onFrame(frame);
      slaWatch.onPush();
      break;
    case "conversation.assigned":
      // routed to me: in 我的 at once (the summary), with a tone and a blinking title
      offers.remove(frame.conversation_id); // an offer accepted in another tab
      inbox.applySummary(frame.conversation);
      newChatAssigned(frame.conversation, showToast);
      break;
    case "conversation.offered":
      // offer mode: a card with Accept / Decline and a countdown
      offers.show(frame);
      break;
    case "conversation.removed":
      // moved out of this agent's scope: the server no longer lets this tab hear or touch it
      inbox.remove(frame.conversation_id);
      pane.onRemoved(frame.conversation_id);
      break;
    case "ticket.update":
      ticketDesk.onUpdate(frame);
      ticketList.onUpdate(frame);
      slaWatch.onPush();
      break;
    case "notification":
      bell.onFrame(frame);
      break;
    case "message.update":
    case "messages":
    case "viewers":
    case "typing":
    case "read":
      pane.onFrame(frame);
      break;
    default:
      // `error` frames of requests (with `ref`) reach whoever asked through socket.request;
      // the others (open, typing, read) concern a conversation the API already told us about.
      break;
  }
}

const socket = new DeskSocket(socketUrl(config.socketPath), {
  onState: showConnection,
  onFrame,
  onForbidden: showSessionEnded,
});

// ---- panes ----------------------------------------------------------------------------------

const customerPanel = new CustomerPanel({ openTicket: (id) => openTicket(id) });
let pane = null;
const inbox = new Inbox({ onSelect: (id) => pane.open(id) });
const outbox = new Outbox({
  socket,
  onAck: (ack) => pane.onAck(ack),
  onChange: (item) => {
    if (item.conversation_id === pane.id) timeline.showPending(item);
  },
});
const timeline = new Timeline({
  onRetry: (item) => outbox.retry(item),
  // a reply the customer's channel (Telegram …) did not take: queued again, `message.update` follows
  onResend: async (message) => {
    try {
      timeline.update(await api.resend(message.conversation_id, message.id));
    } catch {
      showToast(t.resendFailed, { error: true });
    }
  },
  onDiscard: (item) => {
    outbox.remove(item.client_msg_id);
    timeline.dropPending(item.client_msg_id);
  },
});
const composer = new Composer({ socket, outbox, toast: showToast });
const ticketDesk = new TicketDesk({
  toast: showToast,
  revealPanel: () => {
    selectTab(document.getElementById("tab-ticket"));
    showSidePanel(true);
  },
  openConversation: (id) => {
    showView("conversations");
    pane.open(id);
  },
  showCustomer: (id) => {
    showRequester(id);
    selectTab(document.getElementById("tab-customer"));
    showSidePanel(true);
  },
  onShown: (detail) => {
    ticketList.update(detail);
    // In the Tickets view no chat is open: the Customer tab shows the ticket's requester.
    if (currentView === "tickets") showRequester(detail.requester.id);
  },
});
/** Open a ticket in the panel, from anywhere; the Tickets view keeps it in the URL. */
function openTicket(id) {
  ticketDesk.showTicket(id, { reveal: true });
  if (currentView === "tickets") rememberView(id);
}
const ticketList = new TicketList({ toast: showToast, openTicket });
const slaWatch = new SlaWatch({
  openTicket,
  openConversation: (id) => {
    showView("conversations");
    pane.open(id);
    rememberView();
  },
});
startSlaTicker();
// Supervisors only: the Live view (the queue, agents' presence and load).
const liveView = document.getElementById("live-view") ? new LiveView({ toast: showToast }) : null;
const bell = new NotificationBell({ toast: showToast, openTicket });
const offers = new OfferCards({
  toast: showToast,
  onAccepted: (conversation) => {
    inbox.applySummary(conversation);
    showView("conversations");
    pane.open(conversation.id);
    rememberView();
  },
});
new MentionAutocomplete(document.getElementById("ticket-reply-body"));
// Canned replies (`/shortcut`, or the button) in both reply boxes.
composer.canned = new CannedPicker(document.getElementById("composer-input"), {
  context: () => (composer.conversation ? { conversation: composer.conversation.id } : null),
  sendAsText: () => composer.submit(),
  button: document.getElementById("composer-canned"),
  toast: showToast,
});
ticketDesk.canned = new CannedPicker(document.getElementById("ticket-reply-body"), {
  context: () => (ticketDesk.shown ? { ticket: ticketDesk.shown.id } : null),
  sendAsText: () => ticketDesk.reply(),
  button: document.getElementById("ticket-reply-canned"),
  toast: showToast,
});
// The Knowledge base tab: search, suggestions for the open chat, insert into its reply box.
const kb = new KbPanel({
  box: document.getElementById("composer-input"),
  canInsert: () => Boolean(composer.conversation),
  toast: showToast,
});
pane = new ConversationPane({
  kb,
  socket,
  inbox,
  timeline,
  composer,
  customerPanel,
  outbox,
  toast: showToast,
  tickets: ticketDesk,
});

// ---- views: conversations or tickets, kept in the URL ---------------------------------------
// `#c=<id>`: a conversation; `#tickets`: the Tickets view; `#t=<id>`: it, with that ticket open.

const viewButtons = {
  conversations: document.getElementById("view-conversations"),
  tickets: document.getElementById("view-tickets"),
  live: document.getElementById("view-live"),
};
if (!viewButtons.live) delete viewButtons.live;
let currentView = "conversations";

function showView(name) {
  currentView = name;
  app.classList.toggle("view-tickets", name === "tickets");
  app.classList.toggle("view-live", name === "live");
  for (const [key, button] of Object.entries(viewButtons)) {
    button.setAttribute("aria-pressed", String(key === name));
  }
  if (name === "tickets") {
    ticketList.show();
    slaWatch.show();
  } else if (name === "live") liveView.show();
  else showConversationCustomer();
}

let requesterLoading = null;

/** The Customer tab shows a ticket's requester (read through the customer API). */
async function showRequester(id) {
  if (customerPanel.customerId === id || requesterLoading === id) return;
  requesterLoading = id;
  customerPanel.loading();
  try {
    const detail = await api.customer(id);
    if (requesterLoading === id) customerPanel.show(detail);
  } catch {
    if (requesterLoading === id) customerPanel.clear();
  } finally {
    if (requesterLoading === id) requesterLoading = null;
  }
}

/** Back in the Conversations view: the Customer tab shows the open chat's customer again. */
function showConversationCustomer() {
  requesterLoading = null;
  const detail = pane.customerDetail;
  if (detail && customerPanel.customerId !== detail.customer.id) customerPanel.show(detail);
  else if (!detail && pane.id === null) customerPanel.clear();
}

/** Put the view (and the ticket the Tickets view opened) in the URL, for reloads and links. */
function rememberView(ticketId = null) {
  let hash = "";
  if (currentView === "tickets") hash = ticketId ? `#t=${ticketId}` : "#tickets";
  else if (currentView === "live") hash = "#live";
  else if (pane.id !== null) hash = `#c=${pane.id}`;
  history.replaceState(null, "", location.pathname + location.search + hash);
}

function openFromHash() {
  const conversation = /^#c=(\d+)$/.exec(location.hash);
  const ticket = /^#t=(\d+)$/.exec(location.hash);
  if (conversation) {
    showView("conversations");
    pane.open(Number(conversation[1]));
  } else if (ticket) {
    showView("tickets");
    openTicket(Number(ticket[1]));
  } else if (location.hash === "#tickets") {
    showView("tickets");
  } else if (location.hash === "#live" && liveView) {
    showView("live");
  }
}

for (const [name, button] of Object.entries(viewButtons)) {
  button.addEventListener("click", () => {
    showView(name);
    rememberView();
  });
}


// ---- tabs (filter tabs and side panel tabs) -------------------------------------------------

function selectTab(tab) {
  const list = tab.closest("[role=tablist]");
  for (const other of list.querySelectorAll("[role=tab]")) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    const panelId = other.getAttribute("aria-controls");
    if (panelId) document.getElementById(panelId).hidden = !selected;
  }
}

for (const list of document.querySelectorAll("[role=tablist]")) {
  list.addEventListener("click", (event) => {
    const tab = event.target.closest("[role=tab]");
    if (tab) selectTab(tab);
  });
  list.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const tabs = [...list.querySelectorAll("[role=tab]")];
    const index = tabs.indexOf(document.activeElement);
    if (index < 0) return;
    const step = event.key === "ArrowRight" ? 1 : -1;
    const next = tabs[(index + step + tabs.length) % tabs.length];
    selectTab(next);
    next.focus();
    event.preventDefault();
  });
}

// ---- side panel on narrow screens -----------------------------------------------------------

const sideToggle = document.getElementById("side-toggle");

function showSidePanel(open) {
  app.classList.toggle("side-open", open);
  sideToggle.setAttribute("aria-expanded", String(open));
}

sideToggle.addEventListener("click", () => showSidePanel(!app.classList.contains("side-open")));
document.getElementById("side-close").addEventListener("click", () => {
  showSidePanel(false);
  sideToggle.focus();
});

// ---- start (last: everything above is defined) ----------------------------------------------

window.addEventListener("hashchange", openFromHash);
inbox.start();
openFromHash();
socket.start();
