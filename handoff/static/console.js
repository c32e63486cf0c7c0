/*
 * kefu agent console.
 *
 * Plain ES2020, no framework, no build step. All customer/agent text is set
 * with textContent. The page runs under a strict CSP: no inline handlers or
 * styles; visibility is toggled with the `hidden` attribute and classes.
 *
 * Data flow: REST for everything (/api/agent/...), plus a WebSocket
 * (/api/agent/ws) that only says "conversation X changed"; on that we re-fetch
 * the lists and, if X is open, its detail. A 15 s poll covers a dead socket.
 */
(() => {
  "use strict";

  const LANG_KEY = "kefu.console.lang";
  const POLL_MS = 15000;
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const OWNERS = ["queued", "mine", "agent", "bot", "resolved"];

  // ------------------------------------------------------------------ i18n

  const STRINGS = {
    zh: {
      consoleTitle: "客服工作台",
      langSwitch: "English",
      loginTitle: "登录",
      email: "邮箱",
      password: "密码",
      login: "登录",
      loggingIn: "登录中…",
      loginFailed: "邮箱或密码错误",
      loginMissing: "请输入邮箱和密码",
      sessionExpired: "登录已过期，请重新登录",
      logout: "退出",
      owner_queued: "排队中",
      owner_mine: "我的",
      owner_agent: "处理中",
      owner_bot: "机器人",
      owner_resolved: "已解决",
      pickConversation: "从左侧选择一个会话",
      back: "返回",
      takeover: "接管",
      handback: "交还机器人",
      resolve: "标记已解决",
      privateBanner: "内部备注仅客服可见，客户看不到。",
      replyPlaceholder: "输入回复…",
      notePlaceholder: "输入内部备注（客户不可见）…",
      privateNote: "私密备注",
      sendHint: "Ctrl+Enter 发送",
      sendHintMac: "⌘+Enter 发送",
      send: "发送",
      addNote: "添加备注",
      emptyList: {
        queued: "没有排队的会话",
        agent: "没有处理中的会话",
        bot: "没有机器人正在处理的会话",
        resolved: "还没有已解决的会话",
      },
      loading: "加载中…",
      noMessages: "暂无消息",
      noPreview: "（暂无消息）",
      anonymous: "访客",
      sender_customer: "客户",
      sender_bot: "智能助手",
      sender_agent: "客服",
      sender_system: "系统",
      privateLabel: "内部备注",
      assignee: "负责人",
      unassigned: "未分配",
      ticket: "工单",
      channel: "渠道",
      language: "语言",
      mine: "我负责的",
      live: "实时",
      reconnecting: "重连中…",
      connecting: "连接中…",
      networkError: "网络错误，请稍后重试",
      conflict: "该会话正由其他客服处理",
      notFound: "会话不存在",
      notAnswered: "机器人不回复此消息",
      delivery: {
        received: "已接收",
        pending: "发送中",
        queued: "排队发送",
        sent: "已发送",
        delivered: "已送达",
        read: "已读",
        failed: "发送失败",
      },
      ticketStatus: {
        new: "新建",
        open: "已受理",
        pending: "待客户回复",
        on_hold: "挂起",
        solved: "已解决",
        resolved: "已解决",
        closed: "已关闭",
      },
      priority: {
        low: "低",
        normal: "普通",
        medium: "中",
        high: "高",
        urgent: "紧急",
      },
      languages: { zh: "中文", en: "英文" },
    },
    en: {
      consoleTitle: "Agent console",
      langSwitch: "中文",
      loginTitle: "Sign in",
      email: "Email",
      password: "Password",
      login: "Sign in",
      loggingIn: "Signing in…",
      loginFailed: "Wrong email or password",
      loginMissing: "Please enter your email and password",
      sessionExpired: "Your session expired, please sign in again",
      logout: "Sign out",
      owner_queued: "Queue",
      owner_mine: "Mine",
      owner_agent: "Active",
      owner_bot: "Bot",
      owner_resolved: "Resolved",
      pickConversation: "Pick a conversation on the left",
      back: "Back",
      takeover: "Take over",
      handback: "Hand back to bot",
      resolve: "Resolve",
      privateBanner: "Private notes are visible to agents only, never to the customer.",
      replyPlaceholder: "Type a reply…",
      notePlaceholder: "Type a private note (hidden from the customer)…",
      privateNote: "Private note",
      sendHint: "Ctrl+Enter to send",
      sendHintMac: "⌘+Enter to send",
      send: "Send",
      addNote: "Add note",
      emptyList: {
        queued: "Nobody is waiting",
        agent: "No active conversations",
        bot: "The bot is not handling any conversation",
        resolved: "No resolved conversations yet",
      },
      loading: "Loading…",
      noMessages: "No messages yet",
      noPreview: "(no messages yet)",
      anonymous: "Visitor",
      sender_customer: "Customer",
      sender_bot: "Assistant",
      sender_agent: "Agent",
      sender_system: "System",
      privateLabel: "Private note",
      assignee: "Assignee",
      unassigned: "Unassigned",
      ticket: "Ticket",
      channel: "Channel",
      language: "Language",
      mine: "Mine",
      live: "Live",
      reconnecting: "Reconnecting…",
      connecting: "Connecting…",
      networkError: "Network error, please try again",
      conflict: "Another agent is handling this conversation",
      notFound: "Conversation not found",
      notAnswered: "The bot does not answer this message",
      delivery: {
        received: "received",
        pending: "sending",
        queued: "queued",
        sent: "sent",
        delivered: "delivered",
        read: "read",
        failed: "failed",
      },
      ticketStatus: {
        new: "new",
        open: "open",
        pending: "pending",
        on_hold: "on hold",
        solved: "solved",
        resolved: "resolved",
        closed: "closed",
      },
      priority: {
        low: "low",
        normal: "normal",
        medium: "medium",
        high: "high",
        urgent: "urgent",
      },
      languages: { zh: "Chinese", en: "English" },
    },
  };

  function initialLang() {
    let saved = null;
    try {
      saved = localStorage.getItem(LANG_KEY);
    } catch (_) {
      /* storage disabled */
    }
    if (saved === "zh" || saved === "en") return saved;
    return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
  }

  let lang = initialLang();
  const t = (key) => STRINGS[lang][key];
  const tMap = (group, key) => {
    const m = STRINGS[lang][group] || {};
    return key != null && Object.prototype.hasOwnProperty.call(m, key) ? m[key] : key;
  };

  // Channel labels come from the server (GET /api/agent/channels: the channel registry), so a
  // new channel needs no change here; a name the server does not list is shown as is.
  let channelLabels = new Map();
  const channelLabel = (name) => {
    if (name === null || name === undefined) return "";
    const label = channelLabels.get(String(name));
    return (label && typeof label[lang] === "string" && label[lang]) || String(name);
  };

  const isMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent || "");

  // --------------------------------------------------------------- helpers

  const $ = (sel) => document.querySelector(sel);

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
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }

  function show(node, on) {
    node.hidden = !on;
  }

  function relTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    const diff = (d.getTime() - Date.now()) / 1000; // negative = past
    const abs = Math.abs(diff);
    let rtf;
    try {
      rtf = new Intl.RelativeTimeFormat(lang === "zh" ? "zh-CN" : "en", { numeric: "auto", style: "short" });
    } catch (_) {
      return d.toLocaleString();
    }
    if (abs < 45) return lang === "zh" ? "刚刚" : "just now";
    if (abs < 3600) return rtf.format(Math.round(diff / 60), "minute");
    if (abs < 86400) return rtf.format(Math.round(diff / 3600), "hour");
    if (abs < 86400 * 7) return rtf.format(Math.round(diff / 86400), "day");
    return d.toLocaleDateString(lang === "zh" ? "zh-CN" : "en");
  }

  function clockTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    return d.toLocaleTimeString(lang === "zh" ? "zh-CN" : "en", { hour: "2-digit", minute: "2-digit" });
  }

  function dayLabel(iso) {
    const d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    return d.toLocaleDateString(lang === "zh" ? "zh-CN" : "en", { year: "numeric", month: "short", day: "numeric", weekday: "short" });
  }

  function initials(name) {
    const s = String(name || "").trim();
    if (!s) return "?";
    // First character (code point aware, so CJK and emoji are not split).
    return Array.from(s)[0].toUpperCase();
  }

  // ------------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message || code || `HTTP ${status}`);
      this.status = status;
      this.code = code || "";
    }
  }

  async function api(method, path, body) {
    const opts = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") {
      // The backend's CSRF guard requires X-Requested-With on every non-GET.
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-Requested-With"] = "kefu";
      opts.body = JSON.stringify(body || {});
    }
    let res;
    try {
      res = await fetch(path, opts);
    } catch (e) {
      throw new ApiError(0, "network", t("networkError"));
    }
    let data = null;
    const text = await res.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (_) {
        data = null;
      }
    }
    if (!res.ok) {
      const err = (data && data.error) || {};
      // The console's own wording (its language), the server's message only as a fallback.
      const worded = window.kefuErrorText ? window.kefuErrorText(err.code, lang) : null;
      throw new ApiError(res.status, err.code, worded || err.message);
    }
    return data || {};
  }

  // Extension points for desk.js (tickets, SLA, suggestions, canned replies, 360).
  const hooks = { detail: [], item: [], lang: [], app: [], event: [], lists: [] };
  window.kefuConsole = {
    hooks,
    api,
    el,
    lang: () => lang,
    channelLabel: (name) => channelLabel(name),
    current: () => state.current,
    me: () => state.me,
    refresh: () => {
      refreshLists();
      return refreshDetail({});
    },
    openConversation: (id) => openConversation(id),
    doAction: (kind) => doAction(kind),
    setError: (msg) => setDetailError(msg),
  };

  // ----------------------------------------------------------------- state

  const state = {
    me: null,
    tab: "queued",
    lists: { queued: [], mine: [], agent: [], bot: [], resolved: [] },
    currentId: null,
    current: null, // conversation detail
    detailReq: 0, // increments per detail fetch; stale responses are dropped
    listReq: 0,
    ws: null,
    wsBackoff: 0,
    wsTimer: null,
    pollTimer: null,
    clockTimer: null,
    listRefreshTimer: null,
    busy: false, // an action (takeover/resolve/…) is in flight
    sending: false,
  };

  // --------------------------------------------------------------- i18n UI

  function applyI18n() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = lang === "zh" ? "kefu 客服工作台" : "kefu · Agent console";
    for (const node of document.querySelectorAll("[data-i18n]")) {
      const v = t(node.getAttribute("data-i18n"));
      if (typeof v === "string") node.textContent = v;
    }
    for (const node of document.querySelectorAll("[data-i18n-title]")) {
      const v = t(node.getAttribute("data-i18n-title"));
      if (typeof v === "string") {
        node.title = v;
        node.setAttribute("aria-label", v);
      }
    }
    updateComposerMode();
    $(".composer-hint").textContent = isMac ? t("sendHintMac") : t("sendHint");
    setLiveStatus($("#live-status").getAttribute("data-state") || "connecting");
    renderTabs();
    renderList();
    if (state.current) renderDetail(state.current, { keepScroll: true });
    for (const fn of hooks.lang) fn(lang);
  }

  function toggleLang() {
    lang = lang === "zh" ? "en" : "zh";
    try {
      localStorage.setItem(LANG_KEY, lang);
    } catch (_) {
      /* ignore */
    }
    applyI18n();
  }

  // ----------------------------------------------------------- login/out

  function showLogin(message) {
    stopLive();
    state.me = null;
    state.current = null;
    state.currentId = null;
    show($("#boot"), false);
    show($("#app"), false);
    show($("#login-view"), true);
    const err = $("#login-error");
    err.textContent = message || "";
    show(err, !!message);
    $("#login-password").value = "";
    setTimeout(() => ($("#login-email").value ? $("#login-password") : $("#login-email")).focus(), 0);
  }

  function showApp(agent) {
    state.me = agent;
    show($("#boot"), false);
    show($("#login-view"), false);
    show($("#app"), true);
    $("#agent-name").textContent = agent.name || agent.email || "";
    $("#agent-avatar").textContent = initials(agent.name || agent.email);
    $("#agent-name").title = agent.email || "";
    applyI18n();
    const fromHash = parseHash();
    refreshLists();
    if (fromHash) openConversation(fromHash, { fromHash: true });
    startLive();
    loadChannels();
    for (const fn of hooks.app) fn(agent);
  }

  async function loadChannels() {
    let data;
    try {
      data = await api("GET", "/api/agent/channels");
    } catch (_) {
      return; // raw channel names until the next sign-in
    }
    const labels = new Map();
    for (const c of data.channels || []) {
      if (c && typeof c.name === "string" && c.label && typeof c.label === "object") labels.set(c.name, c.label);
    }
    channelLabels = labels;
    if (!state.me) return;
    renderList();
    if (state.current) renderDetail(state.current, { keepScroll: true });
  }

  async function onLoginSubmit(ev) {
    ev.preventDefault();
    const email = $("#login-email").value.trim();
    const password = $("#login-password").value;
    const err = $("#login-error");
    if (!email || !password) {
      err.textContent = t("loginMissing");
      show(err, true);
      return;
    }
    const btn = $("#login-submit");
    btn.disabled = true;
    btn.textContent = t("loggingIn");
    show(err, false);
    try {
      const data = await api("POST", "/api/agent/login", { email, password });
      showApp(data.agent || {});
    } catch (e) {
      // 401: show our own wording (the server's may be in another language).
      err.textContent = e.status === 401 ? t("loginFailed") : e.message || t("networkError");
      show(err, true);
    } finally {
      btn.disabled = false;
      btn.textContent = t("login");
    }
  }

  async function logout() {
    try {
      await api("POST", "/api/agent/logout", {});
    } catch (_) {
      /* logging out locally is what matters */
    }
    history.replaceState(null, "", location.pathname + location.search);
    showLogin("");
  }

  // Any 401 from an authenticated call means the session is gone.
  function handleAuthError(e) {
    if (e && e.status === 401) {
      showLogin(t("sessionExpired"));
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------ lists/tabs

  async function refreshLists() {
    const req = ++state.listReq;
    let results;
    try {
      results = await Promise.all(
        // desk_more.js adds the list filters (label, priority, team...) to every tab.
        OWNERS.map((o) => api("GET", `/api/agent/conversations?owner=${encodeURIComponent(o)}${window.kefuListQuery ? window.kefuListQuery() : ""}`))
      );
    } catch (e) {
      if (handleAuthError(e)) return;
      const le = $("#list-error");
      le.textContent = e.message || t("networkError");
      show(le, true);
      return;
    }
    if (req !== state.listReq || !state.me) return; // a newer refresh won
    show($("#list-error"), false);
    OWNERS.forEach((o, i) => {
      // Keep the server's order (the queue is oldest-first, i.e. FIFO).
      state.lists[o] = (results[i] && results[i].conversations) || [];
    });
    for (const fn of hooks.lists) fn(state.lists);
    renderTabs();
    renderList();
  }

  // Coalesce bursts of WS events into one refresh.
  function scheduleListRefresh() {
    clearTimeout(state.listRefreshTimer);
    state.listRefreshTimer = setTimeout(refreshLists, 250);
  }

  function renderTabs() {
    for (const tab of document.querySelectorAll(".tab[data-owner]")) {
      const owner = tab.getAttribute("data-owner");
      const active = owner === state.tab;
      tab.classList.toggle("active", active);
      tab.setAttribute("aria-selected", active ? "true" : "false");
      const n = (state.lists[owner] || []).length;
      const badge = tab.querySelector(".tab-count");
      badge.textContent = String(n);
      badge.classList.toggle("zero", n === 0);
      badge.classList.toggle("alert", owner === "queued" && n > 0);
    }
  }

  function selectTab(owner) {
    if (!OWNERS.includes(owner)) return;
    state.tab = owner;
    renderTabs();
    renderList();
  }

  function ticketLabel(ticket) {
    if (!ticket || ticket.number == null) return "";
    return `#${ticket.number}`;
  }

  function convItem(c) {
    const name = (c.contact && c.contact.name) || `${t("anonymous")} ${c.id}`;
    const lm = c.last_message;
    const item = el("button", {
      type: "button",
      className: "conv-item" + (String(c.id) === String(state.currentId) ? " active" : ""),
      "data-id": String(c.id),
      "data-owner": c.owner || "",
      role: "listitem",
    });

    const avatar = el("span", { className: "conv-avatar", "aria-hidden": "true", text: initials(name) });
    const top = el(
      "span",
      { className: "conv-top" },
      el("span", { className: "conv-name", text: name }),
      el("span", { className: "conv-time", text: relTime((lm && lm.created_at) || c.updated_at) })
    );

    const tags = el("span", { className: "conv-tags" });
    tags.appendChild(el("span", { className: "tag tag-channel", text: channelLabel(c.channel) }));
    if (c.ticket) {
      tags.appendChild(el("span", { className: "tag tag-ticket", text: ticketLabel(c.ticket) }));
      if (c.ticket.priority) {
        tags.appendChild(
          el("span", {
            className: "tag tag-priority prio-" + String(c.ticket.priority).replace(/[^a-z_]/gi, ""),
            text: tMap("priority", c.ticket.priority),
          })
        );
      }
    }
    if (c.owner === "agent" && c.assignee) {
      const mine = state.me && String(c.assignee.id) === String(state.me.id);
      tags.appendChild(el("span", { className: "tag tag-assignee" + (mine ? " mine" : ""), text: c.assignee.name }));
      if (mine) tags.appendChild(el("span", { className: "tag tag-mine", text: t("mine") }));
    }

    const preview = el("span", { className: "conv-preview" });
    if (lm) {
      if (lm.private) {
        preview.appendChild(el("span", { className: "preview-private", text: t("privateLabel") }));
      } else if (lm.sender && lm.sender !== "customer") {
        preview.appendChild(el("span", { className: "preview-sender", text: senderName(lm.sender) }));
      }
      preview.appendChild(document.createTextNode(String(lm.text || "")));
    } else {
      preview.textContent = t("noPreview");
      preview.classList.add("empty");
    }

    for (const fn of hooks.item) fn(c, tags);
    const body = el("span", { className: "conv-body" }, top, tags, preview);
    item.append(avatar, body);
    item.addEventListener("click", () => openConversation(c.id));
    return item;
  }

  function senderName(sender) {
    const v = t("sender_" + sender);
    return typeof v === "string" ? `${v}: ` : "";
  }

  function renderList() {
    const list = $("#conv-list");
    const focusedId = document.activeElement && document.activeElement.classList.contains("conv-item")
      ? document.activeElement.getAttribute("data-id")
      : null;
    const convs = state.lists[state.tab] || [];
    const items = convs.map(convItem);
    list.replaceChildren(...items);
    const empty = $("#list-empty");
    empty.textContent = t("emptyList")[state.tab] || "";
    show(empty, convs.length === 0);
    if (focusedId) {
      const again = list.querySelector(`.conv-item[data-id="${CSS.escape(focusedId)}"]`);
      if (again) again.focus();
    }
  }

  // ---------------------------------------------------------------- detail

  function parseHash() {
    const m = /^#\/?c\/(\d+)$/.exec(location.hash || "");
    return m ? Number(m[1]) : null;
  }

  function setDetailError(msg) {
    const box = $("#detail-error");
    box.textContent = msg || "";
    show(box, !!msg);
  }

  async function openConversation(id, opts = {}) {
    const changed = String(id) !== String(state.currentId);
    state.currentId = id;
    if (!opts.fromHash) history.replaceState(null, "", `#c/${id}`);
    $("#app").classList.add("show-detail");
    for (const it of document.querySelectorAll(".conv-item")) {
      it.classList.toggle("active", it.getAttribute("data-id") === String(id));
    }
    if (changed) {
      state.current = null;
      setDetailError("");
      show($("#detail-placeholder"), false);
      show($("#detail-body"), true);
      $("#detail-contact").textContent = t("loading");
      $("#detail-meta").replaceChildren();
      $("#messages").replaceChildren();
      setActionsEnabled(null);
    }
    await refreshDetail({ scrollToEnd: changed });
    if (changed) {
      const input = $("#reply-text");
      if (!window.matchMedia("(pointer: coarse)").matches) input.focus();
    }
  }

  async function refreshDetail(opts = {}) {
    const id = state.currentId;
    if (id == null) return;
    const req = ++state.detailReq;
    let data;
    try {
      data = await api("GET", `/api/agent/conversations/${encodeURIComponent(id)}`);
    } catch (e) {
      if (handleAuthError(e)) return;
      if (req !== state.detailReq) return;
      setDetailError(e.status === 404 ? t("notFound") : e.message || t("networkError"));
      return;
    }
    if (req !== state.detailReq || String(id) !== String(state.currentId)) return;
    state.current = data.conversation;
    renderDetail(state.current, { keepScroll: !opts.scrollToEnd });
  }

  function closeDetailOnMobile() {
    $("#app").classList.remove("show-detail");
  }

  function ownerBadge(owner) {
    return el("span", { className: `owner-badge owner-${owner}`, text: t("owner_" + owner) || owner });
  }

  function metaItem(label, value, cls) {
    return el(
      "span",
      { className: "meta-item" + (cls ? " " + cls : "") },
      el("span", { className: "meta-label", text: label }),
      el("span", { className: "meta-value", text: value })
    );
  }

  function setActionsEnabled(conv) {
    const take = $("#takeover");
    const resolve = $("#resolve");
    const handback = $("#handback");
    if (!conv || state.busy) {
      take.disabled = resolve.disabled = handback.disabled = true;
      return;
    }
    // Take over: only from the bot or the queue. An agent-owned conversation
    // is ours already, or a colleague's (the server refuses with 409; if we
    // race a colleague anyway, the 409 is shown in #detail-error).
    // Supervisors and admins may claim a colleague's conversation (the holder may be gone).
    const me = state.me || {};
    const claim =
      conv.owner === "agent" &&
      conv.assignee &&
      conv.assignee.id !== me.id &&
      (me.role === "supervisor" || me.role === "admin");
    take.disabled = !(conv.owner === "queued" || conv.owner === "bot" || claim);
    resolve.disabled = conv.owner === "resolved";
    // Hand back to the bot only from a human state.
    handback.disabled = !(conv.owner === "agent" || conv.owner === "queued");
  }

  function renderDetail(conv, opts = {}) {
    if (!conv) return;
    const name = (conv.contact && conv.contact.name) || `${t("anonymous")} ${conv.id}`;
    $("#detail-contact").textContent = name;

    const meta = $("#detail-meta");
    const parts = [ownerBadge(conv.owner)];
    if (conv.ticket) {
      const tk = conv.ticket;
      const bits = [ticketLabel(tk)];
      if (tk.status) bits.push(tMap("ticketStatus", tk.status));
      parts.push(metaItem(t("ticket"), bits.join(" · "), "meta-ticket"));
      if (tk.priority) {
        parts.push(
          el("span", {
            className: "tag tag-priority prio-" + String(tk.priority).replace(/[^a-z_]/gi, ""),
            text: tMap("priority", tk.priority),
          })
        );
      }
    }
    parts.push(metaItem(t("assignee"), conv.assignee ? conv.assignee.name : t("unassigned")));
    if (conv.channel) parts.push(metaItem(t("channel"), channelLabel(conv.channel)));
    if (conv.language) parts.push(metaItem(t("language"), tMap("languages", conv.language)));
    meta.replaceChildren(...parts);

    setActionsEnabled(conv);
    renderMessages(conv, opts);
    for (const fn of hooks.detail) fn(conv);
  }

  function renderMessages(conv, opts) {
    const box = $("#messages");
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
    const prevTop = box.scrollTop;
    const msgs = (conv.messages || []).slice();
    // Sort by seq (private notes may have none: fall back to time, then id).
    msgs.sort((a, b) => {
      const ta = Date.parse(a.created_at || "") || 0;
      const tb = Date.parse(b.created_at || "") || 0;
      if (a.seq != null && b.seq != null && a.seq !== b.seq) return a.seq - b.seq;
      if (ta !== tb) return ta - tb;
      return (a.id || 0) - (b.id || 0);
    });

    const contactName = (conv.contact && conv.contact.name) || t("sender_customer");
    const nodes = [];
    let lastDay = "";
    for (const m of msgs) {
      const day = dayLabel(m.created_at);
      if (day && day !== lastDay) {
        nodes.push(el("div", { className: "day-sep" }, el("span", { text: day })));
        lastDay = day;
      }
      nodes.push(renderMessage(m, contactName));
    }
    if (!msgs.length) nodes.push(el("div", { className: "messages-empty", text: t("noMessages") }));
    box.replaceChildren(...nodes);

    if (!opts.keepScroll || nearBottom) box.scrollTop = box.scrollHeight;
    else box.scrollTop = prevTop;
  }

  function renderMessage(m, contactName) {
    const sender = ["customer", "bot", "agent", "system"].includes(m.sender) ? m.sender : "system";
    const isPrivate = !!m.private;
    const node = el("div", {
      className: `msg msg-${sender}` + (isPrivate ? " private" : ""),
      "data-sender": sender,
      "data-seq": m.seq != null ? String(m.seq) : "",
      "data-id": m.id != null ? String(m.id) : "",
    });

    if (sender !== "system") {
      let who;
      if (sender === "customer") who = contactName;
      else if (sender === "agent") who = m.agent_name || t("sender_agent");
      else who = t("sender_bot");
      const head = el("div", { className: "msg-head" }, el("span", { className: "msg-author", text: who }));
      if (isPrivate) head.appendChild(el("span", { className: "private-label", text: t("privateLabel") }));
      node.appendChild(head);
    }

    const bubble = el("div", { className: "msg-bubble" });
    const text = el("div", { className: "msg-text" });
    text.textContent = m.text == null ? "" : String(m.text);
    bubble.appendChild(text);
    // Files that came with the message (WeChat media, email attachments): served to
    // logged-in agents only; images inline, everything else as a download link.
    if (Array.isArray(m.attachments) && m.attachments.length) {
      const files = el("div", { className: "msg-attachments" });
      for (const a of m.attachments) {
        if (!a || !/^[0-9a-f]{64}$/.test(String(a.key))) continue;
        const url = "/api/agent/attachments/" + a.key;
        const label = (a.name || a.kind || "file") + " · " + Math.max(1, Math.round((a.size || 0) / 1024)) + " KB";
        if (a.kind === "image") {
          const link = el("a", { href: url, target: "_blank", rel: "noopener", className: "msg-attachment" });
          link.appendChild(el("img", { src: url, alt: label, className: "msg-image", loading: "lazy" }));
          files.appendChild(link);
        } else {
          files.appendChild(el("a", { href: url, className: "msg-attachment msg-file", text: "📎 " + label, download: a.name || "" }));
        }
      }
      bubble.appendChild(files);
    }
    // Options the bot offered the customer (read-only here).
    if (Array.isArray(m.choices) && m.choices.length) {
      const list = el("ol", { className: "msg-choices" });
      for (const c of m.choices) {
        if (!c) continue;
        list.appendChild(
          el("li", null, el("span", { className: "choice-n", text: String(c.n) }), el("span", { text: String(c.label || "") }))
        );
      }
      bubble.appendChild(list);
    }
    node.appendChild(bubble);

    const foot = el("div", { className: "msg-foot" }, el("span", { className: "msg-time", text: clockTime(m.created_at) }));
    // Stored but never answered (an auto-reply, a bounce, no usable sender...): say why.
    if (sender === "customer" && m.no_reply) {
      const why = el("a", {
        className: "msg-no-reply",
        href: "/agent/unanswered",
        text: `${t("notAnswered")} · ${String(m.no_reply)}`,
      });
      why.dataset.reason = String(m.no_reply);
      foot.appendChild(why);
    }
    if (!isPrivate && sender === "agent" && m.delivery) {
      const d = el("span", {
        className: "msg-delivery delivery-" + String(m.delivery).replace(/[^a-z_]/gi, ""),
        text: tMap("delivery", m.delivery),
      });
      if (m.delivery_error) d.title = String(m.delivery_error);
      foot.appendChild(d);
      if (m.delivery === "failed" && m.delivery_error) {
        foot.appendChild(el("span", { className: "msg-delivery-error", text: String(m.delivery_error) }));
      }
    }
    node.appendChild(foot);
    return node;
  }

  // --------------------------------------------------------------- actions

  async function doAction(kind) {
    const id = state.currentId;
    if (id == null || state.busy) return;
    state.busy = true;
    setActionsEnabled(state.current);
    setDetailError("");
    try {
      const data = await api("POST", `/api/agent/conversations/${encodeURIComponent(id)}/${kind}`, {});
      if (data.conversation && String(id) === String(state.currentId)) {
        // The action response may omit messages; keep the ones we have.
        const merged = Object.assign({}, state.current || {}, data.conversation);
        if (!data.conversation.messages && state.current) merged.messages = state.current.messages;
        state.current = merged;
        renderDetail(merged, { keepScroll: true });
      }
      // After taking a conversation, follow it to the Active tab.
      if (kind === "takeover") selectTab("agent");
    } catch (e) {
      if (handleAuthError(e)) return;
      // Our own wording for the takeover race; the server's message otherwise.
      const conflict = e.status === 409 && kind === "takeover";
      setDetailError(conflict ? t("conflict") : e.message || t("networkError"));
    } finally {
      state.busy = false;
      setActionsEnabled(state.current);
    }
    refreshLists();
    refreshDetail();
  }

  function updateComposerMode() {
    const priv = $("#reply-private").checked;
    $("#composer").classList.toggle("is-private", priv);
    $("#reply-text").placeholder = priv ? t("notePlaceholder") : t("replyPlaceholder");
    $("#reply-send").textContent = priv ? t("addNote") : t("send");
  }

  async function sendReply() {
    const id = state.currentId;
    const input = $("#reply-text");
    const text = input.value;
    if (id == null || !text.trim() || state.sending) return;
    const priv = $("#reply-private").checked;
    state.sending = true;
    $("#reply-send").disabled = true;
    setDetailError("");
    try {
      await api("POST", `/api/agent/conversations/${encodeURIComponent(id)}/messages`, { text, private: priv });
      // Only clear if the agent did not type more meanwhile / switch conversation.
      if (input.value === text) input.value = "";
      // A public reply on a bot/queued conversation takes it over.
      if (!priv && state.current && state.current.owner !== "agent") selectTab("agent");
    } catch (e) {
      if (handleAuthError(e)) return;
      setDetailError(e.message || t("networkError"));
    } finally {
      state.sending = false;
      $("#reply-send").disabled = false;
    }
    // Note: the private checkbox is deliberately NOT reset after sending, so a
    // follow-up internal note never leaks to the customer by accident.
    await refreshDetail({ scrollToEnd: true });
    refreshLists();
  }

  // ------------------------------------------------------------ live/poll

  function setLiveStatus(kind) {
    const node = $("#live-status");
    node.setAttribute("data-state", kind);
    node.textContent = kind === "live" ? t("live") : kind === "offline" ? t("reconnecting") : t("connecting");
  }

  function startLive() {
    stopLive();
    connectWs();
    state.pollTimer = setInterval(() => {
      refreshLists();
      // Without a live socket, the open conversation is polled too.
      if (!state.ws || state.ws.readyState !== WebSocket.OPEN) refreshDetail();
    }, POLL_MS);
    // Relative times ("5 分钟前") age even when nothing changes.
    state.clockTimer = setInterval(renderList, 30000);
  }

  function stopLive() {
    clearInterval(state.pollTimer);
    clearInterval(state.clockTimer);
    clearTimeout(state.wsTimer);
    clearTimeout(state.listRefreshTimer);
    state.pollTimer = state.clockTimer = state.wsTimer = null;
    const ws = state.ws;
    state.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close();
      } catch (_) {
        /* ignore */
      }
    }
  }

  function connectWs() {
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    let ws;
    try {
      ws = new WebSocket(proto + location.host + "/api/agent/ws");
    } catch (_) {
      scheduleWsReconnect();
      return;
    }
    state.ws = ws;
    setLiveStatus("connecting");
    ws.onopen = () => {
      state.wsBackoff = 0;
      setLiveStatus("live");
      // We may have missed events while disconnected.
      scheduleListRefresh();
      refreshDetail();
    };
    ws.onmessage = (ev) => {
      let f;
      try {
        f = JSON.parse(ev.data);
      } catch (_) {
        return;
      }
      if (f) for (const fn of hooks.event) fn(f);
      if (f && f.type === "teams.changed") scheduleListRefresh(); // what I may see changed
      if (!f || f.type !== "conversation.updated") return;
      scheduleListRefresh();
      if (f.conversation_id != null && String(f.conversation_id) === String(state.currentId)) refreshDetail();
    };
    ws.onclose = (ev) => {
      if (state.ws !== ws) return;
      state.ws = null;
      if (ev.code === 4401) {
        showLogin(t("sessionExpired"));
        return;
      }
      setLiveStatus("offline");
      scheduleWsReconnect();
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  function scheduleWsReconnect() {
    if (state.wsTimer || !state.me) return;
    state.wsBackoff = state.wsBackoff ? Math.min(state.wsBackoff * 2, BACKOFF_MAX_MS) : BACKOFF_MIN_MS;
    const delay = Math.round(state.wsBackoff / 2 + Math.random() * (state.wsBackoff / 2));
    state.wsTimer = setTimeout(() => {
      state.wsTimer = null;
      if (state.me) connectWs();
    }, delay);
  }

  // ------------------------------------------------------------------ boot

  function wire() {
    $("#login-form").addEventListener("submit", onLoginSubmit);
    $("#login-lang").addEventListener("click", toggleLang);
    $("#lang-toggle").addEventListener("click", toggleLang);
    $("#logout").addEventListener("click", logout);
    for (const tab of document.querySelectorAll(".tab[data-owner]")) {
      tab.addEventListener("click", () => selectTab(tab.getAttribute("data-owner")));
    }
    $("#takeover").addEventListener("click", () => doAction("takeover"));
    $("#resolve").addEventListener("click", () => doAction("resolve"));
    $("#handback").addEventListener("click", () => doAction("handback"));
    $("#back-to-list").addEventListener("click", closeDetailOnMobile);
    $("#reply-private").addEventListener("change", updateComposerMode);
    $("#composer").addEventListener("submit", (ev) => {
      ev.preventDefault();
      sendReply();
    });
    $("#reply-text").addEventListener("keydown", (ev) => {
      if (ev.isComposing || ev.keyCode === 229) return; // IME candidate selection
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        sendReply();
      }
    });
    window.addEventListener("hashchange", () => {
      const id = parseHash();
      if (id != null && state.me && String(id) !== String(state.currentId)) openConversation(id, { fromHash: true });
    });
  }

  async function boot() {
    wire();
    applyI18n();
    try {
      const data = await api("GET", "/api/agent/me");
      if (data && data.agent) showApp(data.agent);
      else showLogin("");
    } catch (e) {
      showLogin(e.status === 401 || e.status === 403 ? "" : e.message || t("networkError"));
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
