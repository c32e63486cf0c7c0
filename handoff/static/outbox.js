/* kefu dead letters: GET /api/agent/outbox/dead, POST /api/agent/outbox/{id}/retry. */
import { $, textEl as el } from "/assets/dom.js";
import { shell, wordPage, words } from "./page.js";

const S = {
  zh: {
    title: "发送失败的消息",
    hint: "这些回复重试多次仍未送达。修复原因后点“重新发送”。",
    failedAt: "失败时间", conversation: "会话", channel: "渠道", attempts: "尝试次数",
    reason: "原因", text: "内容", retry: "重新发送", queued: "已重新排队", empty: "没有发送失败的消息。",
    forbidden: "需要主管或管理员权限。",
  },
  en: {
    title: "Dead letters",
    hint: "These replies were not delivered after several attempts. Fix the cause, then press Retry.",
    failedAt: "Failed at", conversation: "Conversation", channel: "Channel", attempts: "Attempts",
    reason: "Reason", text: "Text", retry: "Retry", queued: "Queued again", empty: "No dead letters.",
    forbidden: "This needs the supervisor or admin role.",
  },
};
const t = words(S);
shell(t, render);
let rows = [];

function showError(res, body) {
  const box = $("#error");
  box.textContent = res.status === 401 ? t("login") : res.status === 403 ? t("forbidden")
    : (body && body.error && body.error.message) || `HTTP ${res.status}`;
  box.hidden = false;
}

function render() {
  wordPage(t);
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
load();
