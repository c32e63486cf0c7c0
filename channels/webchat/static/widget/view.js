/*
 * kefu web chat widget, its frame: the launcher, the panel and its parts, status, notices,
 * typing, scrolling, the counter and the unread badge.
 */
import { el } from "/assets/dom.js";
import { LANG, MAX_LEN, NOTICE_MS, ORIGIN, svgIcon, T, TYPING_SAFETY_MS } from "./config.js";
import { state, ui } from "./state.js";

export function ensureStylesheet() {
  const href = ORIGIN + "/webchat/widget.css";
  if (document.querySelector(`link[data-kefu-css]`)) return;
  const link = el("link", { rel: "stylesheet", href, "data-kefu-css": "1" });
  (document.head || document.documentElement).appendChild(link);
}

export function buildDom() {
  const root = el("div", { id: "kefu-root", className: "kefu-root", lang: LANG === "zh" ? "zh-CN" : "en" });

  // Launcher button ---------------------------------------------------------
  ui.launcher = el("button", {
    id: "kefu-launcher",
    type: "button",
    className: "kefu-launcher",
    "aria-controls": "kefu-panel",
    "aria-expanded": "false",
    "aria-label": T.open,
    title: T.open,
  });
  ui.launcherOpenIcon = el("span", { className: "kefu-launcher-icon kefu-icon-chat" }, svgIcon("chat"));
  ui.launcherCloseIcon = el("span", { className: "kefu-launcher-icon kefu-icon-close", hidden: true }, svgIcon("close"));
  ui.badge = el("span", { className: "kefu-badge", hidden: true, "aria-live": "polite" });
  ui.launcher.append(ui.launcherOpenIcon, ui.launcherCloseIcon, ui.badge);

  // Panel -------------------------------------------------------------------
  ui.panel = el("section", {
    id: "kefu-panel",
    className: "kefu-panel",
    role: "dialog",
    "aria-label": T.title,
    hidden: true,
  });

  const avatar = el("span", { className: "kefu-avatar", "aria-hidden": "true", text: LANG === "zh" ? "青" : "Q" });
  ui.status = el("span", { id: "kefu-status", className: "kefu-status", "data-state": "idle", role: "status" });
  ui.status.textContent = T.statusConnecting;
  const titleBox = el(
    "div",
    { className: "kefu-titlebox" },
    el("div", { className: "kefu-title", text: T.title }),
    el("div", { className: "kefu-subtitle" }, ui.status)
  );
  ui.minimize = el("button", {
    type: "button",
    className: "kefu-minimize",
    "aria-label": T.minimize,
    title: T.minimize,
  });
  ui.minimize.appendChild(svgIcon("close"));
  const header = el("header", { className: "kefu-header" }, avatar, titleBox, ui.minimize);

  ui.messages = el("div", {
    id: "kefu-messages",
    className: "kefu-messages",
    role: "log",
    "aria-live": "polite",
    "aria-label": T.messagesLabel,
  });
  // The welcome line is local UI, not a server message: it is deliberately
  // NOT a .kefu-msg so it never mixes with seq ordering or dedupe.
  ui.welcome = el(
    "div",
    { className: "kefu-welcome" },
    el("div", { className: "kefu-meta" }, el("span", { className: "kefu-name", text: T.bot })),
    el("div", { className: "kefu-bubble" }, el("div", { className: "kefu-welcome-text", text: T.welcome }))
  );
  ui.messages.appendChild(ui.welcome);

  ui.typing = el("div", { id: "kefu-typing", className: "kefu-typing", hidden: true, "aria-live": "polite" });
  ui.typing.append(
    el("span", { className: "kefu-dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")),
    el("span", { className: "kefu-typing-text", text: T.typing })
  );

  ui.notice = el("div", { className: "kefu-notice", hidden: true, role: "alert" });

  ui.input = el("textarea", {
    id: "kefu-input",
    className: "kefu-input",
    rows: "2",
    maxlength: String(MAX_LEN),
    placeholder: T.placeholder,
    "aria-label": T.placeholder,
  });
  ui.counter = el("span", { className: "kefu-counter", "aria-live": "off" });
  ui.send = el("button", { id: "kefu-send", type: "button", className: "kefu-send", "aria-label": T.send, title: T.send });
  ui.send.append(svgIcon("send"), el("span", { className: "kefu-send-label", text: T.send }));
  ui.file = el("input", { id: "kefu-file", type: "file", className: "kefu-file-input", hidden: true, tabindex: "-1" });
  ui.attach = el("button", { id: "kefu-attach", type: "button", className: "kefu-attach", "aria-label": T.attach, title: T.attach, text: "📎" });
  const composer = el(
    "div",
    { className: "kefu-composer" },
    ui.input,
    el("div", { className: "kefu-composer-bar" }, ui.attach, ui.file, ui.counter, ui.send)
  );
  const footer = el("div", { className: "kefu-footer", text: T.poweredBy });

  ui.panel.append(header, ui.messages, ui.typing, ui.notice, composer, footer);
  root.append(ui.panel, ui.launcher);
  document.body.appendChild(root);
  ui.root = root;
  updateCounter();
}

export function setStatus(kind) {
  ui.status.setAttribute("data-state", kind);
  ui.status.textContent =
    kind === "online" ? T.statusOnline : kind === "offline" ? T.statusOffline : T.statusConnecting;
}

export function showNotice(text) {
  if (!text) return;
  ui.notice.textContent = text;
  ui.notice.hidden = false;
  clearTimeout(state.noticeTimer);
  state.noticeTimer = setTimeout(() => {
    ui.notice.hidden = true;
  }, NOTICE_MS);
}

export function setTyping(on) {
  clearTimeout(state.typingTimer);
  ui.typing.hidden = !on;
  if (on) state.typingTimer = setTimeout(() => setTyping(false), TYPING_SAFETY_MS);
}

export function isNearBottom() {
  const m = ui.messages;
  return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
}

// `stick`: pass the result of isNearBottom() measured BEFORE adding nodes;
// measured afterwards, a tall new message would look like "user scrolled up".
export function scrollToBottom(stick) {
  const m = ui.messages;
  if (stick) {
    // Defer so layout includes just-added nodes.
    requestAnimationFrame(() => {
      m.scrollTop = m.scrollHeight;
    });
  }
}

export function updateCounter() {
  const n = ui.input.value.length;
  ui.counter.textContent = `${n}/${MAX_LEN}`;
  ui.counter.classList.toggle("kefu-counter-warn", n > MAX_LEN * 0.9);
  ui.send.disabled = ui.input.value.trim() === "";
}

export function bumpUnread() {
  state.unread += 1;
  ui.badge.textContent = state.unread > 99 ? "99+" : String(state.unread);
  ui.badge.hidden = false;
  ui.badge.setAttribute("aria-label", `${state.unread} ${T.unread}`);
}

export function clearUnread() {
  state.unread = 0;
  ui.badge.hidden = true;
  ui.badge.textContent = "";
}
