/*
 * kefu console: a card under the ticket card that follows the open conversation's ticket (its
 * type and fields, its visits). The card is made once, after the first of `anchors` on the
 * page; hidden while the conversation has no ticket; `open(ticket, conv, box)` is called when
 * another ticket is shown, and `state.number` is that ticket's number (null without one).
 */
import { K } from "./console/kit.js";

export function ticketCard(id, anchors, state, open) {
  const card = () => {
    let c = document.getElementById(id);
    if (!c) {
      const anchor = anchors.map((a) => document.getElementById(a)).find(Boolean);
      if (!anchor) return null;
      c = K.el("section", { className: "desk-card", id });
      anchor.after(c);
    }
    return c;
  };
  K.hooks.detail.push((conv) => {
    const tk = conv.ticket;
    const box = card();
    if (!box) return;
    box.hidden = !tk;
    if (!tk) {
      state.number = null;
      return;
    }
    if (tk.number === state.number) return;
    state.number = tk.number;
    open(tk, conv, box);
  });
  return card;
}
