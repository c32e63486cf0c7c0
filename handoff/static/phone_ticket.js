/*
 * kefu tickets screen: a ticket for a phone call or a walk-in (POST /api/agent/tickets).
 * The agent picks the type, types the customer's phone (found by it, or created once on the
 * spot), a name and a summary of the call; the new ticket's conversation opens in the console,
 * where its fields are filled. Plain JS, textContent only.
 */
import { $, textEl as el } from "/assets/dom.js";
import { errorText } from "./errors.js";

const S = {
  zh: {
    open: "新建电话/到店工单", type: "工单类型", phone: "客户手机号", name: "客户姓名（选填）",
    source: "来源", phoneCall: "电话", walkIn: "到店", summary: "通话摘要（内部备注）", create: "创建工单",
    cancel: "取消", made: "已创建工单 #{n}，客户：{who}（{how}）。", newCustomer: "新客户", known: "已有客户",
    go: "打开会话填写工单字段", failed: "创建失败：",
  },
  en: {
    open: "New phone / walk-in ticket", type: "Ticket type", phone: "Customer's mobile", name: "Customer's name (optional)",
    source: "Source", phoneCall: "Phone", walkIn: "Walk-in", summary: "Summary of the call (private note)", create: "Create ticket",
    cancel: "Cancel", made: "Ticket #{n} created for {who} ({how}).", newCustomer: "new customer", known: "existing customer",
    go: "Open the conversation to fill in the fields", failed: "Could not create: ",
  },
};

function lang() {
  try {
    const saved = localStorage.getItem("kefu.console.lang");
    if (saved === "en" || saved === "zh") return saved;
  } catch (_) {
    /* storage disabled */
  }
  return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
}
const t = (k) => S[lang()][k];

function field(label, input) {
  const l = el("label", "");
  l.append(el("span", label), input);
  return l;
}

async function types() {
  const res = await fetch("/api/agent/ticket-types", { credentials: "same-origin" });
  return res.ok ? (await res.json()).types || [] : [];
}

async function show() {
  const old = $("#phone-ticket");
  if (old) {
    old.remove();
    return;
  }
  const form = el("form", "");
  form.id = "phone-ticket";
  form.className = "ticket-filters phone-ticket";
  const type = document.createElement("select");
  type.name = "type";
  for (const k of await types()) {
    const o = el("option", k.name[lang()] || k.key);
    o.value = k.key;
    type.append(o);
  }
  type.value = [...type.options].some((o) => o.value === "repair") ? "repair" : type.value;
  const phone = Object.assign(document.createElement("input"), { name: "phone", type: "tel", required: true });
  const name = Object.assign(document.createElement("input"), { name: "name" });
  const source = document.createElement("select");
  source.name = "source";
  for (const [v, k] of [["phone", "phoneCall"], ["walk_in", "walkIn"]]) {
    const o = el("option", t(k));
    o.value = v;
    source.append(o);
  }
  const summary = Object.assign(document.createElement("textarea"), { name: "summary", rows: 2 });
  const create = el("button", t("create"));
  create.type = "submit";
  const cancel = el("button", t("cancel"));
  cancel.type = "button";
  cancel.addEventListener("click", () => form.remove());
  const out = el("p", "");
  out.className = "phone-ticket-result";
  out.setAttribute("role", "status");
  form.append(
    field(t("type"), type), field(t("phone"), phone), field(t("name"), name),
    field(t("source"), source), field(t("summary"), summary), create, cancel, out,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { type: type.value, phone: phone.value, source: source.value };
    if (name.value.trim()) body.name = name.value.trim();
    if (summary.value.trim()) body.summary = summary.value.trim();
    const res = await fetch("/api/agent/tickets", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Requested-With": "kefu" },
      body: JSON.stringify(body),
    });
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const err = (data && data.error) || {};
      out.replaceChildren(el("span", t("failed") + (errorText(err.code, lang()) || err.message || `HTTP ${res.status}`)));
      out.dataset.ok = "";
      return;
    }
    const who = data.contact.name || data.contact.phone;
    const how = data.contact.created ? t("newCustomer") : t("known");
    const go = el("a", t("go"));
    go.href = `/agent/#c/${data.conversation_id}`;
    out.replaceChildren(el("span", t("made").replace("{n}", data.ticket.number).replace("{who}", who).replace("{how}", how) + " "), go);
    out.dataset.ok = "1";
    document.dispatchEvent(new Event("kefu:tickets-changed"));
  });
  $("#filters").before(form);
  phone.focus();
}

function init() {
  const button = el("button", t("open"));
  button.type = "button";
  button.id = "new-phone-ticket";
  button.addEventListener("click", show);
  $("#reload").before(button);
  $("#lang").addEventListener("click", () => {
    button.textContent = t("open");
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
