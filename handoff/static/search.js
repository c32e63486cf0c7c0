/*
 * One search box over conversations, messages, contacts and tickets (GET /api/agent/search).
 *
 * While a search is shown, the conversation list is replaced by its results: conversations
 * with the snippet that matched (the word marked), then tickets. Escape or the clear button
 * brings the tabs back. Every text is set with textContent: snippets are customer text.
 */
import { $ } from "/assets/dom.js";
import { K } from "./console/kit.js";

const STRINGS = {
  zh: {
    placeholder: "搜索会话、消息、客户、工单…",
    label: "搜索",
    clear: "清除搜索",
    conversations: "会话",
    tickets: "工单",
    none: "没有找到匹配的内容",
    searching: "搜索中…",
    viaContact: "客户资料",
    owner: { bot: "机器人", queued: "排队中", agent: "处理中", resolved: "已解决" },
  },
  en: {
    placeholder: "Search conversations, messages, customers, tickets…",
    label: "Search",
    clear: "Clear search",
    conversations: "Conversations",
    tickets: "Tickets",
    none: "Nothing matches",
    searching: "Searching…",
    viaContact: "Customer details",
    owner: { bot: "Bot", queued: "Queued", agent: "Active", resolved: "Resolved" },
  },
};
const t = (key) => STRINGS[K.lang() === "en" ? "en" : "zh"][key];
let seq = 0;
let last = null; // the last results shown, re-rendered when the language changes

function marked(snip) {
  const text = String((snip && snip.text) || "");
  const box = K.el("div", { className: "search-snippet" });
  const start = snip && Number.isInteger(snip.start) ? snip.start : null;
  const end = snip && Number.isInteger(snip.end) ? snip.end : null;
  if (start == null || end == null || end <= start || end > text.length) {
    box.textContent = text;
    return box;
  }
  box.append(text.slice(0, start), K.el("mark", { text: text.slice(start, end) }), text.slice(end));
  return box;
}

function conversationItem(c) {
  const name = (c.contact && c.contact.name) || `#${c.id}`;
  const head = K.el("div", { className: "search-head" });
  head.append(
    K.el("span", { className: "search-name", text: name }),
    K.el("span", { className: "search-owner", text: (t("owner")[c.owner] || c.owner) }),
    K.el("span", { className: "search-channel", text: K.channelLabel(c.channel) })
  );
  const item = K.el("button", { type: "button", className: "search-item", "data-id": String(c.id) });
  item.append(head);
  if (c.matched === "contact") item.append(K.el("div", { className: "search-why", text: t("viaContact") }));
  item.append(marked(c.snippet));
  item.addEventListener("click", () => K.openConversation(c.id));
  return item;
}

function ticketItem(tk) {
  const item = K.el("button", {
    type: "button",
    className: "search-item search-ticket",
    "data-number": String(tk.number),
  });
  item.append(
    K.el("div", { className: "search-head" }, K.el("span", { className: "search-name", text: `#${tk.number} ${tk.subject || ""}` })),
    marked(tk.snippet)
  );
  item.addEventListener("click", () => K.openConversation(tk.conversation_id));
  return item;
}

function render(data) {
  const box = $("#search-results");
  if (!data) {
    box.replaceChildren();
    return;
  }
  const parts = [];
  if (data.conversations.length) {
    parts.push(K.el("h3", { className: "search-group", text: t("conversations") }));
    parts.push(...data.conversations.map(conversationItem));
  }
  if (data.tickets.length) {
    parts.push(K.el("h3", { className: "search-group", text: t("tickets") }));
    parts.push(...data.tickets.map(ticketItem));
  }
  if (!parts.length) parts.push(K.el("div", { className: "search-none", text: t("none") }));
  box.replaceChildren(...parts);
}

function showResults(on) {
  const sidebar = $(".sidebar");
  sidebar.classList.toggle("is-searching", on);
  $("#search-results").hidden = !on;
  $("#search-clear").hidden = !on;
}

async function run(q) {
  const mine = ++seq;
  showResults(true);
  $("#search-results").replaceChildren(K.el("div", { className: "search-none", text: t("searching") }));
  let data;
  try {
    data = await K.api("GET", `/api/agent/search?q=${encodeURIComponent(q)}`);
  } catch (e) {
    if (mine !== seq) return;
    $("#search-results").replaceChildren(K.el("div", { className: "search-none", text: e.message }));
    return;
  }
  if (mine !== seq) return; // a newer search won
  last = { conversations: data.conversations || [], tickets: data.tickets || [] };
  render(last);
}

function clear() {
  seq++;
  last = null;
  $("#search-input").value = "";
  render(null);
  showResults(false);
}

function applyLang() {
  const input = $("#search-input");
  input.placeholder = t("placeholder");
  input.setAttribute("aria-label", t("label"));
  $("#search-clear").setAttribute("aria-label", t("clear"));
  $("#search-clear").title = t("clear");
  if (last) render(last);
}

function build() {
  const form = K.el("form", { id: "search-form", className: "search-form", role: "search" });
  const input = K.el("input", { id: "search-input", type: "search", autocomplete: "off", maxLength: 100 });
  const clearBtn = K.el("button", { type: "button", id: "search-clear", className: "search-clear", text: "×" });
  clearBtn.hidden = true;
  form.append(input, clearBtn);
  const results = K.el("div", { id: "search-results", className: "search-results", "aria-live": "polite" });
  results.hidden = true;
  const sidebar = $(".sidebar");
  sidebar.insertBefore(form, sidebar.firstChild);
  sidebar.insertBefore(results, $("#list-error"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = input.value.trim();
    if (q) run(q);
    else clear();
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") clear();
  });
  clearBtn.addEventListener("click", clear);
  applyLang();
}

K.hooks.lang.push(applyLang);
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", build);
else build();
