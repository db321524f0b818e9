// The patient chat page: sends turns over WS /ws/chat, shows streamed deltas and the final reply with
// its structured parts, and handles language, large-font mode, report upload and the microphone.

import { applyStrings, t } from "./i18n.js";
import { el, renderExtras } from "./render.js";
import { ReconnectingSocket, wsUrl } from "./socket.js";
import { VoiceClient, voiceSupported } from "./voice.js";

const MAX_CHARS = 2000;
const MAX_UPLOAD_MB = 10; // the upload endpoint's limit
const HOLD_MS = 350; // pressing longer than this means "hold to talk"; shorter toggles
const KEY_SESSION = "pa.session_id";
const KEY_LANG = "pa.lang";
const KEY_FONT = "pa.large_font";

const $ = (id) => document.getElementById(id);

const state = {
  lang: "zh",
  largeFont: false,
  config: null,
  pending: [], // assistant bubbles waiting for their reply, oldest first
  messages: [], // {node, reply} of rendered assistant replies, for re-rendering on language change
  voiceBubble: null,
};

function readStore(store, key) {
  try {
    return store.getItem(key);
  } catch {
    return null;
  }
}
function writeStore(store, key, value) {
  try {
    if (value === null) store.removeItem(key);
    else store.setItem(key, value);
  } catch {
    /* storage disabled (private mode): keep going without it */
  }
}

const getSessionId = () => readStore(sessionStorage, KEY_SESSION);
const setSessionId = (id) => id && writeStore(sessionStorage, KEY_SESSION, id);

function ctx() {
  return { lang: state.lang, config: state.config, onChoice: (send, label) => sendText(send, label) };
}

// ---- language and font ----------------------------------------------------------------------------

function setLang(lang) {
  state.lang = lang === "en" ? "en" : "zh";
  writeStore(localStorage, KEY_LANG, state.lang);
  applyStrings(document, state.lang);
  $("lang-toggle").setAttribute("lang", state.lang === "en" ? "zh-CN" : "en");
  const name = state.config?.hospital?.name_zh || "";
  $("hospital-name").textContent = state.lang === "en" ? (state.config?.hospital?.name_en || name) : name;
  setStatus(state.connState || "connecting");
  setMicLabel();
  for (const m of state.messages) renderExtras(m.extras, m.reply, ctx());
}

function setLargeFont(on) {
  state.largeFont = !!on;
  document.documentElement.classList.toggle("large-font", state.largeFont);
  $("font-toggle").setAttribute("aria-pressed", String(state.largeFont));
  writeStore(localStorage, KEY_FONT, state.largeFont ? "1" : "0");
  scrollToEnd(); // bigger text pushes the latest message out of view
}

// ---- the message log ------------------------------------------------------------------------------

function scrollToEnd() {
  const log = $("log");
  log.scrollTop = log.scrollHeight;
}

function addUserMessage(text, extra) {
  const node = el("div", { class: "msg user" },
    el("div", { class: "bubble" }, el("span", { class: "visually-hidden", text: `${t(state.lang, "you")}: ` }), el("p", { class: "text", text }), extra || null));
  $("log").append(node);
  scrollToEnd();
  return node;
}

function addAssistantBubble() {
  const text = el("p", { class: "text" });
  const extras = el("div", { class: "extras" });
  const node = el("div", { class: "msg assistant streaming", "aria-busy": "true" },
    el("div", { class: "bubble" },
      el("span", { class: "visually-hidden", text: `${t(state.lang, "assistant")}: ` }),
      el("span", { class: "typing", text: t(state.lang, "thinking") }),
      text, extras));
  $("log").append(node);
  scrollToEnd();
  return { node, text, extras, streamed: "" };
}

function finishBubble(b, reply) {
  b.node.classList.remove("streaming");
  b.node.removeAttribute("aria-busy");
  b.node.querySelector(".typing")?.remove();
  b.text.textContent = reply.reply ?? b.streamed;
  renderExtras(b.extras, reply, ctx());
  state.messages.push({ node: b.node, extras: b.extras, reply });
  if (reply.triage?.level === "emergency") b.node.classList.add("emergency");
  scrollToEnd();
}

function failBubble(b, message, retryText) {
  b.node.classList.remove("streaming");
  b.node.classList.add("failed");
  b.node.removeAttribute("aria-busy");
  b.node.querySelector(".typing")?.remove();
  if (!b.streamed) b.text.textContent = "";
  const note = el("p", { class: "error-text", role: "alert", text: message });
  b.extras.replaceChildren(note);
  if (retryText) {
    b.extras.append(el("button", { type: "button", class: "btn retry", text: t(state.lang, "retry"), onclick: () => sendText(retryText) }));
  }
}

// ---- chat socket --------------------------------------------------------------------------------

function setStatus(s) {
  state.connState = s;
  const node = $("conn-status");
  node.dataset.state = s;
  node.textContent = t(state.lang, { open: "status_online", closed: "status_offline" }[s] || "status_connecting");
}

const socket = new ReconnectingSocket(wsUrl("ws/chat"), {
  onStatus: (s) => {
    setStatus(s);
    // On every (re)connect, re-attach to the conversation so staff messages reach this page at once.
    if (s === "open" && getSessionId()) socket.send({ type: "resume", session_id: getSessionId() });
    if (s === "closed") {
      // Whatever was mid-reply will not finish on this connection.
      for (const b of state.pending.splice(0)) failBubble(b, t(state.lang, "interrupted"), b.sentText);
    }
  },
  onMessage: (msg) => onChatMessage(msg),
});

const PUSH_TYPES = new Set(["staff", "handback", "closed", "notice", "payment"]);

/** Messages pushed outside a turn: a staff member's words, hand-back, session closed, notices, payment. */
function onPushMessage(msg) {
  const text = String(msg.text ?? msg.message ?? msg.reply ?? "");
  if (msg.type === "staff") {
    const name = msg.staff_name || msg.name || t(state.lang, "staff");
    const node = el("div", { class: "msg staff" },
      el("div", { class: "bubble" }, el("p", { class: "who", text: name }), el("p", { class: "text", text })));
    $("log").append(node);
  } else if (msg.type === "payment" && msg.payment) {
    const b = addAssistantBubble();
    finishBubble(b, { reply: text || t(state.lang, "payment_update"), payment: msg.payment });
  } else {
    const fallback = { handback: "handback", closed: "closed", payment: "payment_update" }[msg.type];
    const line = text || (fallback ? t(state.lang, fallback) : "");
    if (!line) return;
    $("log").append(el("p", { class: "system-note", role: "status", text: line }));
  }
  scrollToEnd();
}

function onChatMessage(msg) {
  if (PUSH_TYPES.has(msg.type)) {
    onPushMessage(msg);
    return;
  }
  const b = state.pending[0];
  if (msg.type === "delta") {
    if (!b) return;
    b.node.querySelector(".typing")?.remove();
    b.streamed += msg.text || "";
    b.text.textContent = b.streamed;
    scrollToEnd();
  } else if (msg.type === "resumed") {
    return;
  } else if (msg.type === "reply") {
    if (msg.session_id) setSessionId(msg.session_id);
    if (!msg.reply && msg.intent === "human" && !msg.escalated) {
      // staff own the conversation: the assistant stays quiet, so no empty bubble
      state.pending.shift()?.node.remove();
      return;
    }
    const bubble = state.pending.shift() || addAssistantBubble();
    finishBubble(bubble, msg);
  } else if (msg.type === "error") {
    const code = msg.error?.code || "error";
    const message = msg.error?.message || code;
    if (b && /session/i.test(code) && getSessionId() && !b.retriedWithoutSession) {
      // The server no longer knows our session (e.g. it restarted): start a fresh one and resend.
      writeStore(sessionStorage, KEY_SESSION, null);
      b.retriedWithoutSession = true;
      socket.send({ text: b.sentText, lang: state.lang, channel: "web" });
      return;
    }
    if (!b && /session/i.test(code)) {
      writeStore(sessionStorage, KEY_SESSION, null); // a stale conversation on resume: start afresh quietly
      return;
    }
    const bubble = state.pending.shift();
    if (bubble) failBubble(bubble, t(state.lang, "error_prefix") + message, null);
    else showNotice(t(state.lang, "error_prefix") + message);
  }
}

function sendText(text, shown) {
  const value = String(text || "").trim();
  if (!value) return false;
  if (value.length > MAX_CHARS) {
    showNotice(t(state.lang, "too_long", { n: MAX_CHARS }));
    return false;
  }
  hideNotice();
  addUserMessage(shown && shown !== value ? shown : value);
  const bubble = addAssistantBubble();
  bubble.sentText = value;
  state.pending.push(bubble);
  const msg = { text: value, lang: state.lang, channel: "web" };
  const sid = getSessionId();
  if (sid) msg.session_id = sid;
  socket.send(msg);
  return true;
}

function showNotice(text) {
  const n = $("notice");
  n.textContent = text;
  n.hidden = false;
}
function hideNotice() {
  $("notice").hidden = true;
}

// ---- composer -------------------------------------------------------------------------------------

function autoGrow(ta) {
  if (!ta.value) {
    ta.style.height = ""; // an empty box is one line (Chromium counts the placeholder in scrollHeight)
    return;
  }
  ta.style.height = "auto";
  ta.style.height = `${Math.min(ta.scrollHeight, 160)}px`;
}

function updateCount() {
  const ta = $("message-input");
  const left = MAX_CHARS - ta.value.length;
  const c = $("char-count");
  c.hidden = left > 200;
  c.textContent = t(state.lang, "chars_left", { n: left });
}

function setupComposer() {
  const form = $("composer");
  const ta = $("message-input");
  const submit = () => {
    if (sendText(ta.value)) {
      ta.value = "";
      autoGrow(ta);
      updateCount();
    }
    ta.focus();
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
  });
  ta.addEventListener("keydown", (e) => {
    // Enter sends; Shift+Enter is a new line; never send while an IME is composing Chinese.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit(); // (form.requestSubmit is missing in older iOS WebViews that WeChat uses)
    }
  });
  ta.addEventListener("input", () => {
    autoGrow(ta);
    updateCount();
  });
  for (const b of document.querySelectorAll("[data-quick]")) {
    b.addEventListener("click", () => sendText(t(state.lang, b.dataset.quick)));
  }
}

// ---- report upload --------------------------------------------------------------------------------

async function uploadFile(file) {
  if (file.size > MAX_UPLOAD_MB * 1024 * 1024) {
    showNotice(t(state.lang, "upload_too_big", { n: MAX_UPLOAD_MB }));
    return;
  }
  hideNotice();
  let preview = null;
  if (file.type.startsWith("image/")) {
    preview = el("img", { class: "thumb", alt: file.name, src: URL.createObjectURL(file), onerror: (e) => e.target.remove() });
  }
  addUserMessage(t(state.lang, "upload_sent", { name: file.name }), preview);
  const bubble = addAssistantBubble();
  bubble.node.querySelector(".typing").textContent = t(state.lang, "uploading");
  const form = new FormData();
  form.append("file", file, file.name);
  const sid = getSessionId();
  if (sid) form.append("session_id", sid);
  form.append("lang", state.lang);
  try {
    const resp = await fetch(new URL("api/v1/reports/upload", window.location.href), { method: "POST", body: form });
    let data = null;
    try {
      data = await resp.json();
    } catch {
      data = null;
    }
    if (!resp.ok || !data || data.error) {
      const msg = data?.error?.message || `HTTP ${resp.status}`;
      failBubble(bubble, t(state.lang, "upload_failed", { msg }), null);
      return;
    }
    if (data.session_id) setSessionId(data.session_id);
    const reply = data.reply !== undefined || data.report ? data : { reply: "", report: { items: data.items || [] } };
    if (!reply.report && Array.isArray(data.items)) reply.report = { items: data.items };
    finishBubble(bubble, reply);
  } catch (err) {
    failBubble(bubble, t(state.lang, "upload_failed", { msg: String(err.message || err) }), null);
  }
}

function setupUpload() {
  const input = $("file-input");
  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    if (file) uploadFile(file);
    input.value = "";
  });
}

// ---- microphone -----------------------------------------------------------------------------------

let voice = null;
let micMode = null; // null | "hold" | "toggle"
let pressedAt = 0;

function setMicLabel() {
  const label = $("mic-text");
  if (!label) return;
  const key = micMode === "hold" ? "mic_recording" : micMode === "toggle" ? "mic_toggle_recording" : "mic";
  label.textContent = t(state.lang, key);
}

function voiceBubble() {
  if (!state.voiceBubble) {
    state.voiceBubble = addUserMessage("");
    state.voiceBubble.classList.add("partial");
  }
  return state.voiceBubble;
}

function setupMic() {
  const btn = $("mic-btn");
  if (!voiceSupported()) {
    btn.disabled = true;
    btn.setAttribute("title", t(state.lang, "mic_unavailable"));
    btn.dataset.unsupported = "1";
    return;
  }
  let voicePending = null;
  voice = new VoiceClient(
    {
      onPartial: (text) => {
        const node = voiceBubble();
        node.querySelector(".text").textContent = text || t(state.lang, "voice_listening");
        scrollToEnd();
      },
      onFinal: (text) => {
        const node = voiceBubble();
        node.classList.remove("partial");
        node.querySelector(".text").textContent = text;
        state.voiceBubble = null;
        if (text) {
          voicePending = addAssistantBubble();
        }
      },
      onDelta: (text) => {
        if (!voicePending) voicePending = addAssistantBubble();
        voicePending.node.querySelector(".typing")?.remove();
        voicePending.streamed += text;
        voicePending.text.textContent = voicePending.streamed;
      },
      onReply: (reply) => {
        const b = voicePending || addAssistantBubble();
        voicePending = null;
        finishBubble(b, reply);
      },
      onError: (code, message) => {
        if (code === "mic_denied" || code === "mic_unavailable") showNotice(t(state.lang, code));
        else showNotice(t(state.lang, "voice_error", { msg: message || code }));
        if (voicePending) {
          failBubble(voicePending, t(state.lang, "voice_error", { msg: message || code }), null);
          voicePending = null;
        }
      },
      onState: (s) => {
        btn.dataset.state = s;
        btn.classList.toggle("recording", s === "recording");
        btn.setAttribute("aria-pressed", String(s === "recording" || s === "connecting"));
        if (s !== "recording" && s !== "connecting") {
          micMode = null;
          setMicLabel();
        }
      },
      onLevel: (rms) => {
        const level = Math.min(1, rms * 8);
        $("mic-level").style.transform = `scaleY(${level.toFixed(2)})`;
      },
    },
    { getLang: () => state.lang, getSessionId, setSessionId },
  );

  const begin = () => {
    hideNotice();
    voice.start();
  };
  const end = () => {
    micMode = null;
    setMicLabel();
    voice.stop();
  };
  btn.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    if (micMode === "toggle") {
      end(); // the second tap of toggle mode
      return;
    }
    if (micMode !== null) return;
    pressedAt = Date.now();
    micMode = "hold";
    setMicLabel();
    btn.setPointerCapture?.(e.pointerId);
    begin();
  });
  const release = () => {
    if (micMode !== "hold") return;
    if (Date.now() - pressedAt < HOLD_MS) {
      micMode = "toggle"; // a short tap: keep recording until the next tap
      setMicLabel();
    } else end(); // hold to talk: releasing ends the utterance
  };
  btn.addEventListener("pointerup", release);
  btn.addEventListener("pointercancel", release);
  btn.addEventListener("click", (e) => {
    if (e.detail !== 0) return; // pointer clicks are handled above; keyboard (Enter/Space) toggles
    if (micMode === null) {
      micMode = "toggle";
      setMicLabel();
      begin();
    } else end();
  });
  btn.addEventListener("contextmenu", (e) => e.preventDefault());
}

// ---- start ----------------------------------------------------------------------------------------

async function loadConfig() {
  try {
    const resp = await fetch(new URL("api/v1/web/config", window.location.href));
    if (resp.ok) state.config = await resp.json();
  } catch {
    state.config = null;
  }
  setLang(state.lang);
}

function newChat() {
  writeStore(sessionStorage, KEY_SESSION, null);
  for (const node of [...$("log").children]) if (node.id !== "welcome") node.remove();
  state.pending.length = 0;
  state.messages.length = 0;
  state.voiceBubble = null;
  $("message-input").focus();
}

function init() {
  const params = new URLSearchParams(window.location.search);
  const lang = params.get("lang") || readStore(localStorage, KEY_LANG) || "zh"; // Chinese first
  state.lang = lang === "en" ? "en" : "zh";
  setLargeFont(params.get("large") === "1" || readStore(localStorage, KEY_FONT) === "1");
  setLang(state.lang);
  $("lang-toggle").addEventListener("click", () => setLang(state.lang === "zh" ? "en" : "zh"));
  $("font-toggle").addEventListener("click", () => setLargeFont(!state.largeFont));
  $("new-chat").addEventListener("click", newChat);
  setupComposer();
  setupUpload();
  setupMic();
  loadConfig();
  socket.connect();
  window.__pa = { state, socket, voice, sendText, getSessionId };
  document.documentElement.dataset.ready = "1";
}

init();
