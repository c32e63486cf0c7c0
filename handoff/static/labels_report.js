/* kefu reports: conversations per label in the chosen period (GET /api/reports/labels). */
import { $ } from "/assets/dom.js";
import { lang, onLang } from "./page.js";

const S = {
  zh: { title: "按标签统计的会话", label: "标签", conversations: "会话数", none: "这段时间没有加标签的会话。" },
  en: { title: "Conversations by label", label: "Label", conversations: "Conversations", none: "No conversation was labelled in this period." },
};
const t = (k) => S[lang][k];
let rows = [];

function cell(tag, text) {
  const n = document.createElement(tag);
  n.textContent = text;
  return n;
}

function render() {
  let box = $("#label-report");
  if (!box) {
    box = document.createElement("section");
    box.id = "label-report";
    box.className = "tables";
    $("#tables").after(box);
  }
  const table = document.createElement("table");
  const head = document.createElement("tr");
  head.append(cell("th", t("label")), cell("th", t("conversations")));
  const thead = document.createElement("thead");
  thead.append(head);
  const body = document.createElement("tbody");
  for (const r of rows) {
    const tr = document.createElement("tr");
    tr.setAttribute("data-label", r.name);
    const name = cell("td", r.name);
    if (/^#[0-9a-f]{6}$/i.test(r.color || "")) name.style.color = r.color;
    tr.append(name, cell("td", String(r.conversations)));
    body.append(tr);
  }
  table.append(thead, body);
  const parts = [cell("h2", t("title")), table];
  if (!rows.length) parts.push(cell("p", t("none")));
  box.replaceChildren(...parts);
}

async function load() {
  const q = new URLSearchParams();
  if ($("#from").value) q.set("from", $("#from").value);
  if ($("#to").value) q.set("to", $("#to").value);
  const res = await fetch(`/api/reports/labels?${q}`, { credentials: "same-origin" });
  if (!res.ok) return;
  rows = ((await res.json()) || {}).labels || [];
  render();
}

function init() {
  $("#period").addEventListener("submit", () => setTimeout(load, 0));
  onLang(render); // after reports.js's own (it loads first)
  load();
  setInterval(load, 30000);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
