/* kefu reports: the repair and installation report (GET /api/agent/workorders/report):
   tickets by type and product model, first-time-fix rate, visits per engineer, parts cost,
   warranty vs paid, for tickets created in the chosen period. Supervisors and admins only:
   for anyone else the section stays away. */
import { $ } from "/assets/dom.js";
import { lang, onLang } from "./page.js";

const S = {
  zh: {
    title: "上门服务与工单类型", ftf: "一次修复率", withVisits: "有上门的工单", parts: "配件费用（元）",
    warranty: "保内", paid: "保外（付费）", unknown: "保修未知", type: "类型", model: "型号", count: "工单数",
    engineer: "工程师", none: "这段时间没有带类型的工单。", noModel: "（未选设备）",
    dispatched: "待上门", on_the_way: "在路上", arrived: "已到达", done: "已完成", rescheduled: "已改期", failed: "未完成",
  },
  en: {
    title: "On-site visits and ticket types", ftf: "First-time fix rate", withVisits: "Tickets with a visit", parts: "Parts cost (yuan)",
    warranty: "In warranty", paid: "Out of warranty (paid)", unknown: "Warranty unknown", type: "Type", model: "Model", count: "Tickets",
    engineer: "Engineer", none: "No typed ticket in this period.", noModel: "(no product chosen)",
    dispatched: "Dispatched", on_the_way: "On the way", arrived: "Arrived", done: "Done", rescheduled: "Rescheduled", failed: "Failed",
  },
};
const STEPS = ["dispatched", "on_the_way", "arrived", "done", "rescheduled", "failed"];
const t = (k) => S[lang][k] || k;
let report = null;

function cell(tag, text) {
  const n = document.createElement(tag);
  n.textContent = text;
  return n;
}

function table(heads, rows) {
  const tbl = document.createElement("table");
  const thead = document.createElement("thead");
  const head = document.createElement("tr");
  head.append(...heads.map((h) => cell("th", h)));
  thead.append(head);
  const body = document.createElement("tbody");
  for (const r of rows) {
    const tr = document.createElement("tr");
    tr.append(...r.map((v) => cell("td", String(v))));
    body.append(tr);
  }
  tbl.append(thead, body);
  return tbl;
}

function render() {
  if (!report) return;
  let box = $("#workorder-report");
  if (!box) {
    box = document.createElement("section");
    box.id = "workorder-report";
    box.className = "tables";
    ($("#label-report") || $("#tables")).after(box);
  }
  const rate = report.first_time_fix_rate;
  const split = report.warranty_vs_paid || {};
  const kpis = document.createElement("dl");
  kpis.className = "wo-kpis";
  for (const [key, value] of [
    ["ftf", rate === null ? "—" : `${Math.round(rate * 1000) / 10}%`],
    ["withVisits", report.tickets_with_visits],
    ["parts", report.parts_cost.toFixed(2)],
    ["warranty", split.warranty || 0],
    ["paid", split.paid || 0],
    ["unknown", split.unknown || 0],
  ]) {
    const dt = cell("dt", t(key));
    const dd = cell("dd", String(value));
    dd.dataset.kpi = key;
    kpis.append(dt, dd);
  }
  const byModel = report.tickets_by_model.map((r) => [r.type, r.model || t("noModel"), r.count]);
  const engineers = Object.entries(report.visits_per_engineer).map(([name, c]) => [
    name, ...STEPS.map((s) => c[s] || 0),
  ]);
  const byType = Object.entries(report.tickets_by_type);
  const parts = [cell("h2", t("title")), kpis];
  if (byType.length) parts.push(table([t("type"), t("count")], byType));
  else parts.push(cell("p", t("none")));
  if (byModel.length) parts.push(table([t("type"), t("model"), t("count")], byModel));
  if (engineers.length) parts.push(table([t("engineer"), ...STEPS.map(t)], engineers));
  box.replaceChildren(...parts);
}

function days() {
  const from = $("#from") && $("#from").value;
  if (!from) return 30;
  const span = Math.ceil((Date.now() - Date.parse(`${from}T00:00:00`)) / 86400000);
  return Math.min(366, Math.max(1, span));
}

async function load() {
  const res = await fetch(`/api/agent/workorders/report?days=${days()}`, { credentials: "same-origin" });
  if (!res.ok) return; // an agent without the role: no section
  report = await res.json();
  render();
}

function init() {
  $("#period").addEventListener("submit", () => setTimeout(load, 0));
  onLang(render);
  load();
  setInterval(load, 30000);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
