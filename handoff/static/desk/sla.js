/*
 * kefu console's desk: the at-risk / breached SLA list with local times, and the pane switch
 * of the phone-sized console.
 */
import { K } from "../console/kit.js";
import { $, el } from "/assets/dom.js";
import { fill } from "/assets/i18n.js";
import { more, t } from "./common.js";

export function buildSla() {
  if ($("#sla-toggle")) return;
  const btn = el("button", { type: "button", className: "btn btn-ghost btn-sm sla-toggle", id: "sla-toggle", "aria-expanded": "false" }, el("span", { text: t("sla") }), el("span", { className: "sla-badge", id: "sla-badge", hidden: true }));
  const panel = el("div", { className: "sla-panel", id: "sla-panel", hidden: true, role: "dialog", "aria-label": t("slaTitle") });
  btn.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    btn.setAttribute("aria-expanded", panel.hidden ? "false" : "true");
    if (!panel.hidden) loadSla();
  });
  const right = $(".topbar-right");
  right.prepend(btn);
  document.body.appendChild(panel);
}

export async function loadSla() {
  let data;
  try {
    data = await K.api("GET", "/api/agent/sla");
  } catch (_) {
    return;
  }
  more.sla = data.items || [];
  more.tz = data.tz;
  renderSla();
}

export function renderSla() {
  const badge = $("#sla-badge");
  const breached = more.sla.filter((i) => i.state === "breached").length;
  badge.textContent = String(more.sla.length);
  badge.hidden = !more.sla.length;
  badge.classList.toggle("breached", breached > 0);
  const panel = $("#sla-panel");
  const rows = more.sla.map((i) => {
    const b = el(
      "button",
      { type: "button", className: `sla-item sla-${i.state}`, "data-number": String(i.number) },
      el("span", { className: "sla-state", text: t(i.state) }),
      el("span", { className: "sla-what", text: `#${i.number} · ${t("kind_" + i.kind)} · ${t("prio_" + i.priority)}` }),
      el("span", { className: "sla-who", text: [i.contact, i.assignee || t("unassigned")].filter(Boolean).join(" · ") }),
      el("span", { className: "sla-due", text: fill(t("dueAt"), { t: i.due_local, tz: more.tz }) })
    );
    b.addEventListener("click", () => {
      panel.hidden = true;
      K.openConversation(i.conversation_id);
    });
    return b;
  });
  panel.replaceChildren(el("h3", { text: t("slaTitle") }), ...(rows.length ? rows : [el("div", { className: "desk-empty", text: t("slaEmpty") })]));
}

// ------------------------------------------------------------- phone: the pane switch

export function buildPanes() {
  if ($("#pane-switch")) return;
  const bar = el("nav", { className: "pane-switch", id: "pane-switch" });
  for (const p of ["list", "detail", "ticket"]) {
    const b = el("button", { type: "button", "data-pane": p, text: t("pane_" + p) });
    b.addEventListener("click", () => setPane(p));
    bar.append(b);
  }
  $("#app").append(bar);
  $("#back-to-list").addEventListener("click", () => setPane("list", true));
}

export function setPane(p, fromDetail) {
  const app = $("#app");
  if (fromDetail && p === "detail" && !app.classList.contains("show-detail")) p = "list";
  app.classList.toggle("show-detail", p !== "list");
  app.classList.toggle("pane-ticket", p === "ticket");
  document.body.classList.toggle("pane-ticket-open", p === "ticket");
  if (p === "ticket" && more.convId != null) $("#desk-panel").hidden = false;
  for (const b of document.querySelectorAll("#pane-switch [data-pane]")) b.classList.toggle("active", b.getAttribute("data-pane") === p);
}
