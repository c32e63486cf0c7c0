/*
 * kefu web chat widget, message bubbles: text, files, offered choices, 👍/👎, the survey, and
 * the state of a message not confirmed yet. Everything is set with textContent; nothing is
 * parsed as HTML.
 */
import { el } from "/assets/dom.js";
import { ACK_TIMEOUT_MS, fmtTime, LANG, ORIGIN, T } from "./config.js";
import { CHOICE, rawSend, RETRY, ui } from "./state.js";
import { isNearBottom, scrollToBottom } from "./view.js";

export function senderLabel(frame) {
  switch (frame.sender) {
    case "bot":
      return T.bot;
    case "agent":
      return frame.agent_name || T.agent;
    case "customer":
      return T.you;
    default:
      return "";
  }
}

// Build the element for a message (confirmed or pending).
export function buildMessage(frame) {
  const sender = ["customer", "bot", "agent", "system"].includes(frame.sender) ? frame.sender : "system";
  const node = el("div", {
    className: "kefu-msg kefu-msg-" + sender,
    "data-sender": sender,
    "data-seq": frame.seq != null ? String(frame.seq) : "",
  });
  if (frame.client_msg_id) node.setAttribute("data-client-msg-id", frame.client_msg_id);

  if (sender !== "system" && sender !== "customer") {
    const meta = el("div", { className: "kefu-meta" }, el("span", { className: "kefu-name", text: senderLabel(frame) }));
    node.appendChild(meta);
  }
  const bubble = el("div", { className: "kefu-bubble" });
  const text = el("div", { className: "kefu-text" });
  text.textContent = frame.text == null ? "" : String(frame.text);
  if (text.textContent) bubble.appendChild(text);
  if (Array.isArray(frame.attachments) && frame.attachments.length) bubble.appendChild(buildFiles(frame.attachments));
  node.appendChild(bubble);

  if (Array.isArray(frame.choices) && frame.choices.length) {
    const box = el("div", { className: "kefu-choices", role: "group", "aria-label": T.choicesHint });
    for (const c of frame.choices) {
      if (!c || c.n == null) continue;
      const label = String(c.label || "");
      const btn = el("button", { type: "button", className: "kefu-choice", "data-n": String(c.n) });
      btn.append(el("span", { className: "kefu-choice-label", text: label }));
      btn.addEventListener("click", () => {
        // Mark the choice, freeze the group: a choice is answered once. The label is sent
        // (not its number), so the transcript says which question the customer picked.
        btn.classList.add("kefu-chosen");
        for (const b of box.querySelectorAll(".kefu-choice")) b.disabled = true;
        ui.messages.dispatchEvent(new CustomEvent(CHOICE, { detail: label || String(c.n) }));
      });
      box.appendChild(btn);
    }
    node.appendChild(box);
  }

  if (frame.seq != null && sender === "bot" && (frame.entry_id || frame.feedback === "helpful")) {
    node.appendChild(buildHelpful(frame.seq));
  }
  if (frame.seq != null && frame.survey) node.appendChild(buildSurvey(frame.seq, frame.rating));

  const foot = el("div", { className: "kefu-foot" });
  const time = el("span", { className: "kefu-time", text: fmtTime(frame.created_at) });
  foot.appendChild(time);
  if (frame.seq == null) {
    foot.appendChild(el("span", { className: "kefu-state", text: T.sending }));
  }
  node.appendChild(foot);
  return node;
}

// 👍/👎 under a bot answer from the knowledge base: {"type":"feedback","seq":N,"value":"up"}.
// Files of a message: pictures previewed, other files as download links. The links are
// signed by the server for this conversation; nothing here is ever parsed as HTML.
export function buildFiles(files) {
  const box = el("div", { className: "kefu-files" });
  for (const a of files) {
    if (!a) continue;
    const kb = Math.max(1, Math.round((Number(a.size) || 0) / 1024));
    const label = (a.name || T.picture) + " · " + kb + " KB";
    const src = a.url ? new URL(String(a.url), ORIGIN + "/").href : "";
    if (!/^https?:/.test(src)) {
      // Not stored yet (a pending message): its name until the server's echo replaces it.
      box.appendChild(el("span", { className: "kefu-file kefu-file-pending", text: (a.kind === "image" ? "🖼 " : "📎 ") + label }));
    } else if (a.kind === "image") {
      const link = el("a", { className: "kefu-file kefu-file-image", href: src, target: "_blank", rel: "noopener noreferrer" });
      link.appendChild(el("img", { className: "kefu-image", src, alt: label }));
      box.appendChild(link);
    } else {
      box.appendChild(el("a", { className: "kefu-file kefu-file-doc", href: src, rel: "noopener noreferrer", download: a.name || "", text: "📎 " + label }));
    }
  }
  return box;
}

export function buildHelpful(seq) {
  const box = el("div", { className: "kefu-helpful", role: "group", "aria-label": T.helpful });
  box.appendChild(el("span", { className: "kefu-helpful-q", text: T.helpful }));
  for (const [value, icon, label] of [["up", "👍", T.helpfulYes], ["down", "👎", T.helpfulNo]]) {
    const btn = el("button", { type: "button", className: "kefu-helpful-btn", "data-value": value, title: label, "aria-label": label, text: icon });
    btn.addEventListener("click", () => {
      if (!rawSend({ type: "feedback", seq: seq, value: value })) return;
      for (const b of box.querySelectorAll("button")) b.disabled = true;
      btn.classList.add("kefu-chosen");
      box.querySelector(".kefu-helpful-q").textContent = T.helpfulThanks;
    });
    box.appendChild(btn);
  }
  return box;
}

// 1-5 buttons under the satisfaction survey (回访): {"type":"feedback","seq":N,"value":5}.
export function buildSurvey(seq, rating) {
  const box = el("div", { className: "kefu-survey", role: "group", "aria-label": T.rateLabel });
  for (let n = 1; n <= 5; n++) {
    const btn = el("button", { type: "button", className: "kefu-rate", "data-score": String(n), title: T.rates[n - 1] });
    btn.append(el("span", { className: "kefu-rate-n", text: String(n) }), el("span", { className: "kefu-rate-label", text: T.rates[n - 1] }));
    if (rating) {
      btn.disabled = true;
      if (rating === n) btn.classList.add("kefu-chosen");
    }
    btn.addEventListener("click", () => {
      if (!rawSend({ type: "feedback", seq: seq, value: n })) return;
      btn.classList.add("kefu-chosen");
      for (const b of box.querySelectorAll(".kefu-rate")) b.disabled = true;
    });
    box.appendChild(btn);
  }
  return box;
}

// Insert a confirmed message so that .kefu-msg[data-seq] stay sorted by seq,
// with still-pending customer messages always after all confirmed ones.
export function insertSorted(node, seq) {
  let before = null;
  for (const child of ui.messages.children) {
    if (!child.classList.contains("kefu-msg")) continue;
    const s = child.getAttribute("data-seq");
    if (s === "" || s === null) {
      before = child; // first pending message: confirmed ones go above it
      break;
    }
    if (parseInt(s, 10) > seq) {
      before = child;
      break;
    }
  }
  ui.messages.insertBefore(node, before);
}

export function setPendingStatus(p, status, reason) {
  const stick = isNearBottom();
  p.status = status;
  const foot = p.el.querySelector(".kefu-foot");
  const old = foot.querySelector(".kefu-state");
  if (old) old.remove();
  const oldBtn = foot.querySelector(".kefu-retry");
  if (oldBtn) oldBtn.remove();
  p.el.classList.toggle("kefu-failed", status === "failed" || status === "unsent");
  clearTimeout(p.timer);
  if (status === "sending") {
    // No echo in time: say so (a network that hangs never closes the socket by itself).
    p.timer = setTimeout(() => {
      if (p.status === "sending") setPendingStatus(p, "unsent");
    }, ACK_TIMEOUT_MS);
  }
  if (status === "failed" || status === "unsent") {
    // Why it failed (server message, e.g. too long / rate limited), on one line.
    const why = status === "unsent" ? T.unsent : reason ? `${T.failed}${LANG === "zh" ? "：" : ": "}${reason}` : T.failed;
    foot.appendChild(el("span", { className: "kefu-state", text: why }));
    const retry = el("button", { type: "button", className: "kefu-retry", text: T.retry });
    retry.addEventListener("click", () => {
      setPendingStatus(p, "queued");
      ui.messages.dispatchEvent(new CustomEvent(RETRY)); // main.js: send now, or reconnect
    });
    foot.appendChild(retry);
  } else {
    foot.appendChild(el("span", { className: "kefu-state", text: T.sending }));
  }
  scrollToBottom(stick);
}
