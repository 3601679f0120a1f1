// The composer: Enter sends, Shift+Enter (or an IME still composing) makes a new line; typing
// start/stop hints at most every 3 s; the attach button opens the file picker.

const TYPING_EVERY_MS = 3000;
const TYPING_IDLE_MS = 4000;

export class Composer {
  /** refs: {composer, input, attach, file}; onText(body) -> bool (taken); onFile(file); onTyping(state) -> bool (sent). */
  constructor(refs, { onText, onFile, onTyping }) {
    this.refs = refs;
    this.onTyping = onTyping;
    this.typingAt = 0;
    this.idle = null;
    const { composer, input, attach, file } = refs;
    const submit = () => {
      if (onText(input.value)) {
        input.value = "";
        this.autosize();
        this.stopTyping();
      }
    };
    composer.addEventListener("submit", (event) => {
      event.preventDefault();
      submit();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
    input.addEventListener("input", () => {
      this.autosize();
      if (input.value && Date.now() - this.typingAt > TYPING_EVERY_MS && this.onTyping("start")) {
        this.typingAt = Date.now();
      }
      clearTimeout(this.idle);
      this.idle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
    });
    attach.addEventListener("click", () => file.click());
    file.addEventListener("change", () => {
      const chosen = file.files[0];
      file.value = "";
      if (chosen) onFile(chosen);
    });
  }

  stopTyping() {
    clearTimeout(this.idle);
    if (this.typingAt) this.onTyping("stop");
    this.typingAt = 0;
  }

  autosize() {
    const input = this.refs.input;
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
  }
}
