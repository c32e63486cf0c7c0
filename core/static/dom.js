/*
 * kefu front-end kit: the DOM helpers the agent console and the web chat widget share.
 * Served at /assets/dom.js (core/web.py lets customers' sites load it, like the widget).
 * Text goes in with textContent / text nodes only: nothing here ever parses HTML.
 */

/** The first element matching `sel` in the document. */
export const $ = (sel) => document.querySelector(sel);

/**
 * A new element: `attrs` maps attribute names to values (`text` sets textContent,
 * `className` the class; null, undefined and false are skipped, true is an empty
 * attribute), then the children in order (strings become text nodes; empty ones are skipped).
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k === "className") node.className = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return node;
}

/** Show or hide `node` with the `hidden` attribute (CSP forbids inline styles). */
export function show(node, on) {
  node.hidden = !on;
}

/** A new element holding `text` (unless null or undefined), with `className` if given. */
export function textEl(tag, text, className) {
  const node = document.createElement(tag);
  if (text != null) node.textContent = text;
  if (className) node.className = className;
  return node;
}
