// A chat routed to this agent (`conversation.assigned`), or offered to them (`conversation.offered`,
// offer_card.js): a short tone and a blinking title until the tab is looked at. The inbox shows
// the chat in 我的 from the conversation.update that comes with it; this only makes sure the agent
// notices. Text comes from #desk-i18n.
import { t, fmt } from "./dom.js";

const baseTitle = document.title;
let blink = null;
let unseen = 0;
let audio = null;

function tone() {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.4);
  } catch {
    /* no sound (autoplay policy, no audio device): the title still says it */
  }
}

function stop() {
  clearInterval(blink);
  blink = null;
  unseen = 0;
  document.title = baseTitle;
}

export function newChatAssigned(conversation, showToast) {
  const name = (conversation && conversation.customer && conversation.customer.name) || "";
  showToast(fmt(t.newChatAssigned, { name }));
  attention(t.newChatsTitle);
}

/** The tone, and (while the tab is not looked at) a title that blinks `titleTemplate`
 * ("(%(n)s) New chat") with the count of what arrived unseen. */
export function attention(titleTemplate) {
  tone();
  if (document.visibilityState === "visible" && document.hasFocus()) return;
  unseen += 1;
  const alert = fmt(titleTemplate, { n: unseen });
  clearInterval(blink);
  let on = false;
  blink = setInterval(() => {
    on = !on;
    document.title = on ? alert : baseTitle;
  }, 1000);
  document.title = alert;
}

window.addEventListener("focus", stop);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") stop();
});
