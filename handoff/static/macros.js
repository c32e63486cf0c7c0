/*
 * kefu labels and macros (supervisors and admins): labels with colours, and macros (reply,
 * label, priority, status, assign to an agent or a team) that agents run from a
 * conversation ("/" in the reply box). Text only through textContent.
 */
import { $, textEl as el } from "/assets/dom.js";
import { errorText } from "./errors.js";

const S = {
  zh: {
    console: "← 工作台", title: "标签和宏", lang: "English", labels: "标签", macros: "宏",
    name: "名称", color: "颜色", add: "添加", save: "保存", new: "新建", edit: "编辑", delete: "删除",
    reply: "回复内容（可用 {customer_name} {agent_name} {ticket_number}）", addLabel: "加标签",
    priority: "优先级", status: "状态", assignAgent: "转给客服", assignTeam: "转给团队", keep: "不变",
    prio_normal: "普通", prio_high: "高", prio_urgent: "紧急", st_open: "处理中", st_pending: "等待客户",
    st_resolved: "已解决", used: "{n} 个会话", noAction: "请至少选择一个动作",
    a_reply: "回复", a_label: "标签", a_priority: "优先级", a_status: "状态", a_assign: "转接",
    login: "请先登录工作台。",
  },
  en: {
    console: "← Console", title: "Labels and macros", lang: "中文", labels: "Labels", macros: "Macros",
    name: "Name", color: "Colour", add: "Add", save: "Save", new: "New", edit: "Edit", delete: "Delete",
    reply: "Reply ({customer_name} {agent_name} {ticket_number} are filled in)", addLabel: "Add label",
    priority: "Priority", status: "Status", assignAgent: "Assign to agent", assignTeam: "Assign to team", keep: "Unchanged",
    prio_normal: "Normal", prio_high: "High", prio_urgent: "Urgent", st_open: "Open", st_pending: "Pending",
    st_resolved: "Resolved", used: "{n} conversations", noAction: "Choose at least one action",
    a_reply: "Reply", a_label: "Label", a_priority: "Priority", a_status: "Status", a_assign: "Assign",
    login: "Please log in to the console first.",
  },
};
let lang = "zh";
try {
  lang = localStorage.getItem("kefu.console.lang") === "en" ? "en" : "zh";
} catch (_) {
  /* storage disabled */
}
const t = (k) => S[lang][k] || k;
const state = { labels: [], macros: [], agents: [], teams: [] };

async function api(method, path, body) {
  const opts = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET") {
    opts.headers["Content-Type"] = "application/json";
    opts.headers["X-Requested-With"] = "kefu";
    opts.body = JSON.stringify(body || {});
  }
  const res = await fetch(path, opts);
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const code = data && data.error && data.error.code;
    const worded = errorText(code, lang);
    throw new Error(res.status === 401 ? t("login") : worded || (data && data.error && data.error.message) || `HTTP ${res.status}`);
  }
  return data || {};
}

function showError(e) {
  const box = $("#error");
  box.textContent = e ? e.message || String(e) : "";
  box.hidden = !e;
}

function summary(m) {
  return m.actions
    .map((a) => {
      if (a.type === "reply") return `${t("a_reply")}: ${a.text}`;
      if (a.type === "label") return `${t("a_label")}: ${a.label}`;
      if (a.type === "priority") return `${t("a_priority")}: ${t("prio_" + a.priority)}`;
      if (a.type === "status") return `${t("a_status")}: ${t("st_" + a.status)}`;
      const who = a.agent_id ? (state.agents.find((x) => x.id === a.agent_id) || {}).name : (state.teams.find((x) => x.id === a.team_id) || {}).name;
      return `${t("a_assign")}: ${who || "#" + (a.agent_id || a.team_id)}`;
    })
    .join(" · ");
}

function render() {
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  for (const n of document.querySelectorAll("[data-i18n]")) n.textContent = t(n.getAttribute("data-i18n"));
  $("#labels tbody").replaceChildren(
    ...state.labels.map((l) => {
      const tr = el("tr");
      tr.setAttribute("data-label", l.name);
      const name = el("td", l.name);
      name.style.color = l.color;
      const color = el("input");
      color.type = "color";
      color.value = l.color;
      color.addEventListener("change", () => act(() => api("PATCH", `/api/admin/labels/${l.id}`, { color: color.value })));
      const del = el("button", t("delete"));
      del.type = "button";
      del.addEventListener("click", () => act(() => api("DELETE", `/api/admin/labels/${l.id}`)));
      const c1 = el("td");
      c1.append(color);
      const c2 = el("td");
      c2.append(del);
      tr.append(name, c1, el("td", t("used").replace("{n}", l.conversations)), c2);
      return tr;
    })
  );
  $("#macro-label-options").replaceChildren(...state.labels.map((l) => Object.assign(el("option"), { value: l.name })));
  $("#macros tbody").replaceChildren(
    ...state.macros.map((m) => {
      const tr = el("tr");
      tr.setAttribute("data-macro", m.name);
      const edit = el("button", t("edit"));
      edit.type = "button";
      edit.addEventListener("click", () => fillForm(m));
      const del = el("button", t("delete"));
      del.type = "button";
      del.addEventListener("click", () => act(() => api("DELETE", `/api/admin/macros/${m.id}`)));
      const cell = el("td");
      cell.append(edit, " ", del);
      tr.append(el("td", m.name), el("td", summary(m)), cell);
      return tr;
    })
  );
}

function fillForm(m) {
  $("#macro-id").value = m ? String(m.id) : "";
  $("#macro-name").value = m ? m.name : "";
  const find = (type) => (m ? m.actions.find((a) => a.type === type) : null);
  $("#macro-reply").value = (find("reply") || {}).text || "";
  $("#macro-label").value = (find("label") || {}).label || "";
  $("#macro-priority").value = (find("priority") || {}).priority || "";
  $("#macro-status").value = (find("status") || {}).status || "";
  const assign = find("assign") || {};
  $("#macro-agent").value = assign.agent_id ? String(assign.agent_id) : "";
  $("#macro-team").value = assign.team_id ? String(assign.team_id) : "";
  $("#macro-name").focus();
}

async function act(fn) {
  showError(null);
  try {
    await fn();
  } catch (e) {
    showError(e);
  }
  await load();
}

async function load() {
  try {
    const [l, m] = await Promise.all([api("GET", "/api/agent/labels"), api("GET", "/api/agent/macros")]);
    state.labels = l.labels || [];
    state.macros = m.macros || [];
  } catch (e) {
    showError(e);
  }
  render();
}

async function options() {
  const fill = (sel, rows) => {
    for (const r of rows) {
      const o = el("option", r.name);
      o.value = String(r.id);
      sel.append(o);
    }
  };
  try {
    state.agents = ((await api("GET", "/api/agent/agents")).agents || []).filter((a) => a.active);
    fill($("#macro-agent"), state.agents);
    state.teams = (await api("GET", "/api/admin/teams")).teams || [];
    fill($("#macro-team"), state.teams);
  } catch (_) {
    /* the selects keep "unchanged" */
  }
}

$("#label-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const name = $("#label-name").value.trim();
  if (!name) return;
  act(async () => {
    await api("POST", "/api/admin/labels", { name, color: $("#label-color").value });
    $("#label-name").value = "";
  });
});
$("#macro-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const actions = [];
  const reply = $("#macro-reply").value.trim();
  if (reply) actions.push({ type: "reply", text: reply });
  if ($("#macro-label").value.trim()) actions.push({ type: "label", label: $("#macro-label").value.trim() });
  if ($("#macro-priority").value) actions.push({ type: "priority", priority: $("#macro-priority").value });
  if ($("#macro-agent").value) actions.push({ type: "assign", agent_id: Number($("#macro-agent").value) });
  else if ($("#macro-team").value) actions.push({ type: "assign", team_id: Number($("#macro-team").value) });
  if ($("#macro-status").value) actions.push({ type: "status", status: $("#macro-status").value });
  if (!actions.length) return showError(new Error(t("noAction")));
  const id = $("#macro-id").value;
  const body = { name: $("#macro-name").value.trim(), actions };
  act(async () => {
    await api(id ? "PUT" : "POST", id ? `/api/admin/macros/${id}` : "/api/admin/macros", body);
    fillForm(null);
  });
});
$("#macro-new").addEventListener("click", () => fillForm(null));
$("#lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  try {
    localStorage.setItem("kefu.console.lang", lang);
  } catch (_) {
    /* storage disabled */
  }
  render();
});
options().then(load);
