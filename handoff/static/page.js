/*
 * The shell of the console's own pages (reports, settings, dead letters, not answered,
 * learning, alerts, integrations): what each had a copy of. The language (the console's
 * choice, under the same key), the shell's words, wording the page's data-i18n marks, and
 * the chrome around the page's own header: the link back to the console, the language
 * button and the error box. A new page: a header.bar with its h1 and a .period of its
 * controls, then `const t = words(S); shell(t, render);` in its module.
 */
import { el } from "/assets/dom.js";
import { store } from "/assets/i18n.js";
import { errorText } from "./errors.js";

const LANG_KEY = "kefu.console.lang";

/** The page's language, "zh" or "en" (a live binding: importers see it change). */
export let lang = (store.get(LANG_KEY) || navigator.language || "zh").toLowerCase().startsWith("en") ? "en" : "zh";

const WORDS = {
  zh: { console: "← 工作台", lang: "English", login: "请先登录工作台。", reload: "刷新" },
  en: { console: "← Console", lang: "中文", login: "Please log in to the console first.", reload: "Reload" },
};

/** A translator: the page's words `S` ({zh, en}) first, then the shell's, else the key. */
export function words(S) {
  return (k) => S[lang][k] || WORDS[lang][k] || k;
}

/** Word the page: its data-i18n texts, data-i18n-ph placeholders and the html lang. */
export function wordPage(t) {
  for (const n of document.querySelectorAll("[data-i18n]")) n.textContent = t(n.getAttribute("data-i18n"));
  for (const n of document.querySelectorAll("[data-i18n-ph]")) n.placeholder = t(n.getAttribute("data-i18n-ph"));
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
}

const listeners = [];

/** Call `fn` after the language button switched the language (in the order registered). */
export function onLang(fn) {
  listeners.push(fn);
}

/**
 * Put the shell around the page's header (header.bar): the back link before it, the
 * language button after its controls (.period), the error box (#error) under it; `render`
 * words the page again when the language changes.
 */
export function shell(t, render) {
  const bar = document.querySelector("header.bar");
  bar.prepend(el("a", { href: "/agent/", className: "back", "data-i18n": "console", text: t("console") }));
  // class "lang": settings.css puts it at the bar's end on pages without controls.
  const button = el("button", { type: "button", id: "lang", className: "lang", "data-i18n": "lang", text: t("lang") });
  (bar.querySelector(".period") || bar).append(button);
  bar.after(el("div", { id: "error", className: "error", role: "alert", hidden: true }));
  button.addEventListener("click", toggle);
  onLang(render);
}

function toggle() {
  lang = lang === "zh" ? "en" : "zh";
  store.set(LANG_KEY, lang);
  for (const fn of listeners) fn(lang);
}

/**
 * A JSON call of the console's API (same-origin, the CSRF header): the answer's body, or an
 * Error worded in the page's language (errors.js; the server's message for a code it lacks).
 */
export async function api(method, path, body) {
  const opts = { method, credentials: "same-origin", headers: { Accept: "application/json", "X-Requested-With": "kefu" } };
  if (method !== "GET") {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body || {});
  }
  const res = await fetch(path, opts);
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (data && data.error) || {};
    const t = words({ zh: {}, en: {} });
    throw new Error(res.status === 401 ? t("login") : errorText(err.code, lang) || err.message || `HTTP ${res.status}`);
  }
  return data || {};
}
