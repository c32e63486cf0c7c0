/*
 * Admins are told in the console's top bar when a webhook has been disabled after repeated
 * failed deliveries (issue 18): its events wait until it is enabled again on the
 * integrations page, so nobody should learn of it only when the other system complains.
 * Asked when the console starts and every minute after.
 */
import { K } from "./console/kit.js";

const WORDS = {
  zh: {
    badge: "⚠ {n} 个 Webhook 已停用",
    why: "连续发送失败，已停用，新事件在等待。打开「集成」查看原因并重新启用：",
  },
  en: {
    badge: "⚠ {n} webhook(s) disabled",
    why: "Disabled after repeated failed deliveries; new events are waiting. Open Integrations to see why and enable it again:",
  },
};
let disabled = [];

function render() {
  let badge = document.querySelector("#webhooks-disabled");
  if (!disabled.length) {
    if (badge) badge.remove();
    return;
  }
  const w = WORDS[K.lang()] || WORDS.zh;
  if (!badge) {
    badge = K.el("a", { id: "webhooks-disabled", href: "/agent/integrations", className: "nav-warning" });
    badge.setAttribute("role", "status");
    const link = document.querySelector("#nav-integrations");
    if (link) link.after(badge);
    else document.querySelector(".topnav").append(badge);
  }
  badge.textContent = w.badge.replace("{n}", String(disabled.length));
  badge.title = [w.why, ...disabled.map((h) => `${h.url}: ${h.disabled_reason}`)].join("\n");
}

async function load(agent) {
  const me = agent || K.me();
  if (!me || me.role !== "admin") return;
  try {
    const data = await K.api("GET", "/api/admin/webhooks");
    disabled = ((data && data.webhooks) || []).filter((h) => !h.active && h.disabled_reason);
  } catch (_) {
    return; // offline or logged out: keep what was shown
  }
  render();
}

K.hooks.app.push(load);
K.hooks.lang.push(render);
setInterval(() => load(), 60000);
