// The staff console: login, the live escalation queue, a conversation (transcript, sources, masked
// numbers with an audited reveal), takeover / message / hand back / close, and the admin views.

import { api, ApiError, LiveFeed, loadAuth, saveAuth } from "./api.js";

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

const ROLE = { nurse: "护士 nurse", doctor: "医生 doctor", admin: "管理员 admin" };
const STATUS = { open: "待处理 open", assigned: "已分配 assigned", taken_over: "人工接管 taken over", closed: "已结束 closed" };
const CHANNEL = { web: "网页 web", wechat: "微信 WeChat", phone: "电话 phone" };
const WHO = { patient: "患者 Patient", assistant: "助手 Assistant", staff: "工作人员 Staff", system: "系统 System" };
const LEVEL = { emergency: "急诊 emergency", urgent: "当日 urgent", routine: "门诊 routine", self_care: "居家 self-care" };
const KIND = { mobile: "手机号", id_number: "身份证号", landline: "座机" };

const state = {
  auth: null,
  feed: null,
  items: new Map(), // escalation_id -> queue entry (+ _fetched)
  current: null, // {escalation_id, session_id}
  conv: null,
  lastSeq: 0,
  pendingOpen: null,
  revealRef: null,
};

// ---- login ----------------------------------------------------------------------------------------

function showLogin(message) {
  if (state.feed) state.feed.stop();
  state.feed = null;
  state.auth = null;
  saveAuth(null);
  $("main-view").hidden = true;
  $("who").hidden = true;
  $("login-view").hidden = false;
  const err = $("login-error");
  err.hidden = !message;
  err.textContent = message || "";
}

async function onLogin(ev) {
  ev.preventDefault();
  const btn = $("login-btn");
  btn.disabled = true;
  try {
    const res = await api("/api/v1/staff/login", {
      method: "POST", body: { username: $("username").value.trim(), password: $("password").value },
    });
    $("password").value = "";
    saveAuth(res);
    start(res);
  } catch (e) {
    const msg = e.code === "account_locked" ? "账号已锁定，请稍后再试 Account locked: " + e.message
      : e.code === "invalid_credentials" ? "用户名或密码错误 Wrong username or password" : e.message;
    showLogin(msg);
  } finally {
    btn.disabled = false;
  }
}

function call(path, opts = {}) {
  return api(path, { ...opts, token: state.auth?.access_token }).catch((e) => {
    if (e instanceof ApiError && e.status === 401) showLogin("登录已过期，请重新登录 Session expired, please log in again");
    throw e;
  });
}

function start(auth) {
  state.auth = auth;
  $("login-view").hidden = true;
  $("main-view").hidden = false;
  $("who").hidden = false;
  $("who-name").textContent = auth.display_name || auth.username;
  $("who-role").textContent = ROLE[auth.role] || auth.role;
  $("tab-admin").hidden = auth.role !== "admin";
  state.feed = new LiveFeed(auth.access_token, {
    onEvent: onLive,
    onState: (s) => { $("live-state").dataset.state = s; },
    onUnauthorized: () => showLogin("登录已失效 Your session ended; please log in again"),
  });
  loadQueue();
}

// ---- the queue -----------------------------------------------------------------------------------

function urgency(a, b) {
  const closed = (x) => (x.status === "closed" ? 1 : 0);
  return closed(a) - closed(b) || a.priority - b.priority || Date.parse(a.target_at) - Date.parse(b.target_at);
}

function waited(item) {
  const extra = item.status === "closed" ? 0 : (Date.now() - item._fetched) / 1000;
  return Math.max(0, Math.round((item.waited_seconds || 0) + extra));
}

function fmt(sec) {
  const m = Math.floor(sec / 60);
  const s = sec % 60;
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m` : `${m}:${String(s).padStart(2, "0")}`;
}

function upsert(item) {
  item._fetched = Date.now();
  const filter = $("queue-filter").value;
  if (filter === "active" && item.status === "closed" && state.current?.escalation_id !== item.escalation_id) {
    state.items.delete(item.escalation_id);
  } else {
    state.items.set(item.escalation_id, item);
  }
}

async function loadQueue() {
  const filter = $("queue-filter").value;
  try {
    const res = await call(`/api/v1/staff/escalations?order=urgency${filter === "active" ? "&status=active" : ""}`);
    state.items.clear();
    for (const it of res.escalations) upsert(it);
    renderQueue();
  } catch (e) {
    $("queue-count").textContent = e.message;
  }
}

function renderQueue() {
  const list = $("queue");
  const items = [...state.items.values()].sort(urgency);
  list.replaceChildren(...items.map(queueRow));
  $("queue-empty").hidden = items.length > 0;
  $("queue-count").textContent = `${items.length} 条`;
}

function queueRow(it) {
  const w = waited(it);
  const late = it.status !== "closed" && w > it.target_minutes * 60;
  return el("li", {
    class: `esc p${it.priority} ${it.status}${late ? " overdue" : ""}${state.current?.escalation_id === it.escalation_id ? " selected" : ""}`,
    dataset: { id: it.escalation_id, session: it.session_id },
    tabindex: "0",
    role: "button",
    onclick: () => askOpen(it),
    onkeydown: (e) => { if (e.key === "Enter") askOpen(it); },
  },
  el("div", { class: "esc-top" },
    el("span", { class: "prio", text: `P${it.priority}` }),
    el("span", { class: "reason", text: `${it.reason_label?.zh || it.reason}`, title: it.reason_label?.en || it.reason }),
    el("span", { class: "channel", text: CHANNEL[it.channel] || it.channel })),
  el("div", { class: "esc-mid" },
    el("span", { class: "wait", dataset: { wait: it.escalation_id }, text: `已等 ${fmt(w)} / 目标 ${it.target_minutes} 分钟` }),
    el("span", { class: "st", text: STATUS[it.status] || it.status })),
  it.summary ? el("p", { class: "summary", text: it.summary }) : null,
  it.taken_over_by || it.assigned_to
    ? el("p", { class: "owner muted", text: it.taken_over_by ? `接管人 ${it.taken_over_by}` : `分配给 ${it.assigned_to}` })
    : null);
}

function tick() {
  for (const node of document.querySelectorAll("[data-wait]")) {
    const it = state.items.get(node.dataset.wait);
    if (!it) continue;
    const w = waited(it);
    node.textContent = `已等 ${fmt(w)} / 目标 ${it.target_minutes} 分钟`;
    node.closest("li")?.classList.toggle("overdue", it.status !== "closed" && w > it.target_minutes * 60);
  }
}

function onLive(msg) {
  if (msg.type === "escalation" || msg.type === "escalation_update") {
    const it = msg.escalation;
    const isNew = msg.type === "escalation" && !state.items.has(it.escalation_id);
    upsert(it);
    renderQueue();
    if (isNew) document.querySelector(`li.esc[data-id="${CSS.escape(it.escalation_id)}"]`)?.classList.add("fresh");
    if (state.current?.escalation_id === it.escalation_id && state.conv) {
      state.conv.status = it.conversation_status;
      state.conv.taken_over_by = it.taken_over_by;
      state.currentItem = it;
      renderHead();
    }
  } else if (msg.type === "turn" && state.conv && msg.session_id === state.conv.session_id) {
    addTurn(msg.turn);
  } else if (msg.type === "session_event" && state.conv && msg.session_id === state.conv.session_id) {
    const names = { handback: "已交还助手 handed back", closed: "会话已结束 closed", notice: "通知 notice" };
    $("transcript").append(el("p", { class: "note", text: `${names[msg.event.type] || msg.event.type}${msg.event.text ? "：" + msg.event.text : ""}` }));
  } else if (msg.type === "error" && msg.error?.code === "open_first") {
    setStatus(msg.error.message, true);
  }
}

// ---- a conversation --------------------------------------------------------------------------------

function askOpen(it) {
  state.pendingOpen = it;
  $("detail-placeholder").hidden = true;
  $("conversation").hidden = true;
  $("open-form").hidden = false;
  $("open-btn").focus();
}

async function onOpen(ev) {
  ev.preventDefault();
  const it = state.pendingOpen;
  if (!it) return;
  const reason = $("open-reason").value || $("open-reason-other").value.trim();
  if (reason.length < 2) {
    $("open-reason-other").hidden = false;
    $("open-reason-other").focus();
    return;
  }
  try {
    const conv = await call(`/api/v1/staff/conversations/${encodeURIComponent(it.session_id)}?reason=${encodeURIComponent(reason)}`);
    state.current = { escalation_id: it.escalation_id, session_id: it.session_id };
    state.currentItem = it;
    state.conv = conv;
    $("open-form").hidden = true;
    $("conversation").hidden = false;
    renderConversation();
    renderQueue();
    state.feed?.watch(conv.session_id, state.lastSeq);
  } catch (e) {
    setStatus(e.message, true);
    $("detail-placeholder").hidden = false;
    $("detail-placeholder").textContent = e.message;
  }
}

function renderHead() {
  const it = state.currentItem || {};
  const c = state.conv;
  $("conv-title").textContent = `${it.reason_label?.zh || it.reason || ""} · P${it.priority || "?"}`;
  $("conv-meta").textContent = [
    `会话 ${c.session_id}`, CHANNEL[c.channel] || c.channel, STATUS[it.status] || it.status || "",
    c.taken_over_by ? `接管人 ${c.taken_over_by}` : c.status === "closed" ? "人工处理已结束 staff finished" : "助手应答中 assistant answering",
  ].join(" · ");
  const mine = c.status === "taken_over" && c.taken_over_by === state.auth.username;
  const closed = it.status === "closed";
  $("takeover-btn").disabled = closed || c.status === "taken_over";
  $("handback-btn").disabled = !mine;
  $("close-btn").disabled = closed;
  $("send-btn").disabled = !mine;
  $("reply-input").disabled = !mine;
  $("conversation").dataset.owner = mine ? "me" : c.taken_over_by ? "other" : "none";
}

function renderConversation() {
  state.lastSeq = 0;
  $("transcript").replaceChildren();
  $("sources").replaceChildren(el("h3", { text: "助手依据 Sources" }));
  setStatus("");
  for (const t of state.conv.turns) addTurn(t);
  renderHead();
}

function textWithMasks(turn) {
  const p = el("p", { class: "text" });
  let rest = turn.text;
  for (const n of turn.masked_numbers || []) {
    const i = rest.indexOf(n.masked);
    if (i < 0) continue;
    p.append(rest.slice(0, i));
    p.append(el("span", { class: "masked", dataset: { ref: n.ref } },
      el("code", { text: n.masked }),
      el("button", { type: "button", class: "reveal-btn", text: "显示", title: "显示完整号码（需说明原因）Reveal", onclick: () => askReveal(n) })));
    rest = rest.slice(i + n.masked.length);
  }
  p.append(rest);
  return p;
}

function addTurn(t) {
  if (t.seq <= state.lastSeq) return;
  state.lastSeq = t.seq;
  state.feed?.setAfter(t.seq);
  const who = t.role === "staff" && t.from ? `${WHO.staff} ${t.from}` : WHO[t.role] || t.role;
  const node = el("div", { class: `turn ${t.role}`, dataset: { seq: t.seq } },
    el("p", { class: "who", text: `${who} · #${t.seq}${t.at ? " · " + new Date(t.at).toLocaleTimeString("zh-CN") : ""}` }),
    textWithMasks(t));
  $("transcript").append(node);
  $("transcript").scrollTop = $("transcript").scrollHeight;
  if (t.role === "assistant" && t.sources) addSources(t);
}

function addSources(t) {
  const s = t.sources;
  const parts = [];
  if (s.triage) {
    parts.push(el("p", { class: "triage", text: `分诊 triage: ${LEVEL[s.triage.level] || s.triage.level}${s.triage.department ? " → " + s.triage.department : ""}${s.triage.red_flags?.length ? " · 危险信号 " + s.triage.red_flags.join(", ") : ""}` }));
  }
  for (const c of s.citations || []) {
    parts.push(el("div", { class: "cite" }, el("strong", { text: c.title || c.doc_id }), el("span", { class: "muted", text: ` (${c.doc_id})` }),
      c.snippet ? el("p", { text: c.snippet }) : null));
  }
  if (s.report?.items?.length) {
    parts.push(el("ul", { class: "report" }, ...s.report.items.map((i) => el("li", { class: i.flag, text: `${i.name || i.code}: ${i.value} ${i.unit || ""} (${i.flag})` }))));
  }
  if (!parts.length) return;
  $("sources").append(el("section", { class: "src", dataset: { seq: t.seq } }, el("p", { class: "who", text: `#${t.seq}` }), ...parts));
}

function askReveal(n) {
  state.revealRef = n;
  $("reveal-what").textContent = `${KIND[n.kind] || n.kind} ${n.masked}`;
  $("reveal-reason").value = "";
  $("reveal-dialog").showModal();
  $("reveal-reason").focus();
}

async function onReveal(ev) {
  ev.preventDefault();
  const n = state.revealRef;
  const reason = $("reveal-reason").value.trim();
  if (!n || reason.length < 2) { $("reveal-reason").focus(); return; }
  $("reveal-dialog").close();
  try {
    const res = await call(`/api/v1/staff/conversations/${encodeURIComponent(state.conv.session_id)}/reveal`, {
      method: "POST", body: { ref: n.ref, reason },
    });
    for (const span of document.querySelectorAll(`.masked[data-ref="${CSS.escape(n.ref)}"]`)) {
      span.replaceChildren(el("code", { class: "revealed", text: res.value }));
    }
  } catch (e) {
    setStatus(e.message, true);
  }
}

function setStatus(text, isError = false) {
  const s = $("action-status");
  s.textContent = text;
  s.classList.toggle("error", isError);
}

async function act(path, body, okText) {
  if (!state.current) return;
  try {
    const res = await call(`/api/v1/staff/escalations/${encodeURIComponent(state.current.escalation_id)}/${path}`, { method: "POST", body: body || {} });
    if (res && res.escalation_id) {
      upsert(res);
      state.currentItem = res;
      state.conv.status = res.conversation_status;
      state.conv.taken_over_by = res.taken_over_by;
      renderQueue();
      renderHead();
    }
    setStatus(okText);
    return res;
  } catch (e) {
    setStatus(e.status === 409 ? `冲突 Conflict: ${e.message}` : e.message, true);
    return null;
  }
}

async function onSend(ev) {
  ev.preventDefault();
  const box = $("reply-input");
  const text = box.value.trim();
  if (!text) return;
  const res = await act("message", { text }, "已发送 Sent");
  if (res) {
    box.value = "";
    if (res.delivered && res.delivered.error) setStatus(`已保存，但渠道发送失败 Stored, not delivered: ${res.delivered.error}`, true);
  }
}

// ---- admin -------------------------------------------------------------------------------------------

async function loadUsers() {
  try {
    const res = await call("/api/v1/staff/users");
    $("users").replaceChildren(...res.users.map((u) => el("tr", { dataset: { user: u.username } },
      el("td", { text: u.username }), el("td", { text: u.display_name }), el("td", { text: ROLE[u.role] || u.role }),
      el("td", { text: u.active ? (u.locked ? "已锁定 locked" : "在用 active") : "已停用 inactive" }),
      el("td", {},
        el("button", { type: "button", class: "btn small", text: u.active ? "停用 Deactivate" : "启用 Activate",
          onclick: () => adminAct(`/api/v1/staff/users/${encodeURIComponent(u.username)}/${u.active ? "deactivate" : "activate"}`, {}) }),
        el("button", { type: "button", class: "btn small", text: "重置密码 Reset password",
          onclick: () => {
            const pw = prompt(`新密码（至少 8 位）New password for ${u.username}`);
            if (pw) adminAct(`/api/v1/staff/users/${encodeURIComponent(u.username)}/password`, { password: pw });
          } })))));
  } catch (e) {
    $("users-status").textContent = e.message;
  }
}

async function adminAct(path, body) {
  try {
    await call(path, { method: "POST", body });
    $("users-status").textContent = "已更新 Updated";
  } catch (e) {
    $("users-status").textContent = e.message;
  }
  loadUsers();
}

async function onCreateUser(ev) {
  ev.preventDefault();
  try {
    await call("/api/v1/staff/users", { method: "POST", body: {
      username: $("new-username").value.trim(), display_name: $("new-display").value.trim(),
      role: $("new-role").value, password: $("new-password").value,
    } });
    $("users-status").textContent = "已创建 Created";
    $("user-form").reset();
  } catch (e) {
    $("users-status").textContent = e.message;
  }
  loadUsers();
}

async function loadDocs() {
  try {
    const res = await call("/api/v1/knowledge/documents");
    $("docs").replaceChildren(...res.documents.map((d) => el("tr", {},
      el("td", { text: d.doc_id }), el("td", { text: d.title || "" }), el("td", { text: String(d.chunks ?? "") }),
      el("td", { text: d.updated || "" }),
      el("td", {}, el("button", { type: "button", class: "btn small danger", text: "删除 Delete", onclick: async () => {
        if (!confirm(`删除 ${d.doc_id}? Delete?`)) return;
        try { await call(`/api/v1/knowledge/documents/${encodeURIComponent(d.doc_id)}`, { method: "DELETE" }); } catch (e) { $("docs-status").textContent = e.message; }
        loadDocs();
      } })))));
    $("docs-status").textContent = `${res.documents.length} 份文档 documents`;
  } catch (e) {
    $("docs-status").textContent = `知识库不可用 Knowledge base unavailable: ${e.message}`;
  }
}

async function onUpload(ev) {
  ev.preventDefault();
  const files = $("upload-files").files;
  if (!files.length) return;
  const form = new FormData();
  for (const f of files) form.append("files", f);
  $("docs-status").textContent = "正在入库… Ingesting…";
  try {
    const res = await call("/api/v1/knowledge/documents", { method: "POST", form });
    $("docs-status").textContent = `已入库 ${res.documents?.length ?? 0} 份，${res.chunks ?? 0} 个片段 Ingested`;
  } catch (e) {
    $("docs-status").textContent = e.message;
  }
  loadDocs();
}

function showTab(name) {
  const admin = name === "admin";
  $("queue-view").hidden = admin;
  $("admin-view").hidden = !admin;
  $("tab-queue").classList.toggle("active", !admin);
  $("tab-admin").classList.toggle("active", admin);
  $("tab-queue").setAttribute("aria-selected", String(!admin));
  $("tab-admin").setAttribute("aria-selected", String(admin));
  if (admin) { loadUsers(); loadDocs(); }
}

// ---- wiring ------------------------------------------------------------------------------------------

$("login-form").addEventListener("submit", onLogin);
$("logout").addEventListener("click", () => showLogin(""));
$("queue-filter").addEventListener("change", loadQueue);
$("open-form").addEventListener("submit", onOpen);
$("open-cancel").addEventListener("click", () => { $("open-form").hidden = true; $("detail-placeholder").hidden = false; });
$("open-reason").addEventListener("change", () => { $("open-reason-other").hidden = $("open-reason").value !== ""; });
$("takeover-btn").addEventListener("click", () => act("takeover", {}, "已接管，助手暂停应答 Taken over"));
$("handback-btn").addEventListener("click", () => act("handback", {}, "已交还助手 Handed back"));
$("close-btn").addEventListener("click", () => act("close", { disposition: $("disposition").value }, "已结束 Closed"));
$("reply-form").addEventListener("submit", onSend);
$("reply-input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) onSend(e);
});
$("reveal-form").addEventListener("submit", onReveal);
$("reveal-cancel").addEventListener("click", () => $("reveal-dialog").close());
$("user-form").addEventListener("submit", onCreateUser);
$("upload-form").addEventListener("submit", onUpload);
$("tab-queue").addEventListener("click", () => showTab("queue"));
$("tab-admin").addEventListener("click", () => showTab("admin"));
setInterval(tick, 1000);

const saved = loadAuth();
if (saved) start(saved);
else showLogin("");
