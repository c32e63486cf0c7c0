/*
 * kefu console, a team's daily desk (issue 15): edit and merge customers from the 360
 * panel, labels on conversations, filters on the list, the "/" picker of canned replies
 * and macros in the composer, the at-risk / breached SLA list with local times, SLA notes
 * in the agent's language, and the pane switch of the phone-sized console.
 * Plain JS, textContent only (labels' colours are set through the CSSOM, CSP-safe).
 */
(() => {
  "use strict";

  const K = window.kefuConsole;
  if (!K) return;
  const $ = (sel) => document.querySelector(sel);
  const el = (...a) => K.el(...a);

  const S = {
    zh: {
      edit: "编辑",
      save: "保存",
      cancel: "取消",
      saved: "已保存",
      name: "姓名",
      phone: "电话",
      email: "邮箱",
      company: "公司",
      tier: "等级",
      tier_normal: "普通",
      tier_vip: "VIP",
      note: "备注",
      merge: "合并重复客户",
      mergeFind: "搜索姓名、电话或邮箱…",
      mergeInto: "合并到当前客户",
      mergeConfirm: "把客户 {a} 合并到 {b}？其会话、身份和工单将移到 {b}，{a} 将被删除。",
      merged: "已合并",
      noMatch: "没有找到",
      changes: "修改记录",
      ev_edit: "{who} 修改了 {fields}",
      ev_merge: "{who} 合并了客户 #{id}（{n} 个会话）",
      ev_merged_into: "{who} 将此客户合并到 #{id}",
      ev_customer: "客户在网页聊天中填写了 {fields}",
      someone: "系统",
      conversations: "会话",
      labels: "标签",
      addLabel: "添加标签…",
      filters: "筛选",
      clearFilters: "清除",
      any: "全部",
      f_status: "工单状态",
      f_priority: "优先级",
      f_assignee: "负责人",
      f_team: "团队",
      f_channel: "渠道",
      f_label: "标签",
      f_since: "从",
      f_until: "到",
      me: "我",
      unassigned: "未分配",
      st_new: "新建",
      st_open: "处理中",
      st_pending: "等待客户",
      st_resolved: "已解决",
      st_closed: "已关闭",
      prio_normal: "普通",
      prio_high: "高",
      prio_urgent: "紧急",
      picker: "快捷回复和宏",
      pickCanned: "快捷回复",
      pickMacro: "宏",
      pickEmpty: "没有匹配的快捷回复或宏",
      macroDone: "已执行宏「{name}」",
      macroFailed: "宏「{name}」未全部完成：",
      sla: "SLA",
      slaTitle: "即将超时 / 已超时",
      slaEmpty: "没有即将超时的工单",
      kind_first_response: "首次响应",
      kind_resolution: "解决",
      at_risk: "即将超时",
      breached: "已超时",
      dueAt: "时限 {t}（{tz}）",
      slaNote_warning: "SLA 预警：工单 #{n} {kind}将于 {t} 超时",
      slaNote_breach: "SLA 超时：工单 #{n} {kind}已于 {t} 超时",
      pane_list: "会话列表",
      pane_detail: "对话",
      pane_ticket: "工单",
      tickets: "工单列表",
      macrosNav: "标签和宏",
      typesNav: "工单类型",
    },
    en: {
      edit: "Edit",
      save: "Save",
      cancel: "Cancel",
      saved: "Saved",
      name: "Name",
      phone: "Phone",
      email: "Email",
      company: "Company",
      tier: "Tier",
      tier_normal: "Normal",
      tier_vip: "VIP",
      note: "Note",
      merge: "Merge a duplicate",
      mergeFind: "Search name, phone or email…",
      mergeInto: "Merge into this customer",
      mergeConfirm: "Merge customer {a} into {b}? Its conversations, identities and tickets move to {b}; {a} is deleted.",
      merged: "Merged",
      noMatch: "Nothing found",
      changes: "Changes",
      ev_edit: "{who} changed {fields}",
      ev_merge: "{who} merged customer #{id} ({n} conversations)",
      ev_merged_into: "{who} merged this customer into #{id}",
      ev_customer: "The customer gave their {fields} in the web chat",
      someone: "System",
      conversations: "Conversations",
      labels: "Labels",
      addLabel: "Add a label…",
      filters: "Filter",
      clearFilters: "Clear",
      any: "Any",
      f_status: "Ticket status",
      f_priority: "Priority",
      f_assignee: "Assignee",
      f_team: "Team",
      f_channel: "Channel",
      f_label: "Label",
      f_since: "From",
      f_until: "To",
      me: "Me",
      unassigned: "Unassigned",
      st_new: "New",
      st_open: "Open",
      st_pending: "Pending",
      st_resolved: "Resolved",
      st_closed: "Closed",
      prio_normal: "Normal",
      prio_high: "High",
      prio_urgent: "Urgent",
      picker: "Canned replies and macros",
      pickCanned: "Canned reply",
      pickMacro: "Macro",
      pickEmpty: "No canned reply or macro matches",
      macroDone: "Macro “{name}” applied",
      macroFailed: "Macro “{name}” did not finish: ",
      sla: "SLA",
      slaTitle: "At risk / breached",
      slaEmpty: "No ticket is close to its SLA",
      kind_first_response: "First response",
      kind_resolution: "Resolution",
      at_risk: "At risk",
      breached: "Breached",
      dueAt: "due {t} ({tz})",
      slaNote_warning: "SLA warning: ticket #{n} {kind} is due at {t}",
      slaNote_breach: "SLA breached: ticket #{n} {kind} was due at {t}",
      pane_list: "List",
      pane_detail: "Chat",
      pane_ticket: "Ticket",
      tickets: "Tickets",
      macrosNav: "Labels and macros",
      typesNav: "Ticket types",
    },
  };
  const t = (k) => (S[K.lang()] || S.zh)[k] || k;
  const fill = (s, vals) => s.replace(/\{(\w+)\}/g, (_, k) => (vals[k] != null ? String(vals[k]) : ""));
  const FIELDS = ["name", "phone", "email", "company", "tier", "note"];

  const more = { convId: null, contact: null, labels: [], freeForm: true, macros: [], canned: [], sla: [] };

  function paintLabel(node, label) {
    if (/^#[0-9a-f]{6}$/i.test(label.color || "")) {
      node.style.borderColor = label.color;
      node.style.color = label.color;
    }
    return node;
  }

  // ------------------------------------------------------------ customer: edit, merge

  K.hooks.customer = K.hooks.customer || [];
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

  function openEdit(box, data) {
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

  function openMerge(box, data) {
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

  function closeForms(box) {
    for (const f of box.querySelectorAll(".contact-form")) f.remove();
  }

  async function loadHistory(contactId, box) {
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

  function reloadCustomer() {
    if (K.reloadCustomer) K.reloadCustomer(); // desk.js owns the 360 panel
  }

  // ------------------------------------------------------------------------- labels

  async function loadLabels() {
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

  function labelBar() {
    let bar = $("#conv-labels");
    if (bar) return bar;
    bar = el("div", { className: "conv-labels", id: "conv-labels", "aria-label": t("labels") });
    const title = $("#detail-meta");
    title.parentNode.appendChild(bar);
    return bar;
  }

  function renderLabels(conv) {
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

  async function changeLabel(method, convId, label) {
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
  function wordSlaNotes(conv) {
    for (const m of conv.messages || []) {
      if (!m.sla || m.id == null) continue;
      const node = document.querySelector(`.msg[data-id="${CSS.escape(String(m.id))}"] .msg-text`);
      if (!node) continue;
      node.textContent = fill(t("slaNote_" + m.sla.what), { n: m.sla.number, kind: t("kind_" + m.sla.kind), t: m.sla.due_local });
    }
  }

  // ------------------------------------------------------------------------ filters

  const filterState = {};
  window.kefuListQuery = () => {
    const parts = Object.entries(filterState)
      .filter(([, v]) => v)
      .map(([k, v]) => `&${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
    return parts.join("");
  };

  function buildFilters() {
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

  function setFilter(key, value) {
    if (value) filterState[key] = value;
    else delete filterState[key];
    markFilters();
    K.refresh();
  }

  function markFilters() {
    const n = Object.values(filterState).filter(Boolean).length;
    const toggle = $("#filter-toggle");
    if (toggle) toggle.textContent = n ? `${t("filters")} (${n})` : t("filters");
  }

  async function fillFilterOptions() {
    const keep = (s, opts) => {
      if (!s) return;
      const v = s.value;
      s.replaceChildren(el("option", { value: "", text: t("any") }), ...opts.map(([val, text]) => el("option", { value: val, text })));
      s.value = v;
    };
    keep($("#f-label"), more.labels.map((l) => [String(l.id), l.name]));
  }

  async function loadFilterSources(agent) {
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

  // ------------------------------------------------------------ "/" picker in the composer

  async function loadPickerItems(convId) {
    try {
      const [c, m] = await Promise.all([K.api("GET", `/api/agent/canned?conversation_id=${convId}`), K.api("GET", "/api/agent/macros")]);
      more.canned = c.canned || [];
      more.macros = m.macros || [];
    } catch (_) {
      /* the picker shows what it has */
    }
    if (picker.open) updatePicker(); // typed before the lists arrived
  }

  const picker = { open: false, items: [], index: 0, node: null };

  function pickerNode() {
    if (picker.node) return picker.node;
    picker.node = el("div", { className: "slash-picker", id: "slash-picker", role: "listbox", "aria-label": t("picker"), hidden: true });
    $("#composer").prepend(picker.node);
    return picker.node;
  }

  function slashQuery() {
    const box = $("#reply-text");
    const m = /^\/(\S*)$/.exec(box.value.slice(0, box.selectionStart || 0));
    return m ? m[1].toLowerCase() : null;
  }

  function updatePicker() {
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

  function renderPicker() {
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

  function closePicker() {
    picker.open = false;
    picker.index = 0;
    if (picker.node) picker.node.hidden = true;
  }

  async function choose(i) {
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

  function flash(text) {
    const live = $("#live-status");
    if (live) live.setAttribute("title", text);
  }

  function wirePicker() {
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

  // ------------------------------------------------------------------------ SLA list

  function buildSla() {
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

  async function loadSla() {
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

  function renderSla() {
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

  function buildPanes() {
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

  function setPane(p, fromDetail) {
    const app = $("#app");
    if (fromDetail && p === "detail" && !app.classList.contains("show-detail")) p = "list";
    app.classList.toggle("show-detail", p !== "list");
    app.classList.toggle("pane-ticket", p === "ticket");
    document.body.classList.toggle("pane-ticket-open", p === "ticket");
    if (p === "ticket" && more.convId != null) $("#desk-panel").hidden = false;
    for (const b of document.querySelectorAll("#pane-switch [data-pane]")) b.classList.toggle("active", b.getAttribute("data-pane") === p);
  }

  // ------------------------------------------------------------------------- wiring

  function relabel() {
    for (const n of document.querySelectorAll("#pane-switch [data-pane]")) n.textContent = t("pane_" + n.getAttribute("data-pane"));
    const nav = $("#nav-tickets");
    if (nav) nav.textContent = t("tickets");
    const macros = $("#nav-macros");
    if (macros) macros.textContent = t("macrosNav");
    const types = $("#nav-types");
    if (types) types.textContent = t("typesNav");
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
})();
