// The admin's knowledge base article form: the Preview field follows the Markdown body as the
// supervisor types (rendered and sanitised by the server, rebuilt by safe_html.js).
import { articleNodes } from "./safe_html.js";

const DEBOUNCE_MS = 400;
const body = document.getElementById("id_body");
const preview = document.querySelector("[data-kb-preview]");

if (body && preview) {
  let timer = null;
  let seq = 0;
  const render = async () => {
    const mine = ++seq;
    const form = new FormData();
    form.append("body", body.value);
    const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    const response = await fetch(preview.dataset.kbPreview, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf ? csrf.value : "", Accept: "application/json" },
    }).catch(() => null);
    if (!response || !response.ok || mine !== seq) return;
    const { html } = await response.json();
    if (mine === seq) preview.replaceChildren(...articleNodes(html));
  };
  body.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(render, DEBOUNCE_MS);
  });
  if (!preview.childNodes.length && body.value) render();
}
