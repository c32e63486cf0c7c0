/*
 * kefu console: the customer's products in the customer 360 (issue 17). Lists model, serial,
 * purchase date and warranty state; adds, edits and removes products through
 * /api/agent/contacts/{id}/products and /api/agent/products/{id}. Plain JS, textContent only.
 */
import { K } from "./console/kit.js";

const S = {
  zh: {
    products: "名下设备",
    none: "暂无设备记录",
    add: "添加设备",
    edit: "编辑",
    remove: "删除",
    save: "保存",
    cancel: "取消",
    inWarranty: "保修期内",
    outWarranty: "已过保",
    unknownWarranty: "保修未知",
    until: "至",
    confirmRemove: "确定删除这台设备的记录吗？",
    failed: "操作失败：",
    category: "品类",
    model: "型号",
    serial: "序列号",
    purchase_date: "购买日期",
    purchase_channel: "购买渠道",
    order_number: "订单号",
    invoice: "发票",
    install_address: "安装地址",
    note: "备注",
  },
  en: {
    products: "Products",
    none: "No products on record",
    add: "Add product",
    edit: "Edit",
    remove: "Remove",
    save: "Save",
    cancel: "Cancel",
    inWarranty: "In warranty",
    outWarranty: "Out of warranty",
    unknownWarranty: "Warranty unknown",
    until: "until",
    confirmRemove: "Remove this product from the customer's record?",
    failed: "Failed: ",
    category: "Category",
    model: "Model",
    serial: "Serial",
    purchase_date: "Purchase date",
    purchase_channel: "Channel",
    order_number: "Order number",
    invoice: "Invoice",
    install_address: "Install address",
    note: "Note",
  },
};
const t = (k) => (S[K.lang()] || S.zh)[k] || k;
const FIELDS = ["category", "model", "serial", "purchase_date", "purchase_channel", "order_number", "invoice", "install_address", "note"];

function warrantyText(p) {
  if (!p.warranty_end) return t("unknownWarranty");
  return `${p.in_warranty ? t("inWarranty") : t("outWarranty")} (${t("until")} ${p.warranty_end})`;
}

function form(contactId, box, product) {
  const inputs = {};
  const rows = FIELDS.map((name) => {
    const input = K.el("input", { name, type: name === "purchase_date" ? "date" : "text" });
    input.value = (product && product[name]) || "";
    inputs[name] = input;
    return K.el("label", { className: "field products-field" }, K.el("span", { text: t(name) }), input);
  });
  const save = K.el("button", { type: "submit", className: "btn btn-primary btn-sm", text: t("save") });
  const cancel = K.el("button", { type: "button", className: "btn btn-ghost btn-sm", text: t("cancel") });
  const f = K.el("form", { className: "products-form" }, ...rows, save, cancel);
  cancel.addEventListener("click", () => render(contactId, box));
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const name of FIELDS) body[name] = inputs[name].value;
    save.disabled = true;
    try {
      if (product) await K.api("PATCH", `/api/agent/products/${product.id}`, body);
      else await K.api("POST", `/api/agent/contacts/${contactId}/products`, body);
      await render(contactId, box);
    } catch (e) {
      save.disabled = false;
      K.setError(t("failed") + ((e && e.message) || ""));
    }
  });
  return f;
}

function row(contactId, box, p) {
  const name = [p.category, p.model].filter(Boolean).join(" ");
  const line = [name, p.serial, p.purchase_date].filter(Boolean).join(" · ");
  const state = K.el("span", { className: `products-warranty ${p.in_warranty ? "in" : "out"}`, text: warrantyText(p) });
  const edit = K.el("button", { type: "button", className: "btn btn-ghost btn-sm", text: t("edit") });
  const remove = K.el("button", { type: "button", className: "btn btn-ghost btn-sm", text: t("remove") });
  const item = K.el("div", { className: "c360-row products-item", "data-product": String(p.id) }, K.el("span", { text: line }), " ", state, " ", edit, remove);
  if (p.install_address) item.append(K.el("div", { className: "c360-note", text: p.install_address }));
  edit.addEventListener("click", () => item.replaceWith(form(contactId, box, p)));
  remove.addEventListener("click", async () => {
    if (!window.confirm(t("confirmRemove"))) return;
    try {
      await K.api("DELETE", `/api/agent/products/${p.id}`);
      await render(contactId, box);
    } catch (e) {
      K.setError(t("failed") + ((e && e.message) || ""));
    }
  });
  return item;
}

async function render(contactId, box) {
  let data;
  try {
    data = await K.api("GET", `/api/agent/contacts/${contactId}/products`);
  } catch (_) {
    return;
  }
  const add = K.el("button", { type: "button", className: "btn btn-ghost btn-sm products-add", text: t("add") });
  const list = (data.products || []).map((p) => row(contactId, box, p));
  if (!list.length) list.push(K.el("div", { className: "c360-note", text: t("none") }));
  box.replaceChildren(K.el("div", { className: "c360-h", text: t("products") }), ...list, add);
  add.addEventListener("click", () => add.replaceWith(form(contactId, box, null)));
}

// After privacy.js's reveal (index.html loads it first): the customer's products.
K.hooks.customer.push((convId, data, box) => {
  const contact = data && data.contact;
  if (!contact || !contact.id) return;
  const section = K.el("div", { className: "products", id: "customer-products" });
  box.append(section);
  render(contact.id, section);
});
