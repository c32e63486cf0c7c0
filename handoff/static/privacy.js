/*
 * kefu console: masked customer data (个人信息脱敏). The customer 360 shows phone and email
 * masked to agents whose role does not need them; a "Reveal" button asks the server for one
 * field, and the server records that in the access trail. Plain JS, textContent only.
 */
import { K } from "./console/kit.js";

const S = {
  zh: {
    phone: "电话",
    email: "邮箱",
    address: "地址",
    reveal: "显示",
    revealTitle: "显示完整信息（将被记录）",
    masked: "部分信息已隐藏，查看将被记录",
    failed: "无法显示：",
  },
  en: {
    phone: "Phone",
    email: "Email",
    address: "Address",
    reveal: "Reveal",
    revealTitle: "Show the full value (this is logged)",
    masked: "Some details are masked; revealing one is logged",
    failed: "Could not reveal: ",
  },
};
const t = (k) => (S[K.lang()] || S.zh)[k] || k;

function fieldRow(convId, name, value, canReveal) {
  const text = K.el("span", { className: "c360-value", text: `${t(name)} ${value}` });
  const row = K.el("div", { className: "c360-row c360-masked", "data-field": name }, text);
  if (!canReveal) return row;
  const btn = K.el("button", { type: "button", className: "c360-reveal", text: t("reveal"), title: t("revealTitle") });
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    try {
      const data = await K.api("POST", `/api/agent/conversations/${convId}/customer/reveal`, { field: name });
      text.textContent = `${t(name)} ${data.value || ""}`;
      btn.remove();
    } catch (e) {
      btn.disabled = false;
      K.setError(t("failed") + ((e && e.message) || ""));
    }
  });
  row.append(" ", btn);
  return row;
}

// desk.js calls this after it drew the customer 360 from the server's (masked) answer.
K.hooks.customer.push((convId, data, box) => {
  const p = data.privacy || {};
  if (!p.masked || !p.masked.length) return;
  const c = data.contact || {};
  const rows = p.masked.filter((f) => c[f]).map((f) => fieldRow(convId, f, c[f], p.can_reveal));
  const hint = K.el("div", { className: "c360-note", text: t("masked") });
  const combined = box.querySelector(".c360-contact");
  if (combined) combined.replaceWith(hint, ...rows);
  else box.append(hint, ...rows);
});
