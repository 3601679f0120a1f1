// The form of a menu option (转工单, docs/protocol.md "Widget menu"); loaded on the first choice.
// Submitting it makes a ticket; its card arrives in the chat over the socket like any message.

import { el } from "./view.js";

const LIMIT = 1000;

function field(question, t, lang) {
  const id = `menu-${question.key}`;
  const label = question.label[lang] || question.label.en;
  let input;
  if (question.kind === "choice") {
    input = el("select", { id, name: question.key }, el("option", { value: "" }, t.chooseOne));
    for (const choice of question.choices) input.append(el("option", { value: choice }, choice));
  } else if (question.kind === "textarea") {
    input = el("textarea", { id, name: question.key, rows: 3, maxlength: LIMIT });
  } else {
    input = el("input", { id, name: question.key, type: "text", maxlength: LIMIT });
  }
  if (question.required) input.setAttribute("aria-required", "true");
  return el(
    "div",
    { class: "field" },
    el("label", { for: id }, label, question.required ? " *" : ` (${t.optional})`),
    input,
    el("div", { class: "field-error", id: `${id}-error` }),
  );
}

function showErrors(form, errors) {
  for (const [key, messages] of Object.entries(errors)) {
    const node = form.querySelector(`#menu-${CSS.escape(key)}-error`);
    if (node) node.textContent = [].concat(messages).join(" ");
  }
}

/** Replace the composer with the option's questions until it is sent or cancelled. */
export function showMenuForm(refs, option, { t, lang, config, http, onClose }) {
  const form = refs.menuForm;
  const submit = el("button", { type: "submit", class: "primary" }, t.menuSubmit);
  const cancel = el("button", { type: "button", class: "link" }, t.menuCancel);
  const failure = el("div", { class: "field-error", role: "alert" });
  form.replaceChildren(el("h2", {}, option.label[lang] || option.label.en));
  for (const question of option.questions) form.append(field(question, t, lang));
  form.append(failure, el("div", { class: "actions" }, submit, cancel));
  form.hidden = false;
  refs.composer.hidden = true;

  const close = () => {
    form.hidden = true;
    form.replaceChildren();
    form.onsubmit = null;
    form.oninput = null;
    refs.composer.hidden = false;
    onClose();
  };
  cancel.addEventListener("click", close);
  form.oninput = (event) => {
    const error = event.target.name && form.querySelector(`#menu-${CSS.escape(event.target.name)}-error`);
    if (error) error.textContent = "";
  };
  form.onsubmit = async (event) => {
    event.preventDefault();
    const answers = {};
    let ok = true;
    for (const question of option.questions) {
      const value = form.elements[question.key].value.trim();
      answers[question.key] = value;
      const error = form.querySelector(`#menu-${CSS.escape(question.key)}-error`);
      error.textContent = question.required && !value ? t.required : "";
      ok = ok && !error.textContent;
    }
    if (!ok) return;
    submit.disabled = true;
    failure.textContent = "";
    try {
      await http.authed(config.menuUrl.replace("{id}", option.id), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ answers }),
      });
      close();
    } catch (error) {
      const body = (error.data && error.data.error) || {};
      if (body.fields && body.fields.answers) showErrors(form, body.fields.answers);
      else failure.textContent = t[body.code] || t.menuFailed;
      submit.disabled = false;
    }
  };
  form.querySelector("input, select, textarea")?.focus();
}
