/*
 * kefu web chat widget, the session and the socket: a token from /api/webchat/sessions, the
 * socket with resume, ping and reconnect with backoff, and the frames the server sends.
 *
 * Protocol summary (see the backend for the authoritative version):
 *   POST /api/webchat/sessions {token?, locale?} -> {token, conversation_id, expires_at}
 *   WS   /api/webchat/ws?token=...  ready -> resume{after_seq} -> message* -> resumed
 */
import { store } from "/assets/i18n.js";
import { buildMessage, insertSorted, setPendingStatus } from "./bubbles.js";
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, LANG, ORIGIN, PING_INTERVAL_MS, PONG_TIMEOUT_MS, T, TOKEN_KEY, WS_ORIGIN } from "./config.js";
import { flushPending, savePending, scheduleReceipt } from "./outgoing.js";
import { frameHooks, rawSend, seqKey, state, storedSeq, ui } from "./state.js";
import { bumpUnread, isNearBottom, scrollToBottom, setStatus, setTyping, showNotice } from "./view.js";

export function handleMessageFrame(f) {
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

export class HttpError extends Error {
  constructor(status, code, message) {
    super(message || code || "HTTP " + status);
    this.status = status;
    this.code = code;
  }
}

export async function createSession(token) {
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
export async function obtainSession() {
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

export function forgetToken() {
  state.token = null;
  store.del(TOKEN_KEY);
}

// A new conversation means the seqs on screen belong to another one: clear
// them. Pending (unconfirmed) messages survive and are sent into the new one.
export function switchConversation(id, fresh) {
  if (state.conversationId === id && !fresh) return;
  state.conversationId = id;
  state.receipt = { delivered: 0, read: 0 };
  if (fresh) store.del(seqKey()); // a stale unread marker would hide new replies
  clearRendered();
}

export function clearRendered() {
  for (const node of state.seen.values()) node.remove();
  state.seen.clear();
  state.maxSeq = 0;
}

export function scheduleReconnect() {
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

export function stopSocket() {
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

export async function connect() {
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

export function openSocket() {
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
export function socketLost() {
  stopSocket();
  setTyping(false);
  setStatus("offline");
  markUnsent();
  scheduleReconnect();
}

export function markUnsent() {
  for (const p of state.pending.values()) {
    if (p.status === "sending" || p.status === "queued") setPendingStatus(p, "unsent");
  }
}

export function sendPing() {
  if (!rawSend({ type: "ping" })) return;
  clearTimeout(state.pongTimer);
  const ws = state.ws;
  state.pongTimer = setTimeout(() => {
    if (state.ws === ws) socketLost();
  }, PONG_TIMEOUT_MS);
}

export function reconnectNow() {
  if (!state.started || state.ws || state.connecting) return;
  clearTimeout(state.reconnectTimer);
  state.reconnectTimer = null;
  state.backoff = 0;
  connect();
}

export function handleFrame(f) {
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

export function handleErrorFrame(f) {
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
export function ensureStarted() {
  if (state.started) return;
  state.started = true;
  connect();
}
