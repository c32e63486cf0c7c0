/* Knowledge base authoring page: list, search, create, edit, publish, archive, import,
 * export, and "what would the bot answer". Talks to /api/agent/kb/ (see kb/routes.py). */


var T = {
  zh: {
    console: "← 工作台", title: "知识库", lang: "English", entries: "条目", searchPh: "搜索问题、答案、编号",
    all: "全部", draft: "草稿", published: "已发布", archived: "已归档", find: "查找", new: "新建",
    importExport: "导入 / 导出", publishNow: "直接发布", import: "导入", exportJsonl: "导出 JSONL",
    exportCsv: "导出 CSV", editor: "编辑", id: "编号", question: "问题", similar: "相似问（每行一个）",
    answer: "答案", category: "分类", language: "语言", group: "翻译组", save: "保存", publish: "发布",
    archive: "归档", history: "历史版本", tryIt: "试一试：机器人会怎么回答", tryPh: "输入客户的问题",
    ask: "提问", total: "共 {n} 条", version: "版本 {v}", helpful: "有用 {h} · 没用 {u}",
    newEntry: "新条目（草稿）", saved: "已保存", imported: "导入 {n} 条，{e} 行有误",
    decision: "决定：{d}（置信度 {c}）", answerD: "回答", clarifyD: "澄清", escalateD: "转人工",
    by: "由 {a}", none: "没有条目"
  },
  en: {
    console: "← Console", title: "Knowledge base", lang: "中文", entries: "Entries", searchPh: "Search question, answer, id",
    all: "All", draft: "Draft", published: "Published", archived: "Archived", find: "Find", new: "New",
    importExport: "Import / export", publishNow: "Publish at once", import: "Import", exportJsonl: "Export JSONL",
    exportCsv: "Export CSV", editor: "Edit", id: "Id", question: "Question", similar: "Similar questions (one per line)",
    answer: "Answer", category: "Category", language: "Language", group: "Translation group", save: "Save",
    publish: "Publish", archive: "Archive", history: "History", tryIt: "Try it: what the bot would answer",
    tryPh: "Type a customer question", ask: "Ask", total: "{n} entries", version: "version {v}",
    helpful: "helpful {h} · not helpful {u}", newEntry: "New entry (draft)", saved: "Saved",
    imported: "Imported {n}, {e} bad rows", decision: "Decision: {d} (confidence {c})",
    answerD: "answer", clarifyD: "clarify", escalateD: "escalate", by: "by {a}", none: "No entries"
  }
};
var lang = localStorage.getItem("kefu.console.lang") === "en" ? "en" : "zh";
var current = null; // the entry shown in the editor (null = new)

function t(key, vars) {
  var s = (T[lang] && T[lang][key]) || T.zh[key] || key;
  Object.keys(vars || {}).forEach(function (k) { s = s.replace("{" + k + "}", vars[k]); });
  return s;
}
function $(id) { return document.getElementById(id); }
function applyLang() {
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  document.querySelectorAll("[data-i18n]").forEach(function (el) { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach(function (el) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  });
}
function showError(msg) {
  var el = $("error");
  el.textContent = msg || "";
  el.hidden = !msg;
}

async function api(method, path, body) {
  var opts = { method: method, headers: {}, credentials: "same-origin" };
  if (method !== "GET") opts.headers["X-Requested-With"] = "kefu";
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  var res = await fetch(path, opts);
  if (res.status === 401) { location.href = "/agent/"; throw new Error("login"); }
  var data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    var msg = (data && data.error && data.error.message) || (data && data.message) || res.statusText;
    throw new Error(msg);
  }
  return data;
}

async function loadList() {
  var params = new URLSearchParams({ status: $("status").value, q: $("q").value, limit: "200" });
  var data = await api("GET", "/api/agent/kb/entries?" + params);
  $("total").textContent = t("total", { n: data.total });
  var ul = $("entries");
  ul.textContent = "";
  if (!data.entries.length) {
    var empty = document.createElement("li");
    empty.textContent = t("none");
    ul.appendChild(empty);
  }
  data.entries.forEach(function (e) {
    var li = document.createElement("li");
    li.dataset.id = e.id;
    if (current && current.id === e.id) li.setAttribute("aria-current", "true");
    var q = document.createElement("span");
    q.className = "q";
    q.textContent = e.question;
    var sub = document.createElement("span");
    sub.className = "sub";
    sub.textContent = t(e.status) + " · " + e.id + " · v" + e.version + " · 👍 " + e.helpful + " 👎 " + e.unhelpful;
    li.appendChild(q);
    li.appendChild(sub);
    li.addEventListener("click", function () { open(e.id).catch(function (err) { showError(err.message); }); });
    ul.appendChild(li);
  });
}

function fill(e) {
  current = e;
  $("e-id").value = e ? e.id : "";
  $("e-id").disabled = !!e;
  $("e-question").value = e ? e.question : "";
  $("e-similar").value = e ? e.similar.join("\n") : "";
  $("e-answer").value = e ? e.answer : "";
  $("e-category").value = e ? e.category : "";
  $("e-language").value = e ? e.language : "";
  $("e-group").value = e && e.group ? e.group : "";
  $("e-status").textContent = e ? t(e.status) : t("newEntry");
  $("e-status").dataset.status = e ? e.status : "draft";
  $("e-version").textContent = e ? t("version", { v: e.version }) : "";
  $("e-helpful").textContent = e ? t("helpful", { h: e.helpful, u: e.unhelpful }) : "";
  $("publish").disabled = !e || e.status === "published";
  $("archive").disabled = !e || e.status === "archived";
  var ol = $("history");
  ol.textContent = "";
  ((e && e.history) || []).forEach(function (v) {
    var li = document.createElement("li");
    li.textContent = "v" + v.version + " " + v.action + " → " + t(v.status) + " · " +
      t("by", { a: v.author || "?" }) + " · " + v.created_at.replace("T", " ").slice(0, 16);
    ol.appendChild(li);
  });
}

async function open(id) {
  showError("");
  fill(await api("GET", "/api/agent/kb/entries/" + encodeURIComponent(id)));
  await loadList();
}

function formBody() {
  return {
    id: $("e-id").value.trim(),
    question: $("e-question").value,
    answer: $("e-answer").value,
    similar: $("e-similar").value.split("\n").filter(function (s) { return s.trim(); }),
    category: $("e-category").value,
    language: $("e-language").value,
    group: $("e-group").value || null
  };
}

async function save(ev) {
  ev.preventDefault();
  showError("");
  var body = formBody();
  var saved;
  if (current) {
    body.version = current.version;
    saved = await api("PUT", "/api/agent/kb/entries/" + encodeURIComponent(current.id), body);
  } else {
    saved = await api("POST", "/api/agent/kb/entries", body);
  }
  await open(saved.id);
}

async function setStatus(action) {
  if (!current) return;
  showError("");
  await api("POST", "/api/agent/kb/entries/" + encodeURIComponent(current.id) + "/" + action,
    { version: current.version });
  await open(current.id);
}

async function doImport(ev) {
  ev.preventDefault();
  showError("");
  var file = $("import-file").files[0];
  if (!file) return;
  var text = await file.text();
  var fmt = file.name.toLowerCase().endsWith(".csv") ? "csv" : "jsonl";
  var res = await api("POST", "/api/agent/kb/import",
    { format: fmt, content: text, publish: $("import-publish").checked });
  $("import-result").textContent = t("imported", { n: res.imported, e: res.errors.length }) +
    res.errors.slice(0, 5).map(function (e) { return "\n" + e.message; }).join("");
  await loadList();
}

async function tryIt(ev) {
  ev.preventDefault();
  var q = $("try-q").value;
  if (!q.trim()) return;
  var r = await api("GET", "/api/agent/kb/search?q=" + encodeURIComponent(q));
  var out = $("try-result");
  out.textContent = t("decision", { d: t(r.decision + "D"), c: r.confidence.toFixed(2) });
  var ol = document.createElement("ol");
  r.hits.slice(0, 3).forEach(function (h) {
    var li = document.createElement("li");
    li.textContent = h.question + " (" + h.score.toFixed(2) + ")";
    ol.appendChild(li);
  });
  out.appendChild(ol);
}

function guard(fn) {
  return function (ev) { fn(ev).catch(function (err) { if (err.message !== "login") showError(err.message); }); };
}

async function boot() {
  applyLang();
  var me = (await api("GET", "/api/agent/me")).agent || {};
  $("me").textContent = (me.name || me.email || "") + (me.role ? " · " + me.role : "");
  fill(null);
  await loadList();
  var params = new URLSearchParams(location.search);
  var id = params.get("entry");
  if (id) await open(id);
  // From the learning page: a new draft that starts with a customer's question.
  var question = params.get("question");
  if (!id && question) $("e-question").value = question.slice(0, 500);
}

$("lang").addEventListener("click", function () {
  lang = lang === "en" ? "zh" : "en";
  localStorage.setItem("kefu.console.lang", lang);
  applyLang();
  fill(current);
  guard(loadList)();
});
$("filter").addEventListener("submit", guard(function (ev) { ev.preventDefault(); return loadList(); }));
$("new").addEventListener("click", function () { showError(""); fill(null); $("e-id").disabled = false; });
$("editor").addEventListener("submit", guard(save));
$("publish").addEventListener("click", guard(function () { return setStatus("publish"); }));
$("archive").addEventListener("click", guard(function () { return setStatus("archive"); }));
$("import-form").addEventListener("submit", guard(doImport));
$("try").addEventListener("submit", guard(tryIt));
guard(boot)();
