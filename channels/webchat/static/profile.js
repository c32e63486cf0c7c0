/*
 * kefu web chat: the optional pre-chat form (name, phone, email: [desk] prechat_fields and
 * prechat_required) and, when the customer waits for a person and no agent is online, a
 * card asking for an email or phone so the answer can reach them later. Both are saved on
 * the customer's contact through /api/webchat/profile (the visitor token is the credential).
 * Imported by widget/main.js once the widget is up; text only through textContent.
 */
import { el } from "/assets/dom.js";
import { W } from "./widget/state.js";

const S = {
  zh: {
    formTitle: "开始咨询前，请留下您的信息",
    name: "姓名",
    phone: "手机号",
    email: "邮箱",
    required: "（必填）",
    start: "开始咨询",
    skip: "跳过",
    askTitle: "目前没有客服在线。留下邮箱或手机号，客服上线后会回复您。",
    askSend: "留下联系方式",
    thanks: "已收到，客服会通过您留下的方式联系您。",
    bad_phone: "手机号码不正确",
    bad_email: "邮箱地址不正确",
    bad_contact: "请至少填写一项",
    prechat_required: "请填写必填项",
    failed: "提交失败，请稍后再试",
  },
  en: {
    formTitle: "Before we start, please tell us who you are",
    name: "Name",
    phone: "Phone",
    email: "Email",
    required: " (required)",
    start: "Start chatting",
    skip: "Skip",
    askTitle: "No agent is online right now. Leave your email or phone and we will answer you there.",
    askSend: "Leave my contact",
    thanks: "Thank you, an agent will reach you there.",
    bad_phone: "That phone number is not valid",
    bad_email: "That email address is not valid",
    bad_contact: "Fill in at least one field",
    prechat_required: "Fill in the required fields",
    failed: "Could not send; please try again",
  },
};
const T = S[W.lang === "zh" ? "zh" : "en"];
const DONE_KEY = "kefu.prechat.done";

function remember(key, value) {
  try {
    if (value == null) return localStorage.getItem(key);
    localStorage.setItem(key, value);
  } catch (_) {
    return null;
  }
  return value;
}

const css = el("link", { rel: "stylesheet", href: W.origin + "/webchat/profile.css" });
(document.head || document.documentElement).appendChild(css);

function token() {
  return new Promise((resolve) => {
    let waited = 0;
    const tick = () => {
      const t = W.token();
      if (t || waited > 20000) return resolve(t);
      waited += 200;
      setTimeout(tick, 200);
    };
    tick();
  });
}

async function call(method, body) {
  const t = await token();
  if (!t) throw { code: "failed" };
  const url = W.origin + "/api/webchat/profile" + (method === "GET" ? `?token=${encodeURIComponent(t)}` : "");
  const res = await fetch(url, {
    method,
    credentials: "omit",
    headers: { "Content-Type": "application/json" },
    body: method === "GET" ? undefined : JSON.stringify({ ...body, token: t }),
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw { code: (data && data.error && data.error.code) || "failed" };
  return data;
}

function fieldsForm(fields, required, id, title, submitText, canSkip, done) {
  const form = el("form", { className: "kefu-profile", id, novalidate: true });
  form.append(el("div", { className: "kefu-profile-title", text: title }));
  const inputs = {};
  for (const f of fields) {
    const input = el("input", {
      name: f,
      type: f === "email" ? "email" : f === "phone" ? "tel" : "text",
      autocomplete: f === "phone" ? "tel" : f,
      maxlength: "200",
      required: required.includes(f),
    });
    inputs[f] = input;
    form.append(el("label", { className: "kefu-profile-field" }, el("span", { text: T[f] + (required.includes(f) ? T.required : "") }), input));
  }
  const err = el("div", { className: "kefu-profile-error", role: "alert", hidden: true });
  const send = el("button", { type: "submit", className: "kefu-profile-send", text: submitText });
  const bar = el("div", { className: "kefu-profile-bar" }, send);
  if (canSkip) {
    const skip = el("button", { type: "button", className: "kefu-profile-skip", text: T.skip });
    skip.addEventListener("click", () => done(form, false));
    bar.append(skip);
  }
  form.append(err, bar);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const [k, input] of Object.entries(inputs)) if (input.value.trim()) body[k] = input.value.trim();
    const missing = required.filter((f) => !body[f]);
    if (missing.length || !Object.keys(body).length) {
      err.textContent = missing.length ? T.prechat_required : T.bad_contact;
      err.hidden = false;
      return;
    }
    send.disabled = true;
    try {
      await call("POST", body);
    } catch (e) {
      err.textContent = T[e.code] || T.failed;
      err.hidden = false;
      send.disabled = false;
      return;
    }
    done(form, true);
  });
  return form;
}

// The pre-chat form: shown once per browser, above the conversation, until sent or skipped.
let prechatShown = false;
async function prechat() {
  if (prechatShown || remember(DONE_KEY)) return;
  prechatShown = true;
  let cfg;
  try {
    cfg = await call("GET");
  } catch (_) {
    prechatShown = false;
    return;
  }
  const fields = cfg.prechat.fields.filter((f) => !cfg.known[f]);
  if (!fields.length) return;
  const required = cfg.prechat.required.filter((f) => fields.includes(f));
  const form = fieldsForm(fields, required, "kefu-prechat", T.formTitle, T.start, !required.length, (node) => {
    remember(DONE_KEY, "1");
    node.remove();
    W.ui.panel.classList.remove("kefu-has-prechat");
    W.ui.input.focus();
  });
  W.ui.panel.classList.add("kefu-has-prechat");
  W.ui.messages.before(form);
  const first = form.querySelector("input");
  if (first) first.focus();
}

// The offline ask: after the bot or the system spoke, when nobody can take the customer.
let askTimer = null;
let asked = false;
W.frames.push((f) => {
  if (f.type !== "message" || asked || !["bot", "system"].includes(f.sender)) return;
  clearTimeout(askTimer);
  askTimer = setTimeout(checkAsk, 400);
});

async function checkAsk() {
  if (asked) return;
  let cfg;
  try {
    cfg = await call("GET");
  } catch (_) {
    return;
  }
  if (!cfg.ask_contact || asked) return;
  asked = true;
  const card = fieldsForm(["email", "phone"], [], "kefu-offline-ask", T.askTitle, T.askSend, false, (node) => {
    node.replaceChildren(el("div", { className: "kefu-profile-title", text: T.thanks }));
  });
  card.classList.add("kefu-offline");
  W.ui.messages.append(card);
  W.ui.messages.scrollTop = W.ui.messages.scrollHeight;
}

function onOpen() {
  if (!W.ui.panel.hidden) prechat();
}
W.ui.launcher.addEventListener("click", () => setTimeout(onOpen, 0));
onOpen();
