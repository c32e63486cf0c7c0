/*
 * kefu agent console: the page's entry module (index.html loads it, then its plug-ins,
 * each its own module: desk.js, desk_more.js, files.js...). Sign-in and out, the
 * language, and the boot; the parts live in console/ (core, list, detail, live).
 *
 * Plain ES2020 modules, no framework, no build step. All customer/agent text is set with
 * textContent. The page runs under a strict CSP: no inline handlers or styles; visibility
 * is toggled with the `hidden` attribute and classes.
 */
import { $, show } from "/assets/dom.js";
import { SESSION_LOST, api, hooks, initials, isMac, lang, setChannelLabels, setLang, state, t } from "./console/core.js";
import {
  closeDetailOnMobile,
  doAction,
  openConversation,
  parseHash,
  renderDetail,
  sendReply,
  updateComposerMode,
} from "./console/detail.js";
import { setLiveStatus, startLive, stopLive } from "./console/live.js";
import { refreshLists, renderList, renderTabs, selectTab } from "./console/list.js";

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
  setLang(lang === "zh" ? "en" : "zh");
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
  setChannelLabels(labels);
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

document.addEventListener(SESSION_LOST, () => showLogin(t("sessionExpired")));

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
