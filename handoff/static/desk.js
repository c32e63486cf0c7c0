/*
 * kefu service desk additions to the agent console: agent status, ticket fields with SLA
 * countdowns, pending / transfer, knowledge-base suggestions inserted in one click, canned
 * replies with variables, the customer 360 and keyboard shortcuts. Plain JS, textContent only.
 */
import { $ } from "/assets/dom.js";
import { K } from "./console/kit.js";

const S = {
  zh: {
    reports: "报表",
    myStatus: "我的状态",
    status_online: "在线",
    status_away: "离开",
    status_offline: "离线",
    pending: "等待客户",
    ticketFields: "工单",
    noTicket: "此会话没有工单",
    number: "编号",
    status: "状态",
    priority: "优先级",
    prio_normal: "普通",
    prio_high: "高",
    prio_urgent: "紧急",
    category: "分类",
    sentiment: "情绪",
    firstResponseDue: "首次响应时限",
    resolutionDue: "解决时限",
    transfer: "转接",
    transferBtn: "转接",
    transferNote: "转接备注（可选）",
    suggestions: "知识库建议",
    noSuggestions: "没有找到相关条目",
    insert: "插入",
    canned: "快捷回复",
    cannedPick: "选择快捷回复…",
    customer360: "客户 360",
    identities: "身份",
    history: "历史工单",
    shortcuts: "快捷键：Alt+T 接管 · Alt+R 解决 · Alt+P 等待客户 · Alt+H 交还 · Alt+1/2/3 插入建议 · / 回复框",
    overdue: "已超时",
    met: "已响应",
    paused: "已暂停",
    left: "剩余",
    negative: "负面",
    neutral: "中性",
    none: "—",
    slaWarning: "SLA 预警：工单 #{n} 即将超时",
    slaBreach: "SLA 超时：工单 #{n}",
    st_new: "新建",
    st_open: "处理中",
    st_pending: "等待客户",
    st_resolved: "已解决",
    st_closed: "已关闭",
  },
  en: {
    reports: "Reports",
    myStatus: "My status",
    status_online: "Online",
    status_away: "Away",
    status_offline: "Offline",
    pending: "Waiting on customer",
    ticketFields: "Ticket",
    noTicket: "No ticket for this conversation",
    number: "Number",
    status: "Status",
    priority: "Priority",
    prio_normal: "Normal",
    prio_high: "High",
    prio_urgent: "Urgent",
    category: "Category",
    sentiment: "Sentiment",
    firstResponseDue: "First response due",
    resolutionDue: "Resolution due",
    transfer: "Transfer",
    transferBtn: "Transfer",
    transferNote: "Note for the colleague (optional)",
    suggestions: "Knowledge-base suggestions",
    noSuggestions: "No matching entries",
    insert: "Insert",
    canned: "Canned replies",
    cannedPick: "Pick a canned reply…",
    customer360: "Customer 360",
    identities: "Identities",
    history: "Past tickets",
    shortcuts: "Shortcuts: Alt+T take over · Alt+R resolve · Alt+P pending · Alt+H hand back · Alt+1/2/3 insert suggestion · / reply box",
    overdue: "overdue",
    met: "met",
    paused: "paused",
    left: "left",
    negative: "negative",
    neutral: "neutral",
    none: "—",
    slaWarning: "SLA warning: ticket #{n} is about to miss a target",
    slaBreach: "SLA breached: ticket #{n}",
    st_new: "New",
    st_open: "Open",
    st_pending: "Pending",
    st_resolved: "Resolved",
    st_closed: "Closed",
  },
};
const t = (k) => (S[K.lang()] || S.zh)[k] || k;

const desk = { convId: null, suggestions: [], canned: [], agents: [] };

function applyI18n() {
  for (const n of document.querySelectorAll("[data-desk-i18n]")) n.textContent = t(n.getAttribute("data-desk-i18n"));
  for (const n of document.querySelectorAll("[data-desk-i18n-placeholder]")) {
    n.placeholder = t(n.getAttribute("data-desk-i18n-placeholder"));
  }
}

// "2 h 05 min left" / "overdue 12 min"
function countdown(iso) {
  const ms = new Date(iso).getTime() - Date.now();
  const abs = Math.abs(ms);
  const m = Math.floor(abs / 60000);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  const txt = d >= 1 ? `${d}d ${h % 24}h` : h >= 1 ? `${h}h ${String(m % 60).padStart(2, "0")}m` : `${m}m ${Math.floor((abs % 60000) / 1000)}s`;
  return ms < 0 ? { text: `${t("overdue")} ${txt}`, cls: "sla-overdue" } : { text: `${txt} ${t("left")}`, cls: ms < 30 * 60000 ? "sla-soon" : "sla-ok" };
}

function paintCountdown(node) {
  const due = node.getAttribute("data-due");
  node.classList.remove("sla-overdue", "sla-soon", "sla-ok");
  if (!due) return;
  const c = countdown(due);
  node.textContent = c.text;
  node.classList.add(c.cls);
}

function setDue(node, tk, kind) {
  node.removeAttribute("data-due");
  node.className = "sla-countdown";
  if (kind === "first" && tk.first_response_at) {
    node.textContent = t("met");
    return;
  }
  if (tk.status === "pending") {
    node.textContent = t("paused");
    return;
  }
  if (tk.status === "resolved" || tk.status === "closed") {
    node.textContent = t("none");
    return;
  }
  const due = kind === "first" ? tk.first_response_due : tk.resolution_due;
  if (!due) {
    node.textContent = t("none");
    return;
  }
  node.setAttribute("data-due", due);
  paintCountdown(node);
}

// SLA countdown on every list item that has a due time.
K.hooks.item.push((c, tags) => {
  const tk = c.ticket;
  if (!tk || !["new", "open"].includes(tk.status)) return;
  const due = tk.first_response_due || tk.resolution_due;
  if (!due) return;
  const span = K.el("span", { className: "tag sla-countdown", "data-due": due });
  paintCountdown(span);
  tags.appendChild(span);
});

setInterval(() => {
  for (const n of document.querySelectorAll(".sla-countdown[data-due]")) paintCountdown(n);
}, 1000);

K.hooks.detail.push((conv) => {
  const changed = String(conv.id) !== String(desk.convId);
  desk.convId = conv.id;
  $("#desk-panel").hidden = false;
  renderTicket(conv);
  $("#pending").disabled = !(conv.ticket && ["new", "open"].includes(conv.ticket.status) && conv.owner === "agent");
  if (changed) {
    loadSuggestions(conv.id);
    loadCanned(conv.id);
    loadCustomer(conv.id);
    loadAgents();
  } else {
    const last = (conv.messages || []).filter((m) => m.sender === "customer").pop();
    if (last && last.id !== desk.lastCustomerId) loadSuggestions(conv.id);
  }
  const last = (conv.messages || []).filter((m) => m.sender === "customer").pop();
  desk.lastCustomerId = last ? last.id : null;
});

function renderTicket(conv) {
  const tk = conv.ticket;
  $("#ticket-none").hidden = !!tk;
  $("#ticket-fields").hidden = !tk;
  if (!tk) return;
  $("#ticket-number").textContent = `#${tk.number}`;
  $("#ticket-status").textContent = t("st_" + tk.status);
  $("#ticket-status").setAttribute("data-status", tk.status);
  if (document.activeElement !== $("#ticket-priority")) $("#ticket-priority").value = tk.priority;
  if (document.activeElement !== $("#ticket-category")) $("#ticket-category").value = tk.category || "";
  $("#ticket-sentiment").textContent = t(tk.sentiment || "neutral");
  setDue($("#sla-first"), tk, "first");
  setDue($("#sla-resolution"), tk, "resolution");
  $("#ticket-csat").textContent = tk.csat != null ? `${tk.csat} / 5` : t("none");
}

async function loadSuggestions(id) {
  const box = $("#kb-suggestions");
  let data;
  try {
    data = await K.api("GET", `/api/agent/conversations/${id}/suggestions`);
  } catch (_) {
    return;
  }
  if (String(id) !== String(desk.convId)) return;
  desk.suggestions = data.suggestions || [];
  if (!desk.suggestions.length) {
    box.replaceChildren(K.el("div", { className: "desk-empty", text: t("noSuggestions") }));
    return;
  }
  box.replaceChildren(
    ...desk.suggestions.map((s, i) => {
      const btn = K.el("button", { type: "button", className: "btn btn-ghost btn-sm kb-insert", "data-entry": s.entry_id, text: `${t("insert")} (Alt+${i + 1})` });
      btn.addEventListener("click", () => insert(s.answer));
      return K.el(
        "div",
        { className: "kb-suggestion", "data-entry": s.entry_id },
        K.el("div", { className: "kb-q", text: s.question }),
        K.el("div", { className: "kb-a", text: s.answer }),
        btn
      );
    })
  );
}

function insert(text) {
  const box = $("#reply-text");
  box.value = box.value ? `${box.value.replace(/\s+$/, "")}\n${text}` : text;
  box.dispatchEvent(new Event("input", { bubbles: true }));
  box.focus();
}

async function loadCanned(id) {
  let data;
  try {
    data = await K.api("GET", `/api/agent/canned?conversation_id=${id}`);
  } catch (_) {
    return;
  }
  desk.canned = data.canned || [];
  const sel = $("#canned-select");
  const first = sel.options[0];
  sel.replaceChildren(first, ...desk.canned.map((c) => K.el("option", { value: String(c.id), text: `/${c.shortcut} ${c.title || ""}` })));
}

async function loadCustomer(id) {
  let data;
  try {
    data = await K.api("GET", `/api/agent/conversations/${id}/customer`);
  } catch (_) {
    return;
  }
  if (String(id) !== String(desk.convId)) return;
  const c = data.contact;
  const rows = [
    K.el("div", { className: "c360-name", text: `${c.name || "#" + c.id}${c.tier === "vip" ? " · VIP" : ""}` }),
  ];
  if (c.email || c.phone) rows.push(K.el("div", { className: "c360-contact", text: [c.email, c.phone].filter(Boolean).join(" · ") }));
  if (c.company) rows.push(K.el("div", { className: "c360-company", text: c.company }));
  if (c.note) rows.push(K.el("div", { className: "c360-note", text: c.note }));
  rows.push(K.el("div", { className: "c360-h", text: t("identities") }));
  // Readable names only: an address or a number, never a visitor token or an openid.
  for (const i of data.identities) rows.push(K.el("div", { className: "c360-row", text: [K.channelLabel(i.channel), i.inbox, i.readable ? i.external_id : ""].filter(Boolean).join(" · ") }));
  rows.push(K.el("div", { className: "c360-h", text: t("history") }));
  for (const tk of data.tickets) {
    const a = K.el("button", { type: "button", className: "c360-ticket", text: `#${tk.number} · ${t("st_" + tk.status)} · ${t("prio_" + tk.priority)} · ${K.channelLabel(tk.channel)} · ${tk.subject || ""}` });
    a.addEventListener("click", () => K.openConversation(tk.conversation_id));
    rows.push(a);
  }
  $("#customer-360").replaceChildren(...rows);
  // privacy.js: reveal; products.js: the products; desk_more.js: edit, merge.
  for (const fn of K.hooks.customer) fn(id, data, $("#customer-360"));
}
/** Draw the open conversation's customer 360 again (desk_more.js, after an edit). */
export const reloadCustomer = () => desk.convId != null && loadCustomer(desk.convId);

async function loadAgents() {
  let data;
  try {
    data = await K.api("GET", "/api/agent/agents");
  } catch (_) {
    return;
  }
  const me = K.me();
  desk.agents = (data.agents || []).filter((a) => a.active && (!me || a.id !== me.id));
  $("#transfer-agent").replaceChildren(
    ...desk.agents.map((a) => K.el("option", { value: String(a.id), text: `${a.name} (${t("status_" + (a.presence || a.status))}, ${a.load}/${a.max_concurrent})` }))
  );
}

async function act(fn) {
  K.setError("");
  try {
    await fn();
  } catch (e) {
    K.setError(e.message || String(e));
  }
  await K.refresh();
}

function wire() {
  $("#agent-status").addEventListener("change", (ev) =>
    act(() => K.api("POST", "/api/agent/status", { status: ev.target.value }))
  );
  $("#pending").addEventListener("click", () => act(() => K.api("POST", `/api/agent/conversations/${desk.convId}/pending`)));
  $("#transfer").addEventListener("click", () => {
    const to = Number($("#transfer-agent").value);
    if (!to) return;
    act(() => K.api("POST", `/api/agent/conversations/${desk.convId}/transfer`, { agent_id: to, note: $("#transfer-note").value }));
    $("#transfer-note").value = "";
  });
  $("#ticket-priority").addEventListener("change", (ev) => {
    const tk = K.current() && K.current().ticket;
    if (tk) act(() => K.api("PATCH", `/api/agent/tickets/${tk.number}`, { priority: ev.target.value }));
  });
  $("#ticket-category").addEventListener("change", (ev) => {
    const tk = K.current() && K.current().ticket;
    if (tk) act(() => K.api("PATCH", `/api/agent/tickets/${tk.number}`, { category: ev.target.value.trim() }));
  });
  $("#canned-select").addEventListener("change", (ev) => {
    const c = desk.canned.find((x) => String(x.id) === ev.target.value);
    if (c) insert(c.rendered);
    ev.target.value = "";
  });
  document.addEventListener("keydown", (ev) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes((document.activeElement || {}).tagName);
    if (ev.key === "/" && !typing && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
      ev.preventDefault();
      $("#reply-text").focus();
      return;
    }
    if (!ev.altKey || ev.ctrlKey || ev.metaKey || desk.convId == null) return;
    const key = (ev.code || "").replace(/^Key|^Digit/, "").toLowerCase();
    const actions = { t: "#takeover", r: "#resolve", p: "#pending", h: "#handback" };
    if (actions[key]) {
      ev.preventDefault();
      const btn = $(actions[key]);
      if (btn && !btn.disabled) btn.click();
    } else if (["1", "2", "3"].includes(key) && desk.suggestions[Number(key) - 1]) {
      ev.preventDefault();
      insert(desk.suggestions[Number(key) - 1].answer);
    }
  });
}

K.hooks.app.push((agent) => {
  $("#agent-status").value = agent.status || "offline";
  $("#nav-reports").hidden = !["supervisor", "admin"].includes(agent.role);
  applyI18n();
});
K.hooks.lang.push(applyI18n);
K.hooks.event.push((f) => {
  if (f.type === "sla.warning" || f.type === "sla.breach") {
    const msg = t(f.type === "sla.warning" ? "slaWarning" : "slaBreach").replace("{n}", f.ticket);
    const live = $("#live-status");
    live.setAttribute("title", msg);
    K.refresh();
  }
  if (f.type === "agent.status" && K.me() && f.agent_id === K.me().id) $("#agent-status").value = f.status;
});

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
else wire();
