"""Rule-based symptom understanding: findings with negation, time (now or history), severity, and the patient.

``extract(text)`` returns every lexicon concept found in the text, each marked negated (没有胸痛,
no fever), historical (三年前中风过, 以前, had a stroke last year), hypothetical (怎么预防中风, if I
get chest pain) and mild/severe, plus who is ill (self, child, parent, spouse), age, sex, pregnancy,
temperature, duration and pain score. No model: the same text always gives the same result.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

import zhconv

from assistant.services.triage import numbers
from assistant.services.triage.lexicon import Lexicon, get_lexicon

# ---- clause structure -------------------------------------------------------------------------
_PUNCT_RE = re.compile(r"[,;!?。；？！，\n]|(?<!\d)\.|\.(?!\d)")
_CONTRAST_RE = re.compile(r"但是|但|可是|不过|就是|只是|而是|却|倒是|(?<![a-z])(?:but|however|although|though|except)(?![a-z])")

# ---- negation ---------------------------------------------------------------------------------
_NEG_WIDE = ["没有", "没", "无", "否认", "未", "并无", "从未", "从来没", "不是", "并非", "排除"]
_NEG_WIDE_EXCEPT = ("多久", "过多久", "一会", "几天", "几分钟", "办法", "法", "想到", "注意", "量", "测", "去", "看",
                    "明显诱因", "诱因", "可能", "意中", "缘无故", "故", "缓解", "满", "见好", "好转", "吃", "喝", "告诉", "说", "问",
                    "查", "挂", "做", "发现", "用", "几次", "多少", "多大", "多长", "时间", "怎么", "力", "精打采", "关")
_NEG_NARROW_EXCEPT = ("停", "断", "住", "止", "久", "到", "一会", "知", "行", "了", "时", "少", "舒服", "明", "规律", "对",
                      "正常", "清", "好", "能", "出", "下", "上", "醒", "退", "动", "灵", "见", "得", "安", "适", "良", "想",
                      "用", "要", "敢", "会", "同", "太清楚", "一样", "让", "然", "过", "但", "仅", "光", "管")
_EN_NEG_RE = re.compile(r"(?<![a-z'])(no|not|don't|dont|doesn't|doesnt|didn't|didnt|denies|denied|deny|without|never|none|neither|nor|isn't|aren't|wasn't|haven't|hasn't|free of|negative for|no longer)(?![a-z'])")
_POST_NEG_RE = re.compile(r"^(?:倒是?|也|都|已经|早就|现在|基本)?(?:没有|没了|好了|退了|消了|停了|不疼了|不痛了|缓解了|消失了|止住了|没再|不(?:疼|痛|痒|肿)(?!得)|(?:已经)?(?:吐|取|拿|咳)出来了)")
_EN_POST_NEG_RE = re.compile(r"^\s*(?:is|has|have|was)?\s*(?:gone|resolved|went away|stopped|better now)")

# ---- time and mood ------------------------------------------------------------------------------
_HISTORY_RE = re.compile(
    r"[\d一二两三四五六七八九十几半]+\s*(?:个)?多?(?:年|个月|月)(?:以|之)?前|去年|前年|以前|之前|曾经|曾|过去|小时候|年轻时|既往|病史|后遗症|"
    r"得过|患过|有过|犯过|发过|做过|住过院|术后|出院|复查|随访|治好了|已经好了|早就好了|已经治好|好多年前|那次|上次|"
    r"(?<![a-z])(?:ago|last year|years ago|history of|previous|previously|in the past|used to|prior|recovered|when (?:he|she|i) was (?:a baby|little|\d+|young)|follow-up|follow up|back in)(?![a-z])"
)
_CURRENT_RE = re.compile(
    r"现在|目前|今天|今早|今晚|刚才|刚刚|突然|又|再次|这次|正在|还在|一直|至今|到现在|最近|这两天|这几天|昨天|前天|马上|还是|此刻|"
    r"(?<![a-z])(?:now|today|again|currently|right now|this morning|suddenly|tonight|just|still|since)(?![a-z])"
)
_STRONG_HISTORY_RE = re.compile(r"后遗症|病史|得过|患过|有过|犯过|治好了|已经好了|早就好了|(?<![a-z])(?:history of|years ago|last year)(?![a-z])")
_RECUR_RE = re.compile(r"又犯了|又开始|又发作|又出现|复发|再次发作|又来了|(?<![a-z])(?:again|came back|is back)(?![a-z])")
_HYPO_ALL_RE = re.compile(
    r"如果|万一|假如|要是|预防|会不会得|的特点|有什么危害|有哪些危害|发作前有预兆|症状有什么|有什么区别|有什么症状|症状是什么|症状有哪些|有哪些症状|前兆|怎么判断|怎么知道|怎么区别|区别|科普|遗传吗|传染吗|"
    r"(?:担心|害怕|怕)[^,.;!?。，]{0,8}会|"
    r"(?<![a-z])(?:if|in case|what are the (?:symptoms|signs)|how (?:do|can) i prevent|how to prevent|risk of|symptoms of|signs of)(?![a-z])"
)
_HYPO_DISEASE_RE = re.compile(r"担心|害怕|怕(?!冷|热|光)|以后会|将来|容易得|风险|怎么治疗|怎么治|能治好|好治吗|吃什么好|注意什么|原因是什么|怎么引起|什么原因|是什么病|(?<![a-z])(?:worried|afraid|scared|might get|could get)(?![a-z])")
_FOLLOWUP_RE = re.compile(r"复查|随访|开药|配药|续方|复诊|康复|拿药|(?<![a-z])(?:follow-up|follow up|refill|rehab)(?![a-z])")

# ---- severity ----------------------------------------------------------------------------------
_MILD_RE = re.compile(r"有点|有些|一点|轻微|稍微|稍有|偶尔|一点点|不太|不严重|还好|还行|隐隐|不是很|不怎么|(?<![a-z])(?:a bit|a little|slight|slightly|mild|mildly|minor|occasional|occasionally|sometimes)(?![a-z])")
_SEVERE_RE = re.compile(
    r"很(?:疼|痛|难受|厉害|严重|闷|晕|痒|多|重)|非常|特别|十分|剧烈|剧痛|厉害|严重|受不了|要命|得不行|打滚|直不起腰|撕裂|刀割|刀绞|要裂开|压榨|炸裂|最疼|难以忍受|疼死|痛死|疼得要死|痛得要死|(?:疼|痛)得(?:很|慌|受不了|直哼哼|睡不着)|像压了|压了块|压着块|大口|大量|一大口|一大片|满地|"
    r"(?<![a-z])(?:severe|severely|terrible|excruciating|unbearable|really bad|very bad|worst|crushing|tearing|intense|agonizing|a lot of|heavily|so much)(?![a-z])"
)

# ---- who is ill ---------------------------------------------------------------------------------
_SUBJECTS = [
    ("child", re.compile(r"孩子|小孩|宝宝|宝贝|儿子|女儿|闺女|娃|婴儿|新生儿|小朋友|孙子|孙女|外孙|(?<![a-z])(?:my son|my daughter|my baby|my kid|my child|my toddler|my infant|baby|toddler|infant|newborn|my boy|my girl)(?![a-z])")),
    ("parent", re.compile(r"(?:我|俺|咱)(?:家)?(?:爹|娘|老爹|老娘)|我爸|我妈|俺爸|俺妈|咱爸|咱妈|父亲|母亲|老爸|老妈|爸爸|妈妈|爷爷|奶奶|外公|外婆|姥姥|姥爷|老人|公公|婆婆|岳父|岳母|老父亲|老母亲|(?<![a-z])(?:my dad|my mom|my mum|my mother|my father|grandma|grandpa|my grandmother|my grandfather|elderly)(?![a-z])")),
    ("spouse", re.compile(r"老伴|老头子|我家老头|俺家老头|那口子|老太婆|老婆子|老婆|老公|妻子|丈夫|爱人|媳妇|(?<![a-z])(?:my wife|my husband|my partner)(?![a-z])")),
    ("other", re.compile(r"朋友|同事|邻居|同学|(?<![a-z])(?:my friend|a friend|my colleague|my coworker|my neighbou?r)(?![a-z])")),
]
_FEMALE_RE = re.compile(r"女性|女士|女的|我是女|女,|女，|妈妈|我妈|母亲|老婆|妻子|媳妇|女儿|闺女|奶奶|外婆|姥姥|孙女|姐姐|妹妹|阿姨|婆婆|岳母|孕|月经|例假|白带|阴道|大姨妈|(?<![a-z])(?:woman|female|my wife|mother|my mom|my mum|daughter|girl|she|her|pregnant|grandma|period)(?![a-z])")
_MALE_RE = re.compile(r"男性|男士|男的|我是男|男,|男，|爸爸|我爸|父亲|老公|丈夫|儿子|爷爷|外公|姥爷|孙子|哥哥|弟弟|叔叔|公公|岳父|睾丸|前列腺|阴囊|(?<![a-z])(?:man|male|my husband|father|my dad|son|boy|he|his|him|grandpa|testicle|prostate)(?![a-z])")


_VOCATIVE_RE = re.compile(
    r"^(?:喂|哎|唉|诶)?[\s,，]*((?:闺女|姑娘|小姑娘|丫头|小伙子|小伙|同志|大夫|医生|小妹|妹子|老师|宝贝)(?:啊|呀|哎|呢|儿)?)"
    r"[\s,，!！:：、]+(?=(?:我|俺|咱)(?!家|的|们家|闺女|儿子|孩子|女儿|孙))")
_FAMILY = r"(?:闺女|女儿|儿子|孩子|小孩|儿女|子女|孙子|孙女|外孙|老伴|老公|老婆|爱人|家里人|家人|我爸|我妈|父母)"
_ABSENT_FAMILY_RE = re.compile(
    _FAMILY + r"(?:们|和" + _FAMILY + r"|都|也|又|现在|今天|最近)*(?:不在家|不在身边|不在跟前|不在|没在家|在外地|在外面|在国外|在上班|上班去了|去上班|出差|出去了|出门了|没回来|没空|顾不上|不管我|都忙|很忙|工作忙)|"
    r"(?:没有|没)" + _FAMILY + r"|" + _FAMILY + r"(?:叫|让|催|帮)我"
)


@dataclass(frozen=True)
class Finding:
    concept: str
    start: int
    end: int
    text: str
    negated: bool = False
    history: bool = False
    hypothetical: bool = False
    severity: str | None = None  # "mild" | "severe" | None

    @property
    def current(self) -> bool:
        return not (self.negated or self.history or self.hypothetical)

    @property
    def anytime(self) -> bool:
        """Present now or in the past (a chronic condition), not denied and not hypothetical."""
        return not (self.negated or self.hypothetical)


@dataclass
class Extraction:
    text: str
    lang: str
    findings: list[Finding] = field(default_factory=list)
    subject: str = "self"
    age_years: float | None = None
    sex: str | None = None  # "F" | "M"
    pregnant: bool | None = None
    gest_weeks: float | None = None
    temp_c: float | None = None
    duration_h: float | None = None
    pain_score: int | None = None

    def current(self) -> set[str]:
        return {f.concept for f in self.findings if f.current}

    def anytime(self) -> set[str]:
        return {f.concept for f in self.findings if f.anytime}

    def negated(self) -> set[str]:
        return {f.concept for f in self.findings if f.negated}

    @property
    def child(self) -> bool:
        if self.age_years is not None:
            return self.age_years < 14
        return self.subject == "child"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["findings"] = [asdict(f) for f in self.findings]
        return d


def normalize(text: str) -> str:
    """Simplified characters, half-width digits and punctuation, lower case, typographic quotes folded."""
    t = zhconv.convert(text or "", "zh-cn")
    t = unicodedata.normalize("NFKC", t).lower()
    t = t.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    # typed on a phone without the apostrophe: "i cant breathe" is "i can't breathe"
    return _NO_APOSTROPHE.sub(r"\1'\2", t)


_NO_APOSTROPHE = re.compile(r"\b(can|don|won|doesn|didn|isn|aren|wasn|weren|couldn|wouldn|shouldn|haven|hasn|hadn)(t)\b")


def _clauses(text: str) -> list[tuple[int, int]]:
    cuts = {0, len(text)}
    for m in _PUNCT_RE.finditer(text):
        cuts.add(m.start())
        cuts.add(m.end())
    for m in _CONTRAST_RE.finditer(text):
        cuts.add(m.start())
    pts = sorted(cuts)
    return [(a, b) for a, b in zip(pts, pts[1:], strict=False) if b > a]


def _sentences(text: str) -> list[tuple[int, int]]:
    cuts = {0, len(text)}
    for m in re.finditer(r"[。！？!?\n]|(?<!\d)\.(?!\d)", text):
        cuts.add(m.end())
    pts = sorted(cuts)
    return [(a, b) for a, b in zip(pts, pts[1:], strict=False) if b > a]


def _containing(spans: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    for a, b in spans:
        if a <= pos < b:
            return a, b
    return (0, 0)


def _match_all(text: str, lex: Lexicon) -> list[tuple[int, int, str]]:
    raw: list[tuple[int, int, str]] = []
    chars = set(text)
    for c in lex.concepts.values():
        if not c.may_match(chars):
            continue
        for m in c.pattern.finditer(text):
            if m.end() > m.start():
                raw.append((m.start(), m.end(), c.id))
    blockers = [(a, b) for a, b, cid in raw if lex.concepts[cid].kind == "blocker"]
    kept = [r for r in raw if lex.concepts[r[2]].kind != "blocker" and not any(r[0] < b and a < r[1] for a, b in blockers)]
    # a longer match of another concept that contains this one wins (眼皮抽搐 over 抽搐, 中风后遗症 over 中风)
    out = []
    for a, b, cid in kept:
        # 突然 inside a severe 蛋蛋突然剧痛 still says the onset was sudden (not inside 胸口突然疼了一下)
        if any(a2 <= a and b <= b2 and (b2 - a2) > (b - a) and not (cid in _KEEP_INSIDE and _SEVERE_RE.search(text[a2:b2]))
               for a2, b2, c2 in kept if c2 != cid):
            continue
        if any(c2 == cid and a2 <= a and b <= b2 and (a2, b2) != (a, b) for a2, b2, c2 in kept):
            continue
        if (a, b, cid) not in out:
            out.append((a, b, cid))
    # one finding per concept per overlapping region
    out.sort()
    return out


_KEEP_INSIDE = {"onset_sudden"}  # modifiers that keep their meaning inside a longer finding
_LIST_JOIN_RE = re.compile(r"^[\s、,/和或及与跟也还]*$|^\s*(?:or|and|nor)\s*$")


def _negated(text: str, clause: tuple[int, int], a: int, b: int, term_spans: list[tuple[int, int]]) -> bool:
    prefix_start = clause[0]
    # 不是突然的头疼: a finding between the cue and this one takes the negation, unless they form a list
    between = [(s, e) for s, e in term_spans if prefix_start <= s and e <= a]
    if between:
        last_end = max(e for _, e in between)
        if not _LIST_JOIN_RE.match(text[last_end:a]):
            prefix_start = max(prefix_start, last_end)
    prefix = text[prefix_start:a]

    def inside_term(i: int, j: int) -> bool:
        return any(s <= i and j <= e for s, e in term_spans)

    def question_form(gi: int, cue: str) -> bool:
        # 是不是 / 会不会 / 有没有: a question, not a denial
        before = text[gi - 1:gi] if gi > 0 else ""
        after = text[gi + len(cue):gi + len(cue) + 1]
        return (cue.startswith("不") and before and before == (cue[1:2] or after)) or (cue.startswith("没") and before == "有")

    for cue in _NEG_WIDE:
        i = prefix.rfind(cue)
        while i >= 0:
            gi = prefix_start + i
            rest = text[gi + len(cue):]
            if (not inside_term(gi, gi + len(cue)) and not rest.startswith(_NEG_WIDE_EXCEPT)
                    and not question_form(gi, cue) and (a - (gi + len(cue))) <= 12):
                # 没 inside 没有 is the same cue; 不 handled below
                return True
            i = prefix.rfind(cue, 0, i)
    i = prefix.rfind("不")
    while i >= 0:
        gi = prefix_start + i
        rest = text[gi + 1:]
        if (not inside_term(gi, gi + 1) and not rest.startswith(_NEG_NARROW_EXCEPT)
                and not question_form(gi, "不") and (a - gi - 1) <= 3):
            return True
        i = prefix.rfind("不", 0, i)
    for m in _EN_NEG_RE.finditer(prefix):
        gs, ge = prefix_start + m.start(), prefix_start + m.end()
        if inside_term(gs, ge):
            continue
        if len(text[ge:a].split()) <= 6:
            return True
    tail = text[b:clause[1]]
    if _POST_NEG_RE.match(tail) or _EN_POST_NEG_RE.match(tail):
        return True
    return False


def _severity(text: str, clause: tuple[int, int], a: int, b: int) -> str | None:
    wide = text[a:b].isascii()
    window = text[max(clause[0], a - (24 if wide else 8)):min(clause[1], b + (24 if wide else 10))]
    mild_spans = [m.span() for m in _MILD_RE.finditer(window)]
    severe = [m.span() for m in _SEVERE_RE.finditer(window) if not any(s <= m.start() < e for s, e in mild_spans)]
    if severe:
        return "severe"
    if mild_spans:
        return "mild"
    return None


def extract(text: str, lexicon: Lexicon | None = None) -> Extraction:
    lex = lexicon or get_lexicon()
    t = normalize(text)
    lang = "zh" if re.search(r"[\u4e00-\u9fff]", t) else "en"
    clauses = _clauses(t)
    sentences = _sentences(t)
    matches = _match_all(t, lex)
    term_spans = [(a, b) for a, b, _ in matches]
    ex = Extraction(text=t, lang=lang)

    clause_has_finding = {c: False for c in clauses}
    for a, _b, cid in matches:
        if lex.concepts[cid].kind in ("symptom", "condition"):
            clause_has_finding[_containing(clauses, a)] = True

    for a, b, cid in matches:
        concept = lex.concepts[cid]
        clause = _containing(clauses, a)
        ctext = t[clause[0]:clause[1]]
        negated = _negated(t, clause, a, b, term_spans)
        current_cue = bool(_CURRENT_RE.search(ctext))
        history = False
        if concept.kind in ("symptom", "condition", "modifier"):
            # a time word inside a finding is part of its words (晕过去 is not 过去 'in the past')
            def outside(m: re.Match[str], c0: int = clause[0]) -> bool:
                return not any(s <= c0 + m.start() and c0 + m.end() <= e for s, e in term_spans)
            hist_ms = [m for m in _HISTORY_RE.finditer(ctext) if outside(m)]
            strong = bool(any(outside(m) for m in _STRONG_HISTORY_RE.finditer(ctext)) or re.match(r"过(?!敏|去)", t[b:b + 2]))
            if strong:
                history = True
            elif hist_ms:
                # the time word nearest the finding decides: 去年昏迷 … 现在想复查 is history
                hist_d = min(abs(m.start() - (a - clause[0])) for m in hist_ms)
                cur = [abs(m.start() - (a - clause[0])) for m in _CURRENT_RE.finditer(ctext)]
                history = not cur or hist_d < min(cur)
            # a disease named in a follow-up request (想约复查, 来开药) is history unless the clause says now
            sent = _containing(sentences, a)
            if concept.kind == "condition" and not current_cue and _FOLLOWUP_RE.search(t[sent[0]:sent[1]]):
                history = True
            if history:
                # 以前胸痛，现在又犯了: recurrence in a later clause of the same sentence makes it current
                idx = clauses.index(clause)
                for nxt in clauses[idx + 1: idx + 3]:
                    if nxt[0] >= sent[1]:
                        break
                    if _RECUR_RE.search(t[nxt[0]:nxt[1]]) and not clause_has_finding[nxt]:
                        history = False
        hypothetical = bool(_HYPO_ALL_RE.search(ctext))
        if not hypothetical and concept.kind == "condition" and _HYPO_DISEASE_RE.search(ctext) and not re.search(r"了|(?<![a-z])(?:has|is having|had)(?![a-z])", t[b:b + 2]):
            hypothetical = True
        ex.findings.append(Finding(
            concept=cid, start=a, end=b, text=t[a:b], negated=negated, history=history,
            hypothetical=hypothetical, severity=_severity(t, clause, a, b),
        ))

    # a fever that has gone (烧退了) is history, and so is its temperature
    if "fever_resolved" in ex.current():
        ex.findings = [Finding(**{**asdict(f), "history": True}) if f.concept == "fever" else f for f in ex.findings]
    # the patient (生完孩子 / 带孩子 name no sick child)
    t_subj = re.sub(r"(生完|生了|生|带|怀|怀着|想要)(了)?(孩子|宝宝|小孩|二胎|娃)", "＿＿＿＿", t)
    t_subj = re.sub(r"(?:孩子|孩|娃|小孩)(?:他|她)(?:爸|妈|爹|娘)", lambda m: ("老公" if m.group(0)[-1] in "爸爹" else "老婆") + "＿" * (len(m.group(0)) - 2), t_subj)
    # family named as absent (闺女不在家，我一个人) is not the patient
    t_subj = _ABSENT_FAMILY_RE.sub(lambda m: "＿" * len(m.group(0)), t_subj)
    # an old person addressing the assistant (闺女，我这血压… / 姑娘啊，俺头晕) speaks of themselves
    t_subj = _VOCATIVE_RE.sub(lambda m: "＿" * len(m.group(1)) + m.group(0)[len(m.group(1)):], t_subj)
    first: tuple[int, str] | None = None
    for name, rx in _SUBJECTS:
        m = rx.search(t_subj)
        if m and (first is None or m.start() < first[0]):
            first = (m.start(), name)
    if first:
        ex.subject = first[1]
    temp, temp_spans = numbers.parse_temperature(t)
    ex.temp_c = None if "fever_resolved" in ex.current() else temp
    ages, age_spans = numbers.parse_ages(t)
    gest, gest_spans = numbers.parse_gestation(t)
    if ages:
        if ex.subject == "child":
            kids = [x for x in ages if x < 14]
            ex.age_years = kids[0] if kids else ages[0]
        else:
            ex.age_years = ages[0]
    ex.gest_weeks = gest
    preg = [f for f in ex.findings if f.concept == "pregnancy"]
    if any(f.current for f in preg) and "not_pregnant" not in ex.current():
        ex.pregnant = True
    elif preg and all(f.negated for f in preg) or "not_pregnant" in ex.current():
        ex.pregnant = False
    if ex.pregnant and gest is None:
        ex.gest_weeks = None
    dur, _ = numbers.parse_duration(t, temp_spans + age_spans + gest_spans)
    ex.duration_h = dur
    ex.pain_score = numbers.parse_pain_score(t)
    fem, male = _FEMALE_RE.search(t_subj), _MALE_RE.search(t_subj)
    if ex.subject in ("child", "parent", "spouse", "other"):
        rx_subject = dict(_SUBJECTS)[ex.subject]
        m = rx_subject.search(t_subj)
        word = m.group(0) if m else ""
        if _FEMALE_RE.fullmatch(word) or any(k in word for k in ("妈", "母", "奶", "婆", "娘", "姥姥", "女", "wife", "mom", "mum", "mother", "daughter", "girl", "grandma", "grandmother", "媳妇", "老婆", "妻")):
            ex.sex = "F"
        elif any(k in word for k in ("爸", "父", "爷", "公", "爹", "老头", "儿子", "孙子", "husband", "dad", "father", "son", "boy", "grandpa", "grandfather", "老公", "丈夫")):
            ex.sex = "M"
    if ex.sex is None:
        if fem and not male:
            ex.sex = "F"
        elif male and not fem:
            ex.sex = "M"
    if ex.pregnant:
        ex.sex = "F"
    return ex


# Findings that describe context (who, when, a wish), not a symptom the patient has.
CONTEXT_CONCEPTS = frozenset({
    "onset_sudden", "exertional", "no_injury", "pregnancy", "pregnancy_question", "not_pregnant", "checkup",
    "tcm_words", "rehab_words", "unsure", "metaphor", "well_appearing", "fever_resolved", "chronic_meds",
    "elderly_word", "stroke_history_words", "pneumothorax_words",
})


def has_current_symptom(text: str) -> bool:
    """True when the text describes a symptom the patient has now (not denied, past or hypothetical)."""
    return bool(extract(text).current() - CONTEXT_CONCEPTS)


def describes_patient(text: str) -> bool:
    """True when the text tells who the patient is: an age (七十八了, 今年三十五, 6 years old) or sex."""
    ex = extract(text)
    return ex.age_years is not None or ex.sex is not None


def mentions_condition(text: str) -> bool:
    """True when the text names a symptom or condition, now or in the past (not denied or hypothetical)."""
    return bool(extract(text).anytime())
