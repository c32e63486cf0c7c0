/*
 * kefu web chat widget, what the customer sends: pending messages (kept across reloads until
 * the server has them), uploads, typing and read receipts.
 */
import { store } from "/assets/i18n.js";
import { buildMessage, setPendingStatus } from "./bubbles.js";
import { LANG, ORIGIN, PENDING_KEY, T } from "./config.js";
import { rawSend, state, ui } from "./state.js";
import { scrollToBottom } from "./view.js";

export async function uploadFile(file) {
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

export function noteTyping() {
  const now = Date.now();
  if (ui.input.value.trim() && now - state.typingSentAt > 2000 && rawSend({ type: "typing", on: true })) {
    state.typingSentAt = now;
  }
  clearTimeout(state.typingIdle);
  state.typingIdle = setTimeout(stopTyping, 4000);
}

export function stopTyping() {
  clearTimeout(state.typingIdle);
  if (!state.typingSentAt) return;
  state.typingSentAt = 0;
  rawSend({ type: "typing", on: false });
}

export function scheduleReceipt() {
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
export function addPending(id, text, files) {
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

export function savePending() {
  const list = [];
  for (const [id, p] of state.pending) {
    // Uploaded files are kept as their refs (and what to show), never as local previews.
    const files = (p.files || []).map((f) => ({ ref: f.ref, kind: f.kind, name: f.name, size: f.size }));
    list.push({ id, text: p.text, files });
  }
  if (list.length) store.set(PENDING_KEY, JSON.stringify(list));
  else store.del(PENDING_KEY);
}

export function restorePending() {
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

// Send every message not yet echoed (except ones the server rejected, which
// wait for the customer's "retry"). Called after each resume, so a message
// whose echo was lost in a disconnect is resent with the SAME client_msg_id
// and the server stores it once.
export function flushPending() {
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
