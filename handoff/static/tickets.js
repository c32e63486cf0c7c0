/*
 * kefu tickets screen: GET /api/agent/tickets with the filters of handoff/filters.py
 * (status, priority, assignee, team, channel, label, since, until); a row opens its
 * conversation in the console. Times in the configured zone, strings in zh or en.
 */
import { $, textEl as el } from "/assets/dom.js";
import { errorText } from "./errors.js";

const S = {
  zh: {
    console: "← 工作台", title: "工单", reload: "刷新", lang: "English", any: "全部",
    status: "状态", priority: "优先级", assignee: "负责人", team: "团队", channel: "渠道",
    label: "标签", since: "从", until: "到", number: "编号", subject: "主题", customer: "客户",
    created: "创建时间", empty: "没有符合条件的工单。", me: "我", unassigned: "未分配",
    st_new: "新建", st_open: "处理中", st_pending: "等待客户", st_resolved: "已解决", st_closed: "已关闭",
    prio_normal: "普通", prio_high: "高", prio_urgent: "紧急",
    login: "请先登录工作台。", failed: "加载失败：",
  },
  en: {
    console: "← Console", title: "Tickets", reload: "Reload", lang: "中文", any: "Any",
    status: "Status", priority: "Priority", assignee: "Assignee", team: "Team", channel: "Channel",
    label: "Label", since: "From", until: "To", number: "No.", subject: "Subject", customer: "Customer",
    created: "Created", empty: "No ticket matches.", me: "Me", unassigned: "Unassigned",
    st_new: "New", st_open: "Open", st_pending: "Pending", st_resolved: "Resolved", st_closed: "Closed",
    prio_normal: "Normal", prio_high: "High", prio_urgent: "Urgent",
    login: "Please log in to the console first.", failed: "Could not load: ",
  },
};
let lang = "zh";
try {
  const saved = localStorage.getItem("kefu.console.lang");
  lang = saved === "en" || saved === "zh" ? saved : (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
} catch (_) {
  /* storage disabled */
}
const t = (k) => S[lang][k] || k;
const state = { rows: [], tz: undefined, channels: new Map() };

async function get(path) {
  const res = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const code = body && body.error && body.error.code;
    const worded = errorText(code, lang);
    const err = new Error(res.status === 401 ? t("login") : worded || (body && body.error && body.error.message) || `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

function when(iso) {
  if (!iso) return "";
  try {
    return new Date(iso).toLocaleString(lang === "en" ? "en" : "zh-CN", { timeZone: state.tz, dateStyle: "short", timeStyle: "short" });
  } catch (_) {
    return new Date(iso).toLocaleString();
  }
}

function channelName(name) {
  const l = state.channels.get(name);
  return (l && l[lang]) || name || "";
}

function render() {
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  for (const n of document.querySelectorAll("[data-i18n]")) n.textContent = t(n.getAttribute("data-i18n"));
  for (const o of document.querySelectorAll("#f-channel option[data-ch]")) o.textContent = channelName(o.value);
  const body = $("#tickets tbody");
  body.replaceChildren(
    ...state.rows.map((r) => {
      const tr = el("tr");
      tr.setAttribute("data-number", String(r.number));
      tr.tabIndex = 0;
      const cell = (key, text, cls) => {
        const td = el("td", text, cls);
        td.setAttribute("data-h", t(key));
        return td;
      };
      const labels = cell("label", null);
      for (const l of r.labels || []) {
        const span = el("span", l.name, "t-label");
        if (/^#[0-9a-f]{6}$/i.test(l.color || "")) {
          span.style.borderColor = l.color;
          span.style.color = l.color;
        }
        labels.append(span);
      }
      tr.append(
        cell("number", `#${r.number}`),
        cell("subject", r.subject || ""),
        cell("customer", (r.contact && r.contact.name) || `#${r.contact ? r.contact.id : ""}`),
        cell("status", t("st_" + r.status)),
        cell("priority", t("prio_" + r.priority), `t-prio-${r.priority}`),
        cell("assignee", r.assignee ? r.assignee.name : t("unassigned")),
        cell("channel", channelName(r.channel)),
        labels,
        cell("created", when(r.created_at))
      );
      const open = () => {
        location.href = `/agent/#c/${r.conversation_id}`;
      };
      tr.addEventListener("click", open);
      tr.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter") open();
      });
      return tr;
    })
  );
  $("#empty").hidden = state.rows.length > 0;
}

function query() {
  const params = new URLSearchParams();
  for (const n of document.querySelectorAll("#filters [name]")) if (n.value) params.set(n.name, n.value);
  return params.toString();
}

async function load() {
  $("#error").hidden = true;
  const q = query();
  history.replaceState(null, "", q ? `?${q}` : location.pathname);
  try {
    const data = await get(`/api/agent/tickets${q ? "?" + q : ""}`);
    state.rows = data.tickets || [];
    state.tz = data.tz || undefined;
  } catch (e) {
    const box = $("#error");
    box.textContent = e.status === 401 ? e.message : t("failed") + e.message;
    box.hidden = false;
    state.rows = [];
  }
  render();
}

async function options() {
  const fill = (sel, items) => {
    for (const [value, text, ch] of items) {
      const o = el("option", text);
      o.value = value;
      if (ch) o.setAttribute("data-ch", "");
      sel.append(o);
    }
  };
  const tries = [
    get("/api/agent/channels").then((d) => {
      for (const c of d.channels || []) state.channels.set(c.name, c.label);
      fill($("#f-channel"), (d.channels || []).map((c) => [c.name, channelName(c.name), true]));
    }),
    get("/api/agent/labels").then((d) => fill($("#f-label"), (d.labels || []).map((l) => [String(l.id), l.name]))),
    get("/api/agent/me").then(async (d) => {
      if (!["admin", "supervisor"].includes(d.agent.role)) {
        $("#team-field").hidden = true;
        return;
      }
      const tm = await get("/api/admin/teams");
      fill($("#f-team"), (tm.teams || []).map((x) => [String(x.id), x.name]));
      const ag = await get("/api/agent/agents");
      fill($("#f-assignee"), (ag.agents || []).map((a) => [String(a.id), a.name]));
    }),
  ];
  await Promise.allSettled(tries);
  const params = new URLSearchParams(location.search);
  for (const [k, v] of params) {
    const n = document.querySelector(`#filters [name="${CSS.escape(k)}"]`);
    if (n) n.value = v;
  }
}

$("#filters").addEventListener("change", load);
$("#filters").addEventListener("submit", (ev) => {
  ev.preventDefault();
  load();
});
$("#reload").addEventListener("click", load);
document.addEventListener("kefu:tickets-changed", load); // a phone ticket was opened here
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
