/*
 * kefu web chat widget, its settings: limits and timings, where the kefu server is (the
 * origin these modules were served from, the same as widget.js's), the language and its
 * words, and small helpers of its own (icons, ids, times).
 */
import { langOf } from "/assets/i18n.js";
import { STRINGS } from "./strings.js";

export const MAX_LEN = 2000;
export const TOKEN_KEY = "kefu.token";
export const SEQ_KEY_PREFIX = "kefu.seq.";
export const PING_INTERVAL_MS = 25000;
// A socket that stays silent this long after our ping is dead even if the browser has not
// noticed (a network that dropped without closing anything): show it and reconnect.
export const PONG_TIMEOUT_MS = 10000;
// A message not confirmed by the server this long is shown as not sent (and resent).
export const ACK_TIMEOUT_MS = 10000;
// Messages typed but not yet confirmed, kept across reloads until the server has them.
export const PENDING_KEY = "kefu.pending";
export const BACKOFF_MIN_MS = 1000;
export const BACKOFF_MAX_MS = 30000;
export const TYPING_SAFETY_MS = 30000; // hide a stuck typing indicator after this
export const NOTICE_MS = 6000;

// These modules come from the kefu server, whichever site embeds the widget.
const served = new URL(import.meta.url);
export const ORIGIN = served.origin;
export const WS_ORIGIN = (served.protocol === "https:" ? "wss://" : "ws://") + served.host;

/** The customer's language, "zh" or "en", and its words (set once by main.js's start). */
export let LANG = "en";
export let T = STRINGS.en;
let timeFmt = null;

/** Speak `tag`'s language (the embed's data-lang, else the browser's): zh or en. */
export function setLang(tag) {
  LANG = langOf(tag);
  T = STRINGS[LANG];
  try {
    timeFmt = new Intl.DateTimeFormat(LANG === "zh" ? "zh-CN" : "en", { hour: "2-digit", minute: "2-digit" });
  } catch (_) {
    timeFmt = null;
  }
}

// A static chat-bubble icon built with DOM calls (no innerHTML anywhere).
export function svgIcon(kind) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "26");
  svg.setAttribute("height", "26");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(NS, "path");
  path.setAttribute("fill", "currentColor");
  if (kind === "close") {
    path.setAttribute(
      "d",
      "M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 0 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4z"
    );
  } else if (kind === "send") {
    path.setAttribute("d", "M3.4 20.4 21.5 12 3.4 3.6 3.4 10.1 16 12 3.4 13.9z");
  } else {
    path.setAttribute(
      "d",
      "M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1L4.5 21l3.9-2.1c1.1.3 2.3.5 3.6.5 5.5 0 10-3.8 10-8.5S17.5 3 12 3zm-4 9.8a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6zm4 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6zm4 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6z"
    );
  }
  svg.appendChild(path);
  return svg;
}

export function uuid() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  // Fallback for non-secure contexts (plain http on a LAN host), where randomUUID is absent.
  const b = new Uint8Array(16);
  window.crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function fmtTime(iso) {
  if (!iso || !timeFmt) return "";
  const d = new Date(iso);
  return isNaN(d.getTime()) ? "" : timeFmt.format(d);
}
