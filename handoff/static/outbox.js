/* kefu dead letters: GET /api/agent/outbox/dead, POST /api/agent/outbox/{id}/retry. */


const S = {
  zh: {
    console: "← 工作台", title: "发送失败的消息", reload: "刷新", lang: "English",
    hint: "这些回复重试多次仍未送达。修复原因后点“重新发送”。",
    failedAt: "失败时间", conversation: "会话", channel: "渠道", attempts: "尝试次数",
    reason: "原因", text: "内容", retry: "重新发送", queued: "已重新排队", empty: "没有发送失败的消息。",
    login: "请先登录工作台。", forbidden: "需要主管或管理员权限。",
  },
  en: {
    console: "← Console", title: "Dead letters", reload: "Reload", lang: "中文",
    hint: "These replies were not delivered after several attempts. Fix the cause, then press Retry.",
    failedAt: "Failed at", conversation: "Conversation", channel: "Channel", attempts: "Attempts",
    reason: "Reason", text: "Text", retry: "Retry", queued: "Queued again", empty: "No dead letters.",
    login: "Please log in to the console first.", forbidden: "This needs the supervisor or admin role.",
  },
};
let lang = (localStorage.getItem("kefu.console.lang") || navigator.language || "zh").toLowerCase().startsWith("en") ? "en" : "zh";
const t = (k) => S[lang][k] || k;
const $ = (s) => document.querySelector(s);
let rows = [];

function el(tag, text) {
  const n = document.createElement(tag);
  if (text != null) n.textContent = text;
  return n;
}

function showError(res, body) {
  const box = $("#error");
  box.textContent = res.status === 401 ? t("login") : res.status === 403 ? t("forbidden")
    : (body && body.error && body.error.message) || `HTTP ${res.status}`;
  box.hidden = false;
}

function render() {
  for (const n of document.querySelectorAll("[data-i18n]")) n.textContent = t(n.getAttribute("data-i18n"));
  const body = $("#dead tbody");
  body.replaceChildren();
  for (const d of rows) {
    const tr = el("tr");
    tr.append(el("td", new Date(d.failed_at).toLocaleString()));
    const conv = el("td");
    const a = el("a", `#${d.conversation_id}`);
    a.href = `/agent/#/c/${d.conversation_id}`;
    conv.append(a);
    tr.append(conv, el("td", d.channel), el("td", String(d.attempts)), el("td", d.reason), el("td", d.text));
    const cell = el("td");
    const btn = el("button", d.queued ? t("queued") : t("retry"));
    btn.type = "button";
    btn.disabled = !!d.queued;
    btn.addEventListener("click", () => retry(d, btn));
    cell.append(btn);
    tr.append(cell);
    body.append(tr);
  }
  $("#empty").hidden = rows.length > 0;
}

async function load() {
  $("#error").hidden = true;
  const res = await fetch("/api/agent/outbox/dead", { credentials: "same-origin" });
  const body = await res.json().catch(() => null);
  if (!res.ok) return showError(res, body);
  rows = body.dead;
  render();
}

async function retry(d, btn) {
  btn.disabled = true;
  const res = await fetch(`/api/agent/outbox/${d.id}/retry`, {
    method: "POST", credentials: "same-origin", headers: { "X-Requested-With": "kefu" },
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    btn.disabled = false;
    return showError(res, body);
  }
  d.queued = true;
  render();
}

$("#reload").addEventListener("click", load);
$("#lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem("kefu.console.lang", lang);
  render();
});
load();
