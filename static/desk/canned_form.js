// An agent's own canned replies, made and changed from the workspace: the "My canned reply"
// dialog (#canned-dialog), opened from a reply box's picker (canned.js) with "New reply" or an
// "Edit" on one of the agent's personal replies. Saved through /api/v1/canned-replies/.
import { api, errorText } from "./api.js";
import { fmt, t } from "./dom.js";

const $ = (id) => document.getElementById(id);

class CannedReplyDialog {
  constructor() {
    this.dialog = $("canned-dialog");
    this.form = $("canned-form");
    this.heading = $("canned-dialog-title");
    this.shortcut = $("canned-form-shortcut");
    this.title = $("canned-form-title");
    this.body = $("canned-form-body");
    this.language = $("canned-form-language");
    this.error = $("canned-form-error");
    this.remove = $("canned-form-delete");
    this.reply = null; // the reply being changed, null for a new one
    this.toast = () => {};
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    $("canned-form-cancel").addEventListener("click", () => this.dialog.close());
    this.remove.addEventListener("click", () => this.delete());
  }

  /** A new reply (`draft`: shortcut and body to start with) or one of ours (`reply`). */
  open({ reply = null, draft = {}, toast }) {
    this.reply = reply;
    this.toast = toast;
    this.heading.textContent = reply ? t.cannedEditTitle : t.cannedNewTitle;
    this.shortcut.value = reply?.shortcut ?? draft.shortcut ?? "";
    this.title.value = reply?.title ?? "";
    this.body.value = reply?.body ?? draft.body ?? "";
    this.language.value = reply?.language ?? (document.documentElement.lang === "en" ? "en" : "zh-hans");
    this.remove.hidden = !reply;
    this.error.hidden = true;
    this.dialog.showModal();
    (this.shortcut.value ? this.title : this.shortcut).focus();
  }

  async save() {
    const json = {
      shortcut: this.shortcut.value.trim(),
      title: this.title.value.trim(),
      body: this.body.value,
      language: this.language.value,
    };
    this.form.setAttribute("aria-busy", "true");
    try {
      const saved = this.reply
        ? await api.cannedUpdate(this.reply.id, json)
        : await api.cannedCreate(json);
      this.dialog.close();
      this.toast(fmt(t.cannedSaved, { word: `/${saved.shortcut}` }));
    } catch (error) {
      this.error.textContent = errorText(error);
      this.error.hidden = false;
    } finally {
      this.form.removeAttribute("aria-busy");
    }
  }

  async delete() {
    if (!this.reply) return;
    try {
      await api.cannedDelete(this.reply.id);
      this.dialog.close();
      this.toast(fmt(t.cannedDeleted, { word: `/${this.reply.shortcut}` }));
    } catch (error) {
      this.error.textContent = errorText(error);
      this.error.hidden = false;
    }
  }
}

let shared = null;

/** The one dialog of the page (both reply boxes use it). */
export function cannedReplyDialog() {
  shared ??= new CannedReplyDialog();
  return shared;
}
