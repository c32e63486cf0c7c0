/*
 * kefu ticket types (admins): each type's fields (text, number, choice, date, phone, address,
 * product, photo) and the status before which a field must be filled. Saving writes a new
 * version (PUT /api/admin/ticket-types/{key}); tickets keep the version they were typed with.
 * Text only through textContent and input values.
 */
import { $, textEl as el } from "/assets/dom.js";
import { errorText } from "./errors.js";

const KINDS = ["text", "number", "choice", "date", "phone", "address", "product", "photo"];
const STATUSES = ["", "open", "pending", "resolved", "closed"];
const S = {
  zh: {
    console: "← 工作台", title: "工单类型", lang: "English", type: "类型", newKey: "新类型（英文键）",
    newType: "新建类型", nameZh: "中文名称", nameEn: "英文名称", key: "键", kind: "类型",
    labelZh: "中文标签", labelEn: "英文标签", requiredAt: "必填于", options: "选项（key=中文/English|…）",
    addField: "添加字段", save: "保存为新版本", remove: "删除", version: "第 {v} 版",
    hint: "修改会保存为新版本：已有工单保留原来的字段；新工单使用最新版本。",
    saved: "已保存：{name} 第 {v} 版", badKey: "类型键只能用小写字母、数字和下划线，并以字母开头",
    login: "请先登录工作台。", none: "不必填",
    k_text: "文本", k_number: "数字", k_choice: "选项", k_date: "日期", k_phone: "电话",
    k_address: "地址", k_product: "设备", k_photo: "照片",
    s_open: "处理中", s_pending: "等待客户", s_resolved: "已解决", s_closed: "已关闭",
  },
  en: {
    console: "← Console", title: "Ticket types", lang: "中文", type: "Type", newKey: "New type (key)",
    newType: "New type", nameZh: "Chinese name", nameEn: "English name", key: "Key", kind: "Kind",
    labelZh: "Chinese label", labelEn: "English label", requiredAt: "Required at",
    options: "Options (key=中文/English|…)", addField: "Add field", save: "Save as a new version",
    remove: "Remove", version: "version {v}",
    hint: "Saving makes a new version: existing tickets keep their fields; new tickets use the newest version.",
    saved: "Saved: {name}, version {v}", badKey: "A type key is a-z, 0-9 and _, starting with a letter",
    login: "Please log in to the console first.", none: "Never",
    k_text: "Text", k_number: "Number", k_choice: "Choice", k_date: "Date", k_phone: "Phone",
    k_address: "Address", k_product: "Product", k_photo: "Photo",
    s_open: "Open", s_pending: "Pending", s_resolved: "Resolved", s_closed: "Closed",
  },
};
let lang = "zh";
try {
  lang = localStorage.getItem("kefu.console.lang") === "en" ? "en" : "zh";
} catch (_) {
  /* storage disabled */
}
const t = (k) => S[lang][k] || k;
const state = { types: [], current: null };

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
    const err = (data && data.error) || {};
    const worded = errorText(err.code, lang);
    // A type's problem names the field (the server's words), after the worded code.
    const detail = err.code === "bad_type" && err.message ? (lang === "zh" ? "：" : ": ") + err.message : "";
    throw new Error(res.status === 401 ? t("login") : (worded ? worded + detail : err.message || `HTTP ${res.status}`));
  }
  return data || {};
}

function showError(e) {
  $("#error").textContent = e ? e.message || String(e) : "";
  $("#error").hidden = !e;
}

function option(value, text, selected) {
  const o = el("option", text);
  o.value = value;
  o.selected = selected;
  return o;
}

function optionsText(f) {
  return (f.options || []).map((o) => `${o.key}=${o.zh}/${o.en}`).join("|");
}

function fieldRow(f) {
  const tr = document.createElement("tr");
  const cell = (node) => {
    const td = document.createElement("td");
    td.append(node);
    tr.append(td);
    return node;
  };
  const input = (cls, value, max) => {
    const i = document.createElement("input");
    i.className = cls;
    i.value = value || "";
    i.maxLength = max;
    return cell(i);
  };
  input("f-key", f.key, 32);
  const kind = cell(document.createElement("select"));
  kind.className = "f-kind";
  KINDS.forEach((k) => kind.append(option(k, t("k_" + k), k === (f.kind || "text"))));
  input("f-zh", f.label && f.label.zh, 64);
  input("f-en", f.label && f.label.en, 64);
  const at = cell(document.createElement("select"));
  at.className = "f-at";
  STATUSES.forEach((s) => at.append(option(s, s ? t("s_" + s) : t("none"), s === (f.required_at || ""))));
  const opts = input("f-opts", optionsText(f), 2000);
  const sync = () => { opts.disabled = kind.value !== "choice"; };
  kind.addEventListener("change", sync);
  sync();
  const rm = cell(el("button", t("remove")));
  rm.type = "button";
  rm.addEventListener("click", () => tr.remove());
  return tr;
}

function parseOptions(text) {
  return text.split("|").map((s) => s.trim()).filter(Boolean).map((part) => {
    const [key, labels = ""] = part.split("=");
    const [zh = "", en = ""] = labels.split("/");
    return { key: key.trim(), zh: zh.trim(), en: en.trim() };
  });
}

function edit(type) {
  state.current = type;
  $("#editor").hidden = false;
  $("#editing").textContent = `${type.key} · ${type.version ? t("version").replace("{v}", type.version) : t("newType")}`;
  $("#name-zh").value = (type.name && type.name.zh) || "";
  $("#name-en").value = (type.name && type.name.en) || "";
  const body = $("#fields tbody");
  body.replaceChildren(...(type.fields || []).map(fieldRow));
}

function collect() {
  return [...document.querySelectorAll("#fields tbody tr")].map((tr) => {
    const f = {
      key: tr.querySelector(".f-key").value.trim(),
      kind: tr.querySelector(".f-kind").value,
      label: { zh: tr.querySelector(".f-zh").value.trim(), en: tr.querySelector(".f-en").value.trim() },
      required_at: tr.querySelector(".f-at").value || null,
    };
    if (f.kind === "choice") f.options = parseOptions(tr.querySelector(".f-opts").value);
    return f;
  });
}

function fillSelect() {
  const sel = $("#type-select");
  const chosen = state.current && state.current.key;
  sel.replaceChildren(...state.types.map((ty) => option(ty.key, `${ty.name[lang]} (${ty.key})`, ty.key === chosen)));
}

async function load() {
  const data = await api("GET", "/api/agent/ticket-types");
  state.types = data.types || [];
  fillSelect();
  const keep = state.current && state.types.find((ty) => ty.key === state.current.key);
  if (keep || state.types.length) edit(keep || state.types[0]);
}

function applyLang() {
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
  if (state.types.length) fillSelect();
  if (state.current) edit({ ...state.current, name: { zh: $("#name-zh").value, en: $("#name-en").value }, fields: collect() });
}

document.addEventListener("DOMContentLoaded", () => {
  applyLang();
  $("#lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    try { localStorage.setItem("kefu.console.lang", lang); } catch (_) { /* storage disabled */ }
    applyLang();
  });
  $("#type-select").addEventListener("change", (e) => {
    const ty = state.types.find((x) => x.key === e.target.value);
    if (ty) edit(ty);
  });
  $("#new-type").addEventListener("click", () => {
    const key = $("#new-key").value.trim();
    if (!/^[a-z][a-z0-9_]{0,31}$/.test(key)) return showError(new Error(t("badKey")));
    showError(null);
    edit({ key, version: 0, name: { zh: "", en: "" }, fields: [] });
  });
  $("#add-field").addEventListener("click", () => $("#fields tbody").append(fieldRow({})));
  $("#type-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    showError(null);
    $("#saved").hidden = true;
    try {
      const body = { name: { zh: $("#name-zh").value.trim(), en: $("#name-en").value.trim() }, fields: collect() };
      const data = await api("PUT", `/api/admin/ticket-types/${encodeURIComponent(state.current.key)}`, body);
      state.current = data.type;
      $("#saved").textContent = t("saved").replace("{name}", data.type.name[lang]).replace("{v}", data.type.version);
      $("#saved").hidden = false;
      await load();
    } catch (err) {
      showError(err);
    }
  });
  load().catch(showError);
});
