/*
 * Unread counts: a badge on each conversation with customer messages the agent has not
 * seen, and the total of the queue and the agent's own conversations in the tab's title
 * ("(3) kefu 客服工作台"), so a console in a background tab still says there is work.
 * A conversation on screen, with the page in view, is marked read up to its last message.
 */
import { K } from "./console/kit.js";

const LABEL = { zh: "条未读", en: "unread" };
let lists = null;
const readUpTo = new Map(); // conversation id -> seq already reported read

function baseTitle() {
  return K.lang() === "en" ? "kefu · Agent console" : "kefu 客服工作台";
}

function total() {
  if (!lists) return 0;
  const seen = new Set();
  let n = 0;
  for (const key of ["queued", "mine"]) {
    for (const c of lists[key] || []) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      n += Number(c.unread) || 0;
    }
  }
  return n;
}

function updateTitle() {
  const n = total();
  document.title = (n > 0 ? `(${n > 99 ? "99+" : n}) ` : "") + baseTitle();
}

function zeroLocally(id) {
  if (lists) {
    for (const key of Object.keys(lists)) {
      for (const c of lists[key] || []) if (String(c.id) === String(id)) c.unread = 0;
    }
  }
  for (const badge of document.querySelectorAll(`.conv-item[data-id="${CSS.escape(String(id))}"] .tag-unread`)) {
    badge.remove();
  }
  updateTitle();
}

async function markRead(conv) {
  if (!conv || document.visibilityState !== "visible") return;
  const msgs = conv.messages || [];
  const seq = msgs.length ? Math.max(...msgs.map((m) => Number(m.seq) || 0)) : Number(conv.last_seq) || 0;
  if (!seq || (readUpTo.get(conv.id) || 0) >= seq) return;
  readUpTo.set(conv.id, seq);
  try {
    await K.api("POST", `/api/agent/conversations/${encodeURIComponent(conv.id)}/read`, { seq });
  } catch (_) {
    readUpTo.delete(conv.id); // try again at the next render
    return;
  }
  zeroLocally(conv.id);
}

K.hooks.item.push((c, tags) => {
  const n = Number(c.unread) || 0;
  if (n <= 0) return;
  const cur = K.current();
  if (cur && String(cur.id) === String(c.id) && document.visibilityState === "visible") return;
  const label = K.lang() === "en" ? LABEL.en : LABEL.zh;
  tags.appendChild(K.el("span", { className: "tag tag-unread", text: n > 99 ? "99+" : String(n), "aria-label": `${n} ${label}` }));
});
K.hooks.lists.push((all) => {
  lists = all;
  updateTitle();
});
K.hooks.detail.push(markRead);
K.hooks.lang.push(updateTitle);
document.addEventListener("visibilitychange", () => markRead(K.current()));
