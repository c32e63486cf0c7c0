/*
 * Notifications: a short sound (can be turned off) and a desktop notification when a customer
 * writes in the queue or in one of my conversations, or a conversation is newly given to me,
 * unless it is the conversation I am looking at.
 *
 * Works from the lists the console refreshes anyway (their `unread` counts and who holds
 * what), so nothing new is asked of the server. The first lists after login set the baseline:
 * old unread messages do not ring. The bell button toggles the sound; the first click also
 * asks the browser for permission to show desktop notifications.
 */
import { K } from "./console/kit.js";

const SOUND_KEY = "kefu.console.sound";
const STRINGS = {
  zh: { on: "提示音：开（点击关闭）", off: "提示音：关（点击打开）", message: "新消息", assigned: "新分配的会话" },
  en: { on: "Sound on (click to turn off)", off: "Sound off (click to turn on)", message: "New message", assigned: "New conversation for you" },
};
const t = (key) => STRINGS[K.lang() === "en" ? "en" : "zh"][key];
let known = null; // conversation id -> {unread, mine}
let audio = null;

function soundOn() {
  try {
    return localStorage.getItem(SOUND_KEY) !== "off";
  } catch (_) {
    return true;
  }
}

function beep() {
  if (!soundOn()) return;
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    audio = audio || new Ctx();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.08;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.15);
  } catch (_) {
    /* no sound: the badge and the title still say it */
  }
}

function desktop(title, body, id) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    // Shown as plain text by the system: customer text is safe here.
    const n = new Notification(title, { body: String(body || "").slice(0, 140), tag: `kefu-conv-${id}` });
    n.onclick = () => {
      window.focus();
      K.openConversation(id);
      n.close();
    };
  } catch (_) {
    /* some browsers only allow notifications from a service worker */
  }
}

function onScreen(id) {
  const cur = K.current();
  return cur && String(cur.id) === String(id) && document.visibilityState === "visible";
}

function check(lists) {
  const me = K.me();
  if (!me) return;
  const now = new Map();
  for (const key of ["queued", "mine"]) {
    for (const c of lists[key] || []) {
      const mine = !!(c.assignee && String(c.assignee.id) === String(me.id));
      now.set(c.id, { unread: Number(c.unread) || 0, mine, conv: c });
    }
  }
  if (known === null) {
    known = now; // the baseline: what was waiting before this page does not ring
    return;
  }
  let ring = false;
  for (const [id, cur] of now) {
    const before = known.get(id);
    const name = (cur.conv.contact && cur.conv.contact.name) || `#${id}`;
    const text = (cur.conv.last_message && !cur.conv.last_message.private && cur.conv.last_message.text) || "";
    if (onScreen(id)) continue;
    if (cur.mine && (!before || !before.mine)) {
      ring = true;
      desktop(`${t("assigned")} · ${name}`, text, id);
    } else if (cur.unread > (before ? before.unread : 0)) {
      ring = true;
      desktop(`${t("message")} · ${name}`, text, id);
    }
  }
  known = now;
  if (ring) beep();
}

function renderButton() {
  const btn = document.getElementById("sound-toggle");
  if (!btn) return;
  const on = soundOn();
  btn.textContent = on ? "🔔" : "🔕";
  btn.title = on ? t("on") : t("off");
  btn.setAttribute("aria-label", btn.title);
  btn.setAttribute("aria-pressed", on ? "true" : "false");
}

function build() {
  const lang = document.getElementById("lang-toggle");
  if (!lang || document.getElementById("sound-toggle")) return;
  const btn = K.el("button", { type: "button", id: "sound-toggle", className: "lang-btn" });
  btn.addEventListener("click", () => {
    try {
      localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on");
    } catch (_) {
      /* kept for this page only */
    }
    if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
    renderButton();
  });
  lang.parentNode.insertBefore(btn, lang);
  renderButton();
}

K.hooks.lists.push(check);
K.hooks.lang.push(renderButton);
K.hooks.app.push(() => {
  known = null; // a new login sets a new baseline
  build();
});
