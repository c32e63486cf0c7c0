/*
 * kefu console: the customer's orders beside the conversation (订单面板). It asks
 * /api/agent/conversations/{id}/orders, which looks the order numbers the customer asked about
 * up in the company's order system (the bot's connector: same timeout and cache), then lists
 * the customer's other recent orders (by their phone/email); the agent may look up another
 * number. A slow, failing or confused order system gets a plain note, never a blank panel.
 * Plain JS, textContent only.
 */
import { $ } from "/assets/dom.js";
import { K } from "./console/kit.js";

const S = {
  zh: {
    title: "订单",
    lookup: "查询",
    placeholder: "订单号，如 A1001",
    loading: "正在查询订单系统…",
    notConfigured: "未配置订单系统（配置项 [orders] url_template），无法查询订单。",
    none: "客户在此会话中还没有提到订单号。可在上方输入订单号查询。",
    unverifiable: "不知道此客户的手机号或邮箱，无法确认订单是否属于该客户。",
    status: "状态",
    carrier: "承运商",
    tracking: "运单号",
    eta: "预计送达",
    warranty: "保修至",
    orderedAt: "下单时间",
    summary: "商品",
    recent: "客户最近的订单",
    recentNone: "订单系统中没有此客户的其他订单。",
    recentUnavailable: "暂时无法列出客户的最近订单（{reason}）。",
    recentUnverifiable: "无法按此客户已知的手机号/邮箱列出其订单。",
    other: "此订单存在，但下单手机号/邮箱与此客户不符，不显示详情。",
    notFound: "订单系统中没有此订单。",
    unavailable: "订单系统暂时无法查询（{reason}）。请稍后重试；客户已收到“稍后再试”的回复。",
    failed: "无法加载订单：",
  },
  en: {
    title: "Orders",
    lookup: "Look up",
    placeholder: "Order number, e.g. A1001",
    loading: "Asking the order system…",
    notConfigured: "No order system is configured ([orders] url_template), so orders cannot be looked up.",
    none: "The customer has not mentioned an order number in this conversation. Type one above to look it up.",
    unverifiable: "We know neither the customer's phone nor email, so no order can be confirmed as theirs.",
    status: "Status",
    carrier: "Carrier",
    tracking: "Tracking",
    eta: "Expected",
    warranty: "Warranty until",
    orderedAt: "Ordered",
    summary: "Items",
    recent: "The customer's recent orders",
    recentNone: "The order system lists no other orders of this customer.",
    recentUnavailable: "The customer's recent orders cannot be listed right now ({reason}).",
    recentUnverifiable: "The order system cannot be asked for this customer's orders by the phone/email we know.",
    other: "This order exists but its phone/email is not this customer's; details are not shown.",
    notFound: "The order system does not know this order.",
    unavailable: "The order system cannot be asked right now ({reason}). Try again later; the customer was told to try later.",
    failed: "Could not load orders: ",
  },
};
const t = (k) => (S[K.lang()] || S.zh)[k] || k;
// The order system's failure in the console's language (the server sends both).
const why = (o) => (o.reasons && o.reasons[K.lang() === "en" ? "en" : "zh"]) || o.reason || "?";

const panel = { convId: null, lastCustomer: null, data: null, error: "", loading: false, req: 0 };

function card() {
  let box = $("#orders-card");
  if (box) return box;
  const input = K.el("input", { id: "orders-number", type: "text", maxLength: 40, autocomplete: "off" });
  const btn = K.el("button", { type: "submit", id: "orders-lookup", className: "btn btn-ghost btn-sm" });
  const form = K.el("form", { id: "orders-form", className: "orders-form" }, input, btn);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const n = input.value.trim();
    if (n && panel.convId) load(panel.convId, n);
  });
  box = K.el(
    "section",
    { className: "desk-card", id: "orders-card" },
    K.el("h3", { id: "orders-title" }),
    form,
    K.el("div", { id: "orders-list", className: "orders-list", "aria-live": "polite" })
  );
  const c360 = $("#customer-360");
  const before = c360 ? c360.closest(".desk-card") : null;
  const host = $("#desk-panel");
  if (before) host.insertBefore(box, before);
  else host.append(box);
  return box;
}

function line(label, value) {
  return K.el("div", { className: "order-line" }, K.el("span", { className: "order-label", text: label + (K.lang() === "en" ? ": " : "：") }), K.el("span", { text: value }));
}

function entry(o) {
  const head = K.el("div", { className: "order-number", text: o.number });
  const item = K.el("div", { className: `order-item order-${o.state}`, "data-order": o.number, "data-state": o.state }, head);
  if (o.state === "found") {
    item.append(line(t("status"), (o.status_words && o.status_words[K.lang() === "en" ? "en" : "zh"]) || o.status));
    if (o.summary) item.append(line(t("summary"), o.summary));
    if (o.ordered_at) item.append(line(t("orderedAt"), o.ordered_at));
    if (o.carrier) item.append(line(t("carrier"), o.carrier));
    if (o.tracking) item.append(line(t("tracking"), o.tracking));
    if (o.eta) item.append(line(t("eta"), o.eta));
    if (o.warranty_until) item.append(line(t("warranty"), o.warranty_until));
  } else if (o.state === "other") {
    item.append(K.el("div", { className: "order-note", text: t("other") }));
  } else if (o.state === "not_found") {
    item.append(K.el("div", { className: "order-note", text: t("notFound") }));
  } else {
    item.append(K.el("div", { className: "order-note order-warn", role: "alert", text: t("unavailable").replace("{reason}", why(o)) }));
  }
  return item;
}

function render() {
  card();
  $("#orders-title").textContent = t("title");
  $("#orders-lookup").textContent = t("lookup");
  $("#orders-number").placeholder = t("placeholder");
  const list = $("#orders-list");
  const d = panel.data;
  $("#orders-form").hidden = !!(d && !d.configured);
  if (panel.loading) {
    list.replaceChildren(K.el("div", { className: "desk-empty", text: t("loading") }));
    return;
  }
  if (panel.error) {
    list.replaceChildren(K.el("div", { className: "order-note order-warn", role: "alert", text: t("failed") + panel.error }));
    return;
  }
  if (!d) {
    list.replaceChildren();
    return;
  }
  if (!d.configured) {
    list.replaceChildren(K.el("div", { className: "desk-empty", text: t("notConfigured") }));
    return;
  }
  const rows = [];
  if (!d.verifiable) rows.push(K.el("div", { className: "order-note", text: t("unverifiable") }));
  const asked = d.orders.filter((o) => o.asked);
  const others = d.orders.filter((o) => !o.asked);
  if (!asked.length) rows.push(K.el("div", { className: "desk-empty", text: t("none") }));
  for (const o of asked) rows.push(entry(o));
  rows.push(...recentRows(d.recent || { state: "off" }, others, !d.verifiable));
  list.replaceChildren(...rows);
}

// The customer's other recent orders, under their own heading, or why there are none.
function recentRows(recent, others, unverifiable) {
  if (recent.state === "off" || (recent.state === "unverifiable" && unverifiable)) return [];
  const rows = [K.el("h4", { className: "orders-recent", id: "orders-recent", text: t("recent") })];
  if (recent.state === "unavailable") {
    rows.push(K.el("div", { className: "order-note order-warn", role: "alert", text: t("recentUnavailable").replace("{reason}", why(recent)) }));
  } else if (recent.state === "unverifiable") {
    rows.push(K.el("div", { className: "order-note", text: t("recentUnverifiable") }));
  } else if (!others.length) {
    rows.push(K.el("div", { className: "desk-empty", text: t("recentNone") }));
  }
  for (const o of others) rows.push(entry(o));
  return rows;
}

async function load(convId, number) {
  const req = ++panel.req;
  panel.loading = true;
  panel.error = "";
  render();
  const q = number ? `?number=${encodeURIComponent(number)}` : "";
  try {
    const data = await K.api("GET", `/api/agent/conversations/${convId}/orders${q}`);
    if (req !== panel.req) return;
    panel.data = data;
  } catch (e) {
    if (req !== panel.req) return;
    panel.error = (e && e.message) || String(e);
  }
  panel.loading = false;
  render();
}

K.hooks.detail.push((conv) => {
  const last = (conv.messages || []).filter((m) => m.sender === "customer").pop();
  const lastId = last ? last.id : null;
  if (String(conv.id) !== String(panel.convId)) {
    panel.convId = conv.id;
    panel.lastCustomer = lastId;
    panel.data = null;
    $("#orders-number") && ($("#orders-number").value = "");
    load(conv.id);
  } else if (lastId !== panel.lastCustomer) {
    panel.lastCustomer = lastId; // the customer wrote again: maybe another order number
    load(conv.id);
  }
});
K.hooks.lang.push(() => {
  if ($("#orders-card")) render();
});
