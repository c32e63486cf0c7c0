/* kefu reports dashboard: GET /api/reports/summary, KPIs, SVG charts, tables. No libraries. */
import { $, textEl as el } from "/assets/dom.js";
import { errorText } from "./errors.js";
import { lang, shell, wordPage, words } from "./page.js";

const S = {
  zh: {
    title: "服务报表", from: "从", to: "到", apply: "查询", csv: "导出 CSV",
    chartTickets: "每日工单与积压", chartFrt: "每日平均首次响应（分钟）", chartCsat: "每日 CSAT 平均分",
    conversations: "会话", tickets: "工单", first_response_avg_seconds: "平均首次响应",
    resolution_avg_seconds: "平均解决时长", fcr_rate: "一次解决率", bot_deflection_rate: "机器人拦截率",
    csat_average: "CSAT 平均分", csat_response_rate: "回访响应率", sla_breach_rate: "SLA 超时率",
    backlog: "积压", backlog_now: "当前积压", by_day: "按日", by_channel: "按渠道", by_category: "按分类",
    by_agent: "按客服", key: "维度", none: "—",
  },
  en: {
    title: "Service reports", from: "From", to: "To", apply: "Apply", csv: "Export CSV",
    chartTickets: "Tickets and backlog per day", chartFrt: "Average first response per day (minutes)",
    chartCsat: "Average CSAT per day", conversations: "Conversations", tickets: "Tickets",
    first_response_avg_seconds: "Avg first response", resolution_avg_seconds: "Avg resolution time",
    fcr_rate: "First-contact resolution", bot_deflection_rate: "Bot deflection", csat_average: "CSAT average",
    csat_response_rate: "CSAT response rate", sla_breach_rate: "SLA breach rate", backlog: "Backlog",
    backlog_now: "Backlog now", by_day: "By day", by_channel: "By channel", by_category: "By category",
    by_agent: "By agent", key: "Key", none: "—",
  },
};
const t = words(S);
shell(t, render);
const SVG = "http://www.w3.org/2000/svg";
let data = null;

function duration(sec) {
  if (sec == null) return t("none");
  if (sec < 60) return `${Math.round(sec)} s`;
  if (sec < 3600) return `${(sec / 60).toFixed(1)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}
const pct = (v) => (v == null ? t("none") : `${(v * 100).toFixed(1)}%`);

function fmt(key, v) {
  if (key.endsWith("_seconds")) return duration(v);
  if (key.endsWith("_rate")) return pct(v);
  if (key === "csat_average") return v == null ? t("none") : v.toFixed(2);
  return v == null ? t("none") : String(v);
}

const KPIS = ["first_response_avg_seconds", "resolution_avg_seconds", "fcr_rate", "bot_deflection_rate", "csat_average", "csat_response_rate", "sla_breach_rate", "tickets", "conversations"];

function render() {
  wordPage(t);
  if (!data) return;
  const kpis = KPIS.map((k) => {
    const box = el("div", null, "kpi");
    box.setAttribute("data-metric", k);
    box.append(el("div", t(k), "kpi-label"), el("div", fmt(k, data.totals[k]), "kpi-value"));
    return box;
  });
  const b = el("div", null, "kpi");
  b.setAttribute("data-metric", "backlog_now");
  b.append(el("div", t("backlog_now"), "kpi-label"), el("div", String(data.backlog_now), "kpi-value"));
  $("#kpis").replaceChildren(...kpis, b);
  const days = data.by_day;
  bars($("#chart-day"), days.map((d) => d.key.slice(5)), [days.map((d) => d.tickets), days.map((d) => d.backlog)], ["#10b981", "#f59e0b"]);
  bars($("#chart-frt"), days.map((d) => d.key.slice(5)), [days.map((d) => (d.first_response_avg_seconds || 0) / 60)], ["#3b82f6"]);
  bars($("#chart-csat"), days.map((d) => d.key.slice(5)), [days.map((d) => d.csat_average || 0)], ["#8b5cf6"], 5);
  const cols = ["key", "conversations", "tickets", "first_response_avg_seconds", "resolution_avg_seconds", "fcr_rate", "bot_deflection_rate", "csat_average", "csat_response_rate", "sla_breach_rate", "backlog"];
  $("#tables").replaceChildren(
    ...["by_day", "by_channel", "by_category", "by_agent"].map((dim) => {
      const table = el("table");
      table.id = `table-${dim}`;
      table.append(el("caption", t(dim)));
      const head = el("tr");
      for (const c of cols) head.append(el("th", t(c)));
      table.append(head);
      for (const row of data[dim]) {
        const tr = el("tr");
        for (const c of cols) tr.append(el("td", c === "key" ? row.key || t("none") : fmt(c, row[c])));
        table.append(tr);
      }
      return table;
    })
  );
}

// Grouped bar chart in SVG (one series per colour), with value labels.
function bars(box, labels, series, colours, maxY) {
  const w = 600, h = 180, pad = 24;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("role", "img");
  const top = maxY || Math.max(1, ...series.flat());
  const n = Math.max(labels.length, 1);
  const slot = (w - pad * 2) / n;
  const bw = (slot * 0.8) / series.length;
  labels.forEach((label, i) => {
    series.forEach((s, j) => {
      const v = s[i] || 0;
      const bh = ((h - pad * 2) * v) / top;
      const r = document.createElementNS(SVG, "rect");
      r.setAttribute("x", String(pad + i * slot + slot * 0.1 + j * bw));
      r.setAttribute("y", String(h - pad - bh));
      r.setAttribute("width", String(Math.max(bw - 2, 1)));
      r.setAttribute("height", String(bh));
      r.setAttribute("fill", colours[j]);
      const title = document.createElementNS(SVG, "title");
      title.textContent = `${label}: ${Math.round(v * 100) / 100}`;
      r.append(title);
      svg.append(r);
    });
    const tx = document.createElementNS(SVG, "text");
    tx.setAttribute("x", String(pad + i * slot + slot / 2));
    tx.setAttribute("y", String(h - 6));
    tx.setAttribute("text-anchor", "middle");
    tx.setAttribute("font-size", "10");
    tx.textContent = label;
    svg.append(tx);
  });
  box.replaceChildren(svg);
}

async function load() {
  const q = new URLSearchParams();
  if ($("#from").value) q.set("from", $("#from").value);
  if ($("#to").value) q.set("to", $("#to").value);
  $("#csv").href = `/api/reports/summary.csv?${q}`;
  const res = await fetch(`/api/reports/summary?${q}`, { credentials: "same-origin" });
  const body = await res.json().catch(() => ({}));
  const err = $("#error");
  if (!res.ok) {
    const worded = body.error ? errorText(body.error.code, lang) : null;
    err.textContent = res.status === 401 ? t("login") : worded || (body.error && body.error.message) || `HTTP ${res.status}`;
    err.hidden = false;
    return;
  }
  err.hidden = true;
  data = body;
  // First load: show the period the server chose (its time zone), "to" inclusive.
  if (!$("#from").value) $("#from").value = data.from.slice(0, 10);
  if (!$("#to").value) {
    const end = new Date(data.to.slice(0, 10) + "T00:00:00Z").getTime() - 86400000;
    $("#to").value = new Date(end).toISOString().slice(0, 10);
  }
  render();
}

function init() {
  $("#period").addEventListener("submit", (ev) => {
    ev.preventDefault();
    load();
  });
  render();
  load();
  setInterval(load, 30000);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
