/*
 * kefu console, a team's daily desk (issue 15): edit and merge customers from the 360
 * panel, labels on conversations, filters on the list, the "/" picker of canned replies
 * and macros in the composer, the at-risk / breached SLA list with local times, SLA notes
 * in the agent's language, and the pane switch of the phone-sized console.
 * Plain JS, textContent only (labels' colours are set through the CSSOM, CSP-safe).
 * The parts live in desk/ (customer, labels, filters, picker, sla); this module wires them.
 */
import { K } from "./console/kit.js";
import "./desk/customer.js"; // its hook: edit and merge from the 360 panel
import { $, el } from "/assets/dom.js";
import { more, t } from "./desk/common.js";
import { buildFilters, loadFilterSources, markFilters } from "./desk/filters.js";
import { loadLabels } from "./desk/labels.js";
import { wirePicker } from "./desk/picker.js";
import { buildPanes, buildSla, loadSla, renderSla } from "./desk/sla.js";

function relabel() {
  for (const n of document.querySelectorAll("#pane-switch [data-pane]")) n.textContent = t("pane_" + n.getAttribute("data-pane"));
  const nav = $("#nav-tickets");
  if (nav) nav.textContent = t("tickets");
  const macros = $("#nav-macros");
  if (macros) macros.textContent = t("macrosNav");
  const types = $("#nav-types");
  if (types) types.textContent = t("typesNav");
  const engineers = $("#nav-engineers");
  if (engineers) engineers.textContent = t("engineersNav");
  markFilters();
  const sla = $("#sla-toggle span");
  if (sla) sla.textContent = t("sla");
  if (more.sla.length) renderSla();
}

K.hooks.app.push((agent) => {
  buildFilters();
  buildSla();
  buildPanes();
  if (!$("#nav-tickets")) {
    const a = el("a", { id: "nav-tickets", href: "/agent/tickets.html", text: t("tickets") });
    $(".topnav").prepend(a);
  }
  if (!$("#nav-macros") && ["admin", "supervisor"].includes(agent.role)) {
    $("#nav-tickets").after(el("a", { id: "nav-macros", href: "/agent/macros.html", text: t("macrosNav") }));
  }
  if (!$("#nav-engineers") && ["admin", "supervisor"].includes(agent.role)) {
    $("#nav-macros").after(el("a", { id: "nav-engineers", href: "/agent/engineers.html", text: t("engineersNav") }));
  }
  if (!$("#nav-types") && agent.role === "admin") {
    $("#nav-macros").after(el("a", { id: "nav-types", href: "/agent/ticket_types.html", text: t("typesNav") }));
  }
  wirePickerOnce();
  loadLabels();
  loadFilterSources(agent);
  loadSla();
  relabel();
});
K.hooks.lang.push(relabel);
K.hooks.event.push((f) => {
  if (f.type === "sla.warning" || f.type === "sla.breach") loadSla();
});
setInterval(() => {
  if (K.me()) loadSla();
}, 60000);

let wired = false;
function wirePickerOnce() {
  if (wired) return;
  wired = true;
  wirePicker();
}
