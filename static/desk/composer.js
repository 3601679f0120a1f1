// The reply box and the outbox. Every message gets its client_msg_id when it is written and
// keeps it until the server acknowledges it; unsent messages survive a reconnect (and a reload
// of the tab, through sessionStorage) and are sent again, which never stores a second copy.

import { api, errorText } from "./api.js";
import { config, el, fmt, randomId, t } from "./dom.js";

const OUTBOX_KEY = `unidesk.outbox.${config.agentId}`;
const TRANSIENT = new Set(["not_connected", "connection_lost", "timeout"]);
const TYPING_REPEAT_MS = 3000;
const TYPING_IDLE_MS = 4000;

export class Outbox {
  constructor({ socket, onAck, onChange }) {
    this.socket = socket;
    this.onAck = onAck;
    this.onChange = onChange;
    this.items = [];
    this.inFlight = new Set();
    try {
      this.items = JSON.parse(sessionStorage.getItem(OUTBOX_KEY) || "[]");
    } catch {
      this.items = [];
    }
  }

  save() {
    sessionStorage.setItem(OUTBOX_KEY, JSON.stringify(this.items));
  }

  forConversation(id) {
    return this.items.filter((item) => item.conversation_id === id);
  }

  add(item) {
    this.items.push(item);
    this.save();
    this.onChange(item);
    this.send(item);
  }

  remove(clientMsgId) {
    this.items = this.items.filter((item) => item.client_msg_id !== clientMsgId);
    this.save();
  }

  retry(item) {
    item.error = null;
    this.save();
    this.onChange(item);
    this.send(item);
  }

  /** Send everything still waiting (after a (re)connect). */
  flush() {
    for (const item of this.items) if (!item.error) this.send(item);
  }

  async send(item) {
    if (this.inFlight.has(item.client_msg_id) || !this.socket.connected) return;
    this.inFlight.add(item.client_msg_id);
    try {
      const ack = await this.socket.request({
        type: "message.send",
        conversation_id: item.conversation_id,
        client_msg_id: item.client_msg_id,
        body: item.body,
        is_internal: item.is_internal,
        attachment_ids: item.attachment_ids,
      });
      this.remove(item.client_msg_id);
      this.onAck(ack);
    } catch (error) {
      if (error.code === "rate_limited") {
        setTimeout(() => this.send(item), 3000);
      } else if (!TRANSIENT.has(error.code)) {
        item.error = t.sendErrors[error.code] || error.message || t.sendFailed;
        this.save();
        this.onChange(item);
      }
      // Transient: it stays queued and goes out again on the next hello.
    } finally {
      this.inFlight.delete(item.client_msg_id);
    }
  }
}

export class Composer {
  constructor({ socket, outbox, toast }) {
    this.socket = socket;
    this.outbox = outbox;
    this.toast = toast;
    this.form = document.getElementById("composer");
    this.input = document.getElementById("composer-input");
    this.internal = document.getElementById("composer-internal");
    this.fileInput = document.getElementById("composer-file");
    this.files = document.getElementById("composer-files");
    this.sendButton = document.getElementById("composer-send");
    this.closedNotice = document.getElementById("composer-closed");
    this.draftButton = document.getElementById("composer-draft");
    this.drafting = null; // the conversation id a reply draft is being written for
    this.conversation = null;
    this.canned = null; // the CannedPicker on this box (canned.js), set by workspace.js
    this.uploads = []; // {key, name, attachment|null, failed}
    this.typingSentAt = 0;
    this.typingTimer = null;

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => {
      this.autosize();
      this.typing();
    });
    this.internal.addEventListener("change", () => this.refresh());
    document.getElementById("composer-attach").addEventListener("click", () => this.fileInput.click());
    this.draftButton.hidden = !config.assistDrafts;
    this.draftButton.addEventListener("click", () => this.draft());
    this.fileInput.addEventListener("change", () => {
      for (const file of this.fileInput.files) this.upload(file);
      this.fileInput.value = "";
    });
  }

  /** The composer now writes into this conversation (a summary) or nothing (null). */
  setConversation(conv) {
    const changed = conv?.id !== this.conversation?.id;
    if (changed) {
      this.canned?.reset();
      this.stopTyping();
      this.input.value = "";
      this.internal.checked = false;
      for (const entry of this.uploads) this.discard(entry);
      this.uploads = [];
      this.renderUploads();
      this.autosize();
    }
    this.conversation = conv;
    this.refresh();
  }

  refresh() {
    const closed = this.conversation?.status === "closed";
    const note = this.internal.checked;
    this.form.classList.toggle("is-note", note);
    this.input.placeholder = note ? t.notePlaceholder : t.replyPlaceholder;
    this.closedNotice.hidden = !(closed && !note);
    const uploading = this.uploads.some((u) => !u.attachment && !u.failed);
    this.sendButton.disabled = !this.conversation || (closed && !note) || uploading;
    this.sendButton.textContent = note ? t.addNote : t.send;
    this.draftButton.disabled = !this.conversation || note || this.drafting !== null;
  }

  autosize() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 200)}px`;
  }

  submit() {
    if (this.sendButton.disabled || !this.conversation) return;
    const body = this.input.value;
    const ready = this.uploads.filter((u) => u.attachment);
    if (!body.trim() && !ready.length) return;
    // A message that starts with a `/word` goes only once the agent has seen the picker.
    if (this.canned && !this.canned.guard(body)) return;
    this.stopTyping();
    this.outbox.add({
      conversation_id: this.conversation.id,
      client_msg_id: randomId(),
      body,
      is_internal: this.internal.checked,
      attachment_ids: ready.map((u) => u.attachment.id),
      attachments: ready.map((u) => u.attachment),
      error: null,
    });
    this.input.value = "";
    this.uploads = [];
    this.renderUploads();
    this.autosize();
    this.refresh();
    this.input.focus();
  }

  /** Ask the language model for a reply; it fills the box (after anything the agent already
   * typed) and is never sent from here. */
  async draft() {
    const conversationId = this.conversation?.id;
    if (!conversationId || this.drafting !== null) return;
    this.drafting = conversationId;
    this.draftButton.classList.add("is-busy");
    this.draftButton.setAttribute("aria-busy", "true");
    this.draftButton.dataset.label ||= this.draftButton.textContent;
    this.draftButton.textContent = t.draftingReply;
    this.refresh();
    try {
      const { draft } = await api.replyDraft(conversationId);
      if (this.conversation?.id === conversationId) {
        const typed = this.input.value.trim();
        this.input.value = typed ? `${this.input.value.trimEnd()}\n\n${draft}` : draft;
        this.input.focus();
        this.input.setSelectionRange(this.input.value.length, this.input.value.length);
        this.input.dispatchEvent(new Event("input", { bubbles: true }));
      }
    } catch (error) {
      const reason = error.code === "network" ? t.networkError : errorText(error);
      this.toast(`${t.draftFailed} ${reason}`, { error: true });
    } finally {
      this.drafting = null;
      this.draftButton.classList.remove("is-busy");
      this.draftButton.removeAttribute("aria-busy");
      this.draftButton.textContent = this.draftButton.dataset.label;
      this.refresh();
    }
  }

  async upload(file) {
    const conversationId = this.conversation?.id;
    if (!conversationId) return;
    const entry = { key: randomId(), name: file.name, attachment: null, failed: false };
    this.uploads.push(entry);
    this.renderUploads();
    try {
      entry.attachment = await api.upload(conversationId, file);
      entry.conversationId = conversationId;
      if (entry.removed) this.discard(entry); // the chip went while it was uploading
    } catch (error) {
      entry.failed = true;
      this.toast(fmt(t.uploadFailed, { name: file.name, reason: error.message || t.networkError }), {
        error: true,
      });
      this.uploads = this.uploads.filter((u) => u !== entry);
    }
    if (this.conversation?.id === conversationId) this.renderUploads();
  }

  renderUploads() {
    this.files.replaceChildren(
      ...this.uploads.map((entry) =>
        el(
          "span",
          { class: `file-chip${entry.attachment ? "" : " is-uploading"}` },
          el("span", { class: "file-chip-name", text: entry.name }),
          entry.attachment ? null : el("span", { class: "file-chip-state", text: t.uploading }),
          el("button", {
            type: "button",
            class: "file-chip-remove",
            title: t.remove,
            "aria-label": fmt(t.removeFile, { name: entry.name }),
            text: "×",
            onclick: () => {
              this.uploads = this.uploads.filter((u) => u !== entry);
              this.discard(entry);
              this.renderUploads();
            },
          }),
        ),
      ),
    );
    this.files.hidden = this.uploads.length === 0;
    this.refresh();
  }

  /** A chip left the composer unsent: its upload is deleted on the server (once it exists). */
  discard(entry) {
    entry.removed = true;
    if (!entry.attachment) return;
    api.discardUpload(entry.conversationId, entry.attachment.id).catch(() => {
      /* already gone, or swept later by the server */
    });
    entry.attachment = null;
  }

  typing() {
    if (!this.conversation || !this.socket.connected) return;
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_REPEAT_MS) {
      this.typingSentAt = now;
      this.sendTyping("start");
    }
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.typingTimer);
    if (this.typingSentAt && this.conversation) this.sendTyping("stop");
    this.typingSentAt = 0;
  }

  sendTyping(state) {
    this.socket.send({
      type: "typing",
      conversation_id: this.conversation.id,
      state,
      is_internal: this.internal.checked,
    });
  }
}
