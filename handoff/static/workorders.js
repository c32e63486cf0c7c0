/*
 * kefu console: the ticket's type and its fields (issue 17). A card under the ticket card:
 * pick the type (咨询, 投诉, 报修, 安装, 退换货), fill its fields (text, number, choice, date,
 * phone, address, the customer's product, photo) and save; a field required before a status
 * is marked. The console's language is sent as the kefu_lang cookie so the server words a
 * blocked status change ("请先填写「故障原因」…") in it. Plain JS, textContent only.
 */
import { K } from "./console/kit.js";
import { ticketCard } from "./ticket_card.js";

const S = {
  zh: {
    title: "工单类型与字段",
    type: "类型",
    untyped: "— 未分类 —",
    save: "保存字段",
    saved: "已保存",
    requiredAt: "必填，才能改为：",
    none: "（无）",
    version: "版本",
    failed: "保存失败：",
    st_open: "处理中",
    st_pending: "等待客户",
    st_resolved: "已解决",
    st_closed: "已关闭",
  },
  en: {
    title: "Ticket type and fields",
    type: "Type",
    untyped: "— no type —",
    save: "Save fields",
    saved: "Saved",
    requiredAt: "Required before: ",
    none: "(none)",
    version: "version",
    failed: "Could not save: ",
    st_open: "open",
    st_pending: "pending",
    st_resolved: "resolved",
    st_closed: "closed",
  },
};
const t = (k) => (S[K.lang()] || S.zh)[k] || k;
const lab = (o) => (o ? o[K.lang() === "en" ? "en" : "zh"] : "");
const state = { number: null, types: null, data: null, products: [], contactId: null };

function setLangCookie(lang) {
  document.cookie = `kefu_lang=${lang === "en" ? "en" : "zh"}; path=/; SameSite=Strict`;
}
setLangCookie(K.lang());
K.hooks.lang.push((lang) => {
  setLangCookie(lang);
  if (state.data) render();
});

function input(field, value) {
  const name = field.key;
  if (field.kind === "choice") {
    const sel = K.el("select", { name }, K.el("option", { value: "", text: t("none") }));
    for (const o of field.options || []) sel.append(K.el("option", { value: o.key, text: lab(o) }));
    sel.value = value || "";
    return sel;
  }
  if (field.kind === "product") {
    const sel = K.el("select", { name }, K.el("option", { value: "", text: t("none") }));
    for (const p of state.products) sel.append(K.el("option", { value: String(p.id), text: [p.category, p.model, p.serial].filter(Boolean).join(" · ") }));
    sel.value = value || "";
    return sel;
  }
  const type = { number: "number", date: "date", phone: "tel" }[field.kind] || "text";
  const node = K.el("input", { name, type, step: field.kind === "number" ? "any" : null });
  node.value = value || "";
  return node;
}

function render() {
  const box = card();
  if (!box) return;
  const data = state.data;
  const current = data.type;
  const sel = K.el("select", { id: "workorder-type" }, K.el("option", { value: "", text: t("untyped") }));
  for (const ty of state.types || []) sel.append(K.el("option", { value: ty.key, text: lab(ty.name) }));
  sel.value = current ? current.key : "";
  const fieldsBox = K.el("div", { className: "workorder-fields" });
  const inputs = {};
  function drawFields(def, values) {
    fieldsBox.replaceChildren();
    if (!def) return;
    if (def.version) fieldsBox.append(K.el("div", { className: "desk-empty", text: `${lab(def.name)} · ${t("version")} ${def.version}` }));
    for (const f of def.fields) {
      const node = input(f, values[f.key]);
      inputs[f.key] = node;
      const label = K.el("span", { text: lab(f.label) + (f.required_at ? " *" : "") });
      const row = K.el("label", { className: "field workorder-field", "data-field": f.key }, label, node);
      if (f.required_at) row.title = t("requiredAt") + t(`st_${f.required_at}`);
      fieldsBox.append(row);
    }
  }
  drawFields(current, data.values || {});
  sel.addEventListener("change", () => {
    for (const k of Object.keys(inputs)) delete inputs[k];
    const def = sel.value === (current && current.key) ? current : (state.types || []).find((x) => x.key === sel.value);
    drawFields(def, sel.value === (current && current.key) ? data.values || {} : {});
  });
  const save = K.el("button", { type: "button", id: "workorder-save", className: "btn btn-primary btn-sm", text: t("save") });
  const note = K.el("span", { className: "workorder-note", role: "status" });
  save.addEventListener("click", async () => {
    if (!sel.value) return;
    const values = {};
    for (const [k, node] of Object.entries(inputs)) values[k] = node.value;
    save.disabled = true;
    try {
      state.data = await K.api("PUT", `/api/agent/tickets/${state.number}/fields`, { type: sel.value, values });
      render();
      const n = document.querySelector("#workorder-card .workorder-note");
      if (n) n.textContent = t("saved");
    } catch (e) {
      save.disabled = false;
      K.setError(t("failed") + ((e && e.message) || ""));
    }
  });
  const typeRow = K.el("label", { className: "field" }, K.el("span", { text: t("type") }), sel);
  box.replaceChildren(K.el("h3", { text: t("title") }), typeRow, fieldsBox, save, " ", note);
}

async function load(number, contactId) {
  try {
    if (!state.types) state.types = (await K.api("GET", "/api/agent/ticket-types")).types || [];
    const [data, products] = await Promise.all([
      K.api("GET", `/api/agent/tickets/${number}/fields`),
      contactId ? K.api("GET", `/api/agent/contacts/${contactId}/products`) : Promise.resolve({ products: [] }),
    ]);
    if (number !== state.number) return;
    state.data = data;
    state.products = products.products || [];
    render();
  } catch (_) {
    /* the ticket card shows the ticket; fields are extra */
  }
}

const card = ticketCard("workorder-card", ["ticket-card"], state, (tk, conv, box) => {
  state.data = null;
  state.contactId = conv.contact && conv.contact.id;
  box.replaceChildren(K.el("h3", { text: t("title") }));
  load(tk.number, state.contactId);
});
