/*
 * kefu web chat widget: the one file customers include.
 *
 * Embed with:
 *   <script src="https://support.example.com/webchat/widget.js" data-lang="zh" defer></script>
 *
 * This loader stays a classic script so that snippet keeps working as it is (any site, any
 * attributes). It imports the widget's ES modules (widget/main.js and what it imports, plus
 * the DOM and i18n kit in /assets/ it shares with the agent console) from the same server,
 * and starts it. Plain ES2020, no dependencies, no build step: the modules are served as
 * they are in the repository. Everything the customer or the agent wrote is rendered with
 * textContent; the widget never uses innerHTML and works under a strict CSP (all styling
 * lives in widget.css). It sets no global: included twice, it still starts once (the
 * browser evaluates a module once per page).
 */
(() => {
  "use strict";

  // document.currentScript is set while a classic (also deferred) script runs;
  // the fallback covers async loaders that inject us differently.
  const me =
    document.currentScript ||
    Array.from(document.querySelectorAll("script[src]")).find((s) => /\/webchat\/widget\.js(\?|#|$)/.test(s.src)) ||
    null;
  const src = new URL(me && me.src ? me.src : "/webchat/widget.js", location.href);
  const lang = me && me.getAttribute("data-lang");
  import(new URL("widget/main.js", src).href).then(
    (widget) => widget.start(lang),
    (err) => console.error("kefu widget: could not load", err)
  );
})();
