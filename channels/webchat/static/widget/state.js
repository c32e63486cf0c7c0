/*
 * kefu web chat widget, its state: the elements (ui), the conversation and the socket, the
 * socket's send, and what profile.js may see (W).
 */
import { store } from "/assets/i18n.js";
import { LANG, ORIGIN, SEQ_KEY_PREFIX, TOKEN_KEY } from "./config.js";

export const ui = {};

export const state = {
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

export function seqKey() {
  return SEQ_KEY_PREFIX + state.conversationId;
}

export function storedSeq() {
  const n = parseInt(store.get(seqKey()) || "0", 10);
  return Number.isFinite(n) ? n : 0;
}

export function rawSend(obj) {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return false;
  try {
    state.ws.send(JSON.stringify(obj));
    return true;
  } catch (_) {
    return false;
  }
}

// profile.js (the pre-chat form, the contact asked for when nobody is online) sees this:
// the widget's elements, language, server and token, and the frames as they arrive.
export const frameHooks = [];
export const W = Object.freeze({
  ui,
  get lang() {
    return LANG;
  },
  origin: ORIGIN,
  token: () => state.token,
  frames: frameHooks,
});

// What a click in a message asks of the upper layer (main.js listens on ui.messages):
// CHOICE sends the chosen option's text (event detail); RETRY sends what waits, or reconnects.
export const CHOICE = "kefu:choice";
export const RETRY = "kefu:retry";
