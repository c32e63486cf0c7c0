/*
 * kefu console: the ticket's on-site visits (issue 17). A card under the ticket's fields: each
 * visit with its engineer, window, address and step; "派工 / Dispatch" sends the engineer the
 * server chooses by skill, district and day load for the ticket's preferred time and address,
 * or the active engineer picked in the choice beside it (POST /api/agent/tickets/{n}/visits);
 * the customer is told by the server. Plain JS.
 */
import { K } from "./console/kit.js";
import { ticketCard } from "./ticket_card.js";

const S = {
  zh: {
    title: "上门服务", none: "还没有上门安排。", dispatch: "派工", failed: "派工失败：",
    dispatched: "待上门", on_the_way: "在路上", arrived: "已到达", done: "已完成", rescheduled: "已改期", failed_visit: "未完成",
    parts: "配件费用", yuan: "元", auto: "自动选择工程师", engineer: "工程师",
  },
  en: {
    title: "On-site visits", none: "No visit yet.", dispatch: "Dispatch", failed: "Could not dispatch: ",
    dispatched: "Dispatched", on_the_way: "On the way", arrived: "Arrived", done: "Done", rescheduled: "Rescheduled", failed_visit: "Failed",
    parts: "Parts", yuan: "yuan", auto: "Choose automatically", engineer: "Engineer",
  },
};
const t = (k) => (S[K.lang()] || S.zh)[k] || k;
const state = { number: null, visits: null, error: "", engineers: [] };

function chooser() {
  const pick = K.el("select", { id: "visit-engineer", "aria-label": t("engineer") });
  pick.append(K.el("option", { value: "", text: t("auto") }));
  for (const e of state.engineers.filter((x) => x.active)) {
    const where = e.regions.join(K.lang() === "en" ? ", " : "、");
    pick.append(K.el("option", { value: String(e.id), text: `${e.name} · ${where}` }));
  }
  return pick;
}

function hours(iso) {
  return iso.slice(11, 16);
}

function row(v) {
  const step = t(v.status === "failed" ? "failed_visit" : v.status);
  const span = v.window_end === v.window_start ? hours(v.window_start) : `${hours(v.window_start)}-${hours(v.window_end)}`;
  const when = `${v.window_start.slice(0, 10)} ${span}`;
  const line = [v.engineer ? v.engineer.name : "", when, step].filter(Boolean).join(" · ");
  const item = K.el("div", { className: "c360-row visit-item", "data-visit": String(v.id), "data-status": v.status }, K.el("span", { text: line }));
  item.append(K.el("div", { className: "c360-note", text: v.address }));
  if (v.status === "done" && v.parts_cost) item.append(K.el("div", { className: "c360-note", text: `${t("parts")} ${v.parts_cost.toFixed(2)} ${t("yuan")}` }));
  if (v.reason) item.append(K.el("div", { className: "c360-note", text: v.reason }));
  return item;
}

function render() {
  const box = card();
  if (!box || state.visits === null) return;
  const list = state.visits.map(row);
  if (!list.length) list.push(K.el("div", { className: "c360-note", text: t("none") }));
  const go = K.el("button", { type: "button", className: "btn btn-ghost btn-sm", id: "visit-dispatch", text: t("dispatch") });
  const note = K.el("div", { className: "visit-error", role: "alert", text: state.error });
  const open = state.visits.some((v) => ["dispatched", "on_the_way", "arrived"].includes(v.status));
  const pick = chooser();
  go.hidden = open;
  pick.hidden = open;
  go.addEventListener("click", async () => {
    const number = state.number;
    const body = pick.value ? { engineer_id: Number(pick.value) } : {};
    try {
      await K.api("POST", `/api/agent/tickets/${number}/visits`, body);
      state.error = "";
    } catch (e) {
      state.error = t("failed") + ((e && e.message) || "");
    }
    await load(number);
  });
  box.replaceChildren(K.el("h3", { text: t("title") }), ...list, pick, go, note);
}

async function load(number) {
  try {
    const [data, team] = await Promise.all([
      K.api("GET", `/api/agent/tickets/${number}/visits`),
      K.api("GET", "/api/agent/engineers").catch(() => ({ engineers: [] })),
    ]);
    if (number !== state.number) return;
    state.visits = data.visits || [];
    state.engineers = team.engineers || [];
  } catch (_) {
    return; /* the ticket card shows the ticket; visits are extra */
  }
  render();
}

K.hooks.lang.push(() => render());
const card = ticketCard("visits-card", ["workorder-card", "ticket-card"], state, (tk, _conv, box) => {
  state.visits = null;
  state.error = "";
  box.replaceChildren(K.el("h3", { text: t("title") }));
  load(tk.number);
});
