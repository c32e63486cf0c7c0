/*
 * Files, typing and read state in the console (issue 15).
 *
 * - A paperclip button beside "send", pasting a picture into the reply box, or dropping
 *   files on the conversation sends them (POST /api/agent/conversations/{id}/attachments);
 *   the size is checked here against GET /api/agent/upload-limits, the server checks the
 *   type by content and the size again, and refuses kinds the channel cannot deliver.
 * - While the agent writes a public reply, the customer sees "typing" (POST .../typing,
 *   at most every 2 s; off after 4 s without a key or when the reply goes).
 * - The customer's typing shows under the messages (conversation.typing events).
 * - Agent messages show delivered and read from the customer's widget (GET .../receipts
 *   and conversation.receipt events).
 */
import { $ } from "/assets/dom.js";
import { K } from "./console/kit.js";

const T = {
  zh: {
    attach: "发送图片或文件",
    uploading: "正在上传…",
    tooLarge: "文件太大，最大 {mb} MB",
    fileType: "不支持这种文件，可以发送图片、PDF、文本、Office 文档、ZIP、MP4 或 MP3",
    noFiles: "该渠道不能发送这种文件",
    failed: "上传失败，请重试",
    typing: "客户正在输入…",
    delivered: "已送达",
    read: "已读",
  },
  en: {
    attach: "Send a picture or a file",
    uploading: "Uploading…",
    tooLarge: "The file is too large (max {mb} MB)",
    fileType: "This type of file cannot be sent; pictures, PDF, text, Office documents, ZIP, MP4 and MP3 can",
    noFiles: "This channel cannot deliver this kind of file",
    failed: "Upload failed, please try again",
    typing: "The customer is typing…",
    delivered: "Delivered",
    read: "Read",
  },
};
const t = (k) => (T[K.lang() === "en" ? "en" : "zh"] || T.zh)[k];

let limits = null;
const marks = new Map(); // conversation id -> {delivered, read}
let typingSentAt = 0;
let typingFor = null;
let typingIdle = null;
let customerTypingTimer = null;

const currentId = () => {
  const c = K.current();
  return c ? c.id : null;
};
const mb = () => String(Math.max(1, Math.floor(((limits && limits.max_bytes) || 10485760) / 1048576)));

function errorText(err) {
  if (err && err.code === "file_too_large") return t("tooLarge").replace("{mb}", mb());
  if (err && err.code === "file_type") return t("fileType");
  if (err && err.code === "channel_no_files") return t("noFiles");
  return (err && err.message) || t("failed");
}

async function loadLimits() {
  try {
    limits = await K.api("GET", "/api/agent/upload-limits");
  } catch (_) {
    limits = null;
  }
}

async function sendFiles(files) {
  const id = currentId();
  if (id == null || !files.length) return;
  const priv = !!($("#reply-private") && $("#reply-private").checked);
  for (const file of files) {
    if (limits && file.size > limits.max_bytes) {
      K.setError(t("tooLarge").replace("{mb}", mb()));
      continue;
    }
    K.setError(t("uploading"));
    const body = new FormData();
    body.append("private", priv ? "true" : "false");
    body.append("file", file, file.name || "paste.png");
    let res;
    let data = null;
    try {
      res = await fetch(`/api/agent/conversations/${encodeURIComponent(id)}/attachments`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-Requested-With": "kefu", Accept: "application/json" },
        body,
      });
      data = await res.json().catch(() => null);
    } catch (_) {
      K.setError(t("failed"));
      continue;
    }
    if (!res.ok) {
      K.setError(errorText(data && data.error));
      continue;
    }
    K.setError("");
  }
  await K.refresh();
}

function installComposer() {
  const bar = document.querySelector("#composer .composer-bar");
  if (!bar || $("#reply-attach")) return;
  const input = K.el("input", { id: "reply-file", type: "file", multiple: true, hidden: true });
  const btn = K.el("button", { id: "reply-attach", type: "button", className: "btn btn-ghost btn-sm attach-btn", text: "📎" });
  btn.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    const files = Array.from(input.files || []);
    input.value = "";
    sendFiles(files);
  });
  bar.insertBefore(input, bar.firstChild);
  bar.insertBefore(btn, bar.firstChild);
  const box = $("#reply-text");
  box.addEventListener("paste", (ev) => {
    const files = Array.from((ev.clipboardData && ev.clipboardData.files) || []);
    if (!files.length) return;
    ev.preventDefault();
    sendFiles(files);
  });
  box.addEventListener("input", noteTyping);
  $("#composer").addEventListener("submit", stopTyping, true);
  for (const zone of [$("#messages"), $("#composer")]) {
    if (!zone) continue;
    zone.addEventListener("dragover", (ev) => {
      if (!ev.dataTransfer || !Array.from(ev.dataTransfer.types || []).includes("Files")) return;
      ev.preventDefault();
      zone.classList.add("is-dropping");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("is-dropping"));
    zone.addEventListener("drop", (ev) => {
      zone.classList.remove("is-dropping");
      const files = Array.from((ev.dataTransfer && ev.dataTransfer.files) || []);
      if (!files.length) return;
      ev.preventDefault();
      sendFiles(files);
    });
  }
  applyLang();
}

function applyLang() {
  const btn = $("#reply-attach");
  if (btn) {
    btn.title = t("attach");
    btn.setAttribute("aria-label", t("attach"));
  }
  const typing = $("#customer-typing");
  if (typing) typing.textContent = t("typing");
}

// -- the agent's typing ---------------------------------------------------------------

function postTyping(id, on) {
  K.api("POST", `/api/agent/conversations/${encodeURIComponent(id)}/typing`, { on }).catch(() => {});
}

function noteTyping() {
  const id = currentId();
  if (id == null || ($("#reply-private") && $("#reply-private").checked)) return;
  const now = Date.now();
  if ($("#reply-text").value.trim() && (now - typingSentAt > 2000 || typingFor !== id)) {
    typingSentAt = now;
    typingFor = id;
    postTyping(id, true);
  }
  clearTimeout(typingIdle);
  typingIdle = setTimeout(stopTyping, 4000);
}

function stopTyping() {
  clearTimeout(typingIdle);
  if (typingFor == null) return;
  postTyping(typingFor, false);
  typingFor = null;
  typingSentAt = 0;
}

// -- the customer's typing --------------------------------------------------------------

function showCustomerTyping(on) {
  let node = $("#customer-typing");
  if (!node) {
    const list = $("#messages");
    if (!list || !list.parentNode) return;
    node = K.el("div", { id: "customer-typing", className: "customer-typing", hidden: true, "aria-live": "polite" });
    list.parentNode.insertBefore(node, list.nextSibling);
  }
  node.textContent = t("typing");
  node.hidden = !on;
  clearTimeout(customerTypingTimer);
  if (on) customerTypingTimer = setTimeout(() => showCustomerTyping(false), 8000);
}

// -- delivered and read -----------------------------------------------------------------

function applyMarks(conv) {
  if (!conv) return;
  const m = marks.get(conv.id);
  if (!m) return;
  for (const node of document.querySelectorAll("#messages .msg-agent[data-seq]")) {
    const seq = Number(node.getAttribute("data-seq"));
    const span = node.querySelector(".msg-delivery");
    if (!seq || !span || node.classList.contains("private")) continue;
    const state = seq <= m.read ? "read" : seq <= m.delivered ? "delivered" : null;
    if (!state) continue;
    span.textContent = t(state);
    span.className = "msg-delivery delivery-" + state;
    node.setAttribute("data-receipt", state);
  }
}

async function loadMarks(conv) {
  try {
    const r = await K.api("GET", `/api/agent/conversations/${encodeURIComponent(conv.id)}/receipts`);
    marks.set(conv.id, { delivered: Number(r.delivered_seq) || 0, read: Number(r.read_seq) || 0 });
  } catch (_) {
    return;
  }
  const cur = K.current();
  if (cur && cur.id === conv.id) applyMarks(cur);
}

K.hooks.detail.push((conv) => {
  if (!conv) return;
  if (typingFor != null && typingFor !== conv.id) stopTyping();
  if (conv.channel === "webchat") {
    if (!marks.has(conv.id)) loadMarks(conv);
    else applyMarks(conv);
  }
});

K.hooks.event.push((f) => {
  if (!f || f.conversation_id == null) return;
  const same = String(f.conversation_id) === String(currentId());
  if (f.type === "conversation.typing" && same) showCustomerTyping(!!f.on);
  if (f.type === "conversation.receipt") {
    marks.set(Number(f.conversation_id), { delivered: Number(f.delivered_seq) || 0, read: Number(f.read_seq) || 0 });
    if (same) applyMarks(K.current());
  }
  if (f.type === "conversation.updated" && same) showCustomerTyping(false);
});
K.hooks.lang.push(applyLang);
K.hooks.app.push(() => {
  installComposer();
  loadLimits();
});
