/*
 * Live updates: the agent socket (/api/agent/ws) says what changed, with reconnects and
 * backoff; a 15 s poll covers a dead socket.
 */
import { $ } from "/assets/dom.js";
import { SESSION_LOST, hooks, state, t } from "./core.js";
import { refreshDetail } from "./detail.js";
import { refreshLists, renderList, scheduleListRefresh } from "./list.js";

const POLL_MS = 15000;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;

export function setLiveStatus(kind) {
  const node = $("#live-status");
  node.setAttribute("data-state", kind);
  node.textContent = kind === "live" ? t("live") : kind === "offline" ? t("reconnecting") : t("connecting");
}

export function startLive() {
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

export function stopLive() {
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
      document.dispatchEvent(new CustomEvent(SESSION_LOST));
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
