/*
 * kefu web chat widget.
 *
 * Embed with:
 *   <script src="https://support.example.com/webchat/widget.js" data-lang="zh" defer></script>
 *
 * Plain ES2020, no dependencies, no build step. Everything the customer or the
 * agent wrote is rendered with textContent; the widget never uses innerHTML.
 * It works under a strict CSP (no inline styles/scripts): all styling lives in
 * widget.css, visibility is toggled with the `hidden` attribute and classes.
 *
 * Protocol summary (see the backend for the authoritative version):
 *   POST /api/webchat/sessions {token?, locale?} -> {token, conversation_id, expires_at}
 *   WS   /api/webchat/ws?token=...  ready -> resume{after_seq} -> message* -> resumed
 */
(() => {
  "use strict";

  // Guard against the script being included twice on one page.
  if (window.__kefuWidgetLoaded) return;
  window.__kefuWidgetLoaded = true;

  const MAX_LEN = 2000;
  const TOKEN_KEY = "kefu.token";
  const SEQ_KEY_PREFIX = "kefu.seq.";
  const PING_INTERVAL_MS = 25000;
  // A socket that stays silent this long after our ping is dead even if the browser has not
  // noticed (a network that dropped without closing anything): show it and reconnect.
  const PONG_TIMEOUT_MS = 10000;
  // A message not confirmed by the server this long is shown as not sent (and resent).
  const ACK_TIMEOUT_MS = 10000;
  // Messages typed but not yet confirmed, kept across reloads until the server has them.
  const PENDING_KEY = "kefu.pending";
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const TYPING_SAFETY_MS = 30000; // hide a stuck typing indicator after this
  const NOTICE_MS = 6000;

  // ---------------------------------------------------------------------------
  // Where we are served from, and in which language we speak.
  // ---------------------------------------------------------------------------

  // document.currentScript is set while a classic (also deferred) script runs;
  // the fallback covers async loaders that inject us differently.
  const scriptEl =
    document.currentScript ||
    Array.from(document.querySelectorAll("script[src]")).find((s) =>
      /\/webchat\/widget\.js(\?|#|$)/.test(s.src)
    ) ||
    null;

  const scriptUrl = new URL(scriptEl && scriptEl.src ? scriptEl.src : "/webchat/widget.js", location.href);
  const ORIGIN = scriptUrl.origin;
  const WS_ORIGIN = (scriptUrl.protocol === "https:" ? "wss://" : "ws://") + scriptUrl.host;

  function pickLang() {
    const attr = scriptEl && scriptEl.getAttribute("data-lang");
    const raw = (attr || navigator.language || "en").toLowerCase();
    return raw.startsWith("zh") ? "zh" : "en";
  }
  const LANG = pickLang();

  const STRINGS = {
    zh: {
      title: "青禾家电 在线客服",
      subtitle: "通常几分钟内回复",
      welcome: "您好！我是青禾家电智能助手，请描述您的问题。输入“转人工”可联系人工客服。",
      open: "打开在线客服",
      close: "关闭在线客服",
      minimize: "收起",
      placeholder: "请输入您的问题…（Enter 发送，Shift+Enter 换行）",
      send: "发送",
      bot: "智能助手",
      agent: "客服",
      you: "我",
      typing: "客服正在输入…",
      sending: "发送中…",
      failed: "发送失败",
      unsent: "未发送，网络恢复后会自动重发",
      retry: "重试",
      tooLong: "消息过长，最多 2000 字",
      statusConnecting: "连接中…",
      statusOnline: "在线",
      statusOffline: "连接已断开，正在重连…",
      unread: "条新消息",
      poweredBy: "由 kefu 提供支持",
      messagesLabel: "聊天记录",
      choicesHint: "您是想问：",
      helpful: "有帮助吗？",
      helpfulYes: "有帮助",
      helpfulNo: "没帮助",
      helpfulThanks: "感谢反馈！",
      rateLabel: "请为本次服务打分",
      rates: ["很不满意", "不满意", "一般", "满意", "非常满意"],
      attach: "发送图片或文件",
      uploading: "上传中…",
      uploadFailed: "上传失败，请重试",
      fileTooLarge: "文件太大，最大 {mb} MB",
      fileType: "不支持这种文件，可以发送图片、PDF、文本、Office 文档、ZIP、MP4 或 MP3",
      picture: "图片",
      dropHere: "松开即可发送文件",
      read: "已读",
    },
    en: {
      title: "Qinghe Support",
      subtitle: "We usually reply within minutes",
      welcome:
        "Hello! I'm the Qinghe Home Appliances assistant. Please describe your issue. Type \u201chuman\u201d (or \u201c转人工\u201d) to reach a person.",
      open: "Open customer support chat",
      close: "Close customer support chat",
      minimize: "Minimize",
      placeholder: "Type your question… (Enter to send, Shift+Enter for a new line)",
      send: "Send",
      bot: "Assistant",
      agent: "Agent",
      you: "You",
      typing: "Typing…",
      sending: "Sending…",
      failed: "Not sent",
      unsent: "Not sent yet; it will be resent when you are back online",
      retry: "Retry",
      tooLong: "Message too long (max 2000 characters)",
      statusConnecting: "Connecting…",
      statusOnline: "Online",
      statusOffline: "Disconnected, reconnecting…",
      unread: "new messages",
      poweredBy: "Powered by kefu",
      messagesLabel: "Conversation",
      choicesHint: "Did you mean:",
      helpful: "Helpful?",
      helpfulYes: "Helpful",
      helpfulNo: "Not helpful",
      helpfulThanks: "Thanks for the feedback!",
      rateLabel: "Rate this service",
      rates: ["Very dissatisfied", "Dissatisfied", "Okay", "Satisfied", "Very satisfied"],
      attach: "Send a picture or a file",
      uploading: "Uploading…",
      uploadFailed: "Upload failed, please try again",
      fileTooLarge: "The file is too large (max {mb} MB)",
      fileType: "This type of file cannot be sent; pictures, PDF, text, Office documents, ZIP, MP4 and MP3 can",
      picture: "Picture",
      dropHere: "Drop to send the file",
      read: "Read",
    },
  };
  const T = STRINGS[LANG];

  // ---------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === "text") node.textContent = v;
        else if (k === "className") node.className = v;
        else node.setAttribute(k, v === true ? "" : String(v));
      }
    }
    for (const c of children) if (c) node.appendChild(c);
    return node;
  }

  // A static chat-bubble icon built with DOM calls (no innerHTML anywhere).
  function svgIcon(kind) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "26");
    svg.setAttribute("height", "26");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(NS, "path");
    path.setAttribute("fill", "currentColor");
    if (kind === "close") {
      path.setAttribute(
        "d",
        "M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 0 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4z"
      );
    } else if (kind === "send") {
      path.setAttribute("d", "M3.4 20.4 21.5 12 3.4 3.6 3.4 10.1 16 12 3.4 13.9z");
    } else {
      path.setAttribute(
        "d",
        "M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1L4.5 21l3.9-2.1c1.1.3 2.3.5 3.6.5 5.5 0 10-3.8 10-8.5S17.5 3 12 3zm-4 9.8a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6zm4 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6zm4 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6z"
      );
    }
    svg.appendChild(path);
    return svg;
  }

  // localStorage can throw (Safari private mode, storage disabled); degrade to memory.
  const memStore = new Map();
  const store = {
    get(k) {
      try {
        return window.localStorage.getItem(k);
      } catch (_) {
        return memStore.has(k) ? memStore.get(k) : null;
      }
    },
    set(k, v) {
      try {
        window.localStorage.setItem(k, v);
      } catch (_) {
        memStore.set(k, v);
      }
    },
    del(k) {
      try {
        window.localStorage.removeItem(k);
      } catch (_) {
        memStore.delete(k);
      }
    },
  };

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    // Fallback for non-secure contexts (plain http on a LAN host), where randomUUID is absent.
    const b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const timeFmt = (() => {
    try {
      return new Intl.DateTimeFormat(LANG === "zh" ? "zh-CN" : "en", { hour: "2-digit", minute: "2-digit" });
    } catch (_) {
      return null;
    }
  })();
  function fmtTime(iso) {
    if (!iso || !timeFmt) return "";
    const d = new Date(iso);
    return isNaN(d.getTime()) ? "" : timeFmt.format(d);
  }

  // ---------------------------------------------------------------------------
  // Stylesheet + DOM
  // ---------------------------------------------------------------------------

  function ensureStylesheet() {
    const href = ORIGIN + "/webchat/widget.css";
    if (document.querySelector(`link[data-kefu-css]`)) return;
    const link = el("link", { rel: "stylesheet", href, "data-kefu-css": "1" });
    (document.head || document.documentElement).appendChild(link);
  }

  const ui = {};

  function buildDom() {
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

  // ---------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------

  const state = {
    token: store.get(TOKEN_KEY),
    conversationId: null,
    ws: null,
    wsReady: false, // true after "resumed": safe to send messages
    maxSeq: 0, // highest seq rendered in this page
    seen: new Map(), // seq -> element
    // client_msg_id -> {text, el, timer, status: "queued"|"sending"|"unsent"|"failed"}:
    // "unsent" (no answer, network) is resent by itself; "failed" (refused) waits for "retry".
    pending: new Map(),
    pongTimer: null,
    open: false,
    started: false,
    backoff: 0,
    reconnectTimer: null,
    pingTimer: null,
    typingTimer: null,
    noticeTimer: null,
    unread: 0,
    connecting: false,
    uploadMax: 10 * 1024 * 1024, // the server says the real limit with the session
    typingSentAt: 0, // when "typing on" last went out (throttled)
    typingIdle: null,
    receipt: { delivered: 0, read: 0 }, // the marks last reported
    receiptTimer: null,
  };

  function seqKey() {
    return SEQ_KEY_PREFIX + state.conversationId;
  }
  function storedSeq() {
    const n = parseInt(store.get(seqKey()) || "0", 10);
    return Number.isFinite(n) ? n : 0;
  }

  // ---------------------------------------------------------------------------
  // Status / notices / typing
  // ---------------------------------------------------------------------------

  function setStatus(kind) {
    ui.status.setAttribute("data-state", kind);
    ui.status.textContent =
      kind === "online" ? T.statusOnline : kind === "offline" ? T.statusOffline : T.statusConnecting;
  }

  function showNotice(text) {
    if (!text) return;
    ui.notice.textContent = text;
    ui.notice.hidden = false;
    clearTimeout(state.noticeTimer);
    state.noticeTimer = setTimeout(() => {
      ui.notice.hidden = true;
    }, NOTICE_MS);
  }

  function setTyping(on) {
    clearTimeout(state.typingTimer);
    ui.typing.hidden = !on;
    if (on) state.typingTimer = setTimeout(() => setTyping(false), TYPING_SAFETY_MS);
  }

  // ---------------------------------------------------------------------------
  // Rendering messages
  // ---------------------------------------------------------------------------

  function isNearBottom() {
    const m = ui.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
  }
  // `stick`: pass the result of isNearBottom() measured BEFORE adding nodes;
  // measured afterwards, a tall new message would look like "user scrolled up".
  function scrollToBottom(stick) {
    const m = ui.messages;
    if (stick) {
      // Defer so layout includes just-added nodes.
      requestAnimationFrame(() => {
        m.scrollTop = m.scrollHeight;
      });
    }
  }

  function senderLabel(frame) {
    switch (frame.sender) {
      case "bot":
        return T.bot;
      case "agent":
        return frame.agent_name || T.agent;
      case "customer":
        return T.you;
      default:
        return "";
    }
  }

  // Build the element for a message (confirmed or pending).
  function buildMessage(frame) {
    const sender = ["customer", "bot", "agent", "system"].includes(frame.sender) ? frame.sender : "system";
    const node = el("div", {
      className: "kefu-msg kefu-msg-" + sender,
      "data-sender": sender,
      "data-seq": frame.seq != null ? String(frame.seq) : "",
    });
    if (frame.client_msg_id) node.setAttribute("data-client-msg-id", frame.client_msg_id);

    if (sender !== "system" && sender !== "customer") {
      const meta = el("div", { className: "kefu-meta" }, el("span", { className: "kefu-name", text: senderLabel(frame) }));
      node.appendChild(meta);
    }
    const bubble = el("div", { className: "kefu-bubble" });
    const text = el("div", { className: "kefu-text" });
    text.textContent = frame.text == null ? "" : String(frame.text);
    if (text.textContent) bubble.appendChild(text);
    if (Array.isArray(frame.attachments) && frame.attachments.length) bubble.appendChild(buildFiles(frame.attachments));
    node.appendChild(bubble);

    if (Array.isArray(frame.choices) && frame.choices.length) {
      const box = el("div", { className: "kefu-choices", role: "group", "aria-label": T.choicesHint });
      for (const c of frame.choices) {
        if (!c || c.n == null) continue;
        const label = String(c.label || "");
        const btn = el("button", { type: "button", className: "kefu-choice", "data-n": String(c.n) });
        btn.append(el("span", { className: "kefu-choice-label", text: label }));
        btn.addEventListener("click", () => {
          // Mark the choice, freeze the group: a choice is answered once. The label is sent
          // (not its number), so the transcript says which question the customer picked.
          btn.classList.add("kefu-chosen");
          for (const b of box.querySelectorAll(".kefu-choice")) b.disabled = true;
          sendText(label || String(c.n));
        });
        box.appendChild(btn);
      }
      node.appendChild(box);
    }

    if (frame.seq != null && sender === "bot" && (frame.entry_id || frame.feedback === "helpful")) {
      node.appendChild(buildHelpful(frame.seq));
    }
    if (frame.seq != null && frame.survey) node.appendChild(buildSurvey(frame.seq, frame.rating));

    const foot = el("div", { className: "kefu-foot" });
    const time = el("span", { className: "kefu-time", text: fmtTime(frame.created_at) });
    foot.appendChild(time);
    if (frame.seq == null) {
      foot.appendChild(el("span", { className: "kefu-state", text: T.sending }));
    }
    node.appendChild(foot);
    return node;
  }

  // 👍/👎 under a bot answer from the knowledge base: {"type":"feedback","seq":N,"value":"up"}.
  // Files of a message: pictures previewed, other files as download links. The links are
  // signed by the server for this conversation; nothing here is ever parsed as HTML.
  function buildFiles(files) {
    const box = el("div", { className: "kefu-files" });
    for (const a of files) {
      if (!a) continue;
      const kb = Math.max(1, Math.round((Number(a.size) || 0) / 1024));
      const label = (a.name || T.picture) + " · " + kb + " KB";
      const src = a.url ? new URL(String(a.url), ORIGIN + "/").href : "";
      if (!/^https?:/.test(src)) {
        // Not stored yet (a pending message): its name until the server's echo replaces it.
        box.appendChild(el("span", { className: "kefu-file kefu-file-pending", text: (a.kind === "image" ? "🖼 " : "📎 ") + label }));
      } else if (a.kind === "image") {
        const link = el("a", { className: "kefu-file kefu-file-image", href: src, target: "_blank", rel: "noopener noreferrer" });
        link.appendChild(el("img", { className: "kefu-image", src, alt: label }));
        box.appendChild(link);
      } else {
        box.appendChild(el("a", { className: "kefu-file kefu-file-doc", href: src, rel: "noopener noreferrer", download: a.name || "", text: "📎 " + label }));
      }
    }
    return box;
  }

  function buildHelpful(seq) {
    const box = el("div", { className: "kefu-helpful", role: "group", "aria-label": T.helpful });
    box.appendChild(el("span", { className: "kefu-helpful-q", text: T.helpful }));
    for (const [value, icon, label] of [["up", "👍", T.helpfulYes], ["down", "👎", T.helpfulNo]]) {
      const btn = el("button", { type: "button", className: "kefu-helpful-btn", "data-value": value, title: label, "aria-label": label, text: icon });
      btn.addEventListener("click", () => {
        if (!rawSend({ type: "feedback", seq: seq, value: value })) return;
        for (const b of box.querySelectorAll("button")) b.disabled = true;
        btn.classList.add("kefu-chosen");
        box.querySelector(".kefu-helpful-q").textContent = T.helpfulThanks;
      });
      box.appendChild(btn);
    }
    return box;
  }

  // 1-5 buttons under the satisfaction survey (回访): {"type":"feedback","seq":N,"value":5}.
  function buildSurvey(seq, rating) {
    const box = el("div", { className: "kefu-survey", role: "group", "aria-label": T.rateLabel });
    for (let n = 1; n <= 5; n++) {
      const btn = el("button", { type: "button", className: "kefu-rate", "data-score": String(n), title: T.rates[n - 1] });
      btn.append(el("span", { className: "kefu-rate-n", text: String(n) }), el("span", { className: "kefu-rate-label", text: T.rates[n - 1] }));
      if (rating) {
        btn.disabled = true;
        if (rating === n) btn.classList.add("kefu-chosen");
      }
      btn.addEventListener("click", () => {
        if (!rawSend({ type: "feedback", seq: seq, value: n })) return;
        btn.classList.add("kefu-chosen");
        for (const b of box.querySelectorAll(".kefu-rate")) b.disabled = true;
      });
      box.appendChild(btn);
    }
    return box;
  }

  // Insert a confirmed message so that .kefu-msg[data-seq] stay sorted by seq,
  // with still-pending customer messages always after all confirmed ones.
  function insertSorted(node, seq) {
    let before = null;
    for (const child of ui.messages.children) {
      if (!child.classList.contains("kefu-msg")) continue;
      const s = child.getAttribute("data-seq");
      if (s === "" || s === null) {
        before = child; // first pending message: confirmed ones go above it
        break;
      }
      if (parseInt(s, 10) > seq) {
        before = child;
        break;
      }
    }
    ui.messages.insertBefore(node, before);
  }

  function handleMessageFrame(f) {
    const seq = Number(f.seq);
    if (!Number.isFinite(seq)) return;

    // Our own echo (or the replay of a message sent before a reload): the server has it,
    // so the pending bubble goes and the confirmed one replaces it.
    if (f.client_msg_id && state.pending.has(f.client_msg_id)) {
      const p = state.pending.get(f.client_msg_id);
      clearTimeout(p.timer);
      state.pending.delete(f.client_msg_id);
      savePending();
      if (p.el && p.el.parentNode) p.el.remove();
    }
    if (state.seen.has(seq)) return; // dedupe: resume may replay what we have

    const stick = isNearBottom();
    const node = buildMessage(f);
    state.seen.set(seq, node);
    insertSorted(node, seq);

    if (f.sender === "bot" || f.sender === "agent") setTyping(false);

    // When a customer answered (typed or clicked), older choice groups are stale.
    if (f.sender === "customer") {
      for (const b of ui.messages.querySelectorAll(".kefu-choice:not([disabled])")) {
        if (b.closest(".kefu-msg") !== node) b.disabled = true;
      }
    }

    if (seq > state.maxSeq) state.maxSeq = seq;
    const prev = storedSeq();
    if (seq > prev) {
      // Unread count: a reply we have never seen on any page load, panel closed.
      if (!state.open && f.sender !== "customer") bumpUnread();
      if (state.conversationId != null) store.set(seqKey(), String(seq));
    }
    scrollToBottom(stick || f.sender === "customer");
    scheduleReceipt();
  }

  function bumpUnread() {
    state.unread += 1;
    ui.badge.textContent = state.unread > 99 ? "99+" : String(state.unread);
    ui.badge.hidden = false;
    ui.badge.setAttribute("aria-label", `${state.unread} ${T.unread}`);
  }
  function clearUnread() {
    state.unread = 0;
    ui.badge.hidden = true;
    ui.badge.textContent = "";
  }

  function setPendingStatus(p, status, reason) {
    const stick = isNearBottom();
    p.status = status;
    const foot = p.el.querySelector(".kefu-foot");
    const old = foot.querySelector(".kefu-state");
    if (old) old.remove();
    const oldBtn = foot.querySelector(".kefu-retry");
    if (oldBtn) oldBtn.remove();
    p.el.classList.toggle("kefu-failed", status === "failed" || status === "unsent");
    clearTimeout(p.timer);
    if (status === "sending") {
      // No echo in time: say so (a network that hangs never closes the socket by itself).
      p.timer = setTimeout(() => {
        if (p.status === "sending") setPendingStatus(p, "unsent");
      }, ACK_TIMEOUT_MS);
    }
    if (status === "failed" || status === "unsent") {
      // Why it failed (server message, e.g. too long / rate limited), on one line.
      const why = status === "unsent" ? T.unsent : reason ? `${T.failed}${LANG === "zh" ? "：" : ": "}${reason}` : T.failed;
      foot.appendChild(el("span", { className: "kefu-state", text: why }));
      const retry = el("button", { type: "button", className: "kefu-retry", text: T.retry });
      retry.addEventListener("click", () => {
        setPendingStatus(p, "queued");
        if (state.wsReady) flushPending();
        else reconnectNow();
      });
      foot.appendChild(retry);
    } else {
      foot.appendChild(el("span", { className: "kefu-state", text: T.sending }));
    }
    scrollToBottom(stick);
  }

  // ---------------------------------------------------------------------------
  // Sending
  // ---------------------------------------------------------------------------

  function updateCounter() {
    const n = ui.input.value.length;
    ui.counter.textContent = `${n}/${MAX_LEN}`;
    ui.counter.classList.toggle("kefu-counter-warn", n > MAX_LEN * 0.9);
    ui.send.disabled = ui.input.value.trim() === "";
  }

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

  // ---------------------------------------------------------------------------
  // Files: checked for size here (the server checks type and size again), uploaded over
  // HTTP with the visitor token, then sent as a message naming the upload's ref. The
  // message waits in the pending list like a text, so a reload or a dropped network does
  // not lose it and the server stores it once.
  // ---------------------------------------------------------------------------

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

  async function uploadFile(file) {
    for (let i = 0; !state.token && i < 50; i++) await new Promise((r) => setTimeout(r, 200));
    if (!state.token) throw new Error("no session");
    const body = new FormData();
    body.append("file", file, file.name || "paste.png");
    const res = await fetch(ORIGIN + "/api/webchat/uploads", {
      method: "POST",
      credentials: "omit",
      headers: { Authorization: "Bearer " + state.token },
      body,
    });
    let data = null;
    try {
      data = await res.json();
    } catch (_) {
      data = null;
    }
    if (!res.ok || !data || !data.ref) {
      const code = data && data.error && data.error.code;
      const err = new Error(code || "upload failed");
      err.worded =
        code === "file_too_large"
          ? T.fileTooLarge.replace("{mb}", String(Math.max(1, Math.floor(state.uploadMax / 1048576))))
          : code === "file_type"
            ? T.fileType
            : null;
      throw err;
    }
    return data;
  }

  // ---------------------------------------------------------------------------
  // Typing and read state: "typing" at most every 2 s while the customer writes (off after
  // 4 s without a key, or when the message goes); a receipt with the last message shown
  // (delivered) and the last shown with the panel open and the page in view (read).
  // ---------------------------------------------------------------------------

  function noteTyping() {
    const now = Date.now();
    if (ui.input.value.trim() && now - state.typingSentAt > 2000 && rawSend({ type: "typing", on: true })) {
      state.typingSentAt = now;
    }
    clearTimeout(state.typingIdle);
    state.typingIdle = setTimeout(stopTyping, 4000);
  }

  function stopTyping() {
    clearTimeout(state.typingIdle);
    if (!state.typingSentAt) return;
    state.typingSentAt = 0;
    rawSend({ type: "typing", on: false });
  }

  function scheduleReceipt() {
    if (state.receiptTimer) return;
    state.receiptTimer = setTimeout(() => {
      state.receiptTimer = null;
      if (!state.wsReady) return;
      const delivered = state.maxSeq;
      const read = state.open && document.visibilityState === "visible" ? state.maxSeq : state.receipt.read;
      if (delivered <= state.receipt.delivered && read <= state.receipt.read) return;
      if (rawSend({ type: "receipt", delivered_seq: delivered, read_seq: read })) state.receipt = { delivered, read };
    }, 300);
  }

  // A bubble for a message the server has not confirmed yet; it is kept in storage so a
  // reload (or a crash) before the confirmation does not lose it.
  function addPending(id, text, files) {
    files = Array.isArray(files) ? files : [];
    const shown = files.map((f) => ({ kind: f.kind, name: f.name, size: f.size }));
    const node = buildMessage({ sender: "customer", text, client_msg_id: id, seq: null, attachments: shown });
    node.classList.add("kefu-pending");
    ui.messages.appendChild(node); // pending always goes last
    const p = { text, files, el: node, status: "queued", timer: null };
    state.pending.set(id, p);
    savePending();
    // Known to be offline: say at once that it waits for the network.
    if (!state.wsReady && ui.status.getAttribute("data-state") === "offline") setPendingStatus(p, "unsent");
    scrollToBottom(true);
  }

  function savePending() {
    const list = [];
    for (const [id, p] of state.pending) {
      // Uploaded files are kept as their refs (and what to show), never as local previews.
      const files = (p.files || []).map((f) => ({ ref: f.ref, kind: f.kind, name: f.name, size: f.size }));
      list.push({ id, text: p.text, files });
    }
    if (list.length) store.set(PENDING_KEY, JSON.stringify(list));
    else store.del(PENDING_KEY);
  }

  function restorePending() {
    let list = [];
    try {
      list = JSON.parse(store.get(PENDING_KEY) || "[]");
    } catch (_) {
      list = [];
    }
    if (!Array.isArray(list)) return false;
    for (const m of list) {
      if (!m || typeof m.id !== "string" || typeof m.text !== "string" || state.pending.has(m.id)) continue;
      addPending(m.id, m.text, Array.isArray(m.files) ? m.files.filter((f) => f && typeof f.ref === "string") : []);
    }
    return state.pending.size > 0;
  }

  function rawSend(obj) {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return false;
    try {
      state.ws.send(JSON.stringify(obj));
      return true;
    } catch (_) {
      return false;
    }
  }

  // Send every message not yet echoed (except ones the server rejected, which
  // wait for the customer's "retry"). Called after each resume, so a message
  // whose echo was lost in a disconnect is resent with the SAME client_msg_id
  // and the server stores it once.
  function flushPending() {
    if (!state.wsReady) return;
    for (const [id, p] of state.pending) {
      if (p.status === "failed" || p.status === "sending") continue;
      // Resent with the SAME client_msg_id: the server stores it once and echoes it.
      const frame = { type: "message", client_msg_id: id, text: p.text };
      if (p.files && p.files.length) {
        frame.attachments = p.files.map((f) => f.ref);
        frame.locale = LANG;
      }
      if (rawSend(frame)) setPendingStatus(p, "sending");
    }
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

  // ---------------------------------------------------------------------------
  // Session + WebSocket lifecycle
  // ---------------------------------------------------------------------------

  class HttpError extends Error {
    constructor(status, code, message) {
      super(message || code || "HTTP " + status);
      this.status = status;
      this.code = code;
    }
  }

  async function createSession(token) {
    const body = { locale: LANG };
    if (token) body.token = token;
    const res = await fetch(ORIGIN + "/api/webchat/sessions", {
      method: "POST",
      // Third-party embedding: no cookies needed, the token is our identity.
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    let data = null;
    try {
      data = await res.json();
    } catch (_) {
      data = null;
    }
    if (!res.ok) {
      const err = (data && data.error) || {};
      throw new HttpError(res.status, err.code, err.message);
    }
    if (!data || !data.token) throw new HttpError(res.status, "bad_response", "missing token");
    return data;
  }

  // Obtain (or refresh) a session. An invalid/expired token is dropped and a
  // brand-new conversation is started.
  async function obtainSession() {
    let data;
    let fresh = !state.token;
    if (state.token) {
      try {
        data = await createSession(state.token);
      } catch (e) {
        if (e instanceof HttpError && e.status === 401) {
          forgetToken();
          fresh = true;
          data = await createSession(null);
        } else {
          throw e;
        }
      }
    } else {
      data = await createSession(null);
    }
    state.token = data.token;
    if (Number(data.upload_max_bytes) > 0) state.uploadMax = Number(data.upload_max_bytes);
    store.set(TOKEN_KEY, data.token);
    // A freshly created session is a new conversation even if the server
    // happens to reuse the id (e.g. a demo server restarted on empty data).
    switchConversation(data.conversation_id, fresh);
  }

  function forgetToken() {
    state.token = null;
    store.del(TOKEN_KEY);
  }

  // A new conversation means the seqs on screen belong to another one: clear
  // them. Pending (unconfirmed) messages survive and are sent into the new one.
  function switchConversation(id, fresh) {
    if (state.conversationId === id && !fresh) return;
    state.conversationId = id;
    state.receipt = { delivered: 0, read: 0 };
    if (fresh) store.del(seqKey()); // a stale unread marker would hide new replies
    clearRendered();
  }

  function clearRendered() {
    for (const node of state.seen.values()) node.remove();
    state.seen.clear();
    state.maxSeq = 0;
  }

  function scheduleReconnect() {
    if (state.reconnectTimer) return;
    state.backoff = state.backoff ? Math.min(state.backoff * 2, BACKOFF_MAX_MS) : BACKOFF_MIN_MS;
    // Jittered delay in [backoff/2, backoff]: many widgets dropped by one server
    // restart must not all reconnect in the same instant.
    const delay = Math.round(state.backoff / 2 + Math.random() * (state.backoff / 2));
    state.reconnectTimer = setTimeout(() => {
      state.reconnectTimer = null;
      connect();
    }, delay);
  }

  function stopSocket() {
    clearInterval(state.pingTimer);
    clearTimeout(state.pongTimer);
    state.pingTimer = state.pongTimer = null;
    state.wsReady = false;
    const ws = state.ws;
    state.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close();
      } catch (_) {
        /* already closed */
      }
    }
  }

  async function connect() {
    if (state.connecting) return;
    state.connecting = true;
    stopSocket();
    setStatus(state.backoff ? "offline" : "connecting");
    try {
      await obtainSession();
    } catch (_) {
      state.connecting = false;
      setStatus("offline");
      markUnsent();
      scheduleReconnect();
      return;
    }
    state.connecting = false;
    openSocket();
  }

  function openSocket() {
    const url = WS_ORIGIN + "/api/webchat/ws?token=" + encodeURIComponent(state.token);
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (_) {
      scheduleReconnect();
      return;
    }
    state.ws = ws;

    ws.onmessage = (ev) => {
      clearTimeout(state.pongTimer); // any frame proves the socket is alive
      state.pongTimer = null;
      let f;
      try {
        f = JSON.parse(ev.data);
      } catch (_) {
        return;
      }
      if (!f || typeof f !== "object") return;
      handleFrame(f);
    };
    ws.onclose = (ev) => {
      if (state.ws !== ws) return; // superseded
      if (ev.code === 4401) {
        // Token invalid/expired: start over with a fresh session right away.
        // (Backoff is not reset here, so a server that keeps refusing new
        // tokens is not hammered in a tight loop.)
        forgetToken();
      }
      socketLost();
    };
    ws.onerror = () => {
      /* onclose follows and handles reconnecting */
    };
  }

  // The connection is gone (closed, or silent past the pong deadline, or the browser went
  // offline): say so in the header, mark what was in flight as not sent, reconnect later.
  function socketLost() {
    stopSocket();
    setTyping(false);
    setStatus("offline");
    markUnsent();
    scheduleReconnect();
  }

  function markUnsent() {
    for (const p of state.pending.values()) {
      if (p.status === "sending" || p.status === "queued") setPendingStatus(p, "unsent");
    }
  }

  function sendPing() {
    if (!rawSend({ type: "ping" })) return;
    clearTimeout(state.pongTimer);
    const ws = state.ws;
    state.pongTimer = setTimeout(() => {
      if (state.ws === ws) socketLost();
    }, PONG_TIMEOUT_MS);
  }

  function reconnectNow() {
    if (!state.started || state.ws || state.connecting) return;
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    state.backoff = 0;
    connect();
  }

  function handleFrame(f) {
    for (const fn of frameHooks) fn(f); // profile.js: the offline ask follows the bot's replies
    switch (f.type) {
      case "ready":
        if (f.conversation_id != null) switchConversation(f.conversation_id);
        // The server has fewer messages than we show: not the history we
        // rendered (data reset). Start over rather than dedupe real messages away.
        if (typeof f.last_seq === "number" && f.last_seq < state.maxSeq) clearRendered();
        // Resume from what this page has rendered: 0 on a fresh page load, so
        // the history is shown again; dedupe by seq takes care of overlaps.
        rawSend({ type: "resume", after_seq: state.maxSeq });
        break;
      case "message":
        handleMessageFrame(f);
        break;
      case "resumed":
        state.wsReady = true;
        state.backoff = 0;
        setStatus("online");
        clearInterval(state.pingTimer);
        state.pingTimer = setInterval(sendPing, PING_INTERVAL_MS);
        flushPending();
        scheduleReceipt();
        break;
      case "typing":
        if (f.sender === "bot" || f.sender === "agent") setTyping(!!f.on);
        break;
      case "error":
        handleErrorFrame(f);
        break;
      case "pong":
        break;
      default:
        break; // forward compatible: ignore unknown frame types
    }
  }

  function handleErrorFrame(f) {
    // Token problems are followed by close 4401, which silently starts a new
    // session: nothing the customer needs to read.
    if ((f.code === "invalid_token" || f.code === "token_expired") && !(f.client_msg_id && state.pending.has(f.client_msg_id))) return;
    const msg =
      f.code === "too_long" && !f.message
        ? T.tooLong
        : f.code === "invalid_token" || f.code === "token_expired"
          ? T.uploadFailed // a file's upload ref refused (another chat, or older than a day)
          : f.message || f.code || "";
    if (f.client_msg_id && state.pending.has(f.client_msg_id)) {
      setPendingStatus(state.pending.get(f.client_msg_id), "failed", msg);
    } else {
      showNotice(msg);
    }
  }

  // Connect lazily: on first open, or at load if we already have a token
  // (an agent may have replied while the visitor was on another page).
  function ensureStarted() {
    if (state.started) return;
    state.started = true;
    connect();
  }

  // ---------------------------------------------------------------------------
  // Open / close
  // ---------------------------------------------------------------------------

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
  }

  // profile.js (the pre-chat form, the contact asked for when nobody is online) sees this.
  const frameHooks = [];
  function loadProfile() {
    window.kefuWidget = { ui, lang: LANG, origin: ORIGIN, token: () => state.token, frames: frameHooks };
    const s = el("script", { src: ORIGIN + "/webchat/profile.js", defer: true });
    (document.head || document.documentElement).appendChild(s);
  }

  function init() {
    ensureStylesheet();
    buildDom();
    wireEvents();
    loadProfile();
    // Typed before a reload and never confirmed: shown again and sent when connected.
    if (restorePending() || state.token) ensureStarted();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
