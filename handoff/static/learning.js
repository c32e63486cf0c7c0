/* kefu learning loop: GET /api/agent/learning?days=7|30, add a question to an entry as a
 * similar question, start a draft with it, or dismiss a group. Text is always set as text. */
import { $, textEl as el } from "/assets/dom.js";
import { errorText } from "./errors.js";
import { lang, shell, wordPage, words } from "./page.js";

const S = {
  zh: {
    title: "待学习的问题", window: "时间", days7: "最近 7 天", days30: "最近 30 天",
    hint: "机器人没能回答、或客户点了“没用”的问题，按意思分组。把问题加为某个条目的相似问法，下一次回答就会用上它。",
    empty: "这段时间没有待学习的问题。",
    summary: "{q} 个问题，{g} 组", leftOver: "（另有 {n} 个问题未分组）",
    count: "{n} 次", channels: "渠道：{c}", picked: "机器人选了：", nothing: "机器人没有给出答案",
    missed: "未回答", down: "没用",
    addSimilar: "加为相似问法", draft: "新建草稿", dismiss: "忽略这一组",
    searchEntry: "搜索条目（问题或答案中的词）", closest: "最接近的条目：", noEntries: "没有找到条目",
    added: "已加为「{e}」的相似问法，下一次回答就会用上。", dismissed: "已忽略 {n} 个问题。",
    pickFor: "把“{q}”加到哪个条目？",
    suggestedTitle: "客户的选择",
    suggestedHint: "至少两位不同的客户为这些问题选了同一个条目（点选或点赞）。采纳后问题成为该条目的相似问法。",
    means: "→ {e}", agreed: "{n} 位客户（点选 {p} · 点赞 {u}）", accept: "采纳", ignore: "忽略",
  },
  en: {
    title: "Learning", window: "Period", days7: "Last 7 days", days30: "Last 30 days",
    hint: "Questions the bot could not answer, or answered and got a thumbs-down, grouped by meaning. Add a question to an entry as a similar question and the next answer uses it.",
    empty: "No questions to learn from in this period.",
    summary: "{q} questions in {g} groups", leftOver: " ({n} more questions fit no group)",
    count: "{n} times", channels: "Channels: {c}", picked: "The bot picked: ", nothing: "The bot gave no answer",
    missed: "Not answered", down: "Not helpful",
    addSimilar: "Add as similar question", draft: "New draft", dismiss: "Dismiss group",
    searchEntry: "Search entries (words of the question or answer)", closest: "Closest entries:", noEntries: "No entries found",
    added: "Added as a similar question of “{e}”; the next answer uses it.", dismissed: "Dismissed {n} questions.",
    pickFor: "Add “{q}” to which entry?",
    suggestedTitle: "What customers chose",
    suggestedHint: "At least two different customers chose the same entry for these questions (a pick among the choices or a thumbs-up). Accept one and it becomes a similar question of that entry.",
    means: "→ {e}", agreed: "{n} customers ({p} picks · {u} thumbs-up)", accept: "Accept", ignore: "Dismiss",
  },
};
const word = words(S);
shell(word, render);
const t = (k, vars) => {
  let s = word(k);
  for (const [name, value] of Object.entries(vars || {})) s = s.replace(`{${name}}`, String(value));
  return s;
};
let data = null;
let searchSeq = 0;

function button(text, className, onClick) {
  const b = el("button", text, className);
  b.type = "button";
  b.addEventListener("click", () => onClick().catch(fail));
  return b;
}

class ApiError extends Error {
  constructor(res, body) {
    super((body && body.error && body.error.message) || `HTTP ${res.status}`);
    this.status = res.status;
    this.code = body && body.error && body.error.code;
  }
}

async function api(method, path, body) {
  const opts = { method, credentials: "same-origin", headers: {} };
  if (method !== "GET") opts.headers["X-Requested-With"] = "kefu";
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  const parsed = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res, parsed);
  return parsed;
}

function fail(err) {
  const box = $("#error");
  const worded = err.code ? errorText(err.code, lang) : null;
  box.textContent = err.status === 401 ? t("login") : worded || err.message;
  box.hidden = false;
}

function tell(text) {
  const box = $("#notice");
  box.textContent = text;
  box.hidden = false;
}

function entryButtons(list, entries, question) {
  list.replaceChildren();
  if (!entries.length) list.append(el("span", t("noEntries"), "hint"));
  for (const e of entries) {
    list.append(
      button(e.question || e.id, "pick", async () => {
        const out = await api("POST", "/api/agent/learning/similar", { message_id: question.message_id, entry_id: e.id });
        tell(t("added", { e: out.entry.question }));
        await load();
      }),
    );
    list.lastChild.dataset.entry = e.id;
  }
}

async function openPicker(li, question, group) {
  const old = li.querySelector(".picker");
  if (old) return old.remove();
  const box = el("div", null, "picker");
  box.append(el("span", t("pickFor", { q: question.text })));
  const input = el("input");
  input.type = "search";
  input.className = "entry-search";
  input.placeholder = t("searchEntry");
  const label = el("span", t("closest"), "group-meta");
  const list = el("div", null, "picks");
  box.append(input, label, list);
  li.append(box);
  // First the entries the bot would consider for this very question, then what the agent types.
  const near = await api("GET", `/api/agent/kb/search?q=${encodeURIComponent(question.text)}`);
  const seen = new Set();
  const first = [];
  for (const e of [...group.entries.filter((e) => e.question), ...near.hits]) {
    if (!seen.has(e.id)) first.push({ id: e.id, question: e.question });
    seen.add(e.id);
  }
  entryButtons(list, first.slice(0, 5), question);
  input.addEventListener("input", () => {
    const q = input.value.trim();
    const mine = ++searchSeq;
    const path = q
      ? `/api/agent/kb/entries?status=all&limit=10&q=${encodeURIComponent(q)}`
      : null;
    if (!path) return entryButtons(list, first.slice(0, 5), question);
    api("GET", path)
      .then((found) => {
        if (mine !== searchSeq) return; // an older search answered late
        label.hidden = true;
        entryButtons(list, found.entries.filter((e) => e.status !== "archived"), question);
      })
      .catch(fail);
  });
  input.focus();
}

function renderGroup(g) {
  const card = el("article", null, "group");
  card.dataset.group = String(g.id);
  const head = el("div", null, "group-head");
  head.append(el("span", t("count", { n: g.count }), "group-count"));
  head.append(el("span", t("channels", { c: g.channels.join(", ") }), "group-meta"));
  const picked = g.entries.filter((e) => e.question).map((e) => `${e.question} (${e.count})`);
  head.append(el("span", picked.length ? t("picked") + picked.join("; ") : t("nothing"), "group-meta picked"));
  head.append(
    button(t("dismiss"), "dismiss", async () => {
      const out = await api("POST", "/api/agent/learning/dismiss", { message_ids: g.message_ids });
      tell(t("dismissed", { n: out.dismissed }));
      await load();
    }),
  );
  card.append(head);
  const ul = el("ul", null, "questions");
  for (const q of g.questions) {
    const li = el("li", null, "question");
    li.dataset.message = String(q.message_id);
    const row = el("div", null, "question-row");
    row.append(el("span", q.text, "question-text"), el("span", t(q.why), "why"), el("span", q.channel, "group-meta"));
    row.append(
      button(t("addSimilar"), "add-similar", () => openPicker(li, q, g)),
      button(t("draft"), "draft", async () => {
        const out = await api("POST", "/api/agent/learning/draft", { message_id: q.message_id });
        location.href = `/agent/kb.html?question=${encodeURIComponent(out.question)}`;
      }),
    );
    li.append(row);
    ul.append(li);
  }
  card.append(ul);
  return card;
}

function renderSuggestion(x) {
  const li = el("li", null, "question suggestion");
  li.dataset.message = String(x.message_id);
  li.dataset.entry = x.entry.id;
  const row = el("div", null, "question-row");
  row.append(
    el("span", x.text, "question-text"),
    el("span", t("means", { e: x.entry.question }), "suggested-entry"),
    el("span", t("agreed", { n: x.customers, p: x.picks, u: x.ups }), "group-meta"),
    button(t("accept"), "accept", async () => {
      const out = await api("POST", "/api/agent/learning/similar", { message_id: x.message_id, entry_id: x.entry.id });
      tell(t("added", { e: out.entry.question }));
      await load();
    }),
    button(t("ignore"), "ignore", async () => {
      const out = await api("POST", "/api/agent/learning/dismiss", { message_ids: x.message_ids });
      tell(t("dismissed", { n: out.dismissed }));
      await load();
    }),
  );
  li.append(row);
  return li;
}

function render() {
  wordPage(t);
  const groups = $("#groups");
  groups.replaceChildren();
  if (!data) return;
  for (const g of data.groups) groups.append(renderGroup(g));
  $("#suggestions").replaceChildren(...data.suggestions.map(renderSuggestion));
  $("#suggested").hidden = data.suggestions.length === 0;
  $("#empty").hidden = data.groups.length + data.suggestions.length > 0;
  $("#summary").textContent =
    t("summary", { q: data.questions, g: data.groups.length }) + (data.left_over ? t("leftOver", { n: data.left_over }) : "");
}

async function load() {
  $("#error").hidden = true;
  data = await api("GET", `/api/agent/learning?days=${encodeURIComponent($("#days").value)}`);
  render();
}

$("#reload").addEventListener("click", () => {
  $("#notice").hidden = true;
  load().catch(fail);
});
$("#days").addEventListener("change", () => load().catch(fail));
load().catch(fail);
