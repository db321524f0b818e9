"""Triage assessment: red flags first, then an interview of at most three questions, then level and department.

``assess(text, state, hospital)`` is called once per patient turn with the state it returned last
time. A red flag ends the interview at once (no questions). Otherwise it asks for what is missing
(the complaint, a child's age, the temperature, how long, danger signs) and then decides the level
(``urgent`` / ``routine`` / ``self_care``) and a department the patient may attend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.hospital import HospitalData
from assistant.safety.redflags import RedFlagHit, check_extraction
from assistant.services.triage import numbers, routing
from assistant.services.triage.extract import Extraction, extract
from assistant.services.triage.lexicon import get_lexicon

MAX_QUESTIONS = 3
LEVEL_ORDER = ("self_care", "routine", "urgent", "emergency")

QUESTIONS: dict[str, tuple[str, str]] = {
    "complaint": ("请问主要是哪里不舒服?有什么症状?", "What is the main problem? Please describe the symptoms."),
    "age": ("请问孩子多大了?", "How old is the child?"),
    "temp": ("最高烧到多少度?", "What is the highest temperature you measured?"),
    "duration": ("这种情况持续多久了?", "How long has this been going on?"),
    "danger": (
        "有没有以下情况:呼吸困难、大汗、精神很差或叫不醒、抽搐、持续呕吐、剧烈疼痛?",
        "Is there any trouble breathing, heavy sweating, extreme drowsiness, a seizure, constant vomiting or severe pain?",
    ),
}

# Concepts that are mild on their own and fit home care.
SELF_CARE_OK = {"cold", "cough", "runny_nose", "sore_throat", "fatigue", "headache", "nausea_vomiting", "diarrhea",
                "insect_bite", "bee_sting", "abrasion", "sprain", "constipation", "eyelid_twitch", "leg_cramp", "cramp_or_seizure",
                "motion_sickness", "nosebleed", "bloating", "skin", "dizziness", "allergy"}
BUMP_ON_SEVERE = {"headache", "abdominal_pain", "lower_abdominal_pain", "back_pain", "joint_pain", "dental", "ear_sx", "eye_sx",
                  "dyspnea", "dizziness", "nausea_vomiting", "diarrhea", "neck_shoulder", "sore_throat", "hematuria", "urinary_sx"}
_NO_DURATION = {"growth", "feeding", "insect_bite", "abrasion", "bee_sting", "motion_sickness", "leg_cramp", "cramp_or_seizure", "eyelid_twitch", "sprain", "fall"}
_REQUEST_RE = re.compile(r"想(要)?(配|看|咨询|调理|调整|做|约|挂|开|复查|查|治疗|预约|备孕|问问|了解)|需要(看|挂)|复查|随访|复诊|开药|配药|体检|"
                         r"(?<![a-z])(?:want to|would like to|wants to|need to book|book|follow-up|follow up|check-up|checkup|rehab)(?![a-z])")
_DANGER_TOPICS = {"chest_pain", "fever", "headache", "abdominal_pain", "lower_abdominal_pain", "nausea_vomiting", "diarrhea", "dizziness"}
# The complaint is getting worse (越来越重 / 一天比一天厉害 / getting worse): not one to watch at home.
_WORSENING_RE = re.compile(
    r"(?<![没不未])(?:越来越(?:重|厉害|严重|多|频繁|疼|痛|难受|高|差)|(?<!没有)加重|(?<!没有)恶化|更(?:重|厉害|严重|疼|痛)了"
    r"|一天比一天(?:重|厉害|严重|差))"
    r"|(?<![a-z])(?:getting worse|gets worse|got worse|worse and worse|worsening)(?![a-z])", re.I)
_HYPOTHETICAL_WORSE_RE = re.compile(r"如果|万一|要是|假如|会不会|(?<![a-z])if(?![a-z])", re.I)
_NO_RE = re.compile(r"^\s*(没有|没|都没有|都没|无|不是|不|没什么|也没有|no|none|nope|nothing|neither|not really)\b|^(没有|没|都没有|无|不)")
_UNKNOWN_RE = re.compile(
    r"不知道|不晓得|不清楚|说不清|记不清|记不得|不记得|忘了|说不准|不确定|没(有)?(量|测|试)|没(有)?体温计|没温度计"
    r"|(?<![a-z])(?:don'?t know|do not know|not sure|no idea|can'?t remember|cannot remember|don'?t remember|unsure"
    r"|(?:haven'?t|have not|didn'?t|did not|never) (?:checked|check|measured|measure|taken|take|got|had)|no thermometer)(?![a-z])", re.I)
# Taking a blood thinner (antiplatelet or anticoagulant): bleeding on it is not for home care.
_ANTITHROMBOTIC_RE = re.compile(
    r"阿司匹林|氯吡格雷|替格瑞洛|华法林|利伐沙班|达比加群|阿哌沙班|艾多沙班|肝素|抗凝药|抗血小板|波立维|拜阿司匹灵"
    r"|(?<![a-z])(?:aspirin|clopidogrel|plavix|ticagrelor|warfarin|coumadin|rivaroxaban|xarelto|apixaban|eliquis|dabigatran|heparin"
    r"|blood thinners?|anticoagulants?)(?![a-z])", re.I)
_BLEED_WORDS = r"出血|流血|渗血|便血|尿血|咳血|吐血|呕血|黑便|血尿|瘀斑|淤青|淤斑|紫癜|血止不住|bleed(?:ing|s)?|bruis(?:es|ing)|blood in"
_BLEEDING_RE = re.compile(_BLEED_WORDS, re.I)
_NO_BLEEDING_RE = re.compile(r"(?:没有|没|无|未|不|(?<![a-z])(?:no|not|without|any)(?![a-z]))[^，。,.;；!?]{0,6}?(?:" + _BLEED_WORDS + ")", re.I)


@dataclass
class TriageOutcome:
    level: str | None
    department: str | None
    red_flags: list[str]
    question: dict[str, str] | None
    state: dict[str, Any]
    hits: list[RedFlagHit] = field(default_factory=list)
    advice_zh: str = ""
    advice_en: str = ""
    watch_zh: str = ""
    watch_en: str = ""

    def advice(self, lang: str) -> str:
        return self.advice_en if lang == "en" else self.advice_zh

    def watch(self, lang: str) -> str:
        return self.watch_en if lang == "en" else self.watch_zh

    @property
    def emergency(self) -> bool:
        return self.level == "emergency"


def _answer(pending: str | None, text: str, ex: Extraction, st: dict[str, Any]) -> None:
    """Read a short answer to the question asked last turn (5岁, 38.5, 两天, 没有)."""
    t = ex.text
    if pending == "age" and ex.age_years is None:
        m = re.search(numbers.NUM + r"\s*个?\s*(多|半)?\s*(月|岁|天|周|months?|years?|weeks?|days?)?", t)
        if m:
            v = numbers.cn_number(m.group(1))
            unit = m.group(3) or "岁"
            if v is not None:
                st["age_years"] = v / 12 if unit.startswith(("月", "month")) else v / 365 if unit.startswith(("天", "day")) else v / 52 if unit.startswith(("周", "week")) else v
    if pending == "age" and ex.age_years is None and st.get("age_years") is None and _UNKNOWN_RE.search(t):
        st["age_unknown"] = True  # 不清楚多大: move on, the child is still a child
    if pending == "temp" and ex.temp_c is None:
        m = re.search(numbers.NUM, t)
        v = numbers.cn_number(m.group(1)) if m else None
        if v is not None and 34 <= v <= 43.5:
            st["temp_c"] = float(v)
        elif v is not None and 95 <= v <= 110 and not re.search(r"岁|years?|yo\b", t, re.I):
            st["temp_c"] = round((v - 32) * 5 / 9, 1)  # 102 (°F)
        elif _UNKNOWN_RE.search(t):
            st["temp_unknown"] = True  # 没量过 / haven't checked: assess without it, do not ask again
        elif v is not None and ex.age_years is None and not ex.findings:
            st["temp_unclear"] = m.group(1) if m else ""  # 七十六: not a temperature; ask once more
    if pending == "duration" and ex.duration_h is None:
        dur, _ = numbers.parse_duration(t, [])
        if dur is not None:
            st["duration_h"] = dur
        elif _UNKNOWN_RE.search(t):
            st["duration_unknown"] = True
    if pending == "danger" and not ex.current() and (_NO_RE.search(t) or _UNKNOWN_RE.search(t)):
        st["danger_denied"] = True


def _merge(ex: Extraction, st: dict[str, Any], hospital: HospitalData) -> None:
    lex = get_lexicon()
    findings = set(st.get("findings", []))
    conditions = set(st.get("conditions", []))
    related = dict(st.get("related", {}))
    severe = set(st.get("severe", []))
    mild = set(st.get("mild", []))
    negated = set(st.get("negated", []))
    for f in ex.findings:
        kind = lex.concepts[f.concept].kind
        if f.negated:
            negated.add(f.concept)
            continue
        w = 1.0 if f.current else 0.6
        related[f.concept] = max(related.get(f.concept, 0.0), w)
        if f.current:
            findings.add(f.concept)
            negated.discard(f.concept)
            if f.severity == "severe":
                severe.add(f.concept)
            elif f.severity == "mild":
                mild.add(f.concept)
        elif kind == "condition" and f.history:
            conditions.add(f.concept)
    st["findings"], st["conditions"], st["related"] = sorted(findings), sorted(conditions), related
    st["severe"], st["mild"], st["negated"] = sorted(severe), sorted(mild), sorted(negated)
    st["mentions"] = list(dict.fromkeys(st.get("mentions", []) + routing.department_mentions(ex.text, hospital)))
    for key in ("age_years", "gest_weeks", "duration_h", "pain_score"):
        v = getattr(ex, key)
        if v is not None:
            st[key] = v
    if ex.temp_c is not None:
        st["temp_c"] = max(ex.temp_c, st.get("temp_c") or 0)
    if "fever_resolved" in ex.current():
        st.pop("temp_c", None)
        st["findings"] = [c for c in st["findings"] if c != "fever"]
    if ex.subject != "self" or "subject" not in st:
        st["subject"] = ex.subject if ex.subject != "self" else st.get("subject", "self")
    if ex.sex:
        st["sex"] = ex.sex
    if ex.pregnant is not None:
        st["pregnant"] = ex.pregnant
    if (st.get("temp_c") or 0) >= 37.3 and "fever" not in st["findings"]:
        st["findings"] = sorted(set(st["findings"]) | {"fever"})
        st["related"]["fever"] = 1.0
    if _REQUEST_RE.search(ex.text):
        st["request"] = True
    if _WORSENING_RE.search(ex.text) and not _HYPOTHETICAL_WORSE_RE.search(ex.text):
        st["worsening"] = True
    history = set(st.get("history", []))
    history |= {f.concept for f in ex.findings if f.history and not f.negated and not f.hypothetical}
    st["history"] = sorted(history)
    if "well_appearing" in ex.current():
        st["well"] = True
    if _ANTITHROMBOTIC_RE.search(ex.text):
        st["antithrombotic"] = True
    if _BLEEDING_RE.search(_NO_BLEEDING_RE.sub(" ", ex.text)):
        st["bleeding"] = True


def _child(st: dict[str, Any]) -> bool:
    age = st.get("age_years")
    return age < 14 if age is not None else st.get("subject") == "child"


def _fever(st: dict[str, Any]) -> bool:
    if "fever" in st.get("negated", []) and "fever" not in st.get("findings", []):
        return False
    return "fever" in st.get("findings", []) or (st.get("temp_c") or 0) >= 37.3


def _next_question(st: dict[str, Any]) -> str | None:
    asked = st.get("asked", [])
    if st.get("antithrombotic") and st.get("bleeding"):
        return None  # bleeding on a blood thinner: be seen today, no questions first
    if len(asked) >= MAX_QUESTIONS:
        return None
    lex = get_lexicon()
    substantive = [c for c in st["findings"] if lex.concepts[c].kind in ("symptom", "condition")]
    wanted: list[str] = []
    if not substantive and not st.get("conditions") and not st.get("mentions") and not (st.get("history") and st.get("request")):
        wanted.append("complaint")
    else:
        if st.get("subject") == "child" and st.get("age_years") is None and "pediatrics" not in st.get("mentions", []):
            wanted.append("age")
        if _fever(st) and st.get("temp_c") is None:
            wanted.append("temp")
        symptoms = [c for c in substantive if lex.concepts[c].kind == "symptom"
                    and (lex.concepts[c].base in ("self_care", "routine") or c in ("chest_pain", "fever"))]
        if (symptoms and st.get("duration_h") is None and not set(substantive) & _NO_DURATION
                and not st.get("request")):
            wanted.append("duration")
        topics = set(substantive) & _DANGER_TOPICS
        provisional = _level(st, [])
        if (topics and not st.get("well") and not st.get("danger_denied") and provisional != "urgent" and not st.get("request")
                and (_child(st) or _fever(st) or (st.get("age_years") or 0) >= 65 or "chest_pain" in topics)):
            wanted.append("danger")
    for q in wanted:
        if q not in asked:
            return q
    return None


def _bump(level: str) -> str:
    return LEVEL_ORDER[min(LEVEL_ORDER.index(level) + 1, 2)]


def _level(st: dict[str, Any], hits: list[RedFlagHit]) -> str:
    lex = get_lexicon()
    if any(h.level == "emergency" for h in hits):
        return "emergency"
    if hits:
        return "urgent"
    if st.get("antithrombotic") and st.get("bleeding"):
        return "urgent"  # bleeding while on aspirin / warfarin: to be seen today
    current = [c for c in st["findings"] if lex.concepts[c].kind in ("symptom", "condition")]
    if "insect_bite" in current or "bee_sting" in current:
        current = [c for c in current if c != "skin"]
    age = st.get("age_years")
    child = _child(st)
    dur = st.get("duration_h")
    if _fever(st):
        temp = st.get("temp_c")
        others = set(current) - {"fever"}
        mild_fever = temp is not None and temp < 38.5 or (temp is None and "低烧" in "".join(st.get("texts", [])))
        if (mild_fever and (dur is None or dur <= 48) and not (child and age is not None and age < 3) and not st.get("worsening")
                and (age is None or age < 65) and not st.get("pregnant") and others <= SELF_CARE_OK):
            return "self_care"
        return "urgent"
    if not current:
        return "routine"
    bases = [lex.concepts[c].base or "routine" for c in current]
    level = max(bases, key=LEVEL_ORDER.index)
    if "chest_pain" in current and ("chest_pain" in st.get("mild", []) or "exertional" in st["findings"]):
        level = max((b for c, b in zip(current, bases, strict=True) if c != "chest_pain"), key=LEVEL_ORDER.index, default="routine")
        level = max(level, "routine", key=LEVEL_ORDER.index)
    if level == "self_care" and not set(current) <= SELF_CARE_OK:
        level = "routine"
    if set(st.get("severe", [])) & set(current) & BUMP_ON_SEVERE:
        level = _bump(level)
    if level == "self_care":
        if st.get("worsening"):
            level = "routine"  # home care is for what is settling, not for what is getting worse
        elif dur is not None and dur >= 7 * 24:
            level = "routine"
        elif (child and age is not None and age < 1) or st.get("pregnant") or (age is not None and age >= 75):
            level = "routine"
    if level == "routine" and dur is not None and dur > 14 * 24 and set(current) <= {"cough"}:
        level = "routine"
    return level


def _department(st: dict[str, Any], hits: list[RedFlagHit], hospital: HospitalData, level: str) -> str:
    age, child, sex = st.get("age_years"), _child(st), st.get("sex")
    if hits:
        top = hits[0]
        if st.get("pregnant"):
            top = next((h for h in hits if h.department == "obstetrics" and h.level == top.level), top)
        dept = top.department
        if top.rule_id == "obstetric_warning":
            gw = st.get("gest_weeks")
            return "obstetrics" if gw is not None and gw >= 20 else "emergency"
        if level != "emergency" and dept not in ("emergency", "fever_clinic"):
            if dept == "fever_clinic" or (top.rule_id == "high_fever" and child):
                return "pediatrics" if child else "fever_clinic"
            if not routing.accepts(hospital, dept, age if age is not None else (5.0 if child else None), sex):
                return "pediatrics" if child else "general_practice"
        if top.rule_id == "high_fever":
            return "pediatrics" if child else "fever_clinic"
        return dept
    lex = get_lexicon()
    scores: dict[str, float] = {}
    for cid, w in st.get("related", {}).items():
        for dept, dw in lex.concepts[cid].depts.items():
            scores[dept] = scores.get(dept, 0.0) + dw * w
    for i, dept in enumerate(st.get("mentions", [])):
        scores[dept] = scores.get(dept, 0.0) + 6.0 - 0.1 * i
    return routing.choose(
        scores, hospital, age=age, child=child, sex=sex, fever=_fever(st), pregnant=bool(st.get("pregnant")),
        concepts=set(st["findings"]),
    )


# ---- what to say -----------------------------------------------------------------------------
_CARE = {
    "cold": ("多休息、多喝温水,注意保暖", "rest, drink plenty of warm fluids and keep warm"),
    "cough": ("多喝温水,保持室内空气湿润,避免烟雾刺激", "drink warm fluids, keep the air humid and avoid smoke"),
    "runny_nose": ("多休息,可用生理盐水清洁鼻腔", "rest and rinse the nose with saline"),
    "sore_throat": ("多喝温水,清淡饮食,少说话", "drink warm fluids, eat soft food and rest your voice"),
    "diarrhea": ("少量多次补充水分,清淡饮食", "drink small amounts of fluid often and eat light food"),
    "nausea_vomiting": ("少量多次补充水分,清淡饮食", "sip fluids often and eat light food"),
    "insect_bite": ("不要抓挠,可以冷敷止痒,保持皮肤清洁", "do not scratch; a cold compress eases the itch; keep the skin clean"),
    "bee_sting": ("尽快拔出蜂刺,用清水冲洗并冷敷", "remove the sting, rinse with water and apply a cold compress"),
    "abrasion": ("用清水冲洗伤口,保持清洁干燥", "rinse the graze with clean water and keep it clean and dry"),
    "sprain": ("休息、冷敷、加压包扎、抬高患处", "rest, ice, compression and elevation"),
    "constipation": ("多喝水、多吃蔬菜水果,适当活动", "drink more water, eat vegetables and fruit, stay active"),
    "eyelid_twitch": ("注意休息,减少看屏幕的时间", "rest and cut down screen time"),
    "leg_cramp": ("轻轻拉伸小腿,注意保暖", "gently stretch the calf and keep warm"),
    "cramp_or_seizure": ("轻轻拉伸抽筋的肌肉,注意保暖;如果是全身抽动或叫不醒,请立即拨打120", "gently stretch the cramped muscle and keep warm; if the whole body jerks or the person cannot be woken, call 120"),
    "motion_sickness": ("乘车时看远处,保持通风", "look at the horizon and keep fresh air flowing"),
    "fever": ("多休息、多喝水,穿着不要过厚,定时测体温", "rest, drink plenty, do not over-dress and check the temperature regularly"),
    "nosebleed": ("身体前倾,捏住鼻翼两侧压迫10分钟", "lean forward and pinch the soft part of the nose for 10 minutes"),
}
_WATCH = [
    ("pregnancy", {"pregnancy"}, "孕期出现腹痛、阴道流血或流液、胎动减少、头痛眼花,请直接到产科急诊",
     "in pregnancy: abdominal pain, bleeding or leaking fluid, fewer baby movements, headache with blurred vision — go to the obstetric emergency"),
    ("child", set(), "孩子精神很差或叫不醒、呼吸急促或费力、嘴唇发紫、抽搐、持续呕吐不能进食进水,请立即到儿童急诊或拨打120",
     "a child who is very drowsy or hard to wake, breathes fast or with effort, has blue lips, a seizure, or cannot keep fluids down — go to the pediatric emergency or call 120"),
    ("fever", {"fever"}, "体温持续39℃以上不退、出现皮疹按压不褪色、脖子发硬、意识改变或呼吸困难,请立即到急诊",
     "a temperature above 39 °C that will not come down, a rash that does not fade under pressure, a stiff neck, confusion or trouble breathing — go to the emergency department"),
    ("chest", {"chest_pain", "palpitations", "hypertension", "heart_condition"}, "胸痛持续超过15分钟、伴大汗、呼吸困难或晕厥,请立即拨打120",
     "chest pain lasting over 15 minutes, or with sweating, breathlessness or fainting — call 120"),
    ("neuro", {"headache", "dizziness", "numbness", "balance_loss"}, "突发剧烈头痛、口角歪斜、一侧肢体无力或说话不清,请立即拨打120",
     "a sudden severe headache, a drooping face, weakness on one side or slurred speech — call 120"),
    ("gi", {"abdominal_pain", "nausea_vomiting", "diarrhea", "bloating", "heartburn", "lower_abdominal_pain", "constipation"},
     "腹痛明显加重、呕血或黑便、持续呕吐、口干尿少,请到急诊", "worsening abdominal pain, vomiting blood or black stools, constant vomiting, a dry mouth and little urine — go to the emergency department"),
    ("resp", {"cough", "dyspnea", "sore_throat", "cold", "runny_nose"}, "出现呼吸困难、嘴唇发紫或咳血,请立即到急诊",
     "trouble breathing, blue lips or coughing up blood — go to the emergency department"),
    ("skin", {"skin", "insect_bite", "bee_sting", "allergy"}, "出现喉咙发紧、呼吸困难、嘴唇或舌头肿胀、全身风团,请立即到急诊",
     "throat tightness, trouble breathing, swollen lips or tongue, or hives all over — go to the emergency department"),
]
_GENERAL_WATCH = ("如果症状明显加重,或出现胸痛、呼吸困难、意识改变,请立即到急诊或拨打120。",
                  "If it gets much worse, or chest pain, trouble breathing or confusion appear, go to the emergency department or call 120.")


def _watch(st: dict[str, Any]) -> tuple[str, str]:
    items = []
    current = set(st.get("findings", []))
    for name, concepts, zh, en in _WATCH:
        if (name == "child" and _child(st)) or (name == "pregnancy" and st.get("pregnant")) or (concepts & current and name not in ("child", "pregnancy")):
            items.append((zh, en))
        if len(items) == 2:
            break
    zh = ";".join(z for z, _ in items)
    en = "; ".join(e for _, e in items)
    return ((zh + "。" if zh else "") + _GENERAL_WATCH[0], (en[:1].upper() + en[1:] + ". " if en else "") + _GENERAL_WATCH[1])


def _advice(level: str, dept_id: str, st: dict[str, Any], hits: list[RedFlagHit], hospital: HospitalData) -> tuple[str, str]:
    dept = hospital.departments.get(dept_id)
    name_zh = dept.name_zh if dept else dept_id
    name_en = dept.name_en if dept else dept_id
    if hits:
        return hits[0].advice_zh, hits[0].advice_en
    if level == "self_care":
        tips = [(z, e) for c, (z, e) in _CARE.items() if c in st.get("findings", [])][:2]
        zh = ";".join(z for z, _ in tips) or "注意休息,观察症状变化"
        en = "; ".join(e for _, e in tips) or "rest and watch how it develops"
        return (f"目前可以先在家护理:{zh}。如果2-3天没有好转或加重,请到{name_zh}就诊。",
                f"You can look after this at home for now: {en}. If it is not better in 2-3 days or gets worse, see {name_en}.")
    if level == "urgent":
        return (f"建议今天就诊,到{name_zh}。", f"Please be seen today, at {name_en}.")
    return (f"建议预约{name_zh}门诊。", f"Please book an outpatient appointment with {name_en}.")


def assess(text: str, state: dict[str, Any] | None, hospital: HospitalData) -> TriageOutcome:
    """One interview turn: merge this text into ``state``; return a level and department or the next question."""
    st: dict[str, Any] = {k: v for k, v in (state or {}).items()}
    st.setdefault("asked", [])
    ex = extract(text)
    pending = st.get("pending")
    _answer(pending, text, ex, st)
    st.pop("pending", None)
    unclear = st.pop("temp_unclear", None)
    if unclear is not None and pending == "temp" and not st.get("temp_reasked"):
        # 七十六 to "最高烧到多少度?": not a temperature (an age?) — ask again, once, saying why
        st["temp_reasked"] = True
        st["pending"] = "temp"
        zh = f"“{unclear}”不像是体温(正常体温大约36-37℃)。请问最高烧到多少度?例如38.5;如果没量过,说“没量过”就可以。"
        en = (f"“{unclear}” does not look like a temperature (normal is about 36-37 °C). What was the highest temperature? "
              "For example 38.5; if you did not measure it, just say so.")
        return TriageOutcome(level=None, department=None, red_flags=[], question={"id": "temp", "zh": zh, "en": en}, state=st)
    _merge(ex, st, hospital)
    if re.search(r"低烧|低热|low[- ]grade", ex.text):
        st["low_fever"] = True
    hits = check_extraction(ex, {k: st.get(k) for k in ("findings", "conditions", "age_years", "subject", "pregnant",
                                                        "gest_weeks", "temp_c", "duration_h", "pain_score", "sex", "mild", "severe")})
    st["red_flags"] = list(dict.fromkeys(st.get("red_flags", []) + [h.rule_id for h in hits]))
    if not any(h.level == "emergency" for h in hits) and not hits:
        q = _next_question(st)
        if q is not None:
            st["asked"] = st["asked"] + [q]
            st["pending"] = q
            zh, en = QUESTIONS[q]
            return TriageOutcome(level=None, department=None, red_flags=[], question={"id": q, "zh": zh, "en": en}, state=st)
    if st.get("low_fever") and st.get("temp_c") is None:
        st["texts"] = ["低烧"]
    level = _level(st, hits)
    st.pop("texts", None)
    dept = _department(st, hits, hospital, level)
    advice_zh, advice_en = _advice(level, dept, st, hits, hospital)
    watch_zh, watch_en = _watch(st)
    st["done"] = True
    return TriageOutcome(level=level, department=dept, red_flags=[h.rule_id for h in hits], question=None, state=st,
                         hits=hits, advice_zh=advice_zh, advice_en=advice_en, watch_zh=watch_zh, watch_en=watch_en)
