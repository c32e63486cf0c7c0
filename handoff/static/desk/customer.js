/* kefu console's desk: customers from the 360 panel (edit their fields, merge two, their history). */
import { K } from "../console/kit.js";
import { el } from "/assets/dom.js";
import { fill } from "/assets/i18n.js";
import { FIELDS, more, t } from "./common.js";
import { reloadCustomer as reloadCustomerPanel } from "../desk.js";

K.hooks.customer.push((convId, data, box) => {
  more.contact = data.contact;
  const bar = el("div", { className: "c360-tools" });
  const editBtn = el("button", { type: "button", className: "btn btn-ghost btn-sm", id: "contact-edit", text: t("edit") });
  const mergeBtn = el("button", { type: "button", className: "btn btn-ghost btn-sm", id: "contact-merge", text: t("merge") });
  editBtn.addEventListener("click", () => openEdit(box, data));
  mergeBtn.addEventListener("click", () => openMerge(box, data));
  bar.append(editBtn, mergeBtn);
  box.prepend(bar);
  loadHistory(data.contact.id, box);
});

export function openEdit(box, data) {
  closeForms(box);
  const c = data.contact;
  const masked = new Set((data.privacy && data.privacy.masked) || []);
  const form = el("form", { className: "contact-form", id: "contact-form", novalidate: true });
  const inputs = {};
  for (const f of FIELDS) {
    let input;
    if (f === "tier") {
      input = el("select", { name: f }, ...["normal", "vip"].map((v) => el("option", { value: v, text: t("tier_" + v) })));
      input.value = c.tier || "normal";
    } else if (f === "note") {
      input = el("textarea", { name: f, rows: "2", maxlength: "5000" });
      input.value = c.note || "";
    } else {
      input = el("input", { name: f, type: f === "email" ? "email" : f === "phone" ? "tel" : "text", maxlength: "200" });
      input.value = masked.has(f) ? "" : c[f] || "";
      if (masked.has(f)) input.placeholder = c[f] || "";
    }
    inputs[f] = input;
    form.append(el("label", { className: "field-sm" }, el("span", { text: t(f) }), input));
  }
  const err = el("div", { className: "form-error", role: "alert", hidden: true });
  const save = el("button", { type: "submit", className: "btn btn-primary btn-sm", text: t("save") });
  const cancel = el("button", { type: "button", className: "btn btn-ghost btn-sm", text: t("cancel") });
  cancel.addEventListener("click", () => form.remove());
  form.append(err, el("div", { className: "form-actions" }, save, cancel));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const f of FIELDS) {
      const v = inputs[f].value.trim();
      if (masked.has(f) && !v) continue; // the masked value was not retyped: unchanged
      if (v !== String(c[f] == null ? "" : c[f])) body[f] = v;
    }
    if (!Object.keys(body).length) {
      form.remove();
      return;
    }
    save.disabled = true;
    try {
      await K.api("PATCH", `/api/agent/contacts/${c.id}`, body);
    } catch (e) {
      err.textContent = e.message || String(e);
      err.hidden = false;
      save.disabled = false;
      return;
    }
    K.refresh(); // the list, the header and the 360 show the new details
    reloadCustomer();
  });
  box.prepend(form);
  inputs.name.focus();
}

export function openMerge(box, data) {
  closeForms(box);
  const c = data.contact;
  const wrap = el("div", { className: "contact-form", id: "merge-form" });
  const q = el("input", { type: "search", id: "merge-query", placeholder: t("mergeFind"), maxlength: "100" });
  const results = el("div", { className: "merge-results", id: "merge-results" });
  const err = el("div", { className: "form-error", role: "alert", hidden: true });
  const cancel = el("button", { type: "button", className: "btn btn-ghost btn-sm", text: t("cancel") });
  cancel.addEventListener("click", () => wrap.remove());
  let timer = null;
  q.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const text = q.value.trim();
      if (!text) return results.replaceChildren();
      let found;
      try {
        found = await K.api("GET", `/api/agent/contacts?q=${encodeURIComponent(text)}`);
      } catch (e) {
        err.textContent = e.message;
        err.hidden = false;
        return;
      }
      const others = (found.contacts || []).filter((x) => x.id !== c.id);
      if (!others.length) return results.replaceChildren(el("div", { className: "desk-empty", text: t("noMatch") }));
      results.replaceChildren(
        ...others.map((x) => {
          const label = `#${x.id} ${x.name || ""} ${[x.phone, x.email].filter(Boolean).join(" · ")}`.trim();
          const b = el("button", { type: "button", className: "merge-pick", "data-id": String(x.id), text: `${label} → ${t("mergeInto")}` });
          b.addEventListener("click", () => {
            const who = `#${x.id} ${x.name || ""}`.trim();
            const me = `#${c.id} ${c.name || ""}`.trim();
            const yes = el("button", { type: "button", className: "btn btn-primary btn-sm", id: "merge-confirm", text: t("mergeInto") });
            const no = el("button", { type: "button", className: "btn btn-ghost btn-sm", text: t("cancel") });
            no.addEventListener("click", () => ask.remove());
            yes.addEventListener("click", async () => {
              yes.disabled = true;
              try {
                await K.api("POST", `/api/agent/contacts/${x.id}/merge`, { into: c.id });
              } catch (e) {
                err.textContent = e.message;
                err.hidden = false;
                yes.disabled = false;
                return;
              }
              K.refresh();
              reloadCustomer();
            });
            const ask = el("div", { className: "merge-ask", role: "alertdialog" }, el("p", { text: fill(t("mergeConfirm"), { a: who, b: me }) }), el("div", { className: "form-actions" }, yes, no));
            for (const old of results.querySelectorAll(".merge-ask")) old.remove();
            b.after(ask);
          });
          return b;
        })
      );
    }, 250);
  });
  wrap.append(q, results, err, el("div", { className: "form-actions" }, cancel));
  box.prepend(wrap);
  q.focus();
}

export function closeForms(box) {
  for (const f of box.querySelectorAll(".contact-form")) f.remove();
}

export async function loadHistory(contactId, box) {
  let data;
  try {
    data = await K.api("GET", `/api/agent/contacts/${contactId}`);
  } catch (_) {
    return;
  }
  if (!data.events || !data.events.length) return;
  const rows = data.events.slice(0, 10).map((e) => {
    const who = e.agent || t("someone");
    let text;
    if (e.action === "edit") text = fill(t("ev_edit"), { who, fields: Object.keys(e.detail.changes || {}).map(t).join("、") });
    else if (e.action === "merge") text = fill(t("ev_merge"), { who, id: e.detail.merged, n: e.detail.conversations });
    else if (e.action === "customer") text = fill(t("ev_customer"), { fields: Object.keys(e.detail.changes || {}).map(t).join("、") });
    else text = fill(t("ev_merged_into"), { who, id: e.detail.into });
    const when = new Date(e.created_at).toLocaleString(K.lang() === "en" ? "en" : "zh-CN");
    return el("div", { className: "c360-row c360-event" }, `${when} · ${text}`);
  });
  box.append(el("div", { className: "c360-h", text: t("changes") }), ...rows);
}

export function reloadCustomer() {
  reloadCustomerPanel(); // desk.js owns the 360 panel
}
