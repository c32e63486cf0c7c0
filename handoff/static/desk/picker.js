/* kefu console's desk: the "/" picker in the composer (canned replies and macros by name). */
import { K } from "../console/kit.js";
import { $, el } from "/assets/dom.js";
import { fill } from "/assets/i18n.js";
import { more, t } from "./common.js";

export async function loadPickerItems(convId) {
  try {
    const [c, m] = await Promise.all([K.api("GET", `/api/agent/canned?conversation_id=${convId}`), K.api("GET", "/api/agent/macros")]);
    more.canned = c.canned || [];
    more.macros = m.macros || [];
  } catch (_) {
    /* the picker shows what it has */
  }
  if (picker.open) updatePicker(); // typed before the lists arrived
}

export const picker = { open: false, items: [], index: 0, node: null };

export function pickerNode() {
  if (picker.node) return picker.node;
  picker.node = el("div", { className: "slash-picker", id: "slash-picker", role: "listbox", "aria-label": t("picker"), hidden: true });
  $("#composer").prepend(picker.node);
  return picker.node;
}

export function slashQuery() {
  const box = $("#reply-text");
  const m = /^\/(\S*)$/.exec(box.value.slice(0, box.selectionStart || 0));
  return m ? m[1].toLowerCase() : null;
}

export function updatePicker() {
  const q = slashQuery();
  if (q === null) return closePicker();
  const match = (s) => String(s || "").toLowerCase().includes(q);
  picker.items = [
    ...more.canned.filter((c) => match(c.shortcut) || match(c.title) || match(c.text)).map((c) => ({ kind: "canned", item: c })),
    ...more.macros.filter((m) => match(m.name)).map((m) => ({ kind: "macro", item: m })),
  ].slice(0, 12);
  picker.index = Math.min(picker.index, Math.max(0, picker.items.length - 1));
  picker.open = true;
  renderPicker();
}

export function renderPicker() {
  const node = pickerNode();
  node.hidden = false;
  if (!picker.items.length) {
    node.replaceChildren(el("div", { className: "slash-empty", text: t("pickEmpty") }));
    return;
  }
  node.replaceChildren(
    ...picker.items.map((p, i) => {
      const title = p.kind === "canned" ? `/${p.item.shortcut} ${p.item.title || ""}` : p.item.name;
      const sub = p.kind === "canned" ? p.item.rendered : t("pickMacro");
      const opt = el(
        "div",
        { className: "slash-item" + (i === picker.index ? " active" : ""), role: "option", "aria-selected": i === picker.index ? "true" : "false", "data-kind": p.kind },
        el("span", { className: "slash-title", text: title }),
        el("span", { className: "slash-sub", text: sub })
      );
      opt.addEventListener("mousedown", (ev) => {
        ev.preventDefault();
        choose(i);
      });
      return opt;
    })
  );
}

export function closePicker() {
  picker.open = false;
  picker.index = 0;
  if (picker.node) picker.node.hidden = true;
}

export async function choose(i) {
  const p = picker.items[i];
  closePicker();
  if (!p) return;
  const box = $("#reply-text");
  box.value = box.value.replace(/^\/\S*/, "");
  if (p.kind === "canned") {
    box.value = p.item.rendered + box.value;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
    return;
  }
  K.setError("");
  try {
    await K.api("POST", `/api/agent/conversations/${more.convId}/macros/${p.item.id}`);
    flash(fill(t("macroDone"), { name: p.item.name }));
  } catch (e) {
    K.setError(fill(t("macroFailed"), { name: p.item.name }) + (e.message || ""));
  }
  await K.refresh();
}

export function flash(text) {
  const live = $("#live-status");
  if (live) live.setAttribute("title", text);
}

export function wirePicker() {
  const box = $("#reply-text");
  box.addEventListener("input", updatePicker);
  box.addEventListener("blur", () => setTimeout(closePicker, 150));
  // Capture: the picker's keys win over the composer's own (Enter, Ctrl+Enter).
  box.addEventListener(
    "keydown",
    (ev) => {
      if (!picker.open || ev.isComposing) return;
      const n = picker.items.length;
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        ev.stopImmediatePropagation();
        if (n) picker.index = (picker.index + (ev.key === "ArrowDown" ? 1 : n - 1)) % n;
        renderPicker();
      } else if (ev.key === "Enter" || ev.key === "Tab") {
        if (!n) return;
        ev.preventDefault();
        ev.stopImmediatePropagation();
        choose(picker.index);
      } else if (ev.key === "Escape") {
        ev.preventDefault();
        ev.stopImmediatePropagation();
        closePicker();
      }
    },
    true
  );
}
