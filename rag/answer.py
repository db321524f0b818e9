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
from rag.synonyms import alternatives, expand_query, labels, topic_terms
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


@dataclass
class Draft:
    text: str
    chunks: list[Chunk]
    sentences: list[str]
    best: str = ""
    subject: str = ""  # the best sentence's section heading, which may name what it is about
    echoes: list[Chunk] = field(default_factory=list)  # other pages stating the same facts: cited, not quoted
    chinese: bool = False  # an English question answered from the Chinese text


# A question word named only by the sentence's section heading or lead-in ("发热门诊 > 位置:5号楼1楼")
# counts this much: the heading is the sentence's subject, but every sentence under it shares it.
CONTEXT_WEIGHT = 0.5
PAD_RATIO = 0.6  # a further sentence must score this share of the best one
READ_HITS = 4  # the passages whose sentences are read


@dataclass(frozen=True)
class _Concept:
    weight: float
    forms: frozenset[str]  # words that count as finding it, inside longer words too
    whole: frozenset[str] = frozenset()  # ... only as words of their own


def _concepts(question: str, idf: Any = None) -> dict[str, _Concept]:
    """The question's informative words, each with the written forms that count as finding it and
    the weight of its most common form (a colloquial word weighs what its written form weighs), plus
    what its question-type words ask for as the documents label it ("在哪" -> 位置), one word each."""

    def weight(form: str) -> float:  # a written phrase ("出报告时间") weighs what its commonest word weighs
        return min((idf(p) if idf else 1.0) for p in query_terms(form) or [form])

    own = topic_terms(query_terms(question))
    out = {t: _Concept(min(weight(a) for a in forms), frozenset(forms))
           for t, forms in alternatives(question, own).items()}
    # a number and its unit are one fact ("24小时"), not two words that each count
    low = question.lower()
    for num, unit in zip(own, own[1:], strict=False):
        if num.isdigit() and num + unit in low and num in out and unit in out:
            out[num + unit] = _Concept(max(out.pop(num).weight, out.pop(unit).weight), frozenset({num + unit}))
    # A character jieba left on its own ("住", "开", "查") is rare as a word but common inside words
    # (住院, 开具, 检查), where it is found too: it weighs no more than the question's weakest word, and
    # where the table says what it means ("开吗" -> 开放) only that, or the character alone, finds it.
    words = [c.weight for t, c in out.items() if len(t) > 1]
    for t, c in list(out.items()):
        if len(t) == 1 and not t.isascii():
            w = min(c.weight, *words) if words else c.weight
            out[t] = _Concept(w, c.forms - {t}, frozenset({t})) if len(c.forms) > 1 else _Concept(w, c.forms)
    for forms in labels(question, own):
        out["|".join(sorted(forms))] = _Concept(min(weight(a) for a in forms), frozenset(forms))
    return out


def _found(concepts: dict[str, _Concept], text: str) -> set[str]:
    low = text.lower()
    toks = set(tokenize(low))
    return {t for t, c in concepts.items() if any(a in toks or a in low for a in c.forms) or c.whole & toks}


# What kind of fact a question asks for, and whether a sentence states one: a sentence that does is
# preferred (x ANSWER_TYPE_BONUS) over one that only shares the question's words.
_ADDRESS = re.compile(r"(?:路|街|道|巷)\d+号(?!楼)")


def _states_time(facts: set[str], sentence: str) -> bool:
    return any(f.startswith("time:") for f in facts) or "num:24" in facts  # "24小时开放" answers it too


def _states_place(facts: set[str], sentence: str) -> bool:
    return any(f.startswith("place:") for f in facts) or bool(_ADDRESS.search(sentence))


def _states_number(facts: set[str], sentence: str) -> bool:
    return any(f.startswith(("num:", "time:", "tel:")) for f in facts)


# a length of time: "3个工作日", "72小时", "4周(28天)", "180 days" (not "6岁", a date's "10月" or "2026年")
_DURATION = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d+)?\s*(?:个)?(?:工作日|小时|分钟|天|周|星期|月|年)(?!\d)"
                       r"|(?i:\b\d+(?:\.\d+)?\s*(?:working )?(?:days?|weeks?|months?|hours?|minutes?|years?)\b)")


def _states_duration(facts: set[str], sentence: str) -> bool:
    return bool(_DURATION.search(_norm(sentence)))


_ASKS_DURATION = re.compile(r"多久|多长时间|(?:几|多少)(?:个)?(?:天|周|星期|月|小时|钟头|分钟|年|工作日)"
                            r"|(?i:how long|how many (?:days|weeks|months|hours|minutes|years))")

_ASKS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"几点|什么时间|开吗|开门|关门|开放|营业|上班|下班|(?i:what time|\bhours\b|\bopen\b|\bclose)"), _states_time),
    (re.compile(r"在哪|哪里|哪儿|几楼|哪栋|哪个楼|几号楼|怎么走|地址|(?i:\bwhere\b|\bfind\b|address)"), _states_place),
    (re.compile(r"电话|多久|多长|几天|几个|几岁|几次|多少|什么时候|啥时候|何时"
                r"|(?i:phone|extension|how (?:long|much|many|soon|old)|\bwhen\b)"), _states_number),
)
ANSWER_TYPE_BONUS = 1.25
# Which side of a procedure a question or sentence is about: 做完胃镜多久能吃饭 asks about after it, and
# "检查前禁食8小时" (before it) does not answer that, however many words they share.
_AFTER = re.compile(r"做完|查完|检查完|手术完|打完|(?:检查|手术|术|治疗|胃镜|肠镜|穿刺|麻醉|造影|增强|抽血|采血|输液|打针)(?:之|以)?后|"
                    r"(?i:\bafter (?:the|my|a|an|it|that)\b|\bafterwards?\b)")
_BEFORE = re.compile(r"(?:检查|手术|术|治疗|胃镜|肠镜|穿刺|麻醉|造影|增强|抽血|采血|输液|打针)(?:之|以)?前|(?i:\bbefore (?:the|my|a|an|it)\b|\bbeforehand\b)")


# A procedure a before/after question is about: only a passage about that procedure answers it.
_PROCEDURES = (("胃镜", "胃镜|胃肠镜"), ("肠镜", "肠镜|胃肠镜"), ("ct", "ct"), ("磁共振", "磁共振|核磁|mri"), ("核磁", "磁共振|核磁|mri"),
               ("mri", "磁共振|核磁|mri"), ("b超", "超声|b超|彩超"), ("彩超", "超声|b超|彩超"), ("超声", "超声|b超|彩超"),
               ("抽血", "抽血|采血|空腹"), ("采血", "抽血|采血|空腹"), ("造影", "造影|增强"), ("增强", "增强|造影|对比剂"),
               ("心电图", "心电图"), ("肺功能", "肺功能"), ("gastroscopy", "gastroscopy|endoscopy"),
               ("colonoscopy", "colonoscopy|endoscopy"), ("endoscopy", "endoscopy|gastroscopy|colonoscopy"))


def _procedures(question: str) -> list[re.Pattern[str]]:
    low = question.lower()
    return [re.compile(alts) for word, alts in _PROCEDURES if word in low]


def _wrong_side(question_after: bool, question_before: bool, sentence: str) -> bool:
    """A sentence only about before the procedure for a question only about after it (or the reverse)."""
    if question_after and not question_before:
        return bool(_BEFORE.search(sentence)) and not _AFTER.search(sentence)
    if question_before and not question_after:
        return bool(_AFTER.search(sentence)) and not _BEFORE.search(sentence)
    return False


def _asked(question: str) -> list[Any]:
    """The kinds of fact a question asks for; a length of time (多少天, 多久) is a number only a duration
    answers: "6岁以下" does not say how many days of medicine may be prescribed."""
    asked = [states for pattern, states in _ASKS if pattern.search(question)]
    if _ASKS_DURATION.search(question):
        asked = [k for k in asked if k is not _states_number] + [_states_duration]
    return asked


@dataclass
class _Candidate:
    score: float
    rank: int
    order: int
    sentence: str
    chunk: Chunk
    lead: str
    concepts: frozenset[str]  # question words it answers, in itself or through its heading / lead-in
    states: bool = False  # it states the kind of fact asked for (a place for 在哪, a time for 几点)


def _candidates(question: str, hits: list[Hit], lang: str, idf: Any = None) -> list[_Candidate]:
    """Every sentence of the top four hits, and of BM25's clear leaders (Hit.lexical_lead) wherever fusion
    ranked them, in the asker's language, scored and best first.

    A sentence scores the weights of the question words it contains, and part of those only its section
    heading or lead-in names, more if it states the kind of fact asked for, times how strongly retrieval
    ranked its passage: the fused score relative to the best hit's, so a passage only one retriever
    found counts for less than one both found."""
    concepts = _concepts(question, idf)
    asked = _asked(question)
    q_after, q_before = bool(_AFTER.search(question)), bool(_BEFORE.search(question))
    procedures = _procedures(question) if (q_after or q_before) else []
    read = [h for i, h in enumerate(hits) if i < READ_HITS or h.lexical_lead]
    top = max((h.score for h in read), default=0.0)
    cands: list[_Candidate] = []
    for hit in read:
        # the innermost heading names the passage's subject ([0] is the document's own title)
        in_context = _found(concepts, _subject(hit.chunk))
        prior = hit.score / top if top > 0 else 2.0 / (hit.rank + 1)  # by rank without fused scores
        for j, (s, lead) in enumerate(_sentences(hit.chunk)):
            if len(s) < 4 or (lang == "en") != _is_english(s) or _wrong_side(q_after, q_before, s):
                continue
            if procedures and not any(p.search(f"{s} {lead or ''} {_subject(hit.chunk)}".lower()) for p in procedures):
                continue  # 做完胃镜多久能吃饭 is not answered by the canteen's opening hours
            own = _found(concepts, s)
            around = (in_context | (_found(concepts, lead) if lead else set())) - own
            lex = sum(concepts[t].weight for t in own) + CONTEXT_WEIGHT * sum(concepts[t].weight for t in around)
            facts = extract_facts(s) if asked else set()
            states = any(kind(facts, s) for kind in asked)
            if states:
                lex *= ANSWER_TYPE_BONUS
            cands.append(_Candidate(lex * (0.5 + prior) + 0.01 * prior, hit.rank, j, s, hit.chunk, lead,
                                    frozenset(own | around), states))
    cands.sort(key=lambda c: (-c.score, c.rank, c.order))
    return cands


# A heading that says what kind of section it is ("English Summary"), not what the section is about:
# its words ("English") are no subject the sentences under it share.
_NOT_A_SUBJECT = re.compile(r"(?i)\bsummary\b|摘要|概要")


def _subject(chunk: Chunk) -> str:
    if len(chunk.heading_path) < 2 or _NOT_A_SUBJECT.search(chunk.heading_path[-1]):
        return ""
    return chunk.heading_path[-1]


def _pad(best: _Candidate, cands: list[_Candidate]) -> tuple[list[_Candidate], list[Chunk]]:
    """The sentences that join the best one, and the pages that only repeat its facts (cited, not
    quoted). A sentence joins if it scores close to the best, states the kind of fact asked for when the
    best does, and answers everything the best answers (a parallel fact: 周六上午 and 周六下午) or, from a
    page already quoted, a question word no chosen sentence answers yet; one that shares only a common
    word with the question is left out."""
    picked = [best]
    echoes: list[Chunk] = []
    answered = set(best.concepts)
    given = extract_facts(best.sentence)
    for c in cands[1:]:
        if c.score < PAD_RATIO * best.score or c.score <= 0.05:
            break
        if len({x.chunk.doc_id for x in picked} | {c.chunk.doc_id}) > 2:
            continue
        if best.states and not c.states:  # the fee beside the fever clinic's location
            continue
        parallel = c.concepts >= best.concepts
        if not (parallel or (c.concepts - answered and any(x.chunk.doc_id == c.chunk.doc_id for x in picked))):
            continue
        facts = extract_facts(c.sentence)
        if facts and facts <= given:  # the same place and hours again, from another page
            if c.chunk not in echoes and all(x.chunk is not c.chunk for x in picked):
                echoes.append(c.chunk)
            continue
        picked.append(c)
        given |= facts
        answered |= c.concepts
        if len(picked) == 3:
            break
    return picked, echoes


def extract(question: str, hits: list[Hit], lang: str, idf: Any = None, max_chars: int = 240) -> Draft | None:
    """Pick the best sentences from the top hits, preferring the asker's language (see _candidates and
    _pad). A sentence under a lead-in ("收费标准:") brings the lead-in and its sibling items along, since
    a list answers as a whole; a data row whose subject the question names comes whole."""
    cands = _candidates(question, hits, lang, idf)
    if lang == "en":
        chinese = _candidates(question, hits, "zh", idf)
        if chinese and (not cands or _better_in_chinese(question, cands[0], chinese[0], idf)):
            draft = _compose(question, chinese, "zh", max_chars)
            draft.text = f"{FROM_CHINESE} {draft.text}"
            draft.chinese = True
            return draft
    if not cands:
        return None
    return _compose(question, cands, lang, max_chars)


# An English question the English summary does not answer is answered from the Chinese text, verbatim
# (so every fact stays checkable against its source), under this note.
FROM_CHINESE = "From the hospital's Chinese guide:"
CHINESE_COVERAGE = 1.3  # the Chinese sentence must cover this many times the English one's question words


def _better_in_chinese(question: str, english: _Candidate, chinese: _Candidate, idf: Any = None) -> bool:
    """Whether the best Chinese sentence answers an English question clearly better than the best English
    one: it states the kind of fact asked for (a place, a time) and the English does not, or it covers
    clearly more of the question's weighted words (the English summaries leave out many facts: the
    passport among accepted documents, English-speaking volunteers, paying by card or cash)."""
    concepts = _concepts(question, idf)

    def cover(c: _Candidate) -> float:
        return sum(concepts[t].weight for t in c.concepts if t in concepts)

    en, zh = cover(english), cover(chinese)
    if zh <= 0:
        return False
    if chinese.states and not english.states and zh >= en:
        return True
    return zh > CHINESE_COVERAGE * en and bool(chinese.concepts - english.concepts)


def _compose(question: str, cands: list[_Candidate], lang: str, max_chars: int) -> Draft:
    best = cands[0]
    echoes: list[Chunk] = []
    record = best.chunk
    if record.kind == "record" and len(record.text) <= max_chars and record.heading_path[-1] in question:
        # the question names the row's subject (a doctor, a department): the whole row answers it
        picked = sorted((c for c in cands if c.chunk is best.chunk), key=lambda c: c.order)
    elif best.lead:  # the whole list under the same lead-in, in order
        picked = sorted((c for c in cands if c.chunk is best.chunk and c.lead == best.lead), key=lambda c: c.order)
    else:
        picked, echoes = _pad(best, cands)
    kept: list[_Candidate] = []
    total = 0
    for c in picked:
        if kept and (total + len(c.sentence) > max_chars or any(k.sentence == c.sentence for k in kept)):
            continue
        kept.append(c)
        total += len(c.sentence)
    if not best.lead and best.chunk.kind != "record":
        kept.sort(key=lambda c: (c.rank, c.order))
    chunks: list[Chunk] = []
    for c in kept:
        if c.chunk not in chunks:
            chunks.append(c.chunk)
    sentences: list[str] = []
    for c in kept:
        if c.lead and c.lead not in sentences:
            sentences.append(c.lead)
        sentences.append(c.sentence)
    sep = " " if lang == "en" else ""
    return Draft(text=sep.join(sentences), chunks=chunks, sentences=sentences, best=best.sentence,
                 subject=_subject(best.chunk), echoes=[c for c in echoes if c not in chunks])


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


def corroborating(question: str, best: str, used: list[Chunk], hits: list[Hit], idf: Any = None,
                  subject: str = "") -> list[Chunk]:
    """Other retrieved chunks that say the same thing: they name the question's key word found in the
    answer (or in the heading it sits under, ``subject``) and repeat at least one of its facts (a
    clinic's floor in both the floor directory and the department's page). They are sources of the
    reply too."""
    facts = extract_facts(best)
    if not facts:
        return []
    low = f"{best} {subject}".lower()
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
        if (key in text or key in h.chunk.heading_path[-1].lower()) and extract_facts(text) & facts:
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
    sources = draft.chunks + draft.echoes
    sources += corroborating(question, draft.best, sources, hits, idf, draft.subject)
    return GroundedAnswer(text=text, citations=citations(sources, draft.sentences), abstained=False,
                          confidence=confidence, source="extractive")


def abstain(lang: str, confidence: float) -> GroundedAnswer:
    return GroundedAnswer(text=ABSTAIN_TEXT.get(lang, ABSTAIN_TEXT["zh"]), citations=[], abstained=True,
                          confidence=confidence, source="extractive")


def clamp_confidence(x: float) -> float:
    return 0.0 if math.isnan(x) else max(0.0, min(1.0, x))
