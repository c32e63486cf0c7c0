/*
 * kefu engineers (supervisors and admins): who goes on site, their skills (appliance
 * categories), regions (district, city or province) and daily capacity. Add, edit,
 * deactivate and reactivate (POST /api/admin/engineers, PATCH /api/admin/engineers/{id});
 * the ticket panel's dispatch offers the active ones. Text only through textContent.
 */
import { $, textEl as el } from "/assets/dom.js";
import { api, lang, shell, wordPage, words } from "./page.js";

const S = {
  zh: {
    title: "工程师", name: "姓名", phone: "电话", skills: "技能",
    regions: "服务区域", capacity: "每日上限", status: "状态", add: "添加工程师", editing: "编辑：{name}",
    skillsHint: "技能（品类，逗号分隔；空为全部）", regionsHint: "服务区域（逗号分隔，如 西湖区、杭州市）",
    save: "保存", cancel: "取消编辑", edit: "编辑", deactivate: "停用", activate: "启用",
    active: "在岗", inactive: "已停用", all: "全部品类", added: "已添加：{name}", changed: "已保存：{name}",
    hint: "派工时按技能（设备品类）、服务区域（区、市或省）和每日上限选择工程师；停用的工程师不再被派工。",
    none: "还没有工程师。",
  },
  en: {
    title: "Engineers", name: "Name", phone: "Phone", skills: "Skills",
    regions: "Regions", capacity: "Visits a day", status: "Status", add: "Add an engineer", editing: "Editing: {name}",
    skillsHint: "Skills (categories, comma-separated; empty: all)", regionsHint: "Regions (comma-separated, e.g. 西湖区, 杭州市)",
    save: "Save", cancel: "Cancel editing", edit: "Edit", deactivate: "Deactivate", activate: "Activate",
    active: "Active", inactive: "Inactive", all: "All categories", added: "Added: {name}", changed: "Saved: {name}",
    hint: "Dispatch picks engineers by skill (appliance category), region (district, city or province) and daily capacity; inactive engineers are never dispatched.",
    none: "No engineers yet.",
  },
};
const t = words(S);
const state = { engineers: [], editing: null };

function showError(e) {
  $("#error").textContent = e ? e.message || String(e) : "";
  $("#error").hidden = !e;
}

function saved(key, name) {
  $("#saved").textContent = t(key).replace("{name}", name);
  $("#saved").hidden = false;
}

const names = (text) => text.split(/[,，、;；\n]/).map((s) => s.trim()).filter(Boolean);
const joiner = () => (lang === "zh" ? "、" : ", ");

function button(text, onClick) {
  const b = el("button", text);
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}

function row(e) {
  const tr = document.createElement("tr");
  tr.dataset.engineer = String(e.id);
  tr.dataset.active = String(e.active);
  const cells = [
    e.name,
    e.phone,
    e.skills.length ? e.skills.join(joiner()) : t("all"),
    e.regions.join(joiner()),
    String(e.daily_capacity),
    e.active ? t("active") : t("inactive"),
  ];
  for (const text of cells) tr.append(el("td", text));
  const actions = document.createElement("td");
  actions.append(
    button(t("edit"), () => startEdit(e)),
    button(e.active ? t("deactivate") : t("activate"), () => setActive(e, !e.active)),
  );
  actions.lastChild.className = "toggle";
  actions.firstChild.className = "edit";
  tr.append(actions);
  return tr;
}

function render() {
  const body = $("#engineers tbody");
  if (!state.engineers.length) {
    const tr = document.createElement("tr");
    const td = el("td", t("none"));
    td.colSpan = 7;
    tr.append(td);
    body.replaceChildren(tr);
    return;
  }
  body.replaceChildren(...state.engineers.map(row));
}

async function load() {
  state.engineers = (await api("GET", "/api/agent/engineers")).engineers || [];
  render();
}

function startEdit(e) {
  state.editing = e;
  $("#form-title").textContent = t("editing").replace("{name}", e.name);
  $("#e-name").value = e.name;
  $("#e-phone").value = e.phone || "";
  $("#e-skills").value = e.skills.join(", ");
  $("#e-regions").value = e.regions.join(", ");
  $("#e-capacity").value = String(e.daily_capacity);
  $("#e-cancel").hidden = false;
  $("#e-name").focus();
}

function stopEdit() {
  state.editing = null;
  $("#engineer-form").reset();
  $("#form-title").textContent = t("add");
  $("#e-cancel").hidden = true;
}

async function setActive(e, active) {
  showError(null);
  try {
    const data = await api("PATCH", `/api/admin/engineers/${e.id}`, { active });
    saved("changed", data.engineer.name);
    await load();
  } catch (err) {
    showError(err);
  }
}

function applyLang() {
  wordPage(t);
  if (state.editing) $("#form-title").textContent = t("editing").replace("{name}", state.editing.name);
  render();
}

shell(t, applyLang);
document.addEventListener("DOMContentLoaded", () => {
  applyLang();
  $("#e-cancel").addEventListener("click", stopEdit);
  $("#engineer-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showError(null);
    $("#saved").hidden = true;
    const body = {
      name: $("#e-name").value.trim(),
      phone: $("#e-phone").value.trim(),
      skills: names($("#e-skills").value),
      regions: names($("#e-regions").value),
      daily_capacity: Number($("#e-capacity").value) || 6,
    };
    try {
      const data = state.editing
        ? await api("PATCH", `/api/admin/engineers/${state.editing.id}`, body)
        : await api("POST", "/api/admin/engineers", body);
      saved(state.editing ? "changed" : "added", data.engineer.name);
      stopEdit();
      await load();
    } catch (err) {
      showError(err);
    }
  });
  load().catch(showError);
});
