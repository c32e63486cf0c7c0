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
