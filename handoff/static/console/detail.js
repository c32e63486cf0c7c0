/*
 * The open conversation: its header, messages and actions (take over, resolve, hand back)
 * and the composer (a reply or a private note).
 */
import { $, el, show } from "/assets/dom.js";
import { api, channelLabel, clockTime, dayLabel, handleAuthError, hooks, state, t, tMap } from "./core.js";
import { OPEN, refreshLists, selectTab, ticketLabel } from "./list.js";

export function parseHash() {
  const m = /^#\/?c\/(\d+)$/.exec(location.hash || "");
  return m ? Number(m[1]) : null;
}

export function setDetailError(msg) {
  const box = $("#detail-error");
  box.textContent = msg || "";
  show(box, !!msg);
}

export async function openConversation(id, opts = {}) {
  const changed = String(id) !== String(state.currentId);
  state.currentId = id;
  if (!opts.fromHash) history.replaceState(null, "", `#c/${id}`);
  $("#app").classList.add("show-detail");
  for (const it of document.querySelectorAll(".conv-item")) {
    it.classList.toggle("active", it.getAttribute("data-id") === String(id));
  }
  if (changed) {
    state.current = null;
    setDetailError("");
    show($("#detail-placeholder"), false);
    show($("#detail-body"), true);
    $("#detail-contact").textContent = t("loading");
    $("#detail-meta").replaceChildren();
    $("#messages").replaceChildren();
    setActionsEnabled(null);
  }
  await refreshDetail({ scrollToEnd: changed });
  if (changed) {
    const input = $("#reply-text");
    if (!window.matchMedia("(pointer: coarse)").matches) input.focus();
  }
}

export async function refreshDetail(opts = {}) {
  const id = state.currentId;
  if (id == null) return;
  const req = ++state.detailReq;
  let data;
  try {
    data = await api("GET", `/api/agent/conversations/${encodeURIComponent(id)}`);
  } catch (e) {
    if (handleAuthError(e)) return;
    if (req !== state.detailReq) return;
    setDetailError(e.status === 404 ? t("notFound") : e.message || t("networkError"));
    return;
  }
  if (req !== state.detailReq || String(id) !== String(state.currentId)) return;
  state.current = data.conversation;
  renderDetail(state.current, { keepScroll: !opts.scrollToEnd });
}

export function closeDetailOnMobile() {
  $("#app").classList.remove("show-detail");
}

function ownerBadge(owner) {
  return el("span", { className: `owner-badge owner-${owner}`, text: t("owner_" + owner) || owner });
}

function metaItem(label, value, cls) {
  return el(
    "span",
    { className: "meta-item" + (cls ? " " + cls : "") },
    el("span", { className: "meta-label", text: label }),
    el("span", { className: "meta-value", text: value })
  );
}

export function setActionsEnabled(conv) {
  const take = $("#takeover");
  const resolve = $("#resolve");
  const handback = $("#handback");
  if (!conv || state.busy) {
    take.disabled = resolve.disabled = handback.disabled = true;
    return;
  }
  // Take over: only from the bot or the queue. An agent-owned conversation
  // is ours already, or a colleague's (the server refuses with 409; if we
  // race a colleague anyway, the 409 is shown in #detail-error).
  // Supervisors and admins may claim a colleague's conversation (the holder may be gone).
  const me = state.me || {};
  const claim =
    conv.owner === "agent" &&
    conv.assignee &&
    conv.assignee.id !== me.id &&
    (me.role === "supervisor" || me.role === "admin");
  take.disabled = !(conv.owner === "queued" || conv.owner === "bot" || claim);
  resolve.disabled = conv.owner === "resolved";
  // Hand back to the bot only from a human state.
  handback.disabled = !(conv.owner === "agent" || conv.owner === "queued");
}

export function renderDetail(conv, opts = {}) {
  if (!conv) return;
  const name = (conv.contact && conv.contact.name) || `${t("anonymous")} ${conv.id}`;
  $("#detail-contact").textContent = name;

  const meta = $("#detail-meta");
  const parts = [ownerBadge(conv.owner)];
  if (conv.ticket) {
    const tk = conv.ticket;
    const bits = [ticketLabel(tk)];
    if (tk.status) bits.push(tMap("ticketStatus", tk.status));
    parts.push(metaItem(t("ticket"), bits.join(" · "), "meta-ticket"));
    if (tk.priority) {
      parts.push(
        el("span", {
          className: "tag tag-priority prio-" + String(tk.priority).replace(/[^a-z_]/gi, ""),
          text: tMap("priority", tk.priority),
        })
      );
    }
  }
  parts.push(metaItem(t("assignee"), conv.assignee ? conv.assignee.name : t("unassigned")));
  if (conv.channel) parts.push(metaItem(t("channel"), channelLabel(conv.channel)));
  if (conv.language) parts.push(metaItem(t("language"), tMap("languages", conv.language)));
  meta.replaceChildren(...parts);

  setActionsEnabled(conv);
  renderMessages(conv, opts);
  for (const fn of hooks.detail) fn(conv);
}

function renderMessages(conv, opts) {
  const box = $("#messages");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  const prevTop = box.scrollTop;
  const msgs = (conv.messages || []).slice();
  // Sort by seq (private notes may have none: fall back to time, then id).
  msgs.sort((a, b) => {
    const ta = Date.parse(a.created_at || "") || 0;
    const tb = Date.parse(b.created_at || "") || 0;
    if (a.seq != null && b.seq != null && a.seq !== b.seq) return a.seq - b.seq;
    if (ta !== tb) return ta - tb;
    return (a.id || 0) - (b.id || 0);
  });

  const contactName = (conv.contact && conv.contact.name) || t("sender_customer");
  const nodes = [];
  let lastDay = "";
  for (const m of msgs) {
    const day = dayLabel(m.created_at);
    if (day && day !== lastDay) {
      nodes.push(el("div", { className: "day-sep" }, el("span", { text: day })));
      lastDay = day;
    }
    nodes.push(renderMessage(m, contactName));
  }
  if (!msgs.length) nodes.push(el("div", { className: "messages-empty", text: t("noMessages") }));
  box.replaceChildren(...nodes);

  if (!opts.keepScroll || nearBottom) box.scrollTop = box.scrollHeight;
  else box.scrollTop = prevTop;
}

function renderMessage(m, contactName) {
  const sender = ["customer", "bot", "agent", "system"].includes(m.sender) ? m.sender : "system";
  const isPrivate = !!m.private;
  const node = el("div", {
    className: `msg msg-${sender}` + (isPrivate ? " private" : ""),
    "data-sender": sender,
    "data-seq": m.seq != null ? String(m.seq) : "",
    "data-id": m.id != null ? String(m.id) : "",
  });

  if (sender !== "system") {
    let who;
    if (sender === "customer") who = contactName;
    else if (sender === "agent") who = m.agent_name || t("sender_agent");
    else who = t("sender_bot");
    const head = el("div", { className: "msg-head" }, el("span", { className: "msg-author", text: who }));
    if (isPrivate) head.appendChild(el("span", { className: "private-label", text: t("privateLabel") }));
    node.appendChild(head);
  }

  const bubble = el("div", { className: "msg-bubble" });
  const text = el("div", { className: "msg-text" });
  text.textContent = m.text == null ? "" : String(m.text);
  bubble.appendChild(text);
  // Files that came with the message (WeChat media, email attachments): served to
  // logged-in agents only; images inline, everything else as a download link.
  if (Array.isArray(m.attachments) && m.attachments.length) {
    const files = el("div", { className: "msg-attachments" });
    for (const a of m.attachments) {
      if (!a || !/^[0-9a-f]{64}$/.test(String(a.key))) continue;
      const url = "/api/agent/attachments/" + a.key;
      const label = (a.name || a.kind || "file") + " · " + Math.max(1, Math.round((a.size || 0) / 1024)) + " KB";
      if (a.kind === "image") {
        const link = el("a", { href: url, target: "_blank", rel: "noopener", className: "msg-attachment" });
        link.appendChild(el("img", { src: url, alt: label, className: "msg-image", loading: "lazy" }));
        files.appendChild(link);
      } else {
        files.appendChild(el("a", { href: url, className: "msg-attachment msg-file", text: "📎 " + label, download: a.name || "" }));
      }
    }
    bubble.appendChild(files);
  }
  // Options the bot offered the customer (read-only here).
  if (Array.isArray(m.choices) && m.choices.length) {
    const list = el("ol", { className: "msg-choices" });
    for (const c of m.choices) {
      if (!c) continue;
      list.appendChild(
        el("li", null, el("span", { className: "choice-n", text: String(c.n) }), el("span", { text: String(c.label || "") }))
      );
    }
    bubble.appendChild(list);
  }
  node.appendChild(bubble);

  const foot = el("div", { className: "msg-foot" }, el("span", { className: "msg-time", text: clockTime(m.created_at) }));
  // Stored but never answered (an auto-reply, a bounce, no usable sender...): say why.
  if (sender === "customer" && m.no_reply) {
    const why = el("a", {
      className: "msg-no-reply",
      href: "/agent/unanswered",
      text: `${t("notAnswered")} · ${String(m.no_reply)}`,
    });
    why.dataset.reason = String(m.no_reply);
    foot.appendChild(why);
  }
  if (!isPrivate && sender === "agent" && m.delivery) {
    const d = el("span", {
      className: "msg-delivery delivery-" + String(m.delivery).replace(/[^a-z_]/gi, ""),
      text: tMap("delivery", m.delivery),
    });
    if (m.delivery_error) d.title = String(m.delivery_error);
    foot.appendChild(d);
    if (m.delivery === "failed" && m.delivery_error) {
      foot.appendChild(el("span", { className: "msg-delivery-error", text: String(m.delivery_error) }));
    }
  }
  node.appendChild(foot);
  return node;
}

// --------------------------------------------------------------- actions

export async function doAction(kind) {
  const id = state.currentId;
  if (id == null || state.busy) return;
  state.busy = true;
  setActionsEnabled(state.current);
  setDetailError("");
  try {
    const data = await api("POST", `/api/agent/conversations/${encodeURIComponent(id)}/${kind}`, {});
    if (data.conversation && String(id) === String(state.currentId)) {
      // The action response may omit messages; keep the ones we have.
      const merged = Object.assign({}, state.current || {}, data.conversation);
      if (!data.conversation.messages && state.current) merged.messages = state.current.messages;
      state.current = merged;
      renderDetail(merged, { keepScroll: true });
    }
    // After taking a conversation, follow it to the Active tab.
    if (kind === "takeover") selectTab("agent");
  } catch (e) {
    if (handleAuthError(e)) return;
    // Our own wording for the takeover race; the server's message otherwise.
    const conflict = e.status === 409 && kind === "takeover";
    setDetailError(conflict ? t("conflict") : e.message || t("networkError"));
  } finally {
    state.busy = false;
    setActionsEnabled(state.current);
  }
  refreshLists();
  refreshDetail();
}

export function updateComposerMode() {
  const priv = $("#reply-private").checked;
  $("#composer").classList.toggle("is-private", priv);
  $("#reply-text").placeholder = priv ? t("notePlaceholder") : t("replyPlaceholder");
  $("#reply-send").textContent = priv ? t("addNote") : t("send");
}

export async function sendReply() {
  const id = state.currentId;
  const input = $("#reply-text");
  const text = input.value;
  if (id == null || !text.trim() || state.sending) return;
  const priv = $("#reply-private").checked;
  state.sending = true;
  $("#reply-send").disabled = true;
  setDetailError("");
  try {
    await api("POST", `/api/agent/conversations/${encodeURIComponent(id)}/messages`, { text, private: priv });
    // Only clear if the agent did not type more meanwhile / switch conversation.
    if (input.value === text) input.value = "";
    // A public reply on a bot/queued conversation takes it over.
    if (!priv && state.current && state.current.owner !== "agent") selectTab("agent");
  } catch (e) {
    if (handleAuthError(e)) return;
    setDetailError(e.message || t("networkError"));
  } finally {
    state.sending = false;
    $("#reply-send").disabled = false;
  }
  // Note: the private checkbox is deliberately NOT reset after sending, so a
  // follow-up internal note never leaks to the customer by accident.
  await refreshDetail({ scrollToEnd: true });
  refreshLists();
}

document.addEventListener(OPEN, (ev) => openConversation(ev.detail));
