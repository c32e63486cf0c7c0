/*
 * kefu: the engineer's day on a phone (issue 17). Lists my visits of a day and moves each one:
 * on the way -> arrived -> done (with the parts used and their cost), or rescheduled (a new
 * window and why) or failed (why). The customer is told each step by the server.
 * Plain JS, textContent only.
 */
import { $, el } from "/assets/dom.js";

const S = {
  zh: {
    title: "今日上门", lang: "English", none: "这一天没有上门任务", failedLoad: "加载失败：",
    on_the_way: "出发", arrived: "到达", done: "完成", rescheduled: "改期", failed: "未完成",
    st_dispatched: "待上门", st_on_the_way: "在路上", st_arrived: "已到达", st_done: "已完成",
    st_rescheduled: "已改期", st_failed: "未完成",
    part: "配件名称（可不填）", cost: "费用（元）", reason: "原因", window: "新时间，如 2026-12-05 09:00-12:00",
    submit: "提交", ticket: "工单", fault: "故障", phone: "电话",
  },
  en: {
    title: "My visits", lang: "中文", none: "No visits that day", failedLoad: "Could not load: ",
    on_the_way: "On the way", arrived: "Arrived", done: "Done", rescheduled: "Reschedule", failed: "Failed",
    st_dispatched: "dispatched", st_on_the_way: "on the way", st_arrived: "arrived", st_done: "done",
    st_rescheduled: "rescheduled", st_failed: "failed",
    part: "Part used (optional)", cost: "Cost (yuan)", reason: "Reason", window: "New window, e.g. 2026-12-05 09:00-12:00",
    submit: "Submit", ticket: "Ticket", fault: "Fault", phone: "Phone",
  },
};
const NEXT = { dispatched: ["on_the_way", "rescheduled", "failed"], on_the_way: ["arrived", "rescheduled", "failed"], arrived: ["done", "failed"] };
let lang = localStorage.getItem("kefu.lang") === "en" ? "en" : "zh";
const t = (k) => S[lang][k] || k;

async function api(method, path, body) {
  const opts = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET") {
    opts.headers["Content-Type"] = "application/json";
    opts.headers["X-Requested-With"] = "kefu";
    opts.body = JSON.stringify(body || {});
  }
  const res = await fetch(path, opts);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error((data.error && data.error.message) || res.statusText);
    err.status = res.status;
    throw err;
  }
  return data;
}

function showError(msg) {
  $("#error").hidden = !msg;
  $("#error").textContent = msg || "";
}

// The server gives times in the company's zone ("2026-12-04T09:00:00+08:00"): shown as is,
// whatever zone the phone is set to.
const time = (iso) => String(iso).slice(11, 16);

function form(visit, to) {
  const inputs = [];
  if (to === "done") {
    inputs.push(el("input", { name: "part", placeholder: t("part") }), el("input", { name: "cost", type: "number", step: "0.01", min: "0", placeholder: t("cost") }));
  } else {
    if (to === "rescheduled") inputs.push(el("input", { name: "window", placeholder: t("window") }));
    inputs.push(el("input", { name: "reason", placeholder: t("reason") }));
  }
  const submit = el("button", { type: "submit", className: "primary", text: t("submit") });
  const f = el("form", { className: "eng-form", "data-to": to }, ...inputs, el("div", { className: "eng-actions" }, submit));
  f.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const get = (n) => (f.querySelector(`[name="${n}"]`) || {}).value || "";
    const body = { status: to };
    if (to === "done" && get("part").trim()) body.parts = [{ name: get("part").trim(), cost: Number(get("cost") || 0) }];
    if (to !== "done") body.reason = get("reason");
    if (to === "rescheduled") body.window = get("window");
    move(visit, body);
  });
  return f;
}

async function move(visit, body) {
  try {
    await api("POST", `/api/agent/visits/${visit.id}/status`, body);
    showError("");
    await load();
  } catch (e) {
    showError(e.message);
  }
}

function card(v) {
  const status = el("span", { className: "eng-status", "data-status": v.status, text: t(`st_${v.status}`) });
  const c = el("article", { className: "eng-card", "data-visit": String(v.id) },
    status,
    el("div", { className: "eng-when", text: v.window_end === v.window_start ? time(v.window_start) : `${time(v.window_start)}-${time(v.window_end)}` }),
    el("div", { className: "eng-line", text: v.address }),
    el("div", { className: "eng-line", text: `${t("ticket")} #${v.ticket.number} · ${t("fault")}: ${v.ticket.fault || v.ticket.subject || ""}` }));
  if (v.ticket.phone) c.append(el("div", { className: "eng-line" }, el("a", { href: `tel:${v.ticket.phone}`, text: `${t("phone")}: ${v.ticket.phone}` })));
  const actions = el("div", { className: "eng-actions" });
  for (const to of NEXT[v.status] || []) {
    const b = el("button", { type: "button", "data-to": to, className: ["on_the_way", "arrived", "done"].includes(to) ? "primary" : "", text: t(to) });
    b.addEventListener("click", () => {
      if (to === "on_the_way" || to === "arrived") move(v, { status: to });
      else {
        const old = c.querySelector(".eng-form");
        if (old) old.remove();
        c.append(form(v, to));
      }
    });
    actions.append(b);
  }
  c.append(actions);
  return c;
}

async function load() {
  const day = $("#day").value;
  try {
    const data = await api("GET", `/api/agent/engineer/day?date=${encodeURIComponent(day)}`);
    $("#login").hidden = true;
    const list = data.visits.map(card);
    $("#visits").replaceChildren(...(list.length ? list : [el("p", { className: "eng-empty", text: t("none") })]));
  } catch (e) {
    if (e.status === 401) $("#login").hidden = false;
    else showError(t("failedLoad") + e.message);
  }
}

function applyLang() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  $("#title").textContent = t("title");
  $("#lang").textContent = t("lang");
}

const now = new Date();
$("#day").value = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
$("#day").addEventListener("change", load);
$("#lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem("kefu.lang", lang);
  applyLang();
  load();
});
applyLang();
load();
