/* kefu integrations page (admins): API tokens and webhooks. Text only (no innerHTML). No libraries. */
import { $, textEl as el } from "/assets/dom.js";
import { lang, shell, wordPage, words } from "./page.js";

const SCOPES = ["tickets", "contacts", "conversations", "reports", "kb"];
const S = {
  zh: {
    title: "集成", tokensTitle: "API 令牌",
    tokensHint: "其他系统通过 Authorization: Bearer 令牌调用 /api/v1。令牌以创建它的管理员身份操作。",
    name: "名称", prefix: "前缀", scopes: "权限", rateLimit: "每分钟调用上限", lastUsed: "最近使用", state: "状态",
    addToken: "创建令牌", rotate: "更换密钥", revoke: "吊销", active: "有效", revoked: "已吊销", never: "从未",
    confirmRevoke: "确认吊销？（立即失效）",
    confirmRotate: "确认更换？（旧密钥立即失效）",
    secretTitle: "请立即复制密钥", secretHint: "密钥只显示这一次，关闭本页后无法再次查看。", done: "我已保存",
    hooksTitle: "Webhook", hooksHint: "工单、会话和消息有变化时，向这些地址发送签名的 POST 请求（X-Kefu-Signature）。",
    events: "事件", url: "接收地址 https://...", addHook: "添加 Webhook", enabled: "启用中", paused: "已暂停",
    disabled: "已停用", pause: "暂停", enable: "启用", del: "删除", confirmDelete: "确认删除？",
    deliveriesOf: (u) => `投递记录：${u}`, showDeliveries: "投递记录", event: "事件", attempts: "尝试次数",
    lastResponse: "最后响应", created: "时间", retry: "重新发送", pending: "等待中", sending: "发送中",
    sent: "已送达", dead: "失败", read: "读", write: "写",
    adminOnly: "只有管理员可以管理集成。", saved: "已保存。",
    s_tickets: "工单", s_contacts: "客户", s_conversations: "会话", s_reports: "报表", s_kb: "知识库",
  },
  en: {
    title: "Integrations", tokensTitle: "API tokens",
    tokensHint: "Other systems call /api/v1 with Authorization: Bearer <token>. A token acts as the admin who created it.",
    name: "Name", prefix: "Prefix", scopes: "Scopes", rateLimit: "Calls per minute", lastUsed: "Last used", state: "State",
    addToken: "Create token", rotate: "Rotate", revoke: "Revoke", active: "Active", revoked: "Revoked", never: "never",
    confirmRevoke: "Revoke now? (refused at once)",
    confirmRotate: "Rotate now? (old secret ends)",
    secretTitle: "Copy the secret now", secretHint: "It is shown this once; it cannot be shown again.", done: "I saved it",
    hooksTitle: "Webhooks", hooksHint: "Ticket, conversation and message events are POSTed to these URLs, signed (X-Kefu-Signature).",
    events: "Events", url: "Receiver URL https://...", addHook: "Add webhook", enabled: "Enabled", paused: "Paused",
    disabled: "Disabled", pause: "Pause", enable: "Enable", del: "Delete", confirmDelete: "Delete with its deliveries?",
    deliveriesOf: (u) => `Deliveries to ${u}`, showDeliveries: "Deliveries", event: "Event", attempts: "Attempts",
    lastResponse: "Last response", created: "Time", retry: "Send again", pending: "Waiting", sending: "Sending",
    sent: "Delivered", dead: "Failed", read: "read", write: "write",
    adminOnly: "Only admins manage integrations.", saved: "Saved.",
    s_tickets: "Tickets", s_contacts: "Contacts", s_conversations: "Conversations", s_reports: "Reports", s_kb: "KB",
  },
};
const t = words(S);
shell(t, render);
const EVENT_NAMES = {
  zh: {
    "conversation.created": "新会话", "conversation.escalated": "转人工", "conversation.resolved": "会话已解决",
    "message.created": "新消息", "ticket.created": "新工单", "ticket.updated": "工单更新",
    "ticket.status_changed": "工单状态变化", "ticket.assigned": "工单分配", "ticket.resolved": "工单已解决",
    "csat.submitted": "满意度评价", "sla.warning": "SLA 预警", "sla.breach": "SLA 超时",
  },
  en: {
    "conversation.created": "new conversation", "conversation.escalated": "handed to a person",
    "conversation.resolved": "conversation resolved", "message.created": "new message", "ticket.created": "new ticket",
    "ticket.updated": "ticket updated", "ticket.status_changed": "ticket status changed", "ticket.assigned": "ticket assigned",
    "ticket.resolved": "ticket resolved", "csat.submitted": "satisfaction score", "sla.warning": "SLA warning",
    "sla.breach": "SLA breach",
  },
};
let tokens = [];
let hooks = [];
let events = [];
let opened = null; // the webhook whose deliveries are shown
let deliveries = [];

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
    const msg = res.status === 401 ? t("login") : res.status === 403 ? t("adminOnly")
      : (data.error && data.error.message) || `HTTP ${res.status}`;
    show("error", msg);
    throw new Error(msg);
  }
  show("error", "");
  return data;
}

const guard = (fn) => (ev) => { fn(ev).catch(() => {}); };
const when = (iso) => (iso ? new Date(iso).toLocaleString(lang === "en" ? "en" : "zh-CN") : t("never"));

function showSecret(secret) {
  $("#secret-value").textContent = secret;
  $("#secret-box").hidden = false;
}

function button(label, onClick) {
  const b = el("button", label);
  b.type = "button";
  b.addEventListener("click", guard(onClick));
  return b;
}

// A destructive action asks on the button itself: the first click arms it, the second acts.
function armed(label, question, onClick) {
  const b = el("button", label);
  b.type = "button";
  b.addEventListener("click", guard(async () => {
    if (b.dataset.armed !== "1") {
      b.dataset.armed = "1";
      b.textContent = question;
      b.classList.add("danger");
      return;
    }
    await onClick();
  }));
  return b;
}

function renderScopeBoxes() {
  const box = $("#scope-boxes");
  const checked = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
  box.replaceChildren(...SCOPES.flatMap((s) => ["read", "write"].map((a) => {
    const label = el("label", null, "check");
    const i = el("input");
    i.type = "checkbox"; i.name = "scope"; i.value = `${s}:${a}`; i.checked = checked.has(i.value);
    label.append(i, ` ${t(`s_${s}`)} ${t(a)}`);
    return label;
  })));
}

function renderEventBoxes() {
  const box = $("#event-boxes");
  const checked = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
  box.replaceChildren(...events.map((e) => {
    const label = el("label", null, "check");
    const i = el("input");
    i.type = "checkbox"; i.name = "event"; i.value = e; i.checked = checked.has(e);
    const about = (EVENT_NAMES[lang] || {})[e];
    label.append(i, ` ${e}${about ? ` · ${about}` : ""}`);
    return label;
  }));
}

function renderTokens() {
  $("#tokens-table tbody").replaceChildren(...tokens.map((tok) => {
    const tr = el("tr");
    tr.dataset.id = String(tok.id);
    const actions = el("td");
    if (tok.active) {
      actions.append(
        armed(t("rotate"), t("confirmRotate"), async () => {
          showSecret((await api("POST", `/api/admin/tokens/${tok.id}/rotate`)).secret);
          await loadTokens();
        }),
        " ",
        armed(t("revoke"), t("confirmRevoke"), async () => {
          await api("DELETE", `/api/admin/tokens/${tok.id}`);
          await loadTokens();
        }),
      );
    }
    tr.append(
      el("td", tok.name), el("td", `${tok.prefix}…`), el("td", tok.scopes.join(" ")),
      el("td", String(tok.rate_limit)), el("td", when(tok.last_used_at)),
      el("td", tok.active ? t("active") : t("revoked"), tok.active ? "" : "muted"), actions,
    );
    return tr;
  }));
}

function renderHooks() {
  $("#hooks-table tbody").replaceChildren(...hooks.map((h) => {
    const tr = el("tr");
    tr.dataset.id = String(h.id);
    const state = el("td");
    state.append(el("span", h.active ? t("enabled") : h.disabled_reason ? t("disabled") : t("paused")));
    if (h.disabled_reason) state.append(el("div", h.disabled_reason, "error-text"));
    const actions = el("td");
    actions.append(
      button(t("showDeliveries"), async () => { opened = h; await loadDeliveries(); }),
      " ",
      button(h.active ? t("pause") : t("enable"), async () => {
        await api("PATCH", `/api/admin/webhooks/${h.id}`, { active: !h.active });
        await loadHooks();
      }),
      " ",
      armed(t("del"), t("confirmDelete"), async () => {
        await api("DELETE", `/api/admin/webhooks/${h.id}`);
        if (opened && opened.id === h.id) opened = null;
        await loadHooks();
        renderDeliveries();
      }),
    );
    tr.append(el("td", h.url), el("td", h.events.join(" ")), state, actions);
    return tr;
  }));
}

function renderDeliveries() {
  $("#deliveries").hidden = !opened;
  if (!opened) return;
  $("#deliveries-title").textContent = t("deliveriesOf")(opened.url);
  $("#deliveries-table tbody").replaceChildren(...deliveries.map((d) => {
    const tr = el("tr");
    tr.dataset.id = String(d.id);
    const last = d.last_status != null ? `${d.last_status} ${d.last_response || ""}` : d.last_error || "";
    const actions = el("td");
    if (d.status === "dead" || d.status === "sent") {
      actions.append(button(t("retry"), async () => {
        await api("POST", `/api/admin/webhooks/deliveries/${d.id}/retry`);
        await loadHooks();
        await loadDeliveries();
      }));
    }
    tr.append(
      el("td", d.event), el("td", t(d.status), d.status === "dead" ? "error-text" : ""),
      el("td", String(d.attempts)), el("td", last.slice(0, 300)), el("td", when(d.created_at)), actions,
    );
    return tr;
  }));
}

function render() {
  wordPage(t);
  renderScopeBoxes(); renderEventBoxes(); renderTokens(); renderHooks(); renderDeliveries();
}

async function loadTokens() { tokens = (await api("GET", "/api/admin/tokens")).tokens; renderTokens(); }
async function loadHooks() {
  const data = await api("GET", "/api/admin/webhooks");
  hooks = data.webhooks; events = data.events;
  if (opened) opened = hooks.find((h) => h.id === opened.id) || null;
  renderEventBoxes(); renderHooks();
}
async function loadDeliveries() {
  deliveries = opened ? (await api("GET", `/api/admin/webhooks/${opened.id}/deliveries`)).deliveries : [];
  renderDeliveries();
}

$("#new-token").addEventListener("submit", guard(async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const body = { name: f.get("name"), scopes: f.getAll("scope") };
  if (f.get("rate_limit")) body.rate_limit = Number(f.get("rate_limit"));
  showSecret((await api("POST", "/api/admin/tokens", body)).secret);
  ev.target.reset();
  await loadTokens();
}));
$("#new-hook").addEventListener("submit", guard(async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  showSecret((await api("POST", "/api/admin/webhooks", { url: f.get("url"), events: f.getAll("event") })).secret);
  ev.target.reset();
  await loadHooks();
}));
$("#secret-done").addEventListener("click", () => {
  $("#secret-value").textContent = "";
  $("#secret-box").hidden = true;
});

(async () => {
  render();
  await loadTokens();
  await loadHooks();
})().catch(() => {});
