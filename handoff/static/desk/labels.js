/* kefu console's desk: labels on conversations (the chips in the list, the bar above the messages). */
import { K } from "../console/kit.js";
import { $, el } from "/assets/dom.js";
import { fill } from "/assets/i18n.js";
import { more, paintLabel, t } from "./common.js";
import { fillFilterOptions } from "./filters.js";
import { loadPickerItems } from "./picker.js";
import { setPane } from "./sla.js";

export async function loadLabels() {
  try {
    const data = await K.api("GET", "/api/agent/labels");
    more.labels = data.labels || [];
    more.freeForm = !!data.free_form;
  } catch (_) {
    return;
  }
  const dl = $("#label-options");
  if (dl) dl.replaceChildren(...more.labels.map((l) => el("option", { value: l.name })));
  fillFilterOptions();
}

K.hooks.item.push((c, tags) => {
  for (const l of c.labels || []) tags.appendChild(paintLabel(el("span", { className: "tag tag-label", text: l.name }), l));
});

export function labelBar() {
  let bar = $("#conv-labels");
  if (bar) return bar;
  bar = el("div", { className: "conv-labels", id: "conv-labels", "aria-label": t("labels") });
  const title = $("#detail-meta");
  title.parentNode.appendChild(bar);
  return bar;
}

export function renderLabels(conv) {
  const bar = labelBar();
  const chips = (conv.labels || []).map((l) => {
    const x = el("button", { type: "button", className: "label-x", "aria-label": "×", text: "×" });
    x.addEventListener("click", () => changeLabel("DELETE", conv.id, l.id));
    return paintLabel(el("span", { className: "tag tag-label", "data-label": l.name }, l.name, x), l);
  });
  const input = el("input", { type: "text", id: "label-add", list: "label-options", maxlength: "64", placeholder: t("addLabel") });
  input.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" || ev.isComposing) return;
    ev.preventDefault();
    const name = input.value.trim();
    if (name) changeLabel("POST", conv.id, name);
  });
  input.addEventListener("change", () => {
    const name = input.value.trim();
    if (more.labels.some((l) => l.name === name)) changeLabel("POST", conv.id, name);
  });
  const dl = el("datalist", { id: "label-options" }, ...more.labels.map((l) => el("option", { value: l.name })));
  bar.replaceChildren(...chips, input, dl);
}

export async function changeLabel(method, convId, label) {
  K.setError("");
  try {
    if (method === "POST") await K.api("POST", `/api/agent/conversations/${convId}/labels`, { label });
    else await K.api("DELETE", `/api/agent/conversations/${convId}/labels/${label}`);
  } catch (e) {
    K.setError(e.message || String(e));
    return;
  }
  await loadLabels();
  await K.refresh();
  const again = $("#label-add");
  if (again) again.focus();
}

K.hooks.detail.push((conv) => {
  if (String(conv.id) !== String(more.convId)) {
    more.convId = conv.id;
    loadPickerItems(conv.id);
  }
  renderLabels(conv);
  wordSlaNotes(conv);
  setPane(document.body.classList.contains("pane-ticket-open") ? "ticket" : "detail", true);
});

// SLA notes carry what they say (meta): word them in the agent's language.
export function wordSlaNotes(conv) {
  for (const m of conv.messages || []) {
    if (!m.sla || m.id == null) continue;
    const node = document.querySelector(`.msg[data-id="${CSS.escape(String(m.id))}"] .msg-text`);
    if (!node) continue;
    node.textContent = fill(t("slaNote_" + m.sla.what), { n: m.sla.number, kind: t("kind_" + m.sla.kind), t: m.sla.due_local });
  }
}
