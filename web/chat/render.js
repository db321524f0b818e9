// Builds the DOM for one assistant reply: text, triage badge, escalation notice, appointment, payment
// (link + client-side QR code), lab-report table, citations and numbered-choice buttons.

import { t } from "./i18n.js";
import { renderToCanvas } from "./qr.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const CHOICE_LINE = /^\s*(\d{1,2})\s*[.、．)）:：]\s*(\S.*?)\s*$/;

/** Numbered choices: the reply's `choices` field if present, else "1. …" lines in the reply text. */
export function extractChoices(reply) {
  if (Array.isArray(reply.choices) && reply.choices.length) {
    return reply.choices
      .map((c, i) => {
        if (typeof c === "string" || typeof c === "number") return { label: String(c), send: String(c), n: i + 1 };
        if (c && typeof c === "object") {
          const label = c.label ?? c.text ?? c.title ?? c.value;
          const send = c.value ?? c.text ?? c.label ?? c.title;
          if (label !== undefined) return { label: String(label), send: String(send), n: c.n ?? c.key ?? i + 1 };
        }
        return null;
      })
      .filter(Boolean);
  }
  const found = [];
  for (const line of String(reply.reply || "").split(/\n/)) {
    const m = CHOICE_LINE.exec(line);
    if (!m) continue;
    const n = Number(m[1]);
    // send the number, as a phone caller would say or press it: the form reads it as a choice
    if (n === found.length + 1) found.push({ n, label: m[2], send: String(n) });
    else if (n === 1) found.splice(0, found.length, { n, label: m[2], send: String(n) });
  }
  return found.length >= 2 ? found : [];
}

function money(v, lang) {
  if (v === null || v === undefined || v === "") return "—";
  const num = Number(v);
  const s = Number.isFinite(num) ? num.toFixed(2) : String(v);
  return lang === "en" ? `${s} ${t(lang, "yuan")}` : `${s} ${t(lang, "yuan")}`;
}

function deptName(id, ctx) {
  if (!id) return "";
  const d = ctx.config?.departments?.[id];
  if (!d) return id;
  return ctx.lang === "en" ? d.en || d.zh : d.zh;
}

function doctorName(id, ctx) {
  if (!id) return "";
  const d = ctx.config?.doctors?.[id];
  return d ? `${d.name} ${d.title || ""}`.trim() : id;
}

function formatLocal(iso, lang) {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/.exec(String(iso || ""));
  if (!m) return String(iso || "");
  const [, y, mo, d, h, mi] = m;
  const wd = new Date(Date.UTC(+y, +mo - 1, +d)).getUTCDay();
  if (lang === "en") {
    const names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    return `${names[wd]} ${y}-${mo}-${d} ${h}:${mi}`;
  }
  const names = ["日", "一", "二", "三", "四", "五", "六"];
  return `${+mo}月${+d}日（周${names[wd]}）${h}:${mi}`;
}

function triageBlock(triage, ctx) {
  const level = ["emergency", "urgent", "routine", "self_care"].includes(triage.level) ? triage.level : "routine";
  const lang = ctx.lang;
  const box = el("div", { class: `triage triage-${level}`, role: level === "emergency" ? "alert" : null });
  box.append(
    el("div", { class: "triage-head" },
      el("span", { class: "badge", text: t(lang, `triage_${level}`) }),
      el("span", { class: "triage-note", text: t(lang, `triage_${level}_note`) }),
    ),
  );
  if (level === "emergency") {
    box.append(el("a", { class: "btn btn-call", href: "tel:120", text: t(lang, "call_120") }));
  }
  if (triage.department) {
    box.append(el("div", { class: "kv" }, el("span", { class: "k", text: t(lang, "department") }), el("span", { class: "v", text: deptName(triage.department, ctx) })));
  }
  if (Array.isArray(triage.red_flags) && triage.red_flags.length) {
    box.append(el("div", { class: "kv" }, el("span", { class: "k", text: t(lang, "red_flags") }), el("span", { class: "v", text: triage.red_flags.map((id) => ctx.config?.red_flags?.[id]?.[lang] || id).join(lang === "en" ? ", " : "、") })));
  }
  return box;
}

function appointmentCard(a, ctx) {
  const lang = ctx.lang;
  const status = ["held", "confirmed", "cancelled"].includes(a.status) ? a.status : null;
  const rows = [
    [t(lang, "department"), deptName(a.department, ctx)],
    [t(lang, "doctor"), doctorName(a.doctor_id, ctx)],
    [t(lang, "time"), formatLocal(a.start, lang)],
    [t(lang, "status"), status ? t(lang, `appt_${status}`) : a.status],
  ].filter(([, v]) => v);
  return el("section", { class: `card appointment appt-${status || "other"}`, "aria-label": t(lang, "appointment") },
    el("h3", { text: t(lang, "appointment") }),
    el("dl", {}, rows.map(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })])),
    a.appointment_id ? el("p", { class: "muted small", text: `ID: ${a.appointment_id}` }) : null,
  );
}

const URL_RE = /((?:https?|weixin):\/\/[^\s"'<>，。；）)]+)/;

export function paymentLink(p, replyText) {
  for (const k of ["pay_url", "payment_url", "code_url", "h5_url", "url", "link"]) {
    if (typeof p[k] === "string" && /^(https?|weixin):\/\//.test(p[k])) return p[k];
  }
  if (p.order_id && p.status !== "paid" && p.status !== "refunded") {
    const m = URL_RE.exec(String(replyText || ""));
    if (m) return m[1];
  }
  return null;
}

function paymentCard(p, reply, ctx) {
  const lang = ctx.lang;
  const statusKey = { estimate: "pay_estimate", created: "pay_created", paid: "pay_paid", refunded: "pay_refunded" }[p.status];
  const rows = [
    ["pay_total", p.total],
    ["pay_fund", p.fund_pays],
    ["pay_personal", p.personal_account_pays],
    ["pay_cash", p.cash_pays],
  ].filter(([, v]) => v !== undefined && v !== null);
  const card = el("section", { class: `card payment pay-${p.status || "other"}`, "aria-label": t(lang, "payment") },
    el("h3", {}, t(lang, "payment"), statusKey ? el("span", { class: "pill", text: t(lang, statusKey) }) : null),
    el("dl", {}, rows.map(([k, v]) => [el("dt", { text: t(lang, k) }), el("dd", { class: k === "pay_cash" ? "strong" : null, text: money(v, lang) })])),
    p.order_id ? el("p", { class: "muted small", text: `${t(lang, "order_id")}: ${p.order_id}` }) : null,
  );
  const link = paymentLink(p, reply.reply);
  if (link) {
    const canvas = el("canvas", { class: "qr", role: "img", "aria-label": t(lang, "pay_qr_alt") });
    try {
      renderToCanvas(canvas, link, { scale: 4 });
      card.append(el("figure", { class: "qr-box" }, canvas, el("figcaption", { text: t(lang, "pay_qr") })));
    } catch (err) {
      console.warn("QR code failed", err);
    }
    card.append(el("a", { class: "btn btn-primary pay-link", href: link, rel: "noopener", text: t(lang, "pay_link") }));
  }
  return card;
}

function reportCard(report, ctx) {
  const lang = ctx.lang;
  const items = Array.isArray(report.items) ? report.items : [];
  if (!items.length) return null;
  const range = (i) => {
    if (i.ref_low != null && i.ref_high != null) return `${i.ref_low}–${i.ref_high}`;
    if (i.ref_low != null) return `≥ ${i.ref_low}`;
    if (i.ref_high != null) return `≤ ${i.ref_high}`;
    return "";
  };
  return el("section", { class: "card report", "aria-label": t(lang, "report") },
    el("h3", { text: t(lang, "report") }),
    el("div", { class: "table-wrap" },
      el("table", {},
        el("thead", {}, el("tr", {}, ["report_item", "report_value", "report_range", "report_flag"].map((k) => el("th", { scope: "col", text: t(lang, k) })))),
        el("tbody", {}, items.map((i) => {
          const flag = String(i.flag || "");
          return el("tr", { class: `flag-${flag || "none"}` },
            el("th", { scope: "row", text: [i.name, i.code && i.code !== i.name ? `(${i.code})` : ""].join(" ").trim() }),
            el("td", { text: `${i.value ?? ""} ${i.unit ?? ""}`.trim() }),
            el("td", { text: range(i), "data-label": t(lang, "report_range") }),
            el("td", { text: flag ? t(lang, `flag_${flag}`) : "" }),
          );
        })),
      ),
    ),
  );
}

function citationsBlock(citations, ctx) {
  const lang = ctx.lang;
  // One entry per document, with every quoted passage from it under the title.
  const byDoc = new Map();
  for (const c of citations) {
    const key = c.doc_id || c.title || "";
    if (!byDoc.has(key)) byDoc.set(key, { title: c.title || c.doc_id || "", snippets: [] });
    if (c.snippet && !byDoc.get(key).snippets.includes(c.snippet)) byDoc.get(key).snippets.push(c.snippet);
  }
  return el("section", { class: "citations", "aria-label": t(lang, "sources") },
    el("h3", { text: t(lang, "sources") }),
    el("ol", {}, [...byDoc.values()].map((d) => el("li", {},
      el("details", {},
        el("summary", { title: t(lang, "show_snippet") }, d.title),
        ...d.snippets.map((snip) => el("p", { class: "snippet", text: snip })),
      ),
    ))),
  );
}

function choicesBlock(choices, ctx) {
  const group = el("div", { class: "choices", role: "group", "aria-label": t(ctx.lang, "choices_label") });
  for (const c of choices) {
    group.append(el("button", {
      type: "button",
      class: "btn choice",
      "data-choice": c.send,
      onclick: () => ctx.onChoice(c.send, c.label),
    }, el("span", { class: "choice-n", text: `${c.n}` }), el("span", { text: c.label })));
  }
  return group;
}

/** Fill `extras` (a container below the reply text) with the structured parts of `reply`. */
export function renderExtras(extras, reply, ctx) {
  extras.replaceChildren();
  if (reply.triage && reply.triage.level) extras.append(triageBlock(reply.triage, ctx));
  if (reply.escalated) {
    extras.append(el("div", { class: "notice escalation", role: "status" },
      el("span", { text: t(ctx.lang, "escalated") }),
      reply.escalation_id ? el("span", { class: "muted small", text: ` ${t(ctx.lang, "escalation_id")}: ${reply.escalation_id}` }) : null,
    ));
  }
  if (reply.appointment) extras.append(appointmentCard(reply.appointment, ctx));
  if (reply.payment) extras.append(paymentCard(reply.payment, reply, ctx));
  if (reply.report) {
    const card = reportCard(reply.report, ctx);
    if (card) extras.append(card);
  }
  if (Array.isArray(reply.citations) && reply.citations.length) extras.append(citationsBlock(reply.citations, ctx));
  const choices = extractChoices(reply);
  if (choices.length) extras.append(choicesBlock(choices, ctx));
}
