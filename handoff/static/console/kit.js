/*
 * What the console's plug-ins (desk.js, desk_more.js, files.js, orders.js...) may use: one
 * object, imported, never a global. Extension happens through K.hooks (see core.js), never
 * by replacing a member of K.
 */
import { el } from "/assets/dom.js";
import { api, channelLabel, hooks, lang, state } from "./core.js";
import { doAction, openConversation, refreshDetail, setDetailError } from "./detail.js";
import { refreshLists } from "./list.js";

export const K = Object.freeze({
  hooks,
  api,
  el,
  lang: () => lang,
  channelLabel: (name) => channelLabel(name),
  current: () => state.current,
  me: () => state.me,
  refresh: () => {
    refreshLists();
    return refreshDetail({});
  },
  openConversation: (id) => openConversation(id),
  doAction: (kind) => doAction(kind),
  setError: (msg) => setDetailError(msg),
});
