/* kefu supervisor alerts: GET /api/agent/alerts, POST /api/agent/alerts/{id}/ack */
import { $, textEl as el } from "/assets/dom.js";
import { shell, wordPage, words } from "./page.js";

const S = {
  zh: {
    title: "主管提醒", openOnly: "只看未处理",
    when: "时间", kind: "类型", ticket: "工单", why: "原因", due: "到期", sent: "通知",
    empty: "没有提醒。", ack: "已处理", acked: "已处理 ✓",
    urgent: "加急（投诉 / 安全隐患）", sla_warning: "SLA 预警", sla_breach: "SLA 超时",
    hazard: "安全隐患", complaint: "投诉", angry: "客户情绪激动", first_response: "首次响应", resolution: "解决",
    email: "邮件", wecom: "企业微信群", sentOk: "已发送", pending: "发送中", sending: "发送中", dead: "失败",
  },
  en: {
    title: "Supervisor alerts", openOnly: "Open only",
    when: "When", kind: "Kind", ticket: "Ticket", why: "Why", due: "Due", sent: "Told",
    empty: "No alerts.", ack: "Handled", acked: "Handled ✓",
    urgent: "Urgent (complaint / hazard)", sla_warning: "SLA warning", sla_breach: "SLA breached",
    hazard: "Safety hazard", complaint: "Complaint", angry: "Angry customer", first_response: "First response", resolution: "Resolution",
    email: "Email", wecom: "WeCom group", sentOk: "sent", pending: "sending", sending: "sending", dead: "failed",
  },
};
const t = words(S);
shell(t, render);
let rows = [];

function showError(res, body) {
  const box = $("#error");
  box.textContent = res.status === 401 ? t("login") : (body && body.error && body.error.message) || `HTTP ${res.status}`;
  box.hidden = false;
}

function render() {
  wordPage(t);
  const body = $("#alerts tbody");
  body.replaceChildren();
  for (const a of rows) {
    const tr = el("tr");
    tr.dataset.kind = a.kind;
    const ticket = el("td");
    const link = el("a", `#${a.ticket} ${a.subject || ""}`);
    link.href = `/agent/#/c/${a.conversation_id}`;
    ticket.append(link);
    const told = a.deliveries.map((d) => `${t(d.target)} ${d.address}: ${t(d.status === "sent" ? "sentOk" : d.status)}`);
    const action = el("td");
    if (a.acknowledged) action.textContent = t("acked");
    else {
      const b = el("button", t("ack"));
      b.type = "button";
      b.addEventListener("click", () => ack(a.id));
      action.append(b);
    }
    tr.append(
      el("td", a.created_local), el("td", t(a.kind)), ticket,
      el("td", a.reasons.map(t).join(", ")), el("td", a.due || ""), el("td", told.join("; ")), action,
    );
    body.append(tr);
  }
  $("#empty").hidden = rows.length > 0;
}

async function load() {
  $("#error").hidden = true;
  const query = $("#open").checked ? "?open=1" : "";
  const res = await fetch(`/api/agent/alerts${query}`, { credentials: "same-origin", headers: { "X-Requested-With": "kefu" } });
  const body = await res.json().catch(() => null);
  if (!res.ok) return showError(res, body);
  rows = body.alerts;
  render();
}

async function ack(id) {
  const res = await fetch(`/api/agent/alerts/${id}/ack`, {
    method: "POST", credentials: "same-origin", headers: { "X-Requested-With": "kefu" },
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) return showError(res, body);
  load();
}

$("#reload").addEventListener("click", load);
$("#open").addEventListener("change", load);
load();
