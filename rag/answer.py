"""Composing answers from retrieved chunks: an extractive answerer (the best sentences, with citations),
an optional LLM generator, and the verifier every answer passes before it is sent: each number, time,
fee, place and phone number must appear in the cited chunks."""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from rag.chunking import split_sentences
from rag.lexical import query_terms, tokenize
from rag.synonyms import expand_query
from rag.types import Chunk, GroundedAnswer, Hit

log = logging.getLogger(__name__)

ABSTAIN_TEXT = {
    "zh": "抱歉，医院的资料里没有找到这个问题的可靠答案，我不想随便回答。需要的话我可以帮您转人工客服。",
    "en": "Sorry, I couldn't find a reliable answer to that in the hospital's documents, and I don't want to guess. "
    "I can put you through to a member of staff if you like.",
}

# --- the verifier ---------------------------------------------------------------------------------

_PHONE = re.compile(r"0\d{2,3}-?\d{4}-?\d{4}|(?<!\d)1[3-9]\d{9}(?!\d)")
_TIME = re.compile(r"(?<!\d)(\d{1,2})[:：](\d{2})(?!\d)")
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_PLACE = re.compile(
    r"[东南西北]门|[A-Za-z]?\d+号楼|[A-Za-z]座|[A-Za-z]栋|负?\d+(?:-\d+)?楼|[A-Za-z]\d(?=层|楼|\b)|\d{3}室|[A-Z]区"
    r"|(?:Building|building|Floor|floor|Room|room|ext\.?|extension)\s*\d+|(?:east|west|south|north|East|West|South|North) gate"
)
_EN_GATE = {"east": "东门", "west": "西门", "south": "南门", "north": "北门"}


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _num(s: str) -> str:
    s = s.replace(",", "")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s.lstrip("0") or "0"


def extract_facts(text: str) -> set[str]:
    """The checkable facts in a text: phone numbers, times, numbers (fees, counts, extensions) and places."""
    text = _norm(text)
    facts: set[str] = set()
    rest = text
    for m in _PHONE.finditer(text):
        facts.add("tel:" + re.sub(r"\D", "", m.group()))
    rest = _PHONE.sub(" ", rest)
    for m in _TIME.finditer(rest):
        facts.add(f"time:{int(m.group(1)):02d}:{m.group(2)}")
    rest = _TIME.sub(" ", rest)
    for m in _PLACE.finditer(rest):
        p = m.group()
        low = p.lower()
        for en, zh in _EN_GATE.items():
            if low.startswith(en):
                p = zh
        if re.match(r"(?i)(building|floor|room|ext)", p):
            continue  # the number itself is checked below
        facts.add("place:" + p.upper())
    for m in _NUMBER.finditer(rest):
        facts.add("num:" + _num(m.group()))
    return facts


@dataclass
class Verification:
    ok: bool
    unsupported: list[str] = field(default_factory=list)


def verify(answer: str, sources: list[str]) -> Verification:
    """Every fact of the answer must occur among the facts (or, for places, the text) of its sources."""
    source_text = _norm("\n".join(sources))
    have = extract_facts(source_text)
    have_nums = {f for f in have if f.startswith("num:")}
    # numbers inside times, phone numbers and places count as present too
    for f in list(have):
        for part in re.findall(r"\d+", f):
            have_nums.add("num:" + _num(part))
    missing = []
    for fact in sorted(extract_facts(answer)):
        if fact in have or (fact.startswith("num:") and fact in have_nums):
            continue
        if fact.startswith("place:") and fact[6:] in source_text.upper():
            continue
        missing.append(fact)
    return Verification(ok=not missing, unsupported=missing)


# --- extractive answers ---------------------------------------------------------------------------


def _is_english(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) / len(letters) > 0.7


def _sentences(chunk: Chunk) -> list[tuple[str, str]]:
    """(sentence, lead-in) pairs; a lead-in is a preceding line ending in a colon ("收费标准:")."""
    out: list[tuple[str, str]] = []
    lead = ""
    for line in chunk.text.splitlines():
        for s in split_sentences(line):
            if s.endswith((":", "：")):
                lead = s
                continue
            out.append((s, lead))
    return out


def _sentence_score(terms: dict[str, float], sentence: str) -> float:
    low = sentence.lower()
    toks = set(tokenize(low))
    return sum(w for t, w in terms.items() if t in toks or t in low)


@dataclass
class Draft:
    text: str
    chunks: list[Chunk]
    sentences: list[str]
    best: str = ""


def extract(question: str, hits: list[Hit], lang: str, idf: Any = None, max_chars: int = 240) -> Draft | None:
    """Pick the best sentences from the top hits, preferring the asker's language. A sentence under a
    lead-in ("收费标准:") brings the lead-in and its sibling items along, since a list answers as a whole."""
    terms = {t: (idf(t) if idf else 1.0) for t in query_terms(expand_query(question))}
    cands: list[tuple[float, int, int, str, Chunk, str]] = []
    for hit in hits[:4]:
        for j, (s, lead) in enumerate(_sentences(hit.chunk)):
            if len(s) < 4 or (lang == "en") != _is_english(s):
                continue
            lex = _sentence_score(terms, s) + 0.5 * (_sentence_score(terms, lead) if lead else 0.0)
            prior = 1.0 / (hit.rank + 1)  # rank 1 -> 0.5
            cands.append((lex * (1.0 + prior) + 0.01 * prior, hit.rank, j, s, hit.chunk, lead))
    if not cands and lang == "en":
        return extract(question, hits, "zh", idf, max_chars)
    if not cands:
        return None
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
    best = cands[0]
    picked = [best]
    record = best[4]
    if record.kind == "record" and len(record.text) <= max_chars and record.heading_path[-1] in question:
        # the question names the row's subject (a doctor, a department): the whole row answers it
        picked = [c for c in cands if c[4] is best[4]]
        picked.sort(key=lambda c: c[2])
    elif best[5]:  # the whole list under the same lead-in, in order
        picked = [c for c in cands if c[4] is best[4] and c[5] == best[5]]
        picked.sort(key=lambda c: c[2])
    else:
        for c in cands[1:]:
            if c[0] < 0.6 * best[0] or c[0] <= 0.05:
                break
            if len({x[4].doc_id for x in picked} | {c[4].doc_id}) > 2:
                continue
            picked.append(c)
            if len(picked) == 3:
                break
    kept: list[tuple[float, int, int, str, Chunk, str]] = []
    total = 0
    for c in picked:
        if kept and (total + len(c[3]) > max_chars or any(k[3] == c[3] for k in kept)):
            continue
        kept.append(c)
        total += len(c[3])
    if not best[5] and best[4].kind != "record":
        kept.sort(key=lambda c: (c[1], c[2]))
    chunks: list[Chunk] = []
    for c in kept:
        if c[4] not in chunks:
            chunks.append(c[4])
    sentences: list[str] = []
    for c in kept:
        if c[5] and c[5] not in sentences:
            sentences.append(c[5])
        sentences.append(c[3])
    sep = " " if lang == "en" else ""
    return Draft(text=sep.join(sentences), chunks=chunks, sentences=sentences, best=best[3])


def citations(chunks: list[Chunk], sentences: list[str] | None = None, limit: int = 3) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for ch in chunks:
        if any(c["doc_id"] == ch.doc_id for c in out):
            continue
        used = [s for s in (sentences or []) if s in ch.text]
        snippet = "".join(used) if used else ch.text
        out.append({"doc_id": ch.doc_id, "title": ch.title, "snippet": snippet[:200]})
        if len(out) == limit:
            break
    return out


def phrase(draft: Draft, lang: str) -> str:
    titles = list(dict.fromkeys(c.title.split("(")[0] for c in draft.chunks))
    if lang == "en":
        return f"{draft.text} (Source: {', '.join(titles)}.)"
    return f"{draft.text}（来源：{'、'.join('《' + t + '》' for t in titles)}）"


def corroborating(question: str, best: str, used: list[Chunk], hits: list[Hit], idf: Any = None) -> list[Chunk]:
    """Other retrieved chunks that say the same thing: they name the question's key word found in the
    answer and repeat at least one of its facts (a clinic's floor in both the floor directory and the
    department's page). They are sources of the reply too."""
    facts = extract_facts(best)
    if not facts:
        return []
    low = best.lower()
    alts = {t: [t, *query_terms(expand_query(t))] for t in query_terms(question)}
    keys = [a for t, forms in alts.items() for a in forms if a in low]
    if not keys:
        return []
    key = max(keys, key=lambda t: (idf(t) if idf else 1.0, len(t)))
    out: list[Chunk] = []
    for h in hits:
        if any(c.doc_id == h.chunk.doc_id for c in used + out):
            continue
        text = h.chunk.text.lower()
        if key in text and extract_facts(text) & facts:
            out.append(h.chunk)
    return out


def extractive_answer(question: str, hits: list[Hit], lang: str, confidence: float, idf: Any = None) -> GroundedAnswer:
    draft = extract(question, hits, lang, idf)
    if draft is None:
        return abstain(lang, confidence)
    text = phrase(draft, lang)
    check = verify(text, [c.text for c in draft.chunks] + [c.title for c in draft.chunks])
    if not check.ok:  # cannot happen for copied sentences unless the phrasing adds a fact
        log.warning("extractive answer failed verification")
        return abstain(lang, confidence)
    sources = draft.chunks + corroborating(question, draft.best, draft.chunks, hits, idf)
    return GroundedAnswer(text=text, citations=citations(sources, draft.sentences), abstained=False,
                          confidence=confidence, source="extractive")


def abstain(lang: str, confidence: float) -> GroundedAnswer:
    return GroundedAnswer(text=ABSTAIN_TEXT.get(lang, ABSTAIN_TEXT["zh"]), citations=[], abstained=True,
                          confidence=confidence, source="extractive")


def clamp_confidence(x: float) -> float:
    return 0.0 if math.isnan(x) else max(0.0, min(1.0, x))
