/*
 * kefu front-end kit: languages (zh and en) and the storage they are remembered in.
 * Shared by the agent console and the web chat widget; served at /assets/i18n.js.
 */

// localStorage can throw (Safari private mode, storage disabled): degrade to memory.
const memory = new Map();

/** localStorage that never throws. */
export const store = {
  get(k) {
    try {
      return window.localStorage.getItem(k);
    } catch (_) {
      return memory.has(k) ? memory.get(k) : null;
    }
  },
  set(k, v) {
    try {
      window.localStorage.setItem(k, v);
    } catch (_) {
      memory.set(k, v);
    }
  },
  del(k) {
    try {
      window.localStorage.removeItem(k);
    } catch (_) {
      memory.delete(k);
    }
  },
};

/** "zh" for any Chinese tag (zh, zh-CN, zh-TW...), "en" for everything else. */
export const langOf = (tag) => (String(tag || "").toLowerCase().startsWith("zh") ? "zh" : "en");

/** `text` with each {name} replaced by vars[name] (missing ones by ""). */
export const fill = (text, vars) =>
  String(text).replace(/\{(\w+)\}/g, (_, k) => (vars && vars[k] != null ? String(vars[k]) : ""));

/**
 * A translator over `strings` ({zh: {...}, en: {...}}) in the language `lang()` answers:
 * t(key, vars) gives the text with {name}s filled, the key itself when it has no text.
 */
export function translator(strings, lang) {
  return (key, vars) => {
    const table = strings[lang()] || strings.zh;
    const text = table[key];
    if (text === undefined) return key;
    return vars && typeof text === "string" ? fill(text, vars) : text;
  };
}

/**
 * Word every element under `root` marked with `attr` (data-i18n by default), its
 * `-placeholder` and `-title` variants too; keys `t` has no string for are left alone.
 */
export function applyI18n(t, attr = "data-i18n", root = document) {
  for (const node of root.querySelectorAll(`[${attr}]`)) {
    const v = t(node.getAttribute(attr));
    if (typeof v === "string") node.textContent = v;
  }
  for (const node of root.querySelectorAll(`[${attr}-placeholder]`)) {
    const v = t(node.getAttribute(`${attr}-placeholder`));
    if (typeof v === "string") node.placeholder = v;
  }
  for (const node of root.querySelectorAll(`[${attr}-title]`)) {
    const v = t(node.getAttribute(`${attr}-title`));
    if (typeof v === "string") {
      node.title = v;
      node.setAttribute("aria-label", v);
    }
  }
}
