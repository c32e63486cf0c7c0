/* kefu settings page (admins; supervisors read): SLA policies, agents, canned replies. No libraries. */
import { $, textEl as el } from "/assets/dom.js";
import { errorText } from "./errors.js";
import { lang, shell, wordPage, words } from "./page.js";

const S = {
  zh: {
    title: "设置", slaTitle: "SLA 策略",
    slaHint: "新工单按这里的时限计时；已打开的工单保留原截止时间。工作时间与节假日日历在 kefu.toml 中设置。",
    hours: (s) => `工作时间 ${s.workday_start}-${s.workday_end}（${s.timezone}），日历：${s.calendar}，超时前 ${s.warn_before_minutes} 分钟预警`,
    policy: "策略", firstResponse: "首次响应（分钟）", resolution: "解决（分钟）", clock: "计时方式", source: "来源",
    p_normal: "普通", p_high: "高", p_urgent: "紧急", p_vip: "VIP 客户",
    business: "工作时间", calendar: "自然时间", src_config: "配置文件", src_admin: "管理员设置",
    save: "保存", reset: "恢复默认", saved: "已保存。", agentsTitle: "客服", name: "姓名", email: "邮箱",
    password: "初始密码", role: "角色", skills: "技能", skillsHint: "技能，用逗号分隔", maxConcurrent: "最多同时接待",
    status: "状态", active: "启用", addAgent: "添加客服", cannedTitle: "快捷回复",
    cannedHint: "可用变量：{customer_name} {agent_name} {ticket_number}", shortcut: "快捷键", cannedName: "标题",
    text: "内容", addCanned: "添加快捷回复", del: "删除", readOnly: "只有管理员可以修改。",
    online: "在线", away: "离开", offline: "离线", remove: "移除", removed: "已移除。", removeSure: "确认移除",
    removeAsk: (n) => `再点一次移除客服 ${n}：其会话回到队列，其姓名仍留在历史消息中。`,
    prechatTitle: "网页聊天 · 聊天前表单", field: "字段", ask: "要求", phone: "手机",
    prechatHint: "访客在网页聊天（入口 web）开始前填写的信息。未在这里设置时沿用 kefu.toml 的 [desk]。",
    mode_off: "不询问", mode_optional: "选填", mode_required: "必填",
    fromConfig: "当前：kefu.toml 的默认设置", fromAdmin: "当前：管理员设置",
  },
  en: {
    title: "Settings", slaTitle: "SLA policies",
    slaHint: "New tickets are timed by these targets; tickets already open keep their due times. Business hours and the holiday calendar are set in kefu.toml.",
    hours: (s) => `Business hours ${s.workday_start}-${s.workday_end} (${s.timezone}), calendar: ${s.calendar}, warning ${s.warn_before_minutes} min before a breach`,
    policy: "Policy", firstResponse: "First response (min)", resolution: "Resolution (min)", clock: "Clock", source: "Source",
    p_normal: "Normal", p_high: "High", p_urgent: "Urgent", p_vip: "VIP customers",
    business: "Business hours", calendar: "Calendar time", src_config: "Config file", src_admin: "Set by an admin",
    save: "Save", reset: "Reset", saved: "Saved.", agentsTitle: "Agents", name: "Name", email: "Email",
    password: "Initial password", role: "Role", skills: "Skills", skillsHint: "skills, comma separated", maxConcurrent: "Max concurrent",
    status: "Status", active: "Active", addAgent: "Add agent", cannedTitle: "Canned replies",
    cannedHint: "Variables: {customer_name} {agent_name} {ticket_number}", shortcut: "Shortcut", cannedName: "Title",
    text: "Text", addCanned: "Add canned reply", del: "Delete", readOnly: "Only admins can change these.",
    online: "Online", away: "Away", offline: "Offline", remove: "Remove", removed: "Removed.", removeSure: "Confirm removal",
    removeAsk: (n) => `Click again to remove agent ${n}: their conversations go back to the queue; their name stays on past messages.`,
    prechatTitle: "Web chat · Pre-chat form", field: "Field", ask: "Ask", phone: "Phone",
    prechatHint: "What a visitor fills in before chatting on the web chat (inbox web). Until set here, kefu.toml's [desk] applies.",
    mode_off: "Don't ask", mode_optional: "Optional", mode_required: "Required",
    fromConfig: "Now: the kefu.toml defaults", fromAdmin: "Now: set by an admin",
  },
};
const t = words(S);
shell(t, render);
let me = null;
let sla = null;
let agents = [];
let canned = [];
let prechat = null;

function show(kind, message) {
  const box = $(kind === "error" ? "#error" : "#notice");
  box.textContent = message;
  box.hidden = !message;
  if (message && kind !== "error") setTimeout(() => { box.hidden = true; }, 2500);
}

async function api(method, url, body) {
  const opts = { method, credentials: "same-origin", headers: { "X-Requested-With": "kefu" } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(url, opts);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const worded = data.error ? errorText(data.error.code, lang) : null;
    const detail = data.error && data.error.message;
    // A refused value: the worded reason, then the server's words naming the field.
    const full = worded && detail && res.status === 400 ? (lang === "zh" ? `${worded}（${detail}）` : `${worded} (${detail})`) : worded;
    const msg = res.status === 401 ? t("login") : full || detail || `HTTP ${res.status}`;
    show("error", msg);
    throw new Error(msg);
  }
  show("error", "");
  return data;
}

const isAdmin = () => me && me.role === "admin";
// Event handlers: a refused request is already shown in #error; don't let it escape.
const guard = (fn) => (ev) => { fn(ev).catch(() => {}); };

function numberInput(value, name) {
  const i = el("input");
  i.type = "number"; i.min = "1"; i.max = "1000000"; i.value = String(value); i.name = name;
  i.disabled = !isAdmin();
  return i;
}

function renderSla() {
  const body = $("#sla-table tbody");
  if (!sla) return;
  $("#sla-hours").textContent = t("hours")(sla.sla);
  body.replaceChildren(...sla.policies.map((p) => {
    const tr = el("tr");
    tr.dataset.key = p.key;
    const first = numberInput(p.first_response_minutes, "first_response_minutes");
    const res = numberInput(p.resolution_minutes, "resolution_minutes");
    const clock = el("select");
    clock.name = "clock";
    clock.disabled = !isAdmin();
    for (const c of ["business", "calendar"]) {
      const o = el("option", t(c));
      o.value = c;
      o.selected = p.clock === c;
      clock.append(o);
    }
    const src = el("span", t(`src_${p.source}`), p.source === "admin" ? "badge-admin" : "");
    const actions = el("td");
    if (isAdmin()) {
      const save = el("button", t("save"));
      save.className = "save";
      save.addEventListener("click", guard(async () => {
        sla = await api("PUT", `/api/admin/sla/policies/${p.key}`, {
          first_response_minutes: Number(first.value), resolution_minutes: Number(res.value), clock: clock.value,
        });
        renderSla();
        show("notice", t("saved"));
      }));
      actions.append(save);
      if (p.source === "admin") {
        const reset = el("button", t("reset"));
        reset.className = "reset";
        reset.addEventListener("click", guard(async () => {
          sla = await api("DELETE", `/api/admin/sla/policies/${p.key}`);
          renderSla();
        }));
        actions.append(" ", reset);
      }
    }
    const cells = [el("td", t(`p_${p.key}`)), el("td"), el("td"), el("td"), el("td"), actions];
    cells[1].append(first); cells[2].append(res); cells[3].append(clock); cells[4].append(src);
    tr.append(...cells);
    return tr;
  }));
}

function renderAgents() {
  $("#agents-table tbody").replaceChildren(...agents.map((a) => {
    const tr = el("tr");
    tr.dataset.id = String(a.id);
    const role = el("select");
    for (const r of ["agent", "supervisor", "admin"]) {
      const o = el("option", r);
      o.value = r; o.selected = a.role === r;
      role.append(o);
    }
    const skills = el("input");
    skills.value = (a.skills || []).join(", ");
    const max = numberInput(a.max_concurrent, "max_concurrent");
    max.max = "100";
    const active = el("input");
    active.type = "checkbox"; active.checked = a.active;
    for (const i of [role, skills, active]) i.disabled = !isAdmin();
    const actions = el("td");
    if (isAdmin()) {
      const save = el("button", t("save"));
      save.className = "save";
      save.addEventListener("click", guard(async () => {
        await api("PATCH", `/api/admin/agents/${a.id}`, {
          role: role.value, skills: skills.value.split(/[,，]/).map((s) => s.trim()).filter(Boolean),
          max_concurrent: Number(max.value), active: active.checked,
        });
        await loadAgents();
        show("notice", t("saved"));
      }));
      actions.append(save);
      if (!me || a.id !== me.id) {
        const remove = el("button", t("remove"));
        remove.className = "remove";
        remove.addEventListener("click", guard(async () => {
          if (!remove.dataset.armed) { // the first click asks, in the page: no native dialog
            remove.dataset.armed = "1";
            remove.textContent = t("removeSure");
            show("notice", t("removeAsk")(a.name));
            return;
          }
          await api("DELETE", `/api/admin/agents/${a.id}`);
          await loadAgents();
          show("notice", t("removed"));
        }));
        actions.append(" ", remove);
      }
    }
    const cells = [el("td", a.name), el("td", a.email), el("td"), el("td"), el("td"), el("td", t(a.status)), el("td"), actions];
    cells[2].append(role); cells[3].append(skills); cells[4].append(max); cells[6].append(active);
    tr.append(...cells);
    return tr;
  }));
  $("#new-agent").hidden = !isAdmin();
}

function renderCanned() {
  const canEdit = me && (me.role === "admin" || me.role === "supervisor");
  $("#canned-table tbody").replaceChildren(...canned.map((c) => {
    const tr = el("tr");
    const actions = el("td");
    if (canEdit) {
      const del = el("button", t("del"));
      del.addEventListener("click", guard(async () => {
        await api("DELETE", `/api/admin/canned/${c.id}`);
        await loadCanned();
      }));
      actions.append(del);
    }
    tr.append(el("td", c.shortcut), el("td", c.title), el("td", c.text), actions);
    return tr;
  }));
  $("#new-canned").hidden = !canEdit;
}

const PRECHAT = "/api/admin/inboxes/web/prechat";

function renderPrechat() {
  $("#prechat").hidden = !prechat;
  if (!prechat) return;
  $("#prechat-table tbody").replaceChildren(...["name", "phone", "email"].map((f) => {
    const mode = el("select");
    mode.name = f;
    mode.disabled = !isAdmin();
    for (const m of ["off", "optional", "required"]) {
      const o = el("option", t(`mode_${m}`));
      o.value = m; o.selected = prechat.form[f] === m;
      mode.append(o);
    }
    const cell = el("td");
    cell.append(mode);
    const tr = el("tr");
    tr.append(el("td", t(f)), cell);
    return tr;
  }));
  $("#prechat-source").textContent = t(prechat.default ? "fromConfig" : "fromAdmin");
  $("#prechat-save").hidden = $("#prechat-default").hidden = !isAdmin();
}

async function putPrechat(body) {
  prechat = await api("PUT", PRECHAT, body);
  renderPrechat();
  show("notice", t("saved"));
}
$("#prechat-save").addEventListener("click", guard(async () => {
  const body = {};
  for (const s of document.querySelectorAll("#prechat-table select")) body[s.name] = s.value;
  await putPrechat(body);
}));
$("#prechat-default").addEventListener("click", guard(() => putPrechat({ default: true })));

function render() {
  wordPage(t);
  renderSla(); renderAgents(); renderCanned(); renderPrechat();
  if (me && !isAdmin()) show("notice", t("readOnly"));
}

async function loadAgents() { agents = (await api("GET", "/api/agent/agents")).agents; renderAgents(); }
async function loadCanned() { canned = (await api("GET", "/api/agent/canned")).canned; renderCanned(); }

$("#new-agent").addEventListener("submit", guard(async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  await api("POST", "/api/admin/agents", {
    name: f.get("name"), email: f.get("email"), password: f.get("password"), role: f.get("role"),
    skills: String(f.get("skills") || "").split(/[,，]/).map((s) => s.trim()).filter(Boolean),
    max_concurrent: Number(f.get("max_concurrent") || 5),
  });
  ev.target.reset();
  await loadAgents();
}));
$("#new-canned").addEventListener("submit", guard(async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  await api("POST", "/api/admin/canned", { shortcut: f.get("shortcut"), title: f.get("title") || "", text: f.get("text") });
  ev.target.reset();
  await loadCanned();
}));

(async () => {
  render();
  me = (await api("GET", "/api/agent/me")).agent;
  sla = await api("GET", "/api/admin/sla").catch(() => null);
  agents = (await api("GET", "/api/agent/agents")).agents;
  canned = (await api("GET", "/api/agent/canned")).canned;
  prechat = await api("GET", PRECHAT).catch(() => null);
  render();
})().catch(() => {});
