/*
 * The console's conversation lists: one tab per owner (queued, mine, agent, bot, resolved),
 * refreshed together; a click on an item asks detail.js to open it (the OPEN event).
 */
import { $, el, show } from "/assets/dom.js";
import { OWNERS, api, channelLabel, handleAuthError, hooks, initials, relTime, state, t, tMap } from "./core.js";

/** Dispatched on document with a conversation id: open it (detail.js listens). */
export const OPEN = "kefu:open";

export async function refreshLists() {
  const req = ++state.listReq;
  let results;
  try {
    results = await Promise.all(
      // desk_more.js adds the list filters (label, priority, team...) to every tab.
      OWNERS.map((o) => api("GET", `/api/agent/conversations?owner=${encodeURIComponent(o)}${hooks.query.map((fn) => fn()).join("")}`))
    );
  } catch (e) {
    if (handleAuthError(e)) return;
    const le = $("#list-error");
    le.textContent = e.message || t("networkError");
    show(le, true);
    return;
  }
  if (req !== state.listReq || !state.me) return; // a newer refresh won
  show($("#list-error"), false);
  OWNERS.forEach((o, i) => {
    // Keep the server's order (the queue is oldest-first, i.e. FIFO).
    state.lists[o] = (results[i] && results[i].conversations) || [];
  });
  for (const fn of hooks.lists) fn(state.lists);
  renderTabs();
  renderList();
}

// Coalesce bursts of WS events into one refresh.
export function scheduleListRefresh() {
  clearTimeout(state.listRefreshTimer);
  state.listRefreshTimer = setTimeout(refreshLists, 250);
}

export function renderTabs() {
  for (const tab of document.querySelectorAll(".tab[data-owner]")) {
    const owner = tab.getAttribute("data-owner");
    const active = owner === state.tab;
    tab.classList.toggle("active", active);
    tab.setAttribute("aria-selected", active ? "true" : "false");
    const n = (state.lists[owner] || []).length;
    const badge = tab.querySelector(".tab-count");
    badge.textContent = String(n);
    badge.classList.toggle("zero", n === 0);
    badge.classList.toggle("alert", owner === "queued" && n > 0);
  }
}

export function selectTab(owner) {
  if (!OWNERS.includes(owner)) return;
  state.tab = owner;
  renderTabs();
  renderList();
}

export function ticketLabel(ticket) {
  if (!ticket || ticket.number == null) return "";
  return `#${ticket.number}`;
}

function convItem(c) {
  const name = (c.contact && c.contact.name) || `${t("anonymous")} ${c.id}`;
  const lm = c.last_message;
  const item = el("button", {
    type: "button",
    className: "conv-item" + (String(c.id) === String(state.currentId) ? " active" : ""),
    "data-id": String(c.id),
    "data-owner": c.owner || "",
    role: "listitem",
  });

  const avatar = el("span", { className: "conv-avatar", "aria-hidden": "true", text: initials(name) });
  const top = el(
    "span",
    { className: "conv-top" },
    el("span", { className: "conv-name", text: name }),
    el("span", { className: "conv-time", text: relTime((lm && lm.created_at) || c.updated_at) })
  );

  const tags = el("span", { className: "conv-tags" });
  tags.appendChild(el("span", { className: "tag tag-channel", text: channelLabel(c.channel) }));
  if (c.ticket) {
    tags.appendChild(el("span", { className: "tag tag-ticket", text: ticketLabel(c.ticket) }));
    if (c.ticket.priority) {
      tags.appendChild(
        el("span", {
          className: "tag tag-priority prio-" + String(c.ticket.priority).replace(/[^a-z_]/gi, ""),
          text: tMap("priority", c.ticket.priority),
        })
      );
    }
  }
  if (c.owner === "agent" && c.assignee) {
    const mine = state.me && String(c.assignee.id) === String(state.me.id);
    tags.appendChild(el("span", { className: "tag tag-assignee" + (mine ? " mine" : ""), text: c.assignee.name }));
    if (mine) tags.appendChild(el("span", { className: "tag tag-mine", text: t("mine") }));
  }

  const preview = el("span", { className: "conv-preview" });
  if (lm) {
    if (lm.private) {
      preview.appendChild(el("span", { className: "preview-private", text: t("privateLabel") }));
    } else if (lm.sender && lm.sender !== "customer") {
      preview.appendChild(el("span", { className: "preview-sender", text: senderName(lm.sender) }));
    }
    preview.appendChild(document.createTextNode(String(lm.text || "")));
  } else {
    preview.textContent = t("noPreview");
    preview.classList.add("empty");
  }

  for (const fn of hooks.item) fn(c, tags);
  const body = el("span", { className: "conv-body" }, top, tags, preview);
  item.append(avatar, body);
  item.addEventListener("click", () => document.dispatchEvent(new CustomEvent(OPEN, { detail: c.id })));
  return item;
}

function senderName(sender) {
  const v = t("sender_" + sender);
  return typeof v === "string" ? `${v}: ` : "";
}

export function renderList() {
  const list = $("#conv-list");
  const focusedId = document.activeElement && document.activeElement.classList.contains("conv-item")
    ? document.activeElement.getAttribute("data-id")
    : null;
  const convs = state.lists[state.tab] || [];
  const items = convs.map(convItem);
  list.replaceChildren(...items);
  const empty = $("#list-empty");
  empty.textContent = t("emptyList")[state.tab] || "";
  show(empty, convs.length === 0);
  if (focusedId) {
    const again = list.querySelector(`.conv-item[data-id="${CSS.escape(focusedId)}"]`);
    if (again) again.focus();
  }
}
