/*
 * kefu web chat widget, its entry: widget.js (the loader customers embed) imports this module
 * and calls start(lang). Sending, opening and closing, and the wiring of the elements.
 */
import { MAX_LEN, setLang, T, uuid } from "./config.js";
import { addPending, flushPending, noteTyping, restorePending, scheduleReceipt, stopTyping, uploadFile } from "./outgoing.js";
import { ensureStarted, reconnectNow, socketLost } from "./socket.js";
import { CHOICE, RETRY, state, ui } from "./state.js";
import { buildDom, clearUnread, ensureStylesheet, scrollToBottom, setStatus, showNotice, updateCounter } from "./view.js";

function sendText(text) {
  const clean = String(text).replace(/\s+$/u, "");
  if (!clean.trim()) return;
  if (clean.length > MAX_LEN) {
    showNotice(T.tooLong);
    return;
  }
  addPending(uuid(), clean);
  stopTyping();
  flushPending();
  ensureStarted();
}

async function sendFile(file) {
  if (!file) return;
  if (file.size > state.uploadMax) {
    showNotice(T.fileTooLarge.replace("{mb}", String(Math.max(1, Math.floor(state.uploadMax / 1048576)))));
    return;
  }
  ensureStarted();
  showNotice(T.uploading);
  let uploaded;
  try {
    uploaded = await uploadFile(file);
  } catch (e) {
    showNotice(e && e.worded ? e.worded : T.uploadFailed);
    return;
  }
  ui.notice.hidden = true;
  addPending(uuid(), "", [{ ref: uploaded.ref, kind: uploaded.kind, name: uploaded.name, size: uploaded.size }]);
  flushPending();
}

function submitComposer() {
  const text = ui.input.value;
  if (!text.trim()) return;
  if (text.length > MAX_LEN) {
    showNotice(T.tooLong);
    return;
  }
  ui.input.value = "";
  updateCounter();
  sendText(text);
  ui.input.focus();
}

function setOpen(open) {
  state.open = open;
  ui.panel.hidden = !open;
  ui.root.classList.toggle("kefu-is-open", open);
  ui.launcher.setAttribute("aria-expanded", open ? "true" : "false");
  ui.launcher.setAttribute("aria-label", open ? T.close : T.open);
  ui.launcher.title = open ? T.close : T.open;
  ui.launcherOpenIcon.hidden = open;
  ui.launcherCloseIcon.hidden = !open;
  if (open) {
    clearUnread();
    ensureStarted();
    scheduleReceipt();
    scrollToBottom(true);
    // Don't steal focus on touch devices (opens the keyboard unexpectedly).
    if (!window.matchMedia || !window.matchMedia("(pointer: coarse)").matches) ui.input.focus();
  }
}

function wireEvents() {
  ui.launcher.addEventListener("click", () => setOpen(!state.open));
  ui.minimize.addEventListener("click", () => {
    setOpen(false);
    ui.launcher.focus();
  });
  ui.send.addEventListener("click", submitComposer);
  ui.input.addEventListener("input", () => {
    updateCounter();
    noteTyping();
  });
  ui.attach.addEventListener("click", () => ui.file.click());
  ui.file.addEventListener("change", () => {
    const files = Array.from(ui.file.files || []);
    ui.file.value = "";
    for (const f of files) sendFile(f);
  });
  ui.input.addEventListener("paste", (ev) => {
    const files = Array.from((ev.clipboardData && ev.clipboardData.files) || []);
    if (!files.length) return;
    ev.preventDefault();
    for (const f of files) sendFile(f);
  });
  ui.panel.addEventListener("dragover", (ev) => {
    if (!ev.dataTransfer || !Array.from(ev.dataTransfer.types || []).includes("Files")) return;
    ev.preventDefault();
    ui.panel.classList.add("kefu-dropping");
  });
  ui.panel.addEventListener("dragleave", (ev) => {
    if (ev.target === ui.panel) ui.panel.classList.remove("kefu-dropping");
  });
  ui.panel.addEventListener("drop", (ev) => {
    const files = Array.from((ev.dataTransfer && ev.dataTransfer.files) || []);
    ui.panel.classList.remove("kefu-dropping");
    if (!files.length) return;
    ev.preventDefault();
    for (const f of files) sendFile(f);
  });
  document.addEventListener("visibilitychange", scheduleReceipt);
  ui.input.addEventListener("keydown", (ev) => {
    // IME composition (pinyin) uses Enter to confirm candidates: never send then.
    if (ev.isComposing || ev.keyCode === 229) return;
    if (ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      submitComposer();
    }
  });
  ui.panel.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") {
      setOpen(false);
      ui.launcher.focus();
    }
  });
  // Reconnect promptly when the network comes back instead of waiting out backoff.
  window.addEventListener("online", reconnectNow);
  // The browser knows the network is gone: do not show 在线 over a dead socket.
  window.addEventListener("offline", () => {
    if (state.started && state.ws) socketLost();
    else if (state.started) setStatus("offline");
  });
  // Clicks inside a message (bubbles.js): an offered choice, a retry.
  ui.messages.addEventListener(CHOICE, (ev) => sendText(ev.detail));
  ui.messages.addEventListener(RETRY, () => {
    if (state.wsReady) flushPending();
    else reconnectNow();
  });
}

// profile.js (the pre-chat form and the offline ask) is a module of its own, loaded after
// the widget is up; it reads the widget through state.js's W.
function loadProfile() {
  import("../profile.js").catch(() => {
    /* the chat works without it */
  });
}

function init() {
  ensureStylesheet();
  buildDom();
  wireEvents();
  loadProfile();
  // Typed before a reload and never confirmed: shown again and sent when connected.
  if (restorePending() || state.token) ensureStarted();
}

let started = false;

/**
 * Start the widget (widget.js, the loader, calls this) in `lang` (the embed's data-lang,
 * else the browser's). Once per page, however often the embed snippet is included.
 */
export function start(lang) {
  if (started) return;
  started = true;
  setLang(lang || navigator.language || "en");
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
}
