/* kefu console's desk: the list's filters (label, priority, team...), added to every tab's request. */
import { K } from "../console/kit.js";
import { $, el } from "/assets/dom.js";
import { more, t } from "./common.js";

export const filterState = {};
K.hooks.query.push(() => {
  const parts = Object.entries(filterState)
    .filter(([, v]) => v)
    .map(([k, v]) => `&${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.join("");
});

export function buildFilters() {
  const side = $(".sidebar");
  if (!side || $("#list-filters")) return;
  const toggle = el("button", { type: "button", className: "btn btn-ghost btn-sm filter-toggle", id: "filter-toggle", "aria-expanded": "false", text: t("filters") });
  const box = el("div", { className: "list-filters", id: "list-filters", hidden: true });
  const sel = (key, options) => {
    const s = el("select", { id: `f-${key}`, "data-filter": key }, el("option", { value: "", text: t("any") }), ...options.map(([v, k]) => el("option", { value: v, text: t(k) })));
    s.addEventListener("change", () => setFilter(key, s.value));
    return el("label", { className: "field-sm" }, el("span", { "data-more-i18n": `f_${key}`, text: t(`f_${key}`) }), s);
  };
  const date = (key) => {
    const i = el("input", { type: "date", id: `f-${key}`, "data-filter": key });
    i.addEventListener("change", () => setFilter(key, i.value));
    return el("label", { className: "field-sm" }, el("span", { text: t(`f_${key}`) }), i);
  };
  box.append(
    sel("status", ["new", "open", "pending", "resolved", "closed"].map((s) => [s, "st_" + s])),
    sel("priority", ["normal", "high", "urgent"].map((p) => [p, "prio_" + p])),
    sel("assignee", [["me", "me"], ["none", "unassigned"]]),
    sel("team", []),
    sel("channel", []),
    sel("label", []),
    date("since"),
    date("until")
  );
  const clear = el("button", { type: "button", className: "btn btn-ghost btn-sm", id: "filter-clear", text: t("clearFilters") });
  clear.addEventListener("click", () => {
    for (const k of Object.keys(filterState)) delete filterState[k];
    for (const n of box.querySelectorAll("[data-filter]")) n.value = "";
    markFilters();
    K.refresh();
  });
  box.append(clear);
  toggle.addEventListener("click", () => {
    box.hidden = !box.hidden;
    toggle.setAttribute("aria-expanded", box.hidden ? "false" : "true");
  });
  const tabs = side.querySelector(".tabs");
  tabs.after(toggle, box);
}

export function setFilter(key, value) {
  if (value) filterState[key] = value;
  else delete filterState[key];
  markFilters();
  K.refresh();
}

export function markFilters() {
  const n = Object.values(filterState).filter(Boolean).length;
  const toggle = $("#filter-toggle");
  if (toggle) toggle.textContent = n ? `${t("filters")} (${n})` : t("filters");
}

export async function fillFilterOptions() {
  const keep = (s, opts) => {
    if (!s) return;
    const v = s.value;
    s.replaceChildren(el("option", { value: "", text: t("any") }), ...opts.map(([val, text]) => el("option", { value: val, text })));
    s.value = v;
  };
  keep($("#f-label"), more.labels.map((l) => [String(l.id), l.name]));
}

export async function loadFilterSources(agent) {
  try {
    const ch = await K.api("GET", "/api/agent/channels");
    const s = $("#f-channel");
    if (s) s.replaceChildren(el("option", { value: "", text: t("any") }), ...(ch.channels || []).map((c) => el("option", { value: c.name, text: K.channelLabel(c.name) })));
  } catch (_) {
    /* the filter stays "any" */
  }
  if (!["admin", "supervisor"].includes(agent.role)) {
    const team = $("#f-team");
    if (team) team.closest("label").hidden = true;
    return;
  }
  try {
    const tm = await K.api("GET", "/api/admin/teams");
    const s = $("#f-team");
    if (s) s.replaceChildren(el("option", { value: "", text: t("any") }), ...(tm.teams || []).map((x) => el("option", { value: String(x.id), text: x.name })));
  } catch (_) {
    /* no teams */
  }
  try {
    const ag = await K.api("GET", "/api/agent/agents");
    const s = $("#f-assignee");
    if (s) for (const a of ag.agents || []) s.append(el("option", { value: String(a.id), text: a.name }));
  } catch (_) {
    /* me / none only */
  }
}
