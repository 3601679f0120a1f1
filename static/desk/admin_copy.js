// The channel account admin's webhook URL: shown as a full address (this server's, unless
// PUBLIC_BASE_URL is set) with a button that copies it.

for (const code of document.querySelectorAll("[data-copy-url]")) {
  const base = code.dataset.base || window.location.origin;
  code.textContent = base + code.textContent;
  const button = code.parentElement.querySelector("[data-copy-button]");
  if (!button) continue;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(code.textContent);
    } catch {
      const range = document.createRange(); // no clipboard permission: select it for Ctrl+C
      range.selectNodeContents(code);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      return;
    }
    button.textContent = button.dataset.copied;
    setTimeout(() => {
      button.textContent = label;
    }, 1500);
  });
}
