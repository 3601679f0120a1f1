// The ticket panel's header editor: the subject (Edit or a click; Enter saves, Esc cancels), the
// assignee, team and category selects, the tags editor and the custom fields list; and how the
// timeline words these edits. Every edit goes through the panel's `change` (tickets.js): one
// PATCH, re-rendered from the answer, or the refusal shown and the old values back.

import { config, el, fmt, t, valueText } from "./dom.js";

export function fillSelect(select, entries, selected) {
  select.replaceChildren(
    ...entries.map(([value, label]) => el("option", { value: String(value), text: label })),
  );
  select.value = selected === null || selected === undefined ? "" : String(selected);
}

/** Config entries as select options, plus the ticket's current one if the config lacks it. */
function options(first, list, current) {
  const entries = list.map((x) => [x.id, x.name]);
  if (current && !list.some((x) => x.id === current.id)) entries.push([current.id, current.name]);
  return [first, ...entries];
}

const optional = (select) => (select.value ? Number(select.value) : null);

// Custom field values are any JSON: text is shown as it is, a yes/no as words, a list joined,
// an object (the chat's `context`, the customer's attributes) as rows of its own; null as nothing.
const GROUP_LABELS = { context: "deviceAndPage", customer_attributes: "attributes" };

function fieldLabel(key, parent = "") {
  if (!parent) return t[GROUP_LABELS[key]] || key;
  return (parent === "context" && t.ctx[key]) || key;
}

function isGroup(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A timeline value: the server stores non-text values as JSON. */
function eventValue(text) {
  if (!text || !/^[[{]/.test(text)) return text;
  try {
    return valueText(JSON.parse(text));
  } catch {
    return text;
  }
}

/** The timeline words of a field edit (a `system` event), or null for other events. */
export function fieldEventHead(event, actor) {
  const none = (value) => value || t.ticketNone;
  const values = { actor, old: none(event.old_value), new: none(event.new_value) };
  switch (event.action) {
    case "team_changed":
      return fmt(t.ticketEventTeam, values);
    case "category_changed":
      return fmt(t.ticketEventCategory, values);
    case "subject_changed":
      return fmt(t.ticketEventSubject, values);
    case "tagged":
      return fmt(t.ticketEventTagged, { actor, name: event.new_value });
    case "tag_removed":
      return fmt(t.ticketEventUntagged, { actor, name: event.old_value });
    case "field_changed": {
      const key = event.body;
      if (!event.new_value) return fmt(t.ticketEventFieldRemoved, { actor, key });
      const [oldText, newText] = [eventValue(event.old_value), eventValue(event.new_value)];
      if (!event.old_value) return fmt(t.ticketEventFieldSet, { actor, key, new: newText });
      return fmt(t.ticketEventFieldChanged, { ...values, old: oldText, new: newText, key });
    }
    case "merged_into":
      return fmt(t.ticketEventMergedInto, { actor, number: event.new_value });
    case "merged_from":
      return fmt(t.ticketEventMergedFrom, { actor, number: event.new_value });
    case "linked":
      return fmt(t.ticketEventLinked, { actor, number: event.new_value });
    case "notified":
      return fmt(t.ticketEventNotified, { actor, text: event.body });
    case "notice_held":
      return fmt(t.ticketEventNoticeHeld, {
        actor,
        text: event.body,
        due: event.new_value ? new Date(event.new_value).toLocaleString() : t.ticketNone,
      });
    case "sla_recomputed":
      return fmt(t.ticketEventSla, {
        policy: none(event.body),
        due: event.new_value ? new Date(event.new_value).toLocaleString() : t.ticketNone,
      });
    default:
      return null;
  }
}

export class TicketFields {
  constructor({ change }) {
    this.change = change; // (changes) => Promise<boolean>: true when the server took them
    const $ = (id) => document.getElementById(id);
    this.e = {
      subject: $("ticket-subject"),
      subjectRow: $("ticket-subject-row"),
      subjectEdit: $("ticket-subject-edit"),
      subjectInput: $("ticket-subject-input"),
      assignee: $("ticket-assignee"),
      team: $("ticket-team"),
      category: $("ticket-category"),
      tags: $("ticket-tags"),
      tagInput: $("ticket-tag-input"),
      fields: $("ticket-custom-fields"),
      fieldForm: $("ticket-field-form"),
      fieldKey: $("ticket-field-key"),
      fieldValue: $("ticket-field-value"),
      fieldAdd: $("ticket-field-add"),
      fieldCancel: $("ticket-field-cancel"),
    };
    this.detail = null;
    this.bind();
  }

  bind() {
    const e = this.e;
    e.subjectEdit.addEventListener("click", () => this.editSubject());
    e.subject.addEventListener("click", () => this.editSubject());
    e.subjectInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        this.saveSubject();
      } else if (event.key === "Escape") {
        event.preventDefault();
        this.closeSubject();
      }
    });
    e.assignee.addEventListener("change", () => this.change({ assignee_id: optional(e.assignee) }));
    e.team.addEventListener("change", () => this.change({ team_id: optional(e.team) }));
    e.category.addEventListener("change", () => this.change({ category_id: optional(e.category) }));
    e.tagInput.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      this.addTag();
    });
    e.fieldAdd.addEventListener("click", () => this.openField());
    e.fieldCancel.addEventListener("click", () => this.closeField());
    e.fieldForm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.closeField();
      }
    });
    e.fieldForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveField();
    });
  }

  render(detail) {
    const e = this.e;
    if (this.detail?.id !== detail.id) {
      this.closeSubject();
      this.closeField();
      e.tagInput.value = "";
    }
    this.detail = detail;
    e.subject.textContent = detail.subject;
    fillSelect(
      e.assignee,
      options(["", t.unassigned], config.agents, detail.assignee),
      detail.assignee?.id,
    );
    fillSelect(e.team, options(["", t.ticketNone], config.teams, detail.team), detail.team?.id);
    const categories = config.categories;
    fillSelect(e.category, options(["", t.ticketNone], categories, detail.category), detail.category?.id);
    e.tags.replaceChildren(...detail.tags.map((name) => this.tagChip(name)));
    // One order whatever the database keeps (PostgreSQL's jsonb sorts keys by length): plain
    // fields by name, then the groups (attributes, device and page).
    const entries = Object.entries(detail.custom_fields || {})
      .filter(([, value]) => value !== null)
      .sort(([a, x], [b, y]) => isGroup(x) - isGroup(y) || a.localeCompare(b));
    e.fields.replaceChildren(
      ...entries.map(([key, value]) => this.fieldRow(key, value)),
      // (replaceChildren would write a null as the text "null")
      ...(entries.length ? [] : [el("p", { class: "empty-text", text: t.ticketFieldsEmpty })]),
    );
  }

  // ---- subject ---------------------------------------------------------------------------------

  editSubject() {
    const e = this.e;
    if (!this.detail) return;
    e.subjectInput.value = this.detail.subject;
    e.subjectRow.hidden = true;
    e.subjectInput.hidden = false;
    e.subjectInput.focus();
    e.subjectInput.select();
  }

  closeSubject() {
    this.e.subjectInput.hidden = true;
    this.e.subjectRow.hidden = false;
  }

  async saveSubject() {
    const subject = this.e.subjectInput.value.trim();
    if (subject === this.detail?.subject) {
      this.closeSubject();
      return;
    }
    if (await this.change({ subject })) this.closeSubject();
  }

  // ---- tags ------------------------------------------------------------------------------------

  tagChip(name) {
    return el(
      "li",
      { class: "tag-chip", dataset: { tag: name } },
      el("span", { text: name }),
      el("button", {
        type: "button",
        class: "tag-remove",
        text: "×",
        "aria-label": fmt(t.ticketTagRemove, { name }),
        title: fmt(t.ticketTagRemove, { name }),
        onclick: () => this.change({ tags: this.detail.tags.filter((tag) => tag !== name) }),
      }),
    );
  }

  async addTag() {
    const input = this.e.tagInput;
    const name = input.value.trim();
    if (!name || !this.detail) return;
    if (this.detail.tags.includes(name) || (await this.change({ tags: [...this.detail.tags, name] }))) {
      input.value = "";
    }
  }

  // ---- custom fields ---------------------------------------------------------------------------

  fieldRow(key, value) {
    const group = isGroup(value);
    const text = group
      ? el(
          "dl",
          { class: "custom-field-group" },
          Object.entries(value)
            .filter(([, inner]) => inner !== null && inner !== undefined)
            .sort(([a], [b]) => a.localeCompare(b))
            .flatMap(([inner, item]) => [
              el("dt", { text: fieldLabel(inner, key) }),
              el("dd", { text: valueText(item, inner) }),
            ]),
        )
      : el("span", { class: "custom-field-value", text: valueText(value) });
    return el(
      "div",
      { class: `custom-field${group ? " is-group" : ""}`, dataset: { key } },
      el("dt", { text: fieldLabel(key), title: key }),
      el(
        "dd",
        {},
        text,
        // A group is the record of where the chat came from: removable, not edited as text.
        group
          ? null
          : el("button", {
              type: "button",
              class: "btn btn-ghost btn-sm",
              text: t.ticketEdit,
              "aria-label": fmt(t.ticketFieldEdit, { key }),
              onclick: () => this.openField(key, typeof value === "string" ? value : valueText(value)),
            }),
        el("button", {
          type: "button",
          class: "btn btn-ghost btn-sm",
          text: t.remove,
          "aria-label": fmt(t.ticketFieldRemove, { key }),
          onclick: () => this.change({ custom_fields: { [key]: null } }),
        }),
      ),
    );
  }

  openField(key = "", value = "") {
    const e = this.e;
    e.fieldKey.value = key;
    e.fieldKey.readOnly = Boolean(key);
    e.fieldValue.value = value;
    e.fieldForm.hidden = false;
    e.fieldAdd.hidden = true;
    (key ? e.fieldValue : e.fieldKey).focus();
  }

  closeField() {
    this.e.fieldForm.hidden = true;
    this.e.fieldAdd.hidden = false;
  }

  async saveField() {
    const key = this.e.fieldKey.value.trim();
    if (!key) {
      this.e.fieldKey.focus();
      return;
    }
    if (await this.change({ custom_fields: { [key]: this.e.fieldValue.value } })) this.closeField();
  }
}
