/*
 * The agent console's shared state: the language, the server's channel labels, the API
 * client, the conversations held in memory and the plug-ins' extension points (hooks).
 *
 * Data flow: REST for everything (/api/agent/...), plus a WebSocket (/api/agent/ws) that
 * only says "conversation X changed"; on that we re-fetch the lists and, if X is open, its
 * detail. A 15 s poll covers a dead socket.
 */
import { langOf, store } from "/assets/i18n.js";
import { errorText } from "../errors.js";
import { STRINGS } from "./strings.js";

const LANG_KEY = "kefu.console.lang";
export const OWNERS = ["queued", "mine", "agent", "bot", "resolved"];

function initialLang() {
  const saved = store.get(LANG_KEY);
  if (saved === "zh" || saved === "en") return saved;
  return langOf(navigator.language);
}

/** The console's language, "zh" or "en" (a live binding: importers see it change). */
export let lang = initialLang();

/** Switch the language and remember it (the other console pages read the same key). */
export function setLang(value) {
  lang = value;
  store.set(LANG_KEY, lang);
}

export const t = (key) => STRINGS[lang][key];
export const tMap = (group, key) => {
  const m = STRINGS[lang][group] || {};
  return key != null && Object.prototype.hasOwnProperty.call(m, key) ? m[key] : key;
};

// Channel labels come from the server (GET /api/agent/channels: the channel registry), so a
// new channel needs no change here; a name the server does not list is shown as is.
let channelLabels = new Map();
export const channelLabel = (name) => {
  if (name === null || name === undefined) return "";
  const label = channelLabels.get(String(name));
  return (label && typeof label[lang] === "string" && label[lang]) || String(name);
};
export function setChannelLabels(labels) {
  channelLabels = labels;
}

export const isMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent || "");

// --------------------------------------------------------------- helpers

export function relTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  const diff = (d.getTime() - Date.now()) / 1000; // negative = past
  const abs = Math.abs(diff);
  let rtf;
  try {
    rtf = new Intl.RelativeTimeFormat(lang === "zh" ? "zh-CN" : "en", { numeric: "auto", style: "short" });
  } catch (_) {
    return d.toLocaleString();
  }
  if (abs < 45) return lang === "zh" ? "刚刚" : "just now";
  if (abs < 3600) return rtf.format(Math.round(diff / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(diff / 3600), "hour");
  if (abs < 86400 * 7) return rtf.format(Math.round(diff / 86400), "day");
  return d.toLocaleDateString(lang === "zh" ? "zh-CN" : "en");
}

export function clockTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  return d.toLocaleTimeString(lang === "zh" ? "zh-CN" : "en", { hour: "2-digit", minute: "2-digit" });
}

export function dayLabel(iso) {
  const d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  return d.toLocaleDateString(lang === "zh" ? "zh-CN" : "en", { year: "numeric", month: "short", day: "numeric", weekday: "short" });
}

export function initials(name) {
  const s = String(name || "").trim();
  if (!s) return "?";
  // First character (code point aware, so CJK and emoji are not split).
  return Array.from(s)[0].toUpperCase();
}

// ------------------------------------------------------------------- API

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || "";
  }
}

export async function api(method, path, body) {
  const opts = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET") {
    // The backend's CSRF guard requires X-Requested-With on every non-GET.
    opts.headers["Content-Type"] = "application/json";
    opts.headers["X-Requested-With"] = "kefu";
    opts.body = JSON.stringify(body || {});
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, "network", t("networkError"));
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (_) {
      data = null;
    }
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    // The console's own wording (its language), the server's message only as a fallback.
    throw new ApiError(res.status, err.code, errorText(err.code, lang) || err.message);
  }
  return data || {};
}

// Any 401 from an authenticated call means the session is gone: the login view
// (console.js) listens for this event.
export const SESSION_LOST = "kefu:session-lost";
export function handleAuthError(e) {
  if (e && e.status === 401) {
    document.dispatchEvent(new CustomEvent(SESSION_LOST));
    return true;
  }
  return false;
}

// Extension points for the plug-ins (desk.js: tickets, SLA, suggestions, canned replies,
// 360; desk_more.js, files.js...): each is a list of functions called in turn.
//   detail(conv), item(conv, tagsNode), lang(lang), app(agent), event(frame), lists(lists),
//   customer(convId, data, box) after the customer 360 is drawn, query() -> "&k=v" added
//   to every list request (the list filters).
export const hooks = { detail: [], item: [], lang: [], app: [], event: [], lists: [], customer: [], query: [] };

// ----------------------------------------------------------------- state

export const state = {
  me: null,
  tab: "queued",
  lists: { queued: [], mine: [], agent: [], bot: [], resolved: [] },
  currentId: null,
  current: null, // conversation detail
  detailReq: 0, // increments per detail fetch; stale responses are dropped
  listReq: 0,
  ws: null,
  wsBackoff: 0,
  wsTimer: null,
  pollTimer: null,
  clockTimer: null,
  listRefreshTimer: null,
  busy: false, // an action (takeover/resolve/…) is in flight
  sending: false,
};
