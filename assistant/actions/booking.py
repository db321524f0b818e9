"""The booking (挂号) skill as rasa-sdk actions: the booking form (validate, ask, submit) and the
my-appointments, cancel and reschedule actions. Texts in Chinese and English side by side; every turn
that holds, confirms, moves or cancels an appointment carries ``json_message={"appointment": ...}``."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.nlu.person import parse_birth_date, parse_sex
from assistant.safety.pii import (
    HK_MACAU_PERMIT,
    PASSPORT,
    RESIDENT_ID,
    TAIWAN_PERMIT,
    is_valid_document,
    is_valid_id_number,
    is_valid_mobile,
    mask_identifier,
    normalize_mobile,
    parse_document,
)
from assistant.services.booking import rules
from assistant.services.booking.types import Appointment, BookingResult, PatientInfo, Slot, SlotRef
from assistant.services.triage.sources import location_en

log = logging.getLogger(__name__)

FORM = "booking_form"
FORM_SLOTS = [
    "department",
    "doctor",
    "date",
    "session",
    "slot",
    "patient_relationship",
    "patient_name",
    "id_number",
    "birth_date",  # asked only for a passport or permit, and only where the department has an age limit
    "patient_sex",  # likewise, only for the women's departments
    "phone",
    "confirm",
]
# Slots a passport or travel permit leaves to ask (a resident ID gives both).
DOCUMENT_ONLY_SLOTS = ("birth_date", "patient_sex")
HIDDEN_SLOTS = [
    "booking_offers",  # slot keys last offered, numbered from 1
    "booking_doctor_offers",
    "booking_date_offers",
    "booking_session_offers",
    "booking_patient_offers",
    "booking_hold",  # {"id", "slot", "id_number", "name", "phone"} of the current hold
    "booking_result",  # the confirmed appointment (contract shape) for the submit action
    "booking_reschedule_of",  # appointment id being moved
    "booking_skip_ask",  # the validator already said what to do next
    "booking_end",  # the validator ends the form
    "booking_targets",  # appointment ids offered for cancel/reschedule
    "booking_target",  # the appointment chosen for cancel/reschedule
    "id_type",  # the document id_number belongs to: resident_id | passport | hk_macau_permit | taiwan_permit (None: resident_id)
]
FORMS = {FORM: {"required_slots": list(FORM_SLOTS)}}
SLOTS = {name: {"type": "any", "mappings": [{"type": "custom"}]} for name in FORM_SLOTS + HIDDEN_SLOTS}

# What a change of one slot makes stale (corrections at any step: 不对，是后天).
DEPENDENTS = {
    "department": ["doctor", "slot", "confirm"],
    "doctor": ["slot", "confirm"],
    "date": ["slot", "confirm"],
    "session": ["slot", "confirm"],
    "slot": ["confirm"],
    # 不是我，是给我妈挂: another patient, so the name, ID and phone given for the first are stale.
    "patient_relationship": ["patient_name", "id_number", "id_type", "birth_date", "patient_sex", "phone", "confirm"],
    "patient_name": ["confirm"],
    "id_number": ["confirm"],
    "birth_date": ["confirm"],
    "patient_sex": ["confirm"],
    "phone": ["confirm"],
}

RESPONSES: dict[str, dict[str, str]] = {
    "utter_ask_department": {
        "zh": "请问您要挂哪个科室？如果不确定，可以告诉我哪里不舒服，我帮您推荐科室。",
        "en": "Which department would you like to book? If you are not sure, tell me what is wrong and I'll suggest one.",
    },
    "utter_ask_patient_name": {
        "zh": "请告诉我就诊人的姓名（需与证件一致）。",
        "en": "What is the patient's full name (as on the ID card, passport or travel permit)?",
    },
    "utter_ask_id_number": {
        "zh": "请提供就诊人的证件号码（身份证、护照或通行证），挂号实行实名制。用护照或通行证的，请先说证件名称再说号码，比如“护照”加号码。",
        "en": "Please give the patient's ID card, passport or travel permit number; booking is real-name. "
              "For a passport or permit, say which before the number, e.g. \"passport\" and then the number.",
    },
    "utter_ask_birth_date": {
        "zh": "请告诉我就诊人的出生日期（年月日，比如2018年5月3日），用来核对科室的年龄要求。",
        "en": "What is the patient's date of birth (e.g. 2018-05-03)? This department has an age limit.",
    },
    "utter_ask_patient_sex": {
        "zh": "请问就诊人是女性还是男性？这个科室只接诊女性。",
        "en": "Is the patient female or male? This department sees women only.",
    },
    "utter_ask_phone": {
        "zh": "请留一个联系手机号，用于接收预约短信。",
        "en": "Please give a mobile number for the confirmation text message.",
    },
}

SESSION_ZH = {"AM": "上午", "PM": "下午", "NIGHT": "晚上"}
SESSION_EN = {"AM": "morning", "PM": "afternoon", "NIGHT": "evening"}
WEEKDAY_ZH = "一二三四五六日"
TITLE_EN = {"主任医师": "Chief Physician", "副主任医师": "Associate Chief Physician", "主治医师": "Attending Physician", "住院医师": "Resident Physician"}
RELATIONSHIPS = {"self", "mother", "father", "child", "spouse", "grandparent", "grandchild", "sibling", "relative", "other"}
REL_ZH = {"self": "本人", "mother": "母亲", "father": "父亲", "child": "子女", "spouse": "配偶", "grandparent": "祖父母/外祖父母",
          "grandchild": "孙子女", "sibling": "兄弟姐妹", "relative": "亲属", "other": "家人"}
REL_EN = {"self": "yourself", "mother": "your mother", "father": "your father", "child": "your child", "spouse": "your spouse",
          "grandparent": "your grandparent", "grandchild": "your grandchild", "sibling": "your sibling", "relative": "your relative", "other": "a family member"}
_REL_WORDS = [  # family first: 给我妈 names the mother, not the caller
    (re.compile(r"妈|母亲|mother|mom|mum", re.I), "mother"),
    (re.compile(r"爸|父亲|father|dad", re.I), "father"),
    (re.compile(r"孩子|儿子|女儿|小孩|宝宝|child|son|daughter|kid", re.I), "child"),
    (re.compile(r"老婆|老公|爱人|妻子|丈夫|wife|husband|spouse", re.I), "spouse"),
    (re.compile(r"爷爷|奶奶|外公|外婆|姥姥|姥爷|grand(ma|pa|mother|father)", re.I), "grandparent"),
    (re.compile(r"自己|本人|^我$|给我|myself|\bme\b|for me", re.I), "self"),
]
# Common surnames: a bare 2-4 character answer starting with one is taken as a name (张伟 → the patient's name).
_SURNAMES = set("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")
_NAMED = re.compile(r"(?:我叫|我的名字(?:是|叫)|名字(?:是|叫)|姓名[:：]?|my name is|i am|i'm)\s*([\u4e00-\u9fa5·]{2,6}|[A-Za-z][A-Za-z .'-]{1,40}?)(?=$|[，,。.!！\s]|身份证|手机|电话)", re.I)
_ANY_DOCTOR = re.compile(r"随便|都行|都可以|哪个都|任意|无所谓|最早|any(one| doctor)?\b|doesn'?t matter|earliest", re.I)
# A doctor named by surname and title that the NLU did not find in the hospital (换成张医生, Dr Zhang).
_DOCTOR_MENTION = re.compile(
    r"(?:换成|换|改成|改为|改|挂|找|约|要|的)\s*(?P<zh>[\u4e00-\u9fa5]{1,3}?)(?P<title>医生|大夫|主任|教授)|\bdr\.?\s+(?P<en>[a-z]+)", re.I
)
_NOT_A_NAME = re.compile(r"个|一|别|其他|其它|另|哪|女|男|好|专家|老|主治|副|的|位|挂|看|号|科|约|找")
_OTHER_DOCTOR = re.compile(r"换(个|一个|一位|位|别的|其他)医生|别的医生|其他医生|another doctor|different doctor|other doctor", re.I)
# Asked in the middle of a booking: these leave the form for the named action.
# Natural phrasings the dialogue manager's routing regexes should also carry (see the report to the lead):
# 帮我把这个号取消了, 取消刚才的, 刚才那个不要了, 不去了，退了吧 / 帮我看看我有没有预约.
CANCEL_MORE = (r"(号|预约|挂号)(给我|帮我)?.{0,2}(取消|退)(了|掉)?|取消(刚才|刚刚|上次|之前|那个|这个)"
               r"|(刚才|刚刚|之前|上次)(那个|的|约的|挂的)?.{0,4}(不要了|不用了|不去了|取消|退)|不去了.{0,6}退|退了吧|退掉"
               r"|(挂|约|预约)(的|好的|了的)(号|那个号|预约)?.{0,4}(不想去|不打算去|去不了|来不了|不能去|不去|不要)了?"
               r"|(号|预约).{0,2}(不想去|去不了|来不了|不去)了|can'?t (make|come to|go to) (my|the) appointment")
MY_APPTS_MORE = r"我.{0,6}有没有.{0,2}(预约|挂号|约号|挂号记录)|(帮我|给我)(看看|查查|查一下|看一下).{0,8}(预约|挂号)(了|记录)?"
_DELEGATE = [
    (re.compile(r"取消.{0,6}(预约|挂号|号)|退号|cancel (my|the|an?|that) (appointment|booking)|" + CANCEL_MORE, re.I), "cancel"),
    (re.compile(r"改约|调整预约|reschedul|move my appointment|change my appointment", re.I), "reschedule"),
    (re.compile(r"我(约|挂)了(什么|哪|几)|我的(预约|挂号)|查(一下|询)?.{0,4}(预约|挂号)(记录|情况)?|what (have|did) i book|my appointments|"
                + MY_APPTS_MORE, re.I), "mine"),
]
_EXPLICIT_SELF = re.compile(r"我自己|本人|就是我|是我$|给我自己|myself|for me\b|it'?s me|i am the patient", re.I)
UNKNOWN_DOCTOR = "_booking_unknown_doctor"  # in-turn only (never a SlotSet): a doctor named who doesn't exist
_NAME_RE = re.compile(r"^(?:我叫|我是|叫|是|名字是|姓名)?\s*([\u4e00-\u9fa5·]{2,6}|[A-Za-z][A-Za-z .'-]{1,40})\s*[。.!！]?$")


# ---- small helpers -------------------------------------------------------------------------------
_NUMBER_LABELS = re.compile(r"(她|他|我)?的?(身份证(号码?)?|手机(号码?)?|电话(号码?)?|联系方式|id( number)?|phone( number)?)[:：是]?", re.I)
_DOC_LABELS = re.compile(r"(她|他|我)?的?(护照|回乡证|台胞证|(港澳|台湾)?(居民)?(来往|往来)?(内地|大陆)?通行证|证件)(号码?)?[:：是]?"
                         r"|\b(my |his |her )?(passport|(mainland |home[- ]return )?(travel )?permit)( number| no\.?)?( is)?:?", re.I)
_NOT_A_NAME_ANSWER = re.compile(r"^(对|是的?|好的?|不对|不是|确认|取消|算了|ok|yes|no)$", re.I)


def _without_numbers(tracker: Tracker) -> str:
    """The message with its identity and phone numbers (and their labels) taken out: what is left of
    "张三 330106198001011235 13812345678" is the name."""
    text = tracker.latest_message.get("text") or ""
    spans = sorted((e["start"], e["end"]) for e in tracker.latest_message.get("entities") or []
                   if e.get("entity") in ("id_number", "id_number_invalid", "phone", "phone_invalid")
                   and isinstance(e.get("start"), int) and isinstance(e.get("end"), int))
    kind, _, doc = parse_document(text, shape_only=True)
    if doc is not None and all(doc[1] <= s or doc[0] >= e for s, e in spans):
        spans = sorted([*spans, doc])
    for start, end in reversed(spans):
        text = text[:start] + " " + text[end:]
    text = _NUMBER_LABELS.sub(" ", text)
    text = _DOC_LABELS.sub(" ", text)
    return re.sub(r"[\s,，、;；:：]+", " ", text).strip(" 。.!！")

def lang_of(tracker: Tracker) -> str:
    meta = tracker.latest_message.get("metadata") or {}
    return "en" if meta.get("lang") == "en" else "zh"


def channel_of(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("metadata") or {}).get("channel") or "web")


def owner_of(tracker: Tracker) -> str:
    """The booking account: a stable user id from the channel when there is one, else the session."""
    meta = tracker.latest_message.get("metadata") or {}
    return str(meta.get("user_id") or meta.get("external_user") or tracker.sender_id)


def actor_of(tracker: Tracker) -> str:
    return f"patient:{tracker.sender_id}"


def entity(tracker: Tracker, kind: str) -> Any:
    for e in tracker.latest_message.get("entities") or []:
        if e.get("entity") == kind:
            return e.get("value")
    return None


def relationship_entity(tracker: Tracker) -> str | None:
    """The relationship the message names; "not me, my mother" names both, and the family member wins."""
    values = [str(e.get("value")) for e in tracker.latest_message.get("entities") or [] if e.get("entity") == "relationship"]
    others = [v for v in values if v != "self"]
    return others[-1] if others else (values[0] if values else None)


def intent_of(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def choice_of(tracker: Tracker) -> int | None:
    v = entity(tracker, "choice")
    try:
        return int(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def pick(options: list[Any] | None, n: int | None) -> Any:
    if not options or n is None or not 1 <= n <= len(options):
        return None
    return options[n - 1]


def t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def fmt_date(d: date, lang: str) -> str:
    if lang == "en":
        return d.strftime("%a %d %b").replace(" 0", " ")
    return f"{d.month}月{d.day}日（周{WEEKDAY_ZH[d.weekday()]}）"


def fmt_clock(dt: datetime, lang: str) -> str:
    if lang == "en":
        return dt.strftime("%H:%M")
    h = dt.hour if dt.hour <= 12 else dt.hour - 12
    return f"{h}点" if dt.minute == 0 else f"{h}点{dt.minute:02d}分"


def fmt_fee(fee: Decimal) -> str:
    return str(int(fee)) if fee == fee.to_integral_value() else f"{fee:.2f}"


def session_name(session: str, lang: str) -> str:
    return (SESSION_EN if lang == "en" else SESSION_ZH).get(session, session)


class _Texts:
    """Phrases that need the hospital data (department and doctor names)."""

    def __init__(self, services: Any) -> None:
        self.s = services

    def dept(self, dept_id: str | None, lang: str) -> str:
        d = self.s.hospital.departments.get(dept_id or "")
        if d is None:
            return dept_id or ""
        return d.name_en if lang == "en" else d.name_zh

    def doctor(self, doctor_id: str, lang: str) -> str:
        d = self.s.hospital.doctors.get(doctor_id)
        if d is None:
            return doctor_id
        return f"Dr {d.name} ({TITLE_EN.get(d.title, d.title)})" if lang == "en" else f"{d.name}{d.title}"

    def when(self, start: datetime, session: str, lang: str) -> str:
        if lang == "en":
            return f"{fmt_date(start.date(), lang)} at {fmt_clock(start, lang)}"
        return f"{start.month}月{start.day}日（周{WEEKDAY_ZH[start.weekday()]}）{session_name(session, lang)}{fmt_clock(start, lang)}"

    def slot_line(self, s: Slot, lang: str) -> str:
        if lang == "en":
            return f"{self.doctor(s.doctor_id, lang)}, {self.when(s.start, s.ref.session, lang)}, fee {fmt_fee(s.fee)} CNY"
        return f"{self.doctor(s.doctor_id, lang)}，{self.when(s.start, s.ref.session, lang)}，挂号费{fmt_fee(s.fee)}元"

    def appt_line(self, a: Appointment, lang: str) -> str:
        if lang == "en":
            return f"{self.dept(a.dept_id, lang)}, {self.doctor(a.doctor_id, lang)}, {self.when(a.start, a.session, lang)}"
        return f"{self.when(a.start, a.session, lang)} {self.dept(a.dept_id, lang)} {self.doctor(a.doctor_id, lang)}"

    def numbered(self, lines: list[str], lang: str) -> str:
        sep = "\n"
        return sep.join(f"{i}. {line}" for i, line in enumerate(lines, 1))

    def offer_block(self, slots: list[Slot], lang: str) -> tuple[str, list[dict[str, Any]]]:
        lines = [self.slot_line(s, lang) for s in slots]
        choices = [{"n": i, "label": line, "value": s.key} for i, (s, line) in enumerate(zip(slots, lines, strict=True), 1)]
        tail = t(lang, "请说第几个，电话里也可以按对应的数字键。", "Say the number, or press it on the phone keypad.")
        return self.numbered(lines, lang) + "\n" + tail, choices

    def location(self, dept_id: str, lang: str) -> str:
        d = self.s.hospital.departments.get(dept_id)
        if d is None:
            return ""
        return location_en(d) if lang == "en" else f"{d.campus}{d.building}{d.floor}"

    def age_range(self, dept_id: str, lang: str) -> str:
        d = self.s.hospital.departments[dept_id]
        if d.max_age is not None:
            return t(lang, f"{d.min_age or 0}-{d.max_age}岁（未满{d.max_age + 1}周岁）", f"ages {d.min_age or 0}-{d.max_age}")
        return t(lang, f"{d.min_age}岁及以上", f"ages {d.min_age} and over")


def reason_text(tx: _Texts, res_reason: str | None, detail: dict[str, Any], lang: str, now: datetime) -> str:
    """One clear sentence for a refusal code from the booking service."""
    r = res_reason or "conflict"
    if r == "slot_taken":
        return t(lang, "抱歉，这个号刚刚已被约走了。", "Sorry, that slot has just been taken.")
    if r == "hold_expired":
        return t(lang, "抱歉，为您保留的号已超时，并且已被别人约走。", "Sorry, your hold ran out and the slot has been taken by someone else.")
    if r == "reserved":
        return t(lang, "这个号是留给电话预约或现场挂号的，线上不能预约。", "That slot is kept for phone or walk-in booking and can't be booked online.")
    if r == "past":
        return t(lang, "这个时间已经过了，或者该时段线上预约已截止（截止到结束前1小时）。", "That time has passed, or online booking for that session has closed (1 hour before it ends).")
    if r == "not_released":
        return t(lang, "这个日期的号还没有放出。", "Slots for that date have not been released yet.")
    if r == "duplicate_patient_day":
        ex: Appointment | None = detail.get("existing")
        what = tx.appt_line(ex, lang) if ex else ""
        return t(
            lang,
            f"就诊人当天在这个科室已经有预约（{what}）。同一就诊人同一天同一科室只能预约1个号。",
            f"The patient already has an appointment in this department that day ({what}). Only one per patient per department per day is allowed.",
        )
    if r == "daily_limit":
        return t(lang, "同一就诊人同一天最多预约3个号，当天已经约满3个。", "A patient can hold at most 3 appointments a day, and that day already has 3.")
    if r == "identity_mismatch":
        return t(lang, "这个证件号码已登记的姓名和您说的不一致，请核对姓名和证件号码。", "The name does not match the one registered with this ID document number. Please check both.")
    if r == "female_only":
        return t(lang, "这个科室只接诊女性，就诊人不能预约。", "This department sees women only, so it can't be booked for this patient.")
    if r == "suspended":
        until = detail.get("until")
        u = fmt_date(until, lang) if until else ""
        return t(
            lang,
            f"该就诊人90天内爽约3次，线上预约暂停到{u}。暂停期间仍可拨打0571-8888-1234按1电话预约、到窗口现场挂号，急诊不受影响。",
            f"After 3 no-shows within 90 days, online booking for this patient is suspended until {u}. You can still book by phone (0571-8888-1234, press 1) or at the counter; the emergency department is unaffected.",
        )
    if r in ("too_young", "too_old"):
        return ""
    if r == "too_many_patients":
        return t(lang, "一个账号最多为5名就诊人预约。", "One account can book for at most 5 patients.")
    if r == "cancel_too_late":
        deadline: datetime | None = detail.get("deadline")
        dl = f"{deadline.month}月{deadline.day}日18:00" if deadline else "就诊前一日18:00"
        dl_en = deadline.strftime("%d %b 18:00") if deadline else "18:00 the day before"
        return t(
            lang,
            f"就诊前一日18:00以后不能再取消或改约（截止时间{dl}已过）。如果不能来，挂号费不退并记爽约一次；因急诊或住院未能就诊的，7天内可凭证明到门诊服务中心（1号楼1楼）申请撤销爽约记录。",
            f"Appointments can't be cancelled or moved after 18:00 the day before (the deadline, {dl_en}, has passed). If you can't come, the fee is not refunded and it counts as a no-show; if an emergency or admission kept you away, the outpatient service centre (Building 1, ground floor) can remove the record within 7 days.",
        )
    if r == "not_found":
        return t(lang, "没有找到这个预约。", "I couldn't find that appointment.")
    if r == "no_such_slot":
        return t(lang, "没有这个号。", "That slot does not exist.")
    if r == "no_appointments":
        return t(lang, "急诊科和发热门诊不需要预约。", "The Emergency Department and Fever Clinic take no appointments.")
    return t(lang, "抱歉，这个号暂时约不了。", "Sorry, that slot can't be booked right now.")


def no_appointment_text(dept_id: str, lang: str) -> str:
    if dept_id == "fever_clinic":
        return t(
            lang,
            "发热门诊不需要预约：24小时开放，在本部5号楼1楼，从北门进入，诊察费20元。体温≥37.3℃请直接前往。",
            "The Fever Clinic takes no appointments: it is open 24 hours in Building 5 (ground floor, north gate) of the main campus; the fee is 20 CNY. With a temperature of 37.3 °C or more, go straight there.",
        )
    return t(
        lang,
        "急诊科不需要预约：24小时开放，在本部4号楼，从东门进入，诊察费20元。情况危急请立即拨打120。",
        "The Emergency Department takes no appointments: it is open 24 hours in Building 4 (east gate) of the main campus; the fee is 20 CNY. In a life-threatening situation call 120 now.",
    )


def _age_advice(tx: _Texts, svc: Any, dept_id: str, age: int, lang: str) -> str:
    dept = tx.dept(dept_id, lang)
    if age < 14:
        alt = t(lang, "儿科（0-13岁），或眼科、耳鼻咽喉头颈外科、口腔科、皮肤科、骨科等各年龄都接诊的科室", "Pediatrics (ages 0-13), or a department that sees all ages such as Ophthalmology, ENT, Stomatology, Dermatology or Orthopedics")
    else:
        alt = t(lang, "对应的成人科室（如呼吸与危重症医学科、消化内科、心血管内科等，按症状选择），不确定看哪个科可以先挂全科医学科",
                "the matching adult department (e.g. Pulmonary Medicine, Gastroenterology or Cardiology, by symptom); if unsure, General Practice")
    return t(
        lang,
        f"就诊人{age}岁，{dept}只接诊{tx.age_range(dept_id, lang)}的患者，不能预约。可以改挂{alt}。请告诉我要挂哪个科室。",
        f"The patient is {age}; {dept} only sees patients {tx.age_range(dept_id, lang)}, so it can't be booked. You could book {alt} instead. Which department would you like?",
    )


FEMALE_ONLY = rules.FEMALE_ONLY_DEPTS  # women's departments (departments.md, 五、妇产与儿童)


# ---- identity documents other than the resident ID: passports and travel permits -------------------
DOC_ZH = {RESIDENT_ID: "身份证", PASSPORT: "护照", HK_MACAU_PERMIT: "港澳居民来往内地通行证", TAIWAN_PERMIT: "台湾居民来往大陆通行证",
          "permit": "往来内地通行证"}
DOC_EN = {RESIDENT_ID: "ID card", PASSPORT: "passport", HK_MACAU_PERMIT: "Mainland Travel Permit (Hong Kong/Macau)",
          TAIWAN_PERMIT: "Mainland Travel Permit (Taiwan)", "permit": "Mainland Travel Permit"}


def doc_name(id_type: str | None, lang: str) -> str:
    return (DOC_EN if lang == "en" else DOC_ZH).get(id_type or RESIDENT_ID, DOC_ZH[RESIDENT_ID] if lang != "en" else DOC_EN[RESIDENT_ID])


def document_rule(id_type: str | None, lang: str) -> str:
    """What an accepted number of this document looks like, said when one is not."""
    if id_type == PASSPORT:
        return t(lang, "护照号码是5到17位字母或数字，至少含一位数字。", "A passport number is 5 to 17 letters and digits, with at least one digit.")
    if id_type == HK_MACAU_PERMIT:
        return t(lang, "港澳居民来往内地通行证（回乡证）号码是H（香港）或M（澳门）加8位数字，旧版加10位数字。",
                 "A Hong Kong/Macau Mainland Travel Permit number is H (Hong Kong) or M (Macau) and 8 digits, or 10 on older permits.")
    if id_type == TAIWAN_PERMIT:
        return t(lang, "台湾居民来往大陆通行证（台胞证）号码是8位数字。", "A Taiwan Mainland Travel Permit number is 8 digits.")
    return t(lang, "往来内地通行证号码：港澳是H或M加8位数字（旧版10位），台湾是8位数字。",
             "A Mainland Travel Permit number is H or M and 8 digits (10 on older permits) for Hong Kong/Macau, or 8 digits for Taiwan.")


def document_invalid_text(id_type: str | None, lang: str) -> str:
    return t(lang, f"这个{doc_name(id_type, lang)}号码格式不对。", f"That {doc_name(id_type, lang)} number doesn't look right. ") + document_rule(id_type, lang) + t(
        lang, "请再说一遍证件号码；也可以用18位身份证号（港澳台居民居住证、外国人永久居留身份证同样可以）。",
        " Please say the number again, or give an 18-character ID number (residence permits for Hong Kong, Macau and Taiwan residents and "
        "foreigners' permanent residence ID cards work too).")


def needs_birth_date(id_type: str | None, dept: Any) -> bool:
    """A passport or permit says nothing of age: asked where the department has an age limit."""
    return (id_type or RESIDENT_ID) != RESIDENT_ID and dept is not None and ((dept.min_age or 0) > 0 or dept.max_age is not None)


def needs_sex(id_type: str | None, dept_id: str | None) -> bool:
    return (id_type or RESIDENT_ID) != RESIDENT_ID and dept_id in FEMALE_ONLY


_MALE = re.compile(r"我(是)?(个|一个)?男(的|性|生|人|士)|男性|男的|男生|男孩|\bi'?m (a )?(male|man)\b|\bi am (a )?(male|man)\b|\bmale\b", re.I)


def _sex_advice(tx: _Texts, dept_id: str, lang: str) -> str:
    dept = tx.dept(dept_id, lang)
    return t(
        lang,
        f"{dept}诊治的是女性疾病（妇科：月经、白带、子宫和卵巢等；产科：孕产检查），男性不能预约{dept}。"
        "男性的泌尿和生殖问题（包括前列腺、男科疾病）请挂泌尿外科（本部1号楼5楼C区）；不确定看哪个科可以先挂全科医学科。请告诉我要挂哪个科室。",
        f"{dept} treats women's conditions (gynecology: periods, discharge, uterus and ovaries; obstetrics: pregnancy care), so it can't be booked for a man. "
        "For urinary or reproductive problems in men (including the prostate and andrology), book Urology (main campus, Building 1, 5th floor, zone C); "
        "if unsure, General Practice. Which department would you like?",
    )


def _alt_block(tx: _Texts, alts: list[Slot], lang: str) -> tuple[str, list[dict[str, Any]]]:
    if not alts:
        return t(lang, "近7天内暂时没有可预约的号。可以明天08:00再看新放出的号，或拨打0571-8888-1234按1电话预约。",
                 "There are no free slots in the next 7 days. New slots are released daily at 08:00; you can also book by phone on 0571-8888-1234 (press 1)."), []
    text, choices = tx.offer_block(alts, lang)
    return t(lang, "最近可以预约的号：\n", "The next free slots:\n") + text, choices


# ---- the registration fee: offered for payment after booking, refunded on a timely cancel ---------
def fee_reference(appointment_id: str) -> str:
    """The payment orders of an appointment's fee carry this reference (ActionPayment makes them)."""
    return f"appointment:{appointment_id}"


def payment_offer(services: Any, appt: Appointment, lang: str) -> tuple[str, list[dict[str, Any]]]:
    """After a confirmed booking: offer to pay the fee online (a yes goes to ActionPayment), or say plainly
    that online payment is off. Either way ``payment_appointment`` lets a later 我要缴费 find the fee."""
    fee = fmt_fee(appt.fee)
    events = [SlotSet("payment_appointment", {"appointment_id": appt.appointment_id, "fee_cny": float(appt.fee)})]
    payments = getattr(services, "payments", None)
    if payments is not None and payments.configured:
        text = t(lang, f"挂号费{fee}元可以现在用微信支付，需要现在支付吗？", f"You can pay the {fee} CNY fee online now with WeChat Pay. Would you like to pay now?")
        return text, events + [SlotSet("offer", "payment")]
    from assistant.actions.payment import offline_payment

    text, _ = offline_payment(services, lang, f"挂号费{fee}元", f"the {fee} CNY fee")
    return text, events + [SlotSet("offer", None)]


def payment_citations(services: Any) -> list[dict[str, str]]:
    """The documents the fee-payment sentence quotes, when it points to the hospital's own channels."""
    payments = getattr(services, "payments", None)
    if payments is not None and payments.configured:
        return []
    from assistant.actions.payment import offline_payment

    return offline_payment(services, "zh")[1]


async def refund_fee(services: Any, appt: Appointment, lang: str, *, key: str, actor: str) -> tuple[str, dict[str, Any]]:
    """Refunds a cancelled (or moved) appointment's paid fee once (``key`` makes a repeat a no-op) and
    closes any unpaid order for it. Returns the sentence for the patient and json_message extras."""
    payments = getattr(services, "payments", None)
    fee = fmt_fee(appt.fee)
    none = t(lang, f"挂号费{fee}元还没有在线支付，不涉及退款。", f"The {fee} CNY fee had not been paid online, so there is nothing to refund.")
    if payments is None:
        return none, {}
    from assistant.services.payments import PaymentError

    try:
        refund = await payments.cancel_reference(fee_reference(appt.appointment_id), idempotency_key=key,
                                                 reason="预约取消", actor=actor)
    except PaymentError as exc:
        log.warning("fee refund failed: %s", exc.code, extra={"appointment_id": appt.appointment_id})
        return (t(lang, "挂号费退款暂时没有办成，已转给工作人员处理，会原路退回给您。",
                  "The fee refund did not go through just now; staff have been told and will return it to you."),
                {"escalate": {"reason": "payment_problem", "priority": 3, "summary": f"fee refund failed: {exc.code} ({appt.appointment_id})"}})
    if refund is None:
        return none, {}
    order = await payments.get_order(refund.order_id)
    amount = f"{refund.amount_fen / 100:g}"
    text = t(lang, f"已支付的挂号费{amount}元将原路退回，微信支付一般1-7个工作日到账。",
             f"The {amount} CNY you paid will be refunded to the original payment method, usually within 1-7 working days.")
    return text, ({"payment": order.payment_json()} if order is not None else {})


def patient_info(tracker: Tracker, id_number: str | None = None, id_type: str | None = None) -> PatientInfo:
    """Who the booking is for, from the form's slots (the number and its document given explicitly
    while they are being validated)."""
    born = tracker.get_slot("birth_date")
    try:
        birth = date.fromisoformat(born) if born else None
    except ValueError:
        birth = None
    return PatientInfo(
        str(tracker.get_slot("patient_name") or ""),
        str(id_number if id_number is not None else tracker.get_slot("id_number") or ""),
        str(tracker.get_slot("phone") or ""),
        id_type or tracker.get_slot("id_type") or RESIDENT_ID,
        birth,
        tracker.get_slot("patient_sex"),
    )


def document_line(id_type: str | None, id_number: str | None, lang: str) -> str:
    """The read-back's masked document: 证件号码（护照）E*****678 / passport E*****678."""
    if not id_number:
        return ""
    masked = mask_identifier(id_type, id_number)
    return t(lang, f"，证件号码（{doc_name(id_type, lang)}）{masked}", f", {doc_name(id_type, lang)} {masked}")


# ---- the form --------------------------------------------------------------------------------------
class ValidateBookingForm(FormValidationAction):
    def __init__(self, services: Any) -> None:
        self.services = services
        self.tx = _Texts(services)

    def name(self) -> str:
        return "validate_booking_form"

    @property
    def svc(self) -> Any:
        return self.services.booking

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[str]:
        slots = list(domain_slots) or list(FORM_SLOTS)
        if tracker.get_slot("booking_reschedule_of"):
            return [s for s in slots if s not in ("patient_relationship", "patient_name", "id_number", "phone", *DOCUMENT_ONLY_SLOTS)]
        # a passport or permit gives no birth date or sex: asked only where the department needs them
        id_type, dept_id = tracker.get_slot("id_type"), tracker.get_slot("department")
        if not needs_birth_date(id_type, self.svc.department(dept_id)):
            slots = [s for s in slots if s != "birth_date"]
        if not needs_sex(id_type, dept_id):
            slots = [s for s in slots if s != "patient_sex"]
        return slots

    # -- the run: extraction, dependent resets, validation, then hold bookkeeping ---------------
    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        before = dict(tracker.slots)
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        changed = {e["name"] for e in events if before.get(e["name"]) != e["value"] and e["value"] is not None}
        corrected = {e["name"] for e in events if before.get(e["name"]) != e["value"]} & (set(FORM_SLOTS) - {"confirm"})
        if (corrected or tracker.slots.get(UNKNOWN_DOCTOR)) and any(e["name"] == "confirm" for e in events):
            # 不对，是后天 / 是给我爸挂的: a yes or no that carries a correction is neither a refusal nor a
            # confirmation of what was read back; the correction is taken and the booking read back again.
            events = [e for e in events if e["name"] != "confirm"]
            tracker.slots["confirm"] = before.get("confirm")
        set_now = {e["name"] for e in events}
        resets: list[str] = []
        for name in FORM_SLOTS:
            if name in changed:
                for dep in DEPENDENTS.get(name, []):
                    if dep not in set_now and dep not in resets and before.get(dep) is not None:
                        resets.append(dep)
        for dep in resets:
            tracker.slots[dep] = None
            events.append(SlotSet(dep, None))
        return events

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        delegated = await self._delegate(dispatcher, tracker, domain)
        if delegated is not None:
            return delegated
        cleared: list[dict[str, Any]] = []
        if tracker.slots.get("booking_skip_ask"):
            tracker.slots["booking_skip_ask"] = None
            cleared.append(SlotSet("booking_skip_ask", None))
        id_type_before = tracker.slots.get("id_type")
        events = cleared + await super().run(dispatcher, tracker, domain)
        extra: list[dict[str, Any]] = []
        if tracker.slots.get("id_type") != id_type_before and not any(e.get("name") == "id_type" for e in events):
            # the document named (护照 / passport) rides with the number; rasa_sdk keeps only form slots' events
            extra.append(SlotSet("id_type", tracker.slots.get("id_type")))
        if tracker.slots.get(UNKNOWN_DOCTOR):
            self._unknown_doctor(dispatcher, tracker, str(tracker.slots.pop(UNKNOWN_DOCTOR)))
        hold = tracker.get_slot("booking_hold")
        if hold and not self._hold_matches(hold, tracker):
            await self.svc.release(hold["id"], actor=actor_of(tracker))
            extra.append(SlotSet("booking_hold", None))
        if tracker.get_slot("booking_end"):
            if hold and tracker.get_slot("confirm") is not True:
                await self.svc.release(hold["id"], actor=actor_of(tracker))
            extra += [SlotSet(s, None) for s in FORM_SLOTS + HIDDEN_SLOTS] + [ActiveLoop(None)]
        return events + extra

    async def _delegate(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]] | None:
        """我的预约 / 取消预约 / 我要改约 said while a booking is in progress: drop the booking in progress
        (releasing its hold) and run that action instead. Corrections such as 改到后天 stay in the form."""
        if not (tracker.active_loop or {}).get("name") == FORM or tracker.get_slot("booking_reschedule_of"):
            return None
        text = tracker.latest_message.get("text") or ""
        kinds = {ent.get("entity") for ent in tracker.latest_message.get("entities") or []}
        kind = next((k for rx, k in _DELEGATE if rx.search(text)), None)
        if kind is None:
            return None
        # a date or a doctor in the answer belongs to the booking ("换个时间，明天"), unless the patient
        # plainly cancels one they have ("我昨天挂的号不想去了": 昨天 is when it was booked)
        if kind != "cancel" and kinds & {"date", "session", "time", "department", "doctor", "choice"}:
            return None
        hold = tracker.get_slot("booking_hold")
        if hold:
            await self.svc.release(hold["id"], actor=actor_of(tracker))
        reset = [SlotSet(s, None) for s in FORM_SLOTS + HIDDEN_SLOTS] + [SlotSet("requested_slot", None), ActiveLoop(None)]
        for name in FORM_SLOTS + HIDDEN_SLOTS:
            tracker.slots[name] = None
        tracker.active_loop = {}
        action = {"cancel": ActionCancelAppointment, "reschedule": ActionRescheduleAppointment, "mine": ActionMyAppointments}[kind](self.services)
        return reset + list(await action.run(dispatcher, tracker, domain))

    def _unknown_doctor(self, dispatcher: CollectingDispatcher, tracker: Tracker, said: str) -> None:
        """换成张医生 when there is no Dr Zhang: say so, list who does work there, keep the booking as it was."""
        lang = lang_of(tracker)
        msg = t(lang, f"没有找到{said}。", f"I couldn't find {said} at this hospital.")
        dept_id = tracker.get_slot("department")
        if tracker.get_slot("requested_slot") is None:
            dispatcher.utter_message(text=msg)  # first turn: the form's next question follows
            return
        if dept_id:
            names = ("、" if lang == "zh" else ", ").join(self.tx.doctor(d.doctor_id, lang) for d in self.services.hospital.doctors_in(dept_id))
            msg += t(lang, f"{self.tx.dept(dept_id, lang)}出诊的医生有：{names}。", f" Doctors in {self.tx.dept(dept_id, lang)}: {names}.")
        if tracker.get_slot("requested_slot") == "confirm":
            msg += t(lang, "要换医生请说医生的名字；不换的话，请说“对”确认刚才读给您的预约。",
                     " To change the doctor, say the name; otherwise say yes to confirm the booking I read back.")
        else:
            msg += t(lang, "想挂哪位医生，请说名字，或者说“都可以”。", " Say the doctor's name, or say \"any\".")
        dispatcher.utter_message(text=msg)

    @staticmethod
    def _hold_matches(hold: dict[str, Any], tracker: Tracker) -> bool:
        return (
            hold.get("slot") == tracker.get_slot("slot")
            and hold.get("id_number") == tracker.get_slot("id_number")
            and (hold.get("id_type") or RESIDENT_ID) == (tracker.get_slot("id_type") or RESIDENT_ID)
            and hold.get("name") == tracker.get_slot("patient_name")
            and hold.get("phone") == tracker.get_slot("phone")
        )

    # -- extraction -----------------------------------------------------------------------------
    def _requested(self, tracker: Tracker) -> str | None:
        return tracker.get_slot("requested_slot")

    async def extract_department(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        value = entity(tracker, "department")
        doc = entity(tracker, "doctor")
        if isinstance(doc, list) and len(doc) == 1:
            doc = doc[0]
        if isinstance(doc, str) and doc in self.services.hospital.doctors:
            doc_dept = self.services.hospital.doctors[doc].dept_id
            if value is None or value != doc_dept:
                value = doc_dept
        return {"department": value} if value else {}

    async def extract_doctor(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        value = entity(tracker, "doctor")
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else (value or None)
        if value:
            return {"doctor": value}
        text = tracker.latest_message.get("text") or ""
        if _OTHER_DOCTOR.search(text) and tracker.get_slot("department"):
            return {"doctor": None}  # 换个医生: ask which one, from the department's list
        m = _DOCTOR_MENTION.search(text)
        if m and not _ANY_DOCTOR.search(text):
            named = (m.group("zh") or m.group("en") or "").strip()
            if named and not _NOT_A_NAME.search(named):
                tracker.slots[UNKNOWN_DOCTOR] = named + m.group("title") if m.group("zh") else f"Dr {named.title()}"
                return {}
        if self._requested(tracker) == "doctor" and not tracker.get_slot("booking_offers"):
            chosen = pick(tracker.get_slot("booking_doctor_offers"), choice_of(tracker))
            if chosen:
                return {"doctor": chosen}
            if _ANY_DOCTOR.search(tracker.latest_message.get("text") or ""):
                return {"doctor": "any"}
        if tracker.get_slot("doctor") is None and tracker.get_slot("department"):
            return {"doctor": "any"}
        return {}

    async def extract_date(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if self._requested(tracker) in DOCUMENT_ONLY_SLOTS:
            return {}  # the date said is the patient's birthday, not the day of the visit
        value = entity(tracker, "date")
        if value:
            return {"date": str(value)[:10]}
        if self._requested(tracker) == "date" and not tracker.get_slot("booking_offers"):
            chosen = pick(tracker.get_slot("booking_date_offers"), choice_of(tracker))
            if chosen:
                return {"date": chosen}
            text = tracker.latest_message.get("text") or ""
            offers = tracker.get_slot("booking_date_offers")
            if offers and _ANY_DOCTOR.search(text) and not re.search(r"医生|大夫|doctor", text, re.I):
                return {"date": offers[0]}  # 哪天都行 / 最早的: the earliest day offered
        return {}

    async def extract_session(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        value = entity(tracker, "session")
        if value:
            return {"session": str(value).upper()}
        tm = entity(tracker, "time")
        if tm:
            hh = int(str(tm).split(":")[0])
            return {"session": "AM" if hh < 12 else ("PM" if hh < 18 else "NIGHT")}
        if self._requested(tracker) == "session" and not tracker.get_slot("booking_offers"):
            chosen = pick(tracker.get_slot("booking_session_offers"), choice_of(tracker))
            if chosen:
                return {"session": chosen}
        return {}

    async def extract_slot(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        offers = tracker.get_slot("booking_offers")
        n = choice_of(tracker)
        if offers and n is not None and (self._requested(tracker) in ("slot", "date", "session", "doctor", "confirm") or intent_of(tracker) == "choose"):
            chosen = pick(offers, n)
            if chosen:
                return {"slot": chosen}
        if offers and n is None and self._requested(tracker) == "slot" and _ANY_DOCTOR.search(tracker.latest_message.get("text") or ""):
            first, _ = await self.svc.check_slot(offers[0], channel_of(tracker))  # 随便哪个医生都行: the earliest offered
            if first is not None:
                lang = lang_of(tracker)
                dispatcher.utter_message(text=t(lang, f"好的，为您选最早的号：{self.tx.slot_line(first, lang)}。", f"OK, the earliest one: {self.tx.slot_line(first, lang)}."))
            return {"slot": offers[0]}
        tm = entity(tracker, "time")
        d, session = tracker.get_slot("date"), tracker.get_slot("session")
        if tm and d and session and tracker.get_slot("department"):
            doctor = tracker.get_slot("doctor")
            slots = await self.svc.available(
                dept_id=tracker.get_slot("department"), doctor_id=doctor, dates=[date.fromisoformat(d)], session=session, channel=channel_of(tracker)
            )
            hhmm = str(tm)[:5]
            match = next((s for s in slots if s.start.strftime("%H:%M") == hhmm), None)
            if match:
                return {"slot": match.key}
            # The nearest free time at or after the wanted one.
            later = [s for s in slots if s.start.strftime("%H:%M") >= hhmm]
            if later:
                lang = lang_of(tracker)
                dispatcher.utter_message(
                    text=t(lang, f"{hhmm}没有空号，离它最近的是{fmt_clock(later[0].start, lang)}。", f"{hhmm} is not free; the nearest free time is {fmt_clock(later[0].start, lang)}.")
                )
        return {}

    async def extract_patient_relationship(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        value = relationship_entity(tracker)
        current = tracker.get_slot("patient_relationship")
        text = tracker.latest_message.get("text") or ""
        if value == "self" and current != "self" and self._requested(tracker) != "patient_relationship" and not _EXPLICIT_SELF.search(text):
            value = None  # "我要挂…", "帮我挂…" name the caller, not who the patient is: whose it is gets asked
        if value:
            return {"patient_relationship": str(value)}
        if self._requested(tracker) != "patient_relationship":
            return {}
        chosen = pick(tracker.get_slot("booking_patient_offers"), choice_of(tracker))
        if chosen:
            if chosen.get("patient_id") is None:
                return {}  # "another family member": the relationship is asked again
            return {
                "patient_relationship": chosen["relationship"],
                "patient_name": chosen["name"],
                "id_number": chosen["id_number"],
                "id_type": chosen.get("id_type") or RESIDENT_ID,
                "birth_date": chosen.get("birth_date"),
                "patient_sex": chosen.get("sex"),
                "phone": chosen["phone"],
            }
        text = tracker.latest_message.get("text") or ""
        for rx, rel in _REL_WORDS:
            if rx.search(text):
                return {"patient_relationship": rel}
        # Asked "for yourself or a family member?": a yes, or the patient's own name, ID number or phone
        # given here, means the caller is the patient (a relative would have been named).
        if intent_of(tracker) == "affirm":
            return {"patient_relationship": "self"}
        out: dict[str, Any] = {}
        name = self._name_in(tracker)
        if name:
            out["patient_name"] = name
        if (name or entity(tracker, "id_number") or entity(tracker, "id_number_invalid") or entity(tracker, "phone") or entity(tracker, "phone_invalid")
                or parse_document(text)[1]):
            out["patient_relationship"] = "self"
        return out

    @staticmethod
    def _name_in(tracker: Tracker) -> str | None:
        """A name in the answer: the NLU's person_name, 我叫张伟, or a bare 张伟 with a common surname."""
        value = entity(tracker, "person_name")
        if value:
            return str(value).strip()
        text = (tracker.latest_message.get("text") or "").strip()
        m = _NAMED.search(text)
        if m:
            return m.group(1).strip()
        bare = re.fullmatch(r"([\u4e00-\u9fa5]{2,4})[。.!！]?", text)
        if bare and bare.group(1)[0] in _SURNAMES and not _NOT_A_NAME.search(bare.group(1)[1:]):
            return bare.group(1)
        return None

    async def extract_patient_name(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        value = entity(tracker, "person_name")
        if value:
            return {"patient_name": str(value).strip()}
        if self._requested(tracker) == "patient_name":
            m = _NAME_RE.match(_without_numbers(tracker))  # 张三 3301…1235 138…: the name beside the numbers
            if m and not _NOT_A_NAME_ANSWER.search(m.group(1)):
                return {"patient_name": m.group(1).strip()}
        return {}

    async def extract_id_number(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        """The resident ID (and the 18-character residence permits), or a passport or travel permit the
        patient names (护照E12345678 / passport E12345678 / 回乡证H12345678) or whose format can be nothing
        else (H/M + 8 or 10 digits; a passport-shaped answer to the ID question)."""
        value = entity(tracker, "id_number")
        if value:
            return {"id_number": str(value).strip().upper(), "id_type": RESIDENT_ID}
        asked = self._requested(tracker) == "id_number"
        kind, number, _ = parse_document(tracker.latest_message.get("text") or "", shape_only=asked)
        if kind is not None and number is not None:
            return {"id_number": number, "id_type": kind}
        if kind is not None and asked:
            return {"id_type": kind}  # "I only have a passport": its number is asked for
        value = entity(tracker, "id_number_invalid")
        return {"id_number": str(value).strip().upper(), "id_type": RESIDENT_ID} if value else {}

    async def extract_birth_date(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if self._requested(tracker) not in DOCUMENT_ONLY_SLOTS:
            return {}
        born, unclear = parse_birth_date(_without_numbers(tracker))  # a phone number said with it is not a date
        if born is not None:
            return {"birth_date": born.isoformat()}
        return {"birth_date": "?"} if unclear and self._requested(tracker) == "birth_date" else {}

    async def extract_patient_sex(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if self._requested(tracker) not in DOCUMENT_ONLY_SLOTS:
            return {}  # "female" said at the birth-date question counts too
        sex = parse_sex(tracker.latest_message.get("text") or "")
        return {"patient_sex": sex} if sex else {}

    async def extract_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        value = entity(tracker, "phone") or entity(tracker, "phone_invalid")
        return {"phone": str(value).strip()} if value else {}

    async def extract_confirm(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if self._requested(tracker) != "confirm":
            return {}
        it = intent_of(tracker)
        if it == "affirm":
            return {"confirm": True}
        if it == "deny":
            return {"confirm": False}
        return {}

    # -- validation -------------------------------------------------------------------------------
    def _slot_date(self, tracker: Tracker) -> date | None:
        v = tracker.get_slot("date")
        try:
            return date.fromisoformat(v) if v else None
        except ValueError:
            return None

    async def validate_department(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        lang = lang_of(tracker)
        if value is None:
            return {"department": None}
        dept = self.svc.department(value)
        if dept is None:
            dispatcher.utter_message(text=t(lang, "没有找到这个科室。", "I couldn't find that department."))
            return {"department": None, "booking_skip_ask": None}
        if not self.svc.takes_appointments(value):
            dispatcher.utter_message(text=no_appointment_text(value, lang))
            return {"department": None, "booking_end": True}
        text = tracker.latest_message.get("text") or ""
        if value in FEMALE_ONLY and _MALE.search(text):
            dispatcher.utter_message(text=_sex_advice(self.tx, value, lang))
            return {"department": None, "booking_skip_ask": True}
        age = entity(tracker, "age")
        if age is not None and self.svc.age_problem(value, int(float(age))):
            dispatcher.utter_message(text=_age_advice(self.tx, self.svc, value, int(float(age)), lang))
            return {"department": None, "booking_skip_ask": True}
        return {"department": value}

    async def validate_doctor(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        lang = lang_of(tracker)
        if value is None or value == "any":
            return {"doctor": value}
        dept_id = tracker.get_slot("department")
        doctors = self.services.hospital.doctors
        if isinstance(value, list):
            known = [v for v in value if v in doctors]
            in_dept = [v for v in known if doctors[v].dept_id == dept_id] or known
            if len(in_dept) == 1:
                value = in_dept[0]
            elif in_dept:
                lines = [f"{self.tx.doctor(v, lang)}（{self.tx.dept(doctors[v].dept_id, lang)}）" for v in in_dept]
                dispatcher.utter_message(
                    text=t(lang, "有几位医生符合：\n", "Several doctors match:\n") + self.tx.numbered(lines, lang) + "\n" + t(lang, "请问是第几位？", "Which one?"),
                    json_message={"choices": [{"n": i, "label": line, "value": v} for i, (v, line) in enumerate(zip(in_dept, lines, strict=True), 1)]},
                )
                return {"doctor": None, "booking_doctor_offers": in_dept, "booking_skip_ask": True}
            else:
                value = "__unknown__"
        if value not in doctors:
            msg = t(lang, "没有找到这位医生。", "I couldn't find that doctor.")
            if dept_id:
                names = "、".join(self.tx.doctor(d.doctor_id, lang) for d in self.services.hospital.doctors_in(dept_id))
                msg += t(lang, f"{self.tx.dept(dept_id, lang)}出诊的医生有：{names}。", f" Doctors in {self.tx.dept(dept_id, lang)}: {names}.")
            dispatcher.utter_message(text=msg)
            return {"doctor": None}
        out: dict[str, Any] = {"doctor": value}
        if doctors[value].dept_id != dept_id:
            out["department"] = doctors[value].dept_id
        return out

    async def validate_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        lang = lang_of(tracker)
        if value is None:
            return {"date": None}
        try:
            d = date.fromisoformat(str(value))
        except ValueError:
            return {"date": None}
        dates = self.svc.bookable_dates()
        first, last = dates[0], dates[-1]
        problem = self.svc.date_problem(d)
        if problem == "past":
            dispatcher.utter_message(
                text=t(lang, f"{fmt_date(d, lang)}已经过去了，不能预约。现在可以预约{fmt_date(first, lang)}到{fmt_date(last, lang)}的号。",
                       f"{fmt_date(d, lang)} is in the past. You can book from {fmt_date(first, lang)} to {fmt_date(last, lang)}.")
            )
            return {"date": None}
        if problem == "not_released":
            rel = rules.release_moment(d)
            dispatcher.utter_message(
                text=t(lang, f"{fmt_date(d, lang)}的号还没有放出：每天08:00放出第7天的号源，这一天的号将在{rel.month}月{rel.day}日08:00放出。现在可以预约到{fmt_date(last, lang)}。",
                       f"Slots for {fmt_date(d, lang)} are not released yet: each day at 08:00 the day a week ahead opens, so that day opens on {fmt_date(rel.date(), lang)} at 08:00. You can book up to {fmt_date(last, lang)} now.")
            )
            return {"date": None}
        dept_id, doctor = tracker.get_slot("department"), tracker.get_slot("doctor")
        out: dict[str, Any] = {"date": d.isoformat()}
        if dept_id:
            sessions = self.svc.scheduled_sessions(dept_id, doctor, d)
            if not sessions:
                who = self.tx.doctor(doctor, lang) if doctor and doctor != "any" else self.tx.dept(dept_id, lang)
                alts = await self.svc.next_free(dept_id=dept_id, doctor_id=doctor, after=d, channel=channel_of(tracker))
                block, choices = _alt_block(self.tx, alts, lang)
                dispatcher.utter_message(text=t(lang, f"{who}{fmt_date(d, lang)}不出诊。", f"{who} has no clinic on {fmt_date(d, lang)}. ") + block,
                                         json_message={"choices": choices})
                return {"date": None, "booking_offers": [s.key for s in alts] or None, "booking_skip_ask": True}
            current = tracker.get_slot("session")
            if current and current not in sessions:
                out["session"] = None
                who = self.tx.doctor(doctor, lang) if doctor and doctor != "any" else self.tx.dept(dept_id, lang)
                have = ("、" if lang == "zh" else ", ").join(session_name(x, lang) for x in sessions)
                dispatcher.utter_message(text=t(lang, f"{who}{fmt_date(d, lang)}{session_name(current, lang)}不出诊，这一天有：{have}。",
                                                f"{who} has no {session_name(current, lang)} clinic on {fmt_date(d, lang)}; that day has: {have}."))
            if len(sessions) == 1 and (current is None or current not in sessions) and entity(tracker, "session") is None:
                out["session"] = sessions[0]
        return out

    async def validate_session(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        lang = lang_of(tracker)
        if value is None or value not in ("AM", "PM", "NIGHT"):
            return {"session": None}
        d = self._slot_date(tracker)
        dept_id, doctor = tracker.get_slot("department"), tracker.get_slot("doctor")
        if d is None or not dept_id:
            return {"session": value}
        sessions = self.svc.scheduled_sessions(dept_id, doctor, d)
        if value not in sessions:
            who = self.tx.doctor(doctor, lang) if doctor and doctor != "any" else self.tx.dept(dept_id, lang)
            have = "、".join(session_name(s, lang) for s in sessions) if lang == "zh" else ", ".join(session_name(s, lang) for s in sessions)
            dispatcher.utter_message(
                text=t(lang, f"{who}{fmt_date(d, lang)}{session_name(value, lang)}不出诊，这一天有：{have}。",
                       f"{who} has no {session_name(value, lang)} clinic on {fmt_date(d, lang)}; that day has: {have}.")
            )
            return {"session": sessions[0] if len(sessions) == 1 else None}
        free = await self.svc.offers(dept_id=dept_id, doctor_id=doctor, d=d, session=value, channel=channel_of(tracker))
        if not free:
            alts = await self.svc.next_free(dept_id=dept_id, doctor_id=doctor if doctor != "any" else None, after=d, channel=channel_of(tracker))
            block, choices = _alt_block(self.tx, alts, lang)
            dispatcher.utter_message(
                text=t(lang, f"{fmt_date(d, lang)}{session_name(value, lang)}的号已经约满了（线上号源）。", f"The {session_name(value, lang)} of {fmt_date(d, lang)} is fully booked online. ") + block,
                json_message={"choices": choices},
            )
            return {"session": None, "booking_offers": [s.key for s in alts] or None, "booking_skip_ask": True}
        return {"session": value}

    async def validate_slot(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        lang = lang_of(tracker)
        if value is None:
            return {"slot": None}
        slot, problem = await self.svc.check_slot(str(value), channel_of(tracker))
        if slot is None or problem:
            alts = await self.svc._alternatives(slot, channel_of(tracker), [str(value)]) if slot is not None else []
            block, choices = _alt_block(self.tx, alts, lang)
            dispatcher.utter_message(text=reason_text(self.tx, problem, {}, lang, self.svc.now()) + block, json_message={"choices": choices})
            return {"slot": None, "booking_offers": [s.key for s in alts] or None, "booking_skip_ask": True}
        out: dict[str, Any] = {
            "slot": slot.key,
            "department": slot.dept_id,
            "date": slot.ref.date.isoformat(),
            "session": slot.ref.session,
            "booking_offers": None,
        }
        if tracker.get_slot("doctor") not in (slot.doctor_id, "any"):
            out["doctor"] = slot.doctor_id
        return out

    async def validate_patient_relationship(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if value is None:
            return {"patient_relationship": None}
        v = str(value).lower()
        return {"patient_relationship": v if v in RELATIONSHIPS else "relative", "booking_patient_offers": None}

    async def validate_patient_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if value is None:
            return {"patient_name": None}
        v = str(value).strip()
        if not 2 <= len(v) <= 40:
            dispatcher.utter_message(text=t(lang_of(tracker), "姓名好像不完整，请再说一遍就诊人的姓名。", "That name looks incomplete; please say the patient's full name again."))
            return {"patient_name": None, "booking_skip_ask": True}
        return {"patient_name": v}

    async def validate_id_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        lang = lang_of(tracker)
        if value is None:
            return {"id_number": None}
        v = re.sub(r"[\s-]", "", str(value)).upper()
        kind = tracker.get_slot("id_type") or RESIDENT_ID
        if kind == RESIDENT_ID and not is_valid_id_number(v):
            dispatcher.utter_message(
                text=t(lang, "这个身份证号码不正确（位数、出生日期或最后一位校验码不对）。请再说一遍18位身份证号，最后一位可能是X；"
                             "用护照或往来内地通行证的，请先说证件名称再说号码。",
                       "That ID number isn't valid (length, birth date or check digit is wrong). Please say the 18-character ID number again; the last character may be X. "
                       "For a passport or Mainland Travel Permit, say which before the number, e.g. \"passport\" and then the number.")
            )
            return {"id_number": None, "booking_skip_ask": True}
        if kind != RESIDENT_ID and not is_valid_document(kind, v) or kind not in (RESIDENT_ID, PASSPORT, HK_MACAU_PERMIT, TAIWAN_PERMIT):
            dispatcher.utter_message(text=document_invalid_text(kind, lang))
            return {"id_number": None, "booking_skip_ask": True}
        out: dict[str, Any] = {"id_number": v, "id_type": kind}
        if kind != RESIDENT_ID:
            known = await self.svc.find_patient(v, kind)  # a returning patient: what was said last time holds
            if known is not None and known.birth_date and not tracker.get_slot("birth_date"):
                out["birth_date"] = known.birth_date.isoformat()
            if known is not None and known.sex and not tracker.get_slot("patient_sex"):
                out["patient_sex"] = known.sex
            tracker.slots.update(out)
        slot_key = tracker.get_slot("slot")
        if not slot_key:
            return out
        slot, _ = await self.svc.check_slot(slot_key, channel_of(tracker))
        if slot is None:
            return out
        info = self._patient_info(tracker, v, kind)
        if slot.dept_id in FEMALE_ONLY and kind == RESIDENT_ID and rules.sex_from_id(v) == "M":
            dispatcher.utter_message(text=_sex_advice(self.tx, slot.dept_id, lang))
            return {**out, "department": None, "doctor": None, "slot": None, "booking_skip_ask": True}
        problem, detail = await self.svc.patient_problem(info, slot, channel_of(tracker))
        if problem == "female_only":
            dispatcher.utter_message(text=_sex_advice(self.tx, slot.dept_id, lang))
            return {**out, "department": None, "doctor": None, "slot": None, "booking_skip_ask": True}
        if problem in ("too_young", "too_old"):
            dispatcher.utter_message(text=_age_advice(self.tx, self.svc, slot.dept_id, int(detail["age"]), lang))
            return {**out, "department": None, "doctor": None, "slot": None, "booking_skip_ask": True}
        if problem == "identity_mismatch":
            dispatcher.utter_message(text=reason_text(self.tx, problem, detail, lang, self.svc.now()))
            return {"id_number": None, "patient_name": None, "booking_skip_ask": None}
        if problem == "suspended":
            dispatcher.utter_message(text=reason_text(self.tx, problem, detail, lang, self.svc.now()))
            return {**out, "booking_end": True}
        if problem in ("duplicate_patient_day", "daily_limit"):
            alts = await self.svc.next_free(dept_id=slot.dept_id, after=slot.ref.date + timedelta(days=1), channel=channel_of(tracker))
            block, choices = _alt_block(self.tx, alts, lang)
            dispatcher.utter_message(text=reason_text(self.tx, problem, detail, lang, self.svc.now()) + t(lang, "可以改约其他日期。", " You can book another day. ") + block,
                                     json_message={"choices": choices})
            return {**out, "slot": None, "booking_offers": [s.key for s in alts] or None, "booking_skip_ask": True}
        return out

    @staticmethod
    def _patient_info(tracker: Tracker, id_number: str | None = None, id_type: str | None = None) -> PatientInfo:
        return patient_info(tracker, id_number, id_type)

    async def validate_birth_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        lang = lang_of(tracker)
        if value is None:
            return {"birth_date": None}
        try:
            born = date.fromisoformat(str(value))
        except ValueError:
            born = None
        today = self.svc.now().date()
        if born is None or born > today or rules.age_on(born, today) > 120:
            dispatcher.utter_message(text=t(lang, "没听清出生日期，请按年月日再说一遍，比如2018年5月3日。",
                                            "I couldn't read that date of birth. Please say it as year-month-day, e.g. 2018-05-03, or as 3 May 2018."))
            return {"birth_date": None, "booking_skip_ask": True}
        out: dict[str, Any] = {"birth_date": born.isoformat()}
        slot, _ = await self.svc.check_slot(tracker.get_slot("slot"), channel_of(tracker)) if tracker.get_slot("slot") else (None, None)
        if slot is not None:
            age = rules.age_on(born, slot.ref.date)
            if self.svc.age_problem(slot.dept_id, age):
                dispatcher.utter_message(text=_age_advice(self.tx, self.svc, slot.dept_id, age, lang))
                return {**out, "department": None, "doctor": None, "slot": None, "booking_skip_ask": True}
        return out

    async def validate_patient_sex(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if value not in ("F", "M"):
            return {"patient_sex": None}
        dept_id = tracker.get_slot("department")
        if value == "M" and dept_id in FEMALE_ONLY:
            dispatcher.utter_message(text=_sex_advice(self.tx, dept_id, lang_of(tracker)))
            return {"patient_sex": value, "department": None, "doctor": None, "slot": None, "booking_skip_ask": True}
        return {"patient_sex": value}

    async def validate_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if value is None:
            return {"phone": None}
        if not is_valid_mobile(str(value)):
            dispatcher.utter_message(
                text=t(lang_of(tracker), "这个手机号码格式不对，请说一个11位的手机号码（以1开头）。", "That mobile number isn't valid; please give an 11-digit mobile number starting with 1.")
            )
            return {"phone": None, "booking_skip_ask": True}
        return {"phone": normalize_mobile(str(value))}

    async def validate_confirm(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        lang = lang_of(tracker)
        if value is None:
            return {"confirm": None}
        if value is False:
            dispatcher.utter_message(
                text=t(lang, "好的，还没有确认。请告诉我要改什么：科室、医生、日期、时段、时间，或就诊人信息。", "OK, not confirmed yet. Tell me what to change: department, doctor, date, session, time or patient details.")
            )
            return {"confirm": None, "booking_skip_ask": True}
        slot_key = tracker.get_slot("slot")
        old = tracker.get_slot("booking_reschedule_of")
        if old:
            res: BookingResult = await self.svc.reschedule(
                old, slot_key, actor=actor_of(tracker), owner=None, channel=channel_of(tracker),
                idempotency_key=f"{tracker.sender_id}:move:{old}:{slot_key}",
            )
        else:
            hold = tracker.get_slot("booking_hold")
            if not hold:
                return {"confirm": None}
            res = await self.svc.confirm(hold["id"], actor=actor_of(tracker))
        if res.ok and res.appointment is not None:
            return {"confirm": True, "booking_result": res.appointment.contract(), "booking_hold": None}
        alts = res.alternatives
        block, choices = _alt_block(self.tx, alts, lang)
        dispatcher.utter_message(text=reason_text(self.tx, res.reason, res.detail, lang, self.svc.now()) + block, json_message={"choices": choices})
        if res.reason == "cancel_too_late":
            return {"confirm": None, "booking_end": True}
        return {"confirm": None, "slot": None, "booking_hold": None, "booking_offers": [s.key for s in alts] or None, "booking_skip_ask": True}


class _BookingAction(Action):
    def __init__(self, services: Any) -> None:
        self.services = services
        self.tx = _Texts(services)

    @property
    def svc(self) -> Any:
        return self.services.booking


class _Ask(_BookingAction):
    """Base of the ``action_ask_<slot>`` actions: stays quiet when the validator already spoke."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        if tracker.get_slot("booking_skip_ask"):
            return [SlotSet("booking_skip_ask", None)]
        return await self.ask(dispatcher, tracker, lang_of(tracker))

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> list[dict[str, Any]]:
        raise NotImplementedError


class _AskText(_Ask):
    """``action_ask_<slot>`` for a slot whose question is a fixed text (RESPONSES), quiet after a validator's
    own explanation (e.g. the age rule already asked which department instead)."""

    def __init__(self, services: Any, slot: str) -> None:
        super().__init__(services)
        self.slot = slot

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=RESPONSES[f"utter_ask_{self.slot}"][lang])
        return []


class ActionAskIdNumber(_Ask):
    """Asks for the ID document's number; "I only have a passport" is answered by asking for that number."""

    def name(self) -> str:
        return "action_ask_id_number"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> list[dict[str, Any]]:
        kind = tracker.get_slot("id_type")
        if kind in (PASSPORT, HK_MACAU_PERMIT, TAIWAN_PERMIT, "permit") and not tracker.get_slot("id_number"):
            dispatcher.utter_message(text=t(lang, f"好的，请告诉我就诊人的{doc_name(kind, lang)}号码。", f"OK, please give the patient's {doc_name(kind, lang)} number. ")
                                     + document_rule(kind, lang))
            return []
        dispatcher.utter_message(text=RESPONSES["utter_ask_id_number"][lang])
        return []


class ActionAskDoctor(_Ask):
    def name(self) -> str:
        return "action_ask_doctor"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> list[dict[str, Any]]:
        dept_id = tracker.get_slot("department")
        docs = self.services.hospital.doctors_in(dept_id) if dept_id else []
        lines = [f"{self.tx.doctor(d.doctor_id, lang)}（{d.specialty_zh}）" if lang == "zh" else self.tx.doctor(d.doctor_id, lang) for d in docs]
        dispatcher.utter_message(
            text=t(lang, "请问想挂哪位医生？\n", "Which doctor would you like?\n") + self.tx.numbered(lines, lang)
            + t(lang, "\n也可以说“都可以”，我帮您找最早的号。", "\nOr say \"any\" and I'll find the earliest slot."),
            json_message={"choices": [{"n": i, "label": line, "value": d.doctor_id} for i, (d, line) in enumerate(zip(docs, lines, strict=True), 1)]},
        )
        return [SlotSet("booking_doctor_offers", [d.doctor_id for d in docs]), SlotSet("booking_offers", None)]


class ActionAskDate(_Ask):
    def name(self) -> str:
        return "action_ask_date"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> list[dict[str, Any]]:
        dept_id, doctor = tracker.get_slot("department"), tracker.get_slot("doctor")
        session = tracker.get_slot("session")  # 下午 said before the day: list days with afternoon slots
        slots = await self.svc.available(dept_id=dept_id, doctor_id=doctor, session=session, channel=channel_of(tracker)) if session else []
        if not slots:
            session = None
            slots = await self.svc.available(dept_id=dept_id, doctor_id=doctor, channel=channel_of(tracker))
        days: list[date] = []
        for s in slots:
            if s.ref.date not in days:
                days.append(s.ref.date)
        days = days[:5]
        who = self.tx.doctor(doctor, lang) if doctor and doctor != "any" else self.tx.dept(dept_id, lang)
        dates = self.svc.bookable_dates()
        if not days:
            dispatcher.utter_message(text=t(lang, f"{who}近7天的线上号源已经约满。", f"{who} is fully booked online for the next 7 days. ") + _alt_block(self.tx, [], lang)[0])
            return [SlotSet(s, None) for s in FORM_SLOTS + HIDDEN_SLOTS] + [ActiveLoop(None)]
        lines = [fmt_date(d, lang) for d in days]
        sz = session_name(session, "zh") if session else ""
        se = f" {session_name(session, 'en')}" if session else ""
        dispatcher.utter_message(
            text=t(lang, f"您想哪天就诊？可以预约{fmt_date(dates[0], lang)}到{fmt_date(dates[-1], lang)}的号。{who}最近有{sz}号的日子：\n",
                   f"Which day would you like? You can book from {fmt_date(dates[0], lang)} to {fmt_date(dates[-1], lang)}. {who} has free{se} slots on:\n")
            + self.tx.numbered(lines, lang),
            json_message={"choices": [{"n": i, "label": line, "value": d.isoformat()} for i, (d, line) in enumerate(zip(days, lines, strict=True), 1)]},
        )
        return [SlotSet("booking_date_offers", [d.isoformat() for d in days]), SlotSet("booking_offers", None)]


class ActionAskSession(_Ask):
    def name(self) -> str:
        return "action_ask_session"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> list[dict[str, Any]]:
        dept_id, doctor = tracker.get_slot("department"), tracker.get_slot("doctor")
        d = date.fromisoformat(tracker.get_slot("date"))
        sessions = self.svc.scheduled_sessions(dept_id, doctor, d)
        lines, values = [], []
        for s in sessions:
            n = len(await self.svc.available(dept_id=dept_id, doctor_id=doctor, dates=[d], session=s, channel=channel_of(tracker)))
            lines.append(t(lang, f"{session_name(s, lang)}（还有{n}个号）" if n else f"{session_name(s, lang)}（已约满）",
                           f"{session_name(s, lang)} ({n} free)" if n else f"{session_name(s, lang)} (full)"))
            values.append(s)
        dispatcher.utter_message(
            text=t(lang, f"{fmt_date(d, lang)}{self.tx.dept(dept_id, lang)}有这些时段：\n", f"On {fmt_date(d, lang)} {self.tx.dept(dept_id, lang)} has:\n")
            + self.tx.numbered(lines, lang) + t(lang, "\n请问要哪个时段？", "\nWhich session would you like?"),
            json_message={"choices": [{"n": i, "label": line, "value": v} for i, (v, line) in enumerate(zip(values, lines, strict=True), 1)]},
        )
        return [SlotSet("booking_session_offers", values), SlotSet("booking_offers", None)]


class ActionAskSlot(_Ask):
    """Lists the free doctors and times, numbered, so a phone caller can answer 第二个 or press 2."""

    def name(self) -> str:
        return "action_ask_slot"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> list[dict[str, Any]]:
        dept_id, doctor = tracker.get_slot("department"), tracker.get_slot("doctor")
        d, session = date.fromisoformat(tracker.get_slot("date")), tracker.get_slot("session")
        offers = await self.svc.offers(dept_id=dept_id, doctor_id=doctor, d=d, session=session, channel=channel_of(tracker))
        if not offers:
            alts = await self.svc.next_free(dept_id=dept_id, doctor_id=doctor if doctor != "any" else None, after=d, channel=channel_of(tracker))
            block, choices = _alt_block(self.tx, alts, lang)
            if session in self.svc.scheduled_sessions(dept_id, doctor, d):
                head = t(lang, "这个时段已经约满了。", "That session is fully booked. ")
            else:  # 换成许医生 for a session she does not work
                who = self.tx.doctor(doctor, lang) if doctor and doctor != "any" else self.tx.dept(dept_id, lang)
                head = t(lang, f"{who}{fmt_date(d, lang)}{session_name(session, lang)}不出诊。",
                         f"{who} has no {session_name(session, lang)} clinic on {fmt_date(d, lang)}. ")
            dispatcher.utter_message(text=head + block, json_message={"choices": choices})
            return [SlotSet("booking_offers", [s.key for s in alts] or None)]
        keys = [s.key for s in offers]
        if keys == tracker.get_slot("booking_offers") and choice_of(tracker) is None and channel_of(tracker) != "phone":
            # Same list as last turn and no number in the answer: ask for the number, don't repeat all.
            dispatcher.utter_message(text=t(lang, f"请从上面的{len(keys)}个号里选一个，说第几个就可以；也可以换一天或换个时段。",
                                            f"Please pick one of the {len(keys)} slots above by its number, or ask for another day or session."))
            return []
        block, choices = self.tx.offer_block(offers, lang)
        head = t(lang, f"{fmt_date(d, lang)}{session_name(session, lang)}{self.tx.dept(dept_id, lang)}可以预约的号：\n",
                 f"Free slots in {self.tx.dept(dept_id, lang)} on {fmt_date(d, lang)} ({session_name(session, lang)}):\n")
        dispatcher.utter_message(text=head + block, json_message={"choices": choices})
        return [SlotSet("booking_offers", [s.key for s in offers])]


class ActionAskPatientRelationship(_Ask):
    def name(self) -> str:
        return "action_ask_patient_relationship"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> list[dict[str, Any]]:
        known = await self.svc.linked_patients(owner_of(tracker))
        if not known:
            dispatcher.utter_message(text=t(lang, "这个号是给您自己挂，还是替家人挂？替家人挂请说明关系，比如“给我妈妈挂”。",
                                            "Is this appointment for yourself or for a family member? If for family, say who, e.g. \"for my mother\"."))
            return []
        offers = [{"patient_id": lp.patient.patient_id, "relationship": lp.relationship, "name": lp.patient.name,
                   "id_number": lp.patient.id_number, "id_type": lp.patient.id_type, "phone": lp.patient.phone,
                   "birth_date": lp.patient.birth_date.isoformat() if lp.patient.birth_date else None, "sex": lp.patient.sex} for lp in known]
        rel = REL_EN if lang == "en" else REL_ZH
        lines = [f"{rel.get(o['relationship'], o['relationship'])} {o['name'][:1]}{'*' * (len(o['name']) - 1)}" for o in offers]
        lines.append(t(lang, "其他家人（新添加）", "someone else (add a new patient)"))
        offers.append({"patient_id": None})
        dispatcher.utter_message(
            text=t(lang, "这次给谁挂号？\n", "Who is this appointment for?\n") + self.tx.numbered(lines, lang),
            json_message={"choices": [{"n": i, "label": line} for i, line in enumerate(lines, 1)]},
        )
        return [SlotSet("booking_patient_offers", offers)]


class ActionAskConfirm(_Ask):
    """Holds the slot for the patient and reads the booking back for an explicit yes."""

    def name(self) -> str:
        return "action_ask_confirm"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> list[dict[str, Any]]:
        slot_key = tracker.get_slot("slot")
        slot, _ = await self.svc.check_slot(slot_key, channel_of(tracker))
        ref = SlotRef.parse(slot_key)
        dept, doc = self.tx.dept(slot.dept_id if slot else "", lang), self.tx.doctor(ref.doctor_id, lang)
        start = slot.start if slot else None
        old_id = tracker.get_slot("booking_reschedule_of")
        if old_id:
            old = await self.svc.get(old_id)
            text = t(lang, f"要把{self.tx.appt_line(old, lang)}的预约，改到{dept}{doc}，{self.tx.when(start, ref.session, lang)}，挂号费{fmt_fee(slot.fee)}元，对吗？",
                     f"Move the appointment of {self.tx.appt_line(old, lang)} to {dept}, {doc}, {self.tx.when(start, ref.session, lang)}, fee {fmt_fee(slot.fee)} CNY. Is that right?")
            dispatcher.utter_message(text=text)
            return []
        hold = tracker.get_slot("booking_hold")
        name, idn, phone = tracker.get_slot("patient_name"), tracker.get_slot("id_number"), tracker.get_slot("phone")
        id_type = tracker.get_slot("id_type") or RESIDENT_ID
        if (hold and hold.get("slot") == slot_key and hold.get("id_number") == idn and (hold.get("id_type") or RESIDENT_ID) == id_type
                and hold.get("name") == name and hold.get("phone") == phone):
            appt = await self.svc.get(hold["id"])
        else:
            res = await self.svc.hold(
                slot_key, patient_info(tracker), owner=owner_of(tracker), relationship=tracker.get_slot("patient_relationship") or "self",
                channel=channel_of(tracker), idempotency_key=f"{tracker.sender_id}:{slot_key}:{idn}", actor=actor_of(tracker),
            )
            if not res.ok or res.appointment is None:
                block, choices = _alt_block(self.tx, res.alternatives, lang)
                dispatcher.utter_message(text=reason_text(self.tx, res.reason, res.detail, lang, self.svc.now()) + block, json_message={"choices": choices})
                if res.reason in ("suspended", "identity_mismatch", "too_many_patients", "female_only"):
                    return [SlotSet("booking_end", True)] + [SlotSet(s, None) for s in FORM_SLOTS] + [ActiveLoop(None)]
                return [SlotSet("slot", None), SlotSet("booking_offers", [s.key for s in res.alternatives] or None), SlotSet("requested_slot", "slot")]
            appt = res.appointment
        rel = tracker.get_slot("patient_relationship") or "self"
        who = t(lang, f"，就诊人{name}" + (f"（{REL_ZH.get(rel, '家人')}）" if rel != "self" else ""), f", patient {name}" + (f" ({REL_EN.get(rel, 'family')})" if rel != "self" else ""))
        who += document_line(id_type, idn, lang)
        minutes = self.svc.hold_minutes
        text = t(
            lang,
            f"已为您保留这个号{minutes}分钟。您要挂的是{dept}{doc}，{self.tx.when(appt.start, appt.session, lang)}，挂号费{fmt_fee(appt.fee)}元{who}，对吗？",
            f"I'm holding this slot for {minutes} minutes. You are booking {dept}, {doc}, {self.tx.when(appt.start, appt.session, lang)}, fee {fmt_fee(appt.fee)} CNY{who}. Is that right?",
        )
        dispatcher.utter_message(text=text, json_message={"appointment": appt.contract(), "intent": "booking"})
        return [SlotSet("booking_hold", {"id": appt.appointment_id, "slot": slot_key, "id_number": idn, "id_type": id_type, "name": name, "phone": phone})]


class ActionSubmitBookingForm(_BookingAction):
    def name(self) -> str:
        return "action_submit_booking_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        result = tracker.get_slot("booking_result")
        reset = [SlotSet(s, None) for s in FORM_SLOTS + HIDDEN_SLOTS]
        if not result:
            dispatcher.utter_message(text=t(lang, "抱歉，预约没有完成，请再试一次。", "Sorry, the booking did not go through; please try again."))
            return reset
        appt = await self.svc.get(result["appointment_id"])
        where = self.tx.location(appt.dept_id, lang)
        deadline = rules.free_cancel_deadline(appt.date)
        moved = t(lang, "改约成功！", "Moved! ") if appt.rescheduled_from else t(lang, "预约成功！", "Booked! ")
        id_type = tracker.get_slot("id_type") or RESIDENT_ID
        bring_zh = "请带身份证或医保电子凭证" if id_type == RESIDENT_ID else f"请带预约时使用的{doc_name(id_type, 'zh')}原件"
        bring_en = "Bring the ID card or medical insurance e-voucher" if id_type == RESIDENT_ID else f"Bring the {doc_name(id_type, 'en')} used to book"
        text = moved + t(
            lang,
            f"{self.tx.dept(appt.dept_id, lang)}{self.tx.doctor(appt.doctor_id, lang)}，{self.tx.when(appt.start, appt.session, lang)}，挂号费{fmt_fee(appt.fee)}元。"
            f"就诊地点：{where}。{bring_zh}，提前15分钟到诊区签到，迟到超过30分钟记爽约。"
            + (f"如需取消，请在{deadline.month}月{deadline.day}日18:00前办理，可免费取消。" if rules.can_cancel(appt.date, self.svc.now())
               else "这个号已过就诊前一日18:00，不能再取消或改约；如果不能来，挂号费不退并记爽约一次。"),
            f"{self.tx.dept(appt.dept_id, lang)}, {self.tx.doctor(appt.doctor_id, lang)}, {self.tx.when(appt.start, appt.session, lang)}, fee {fmt_fee(appt.fee)} CNY. "
            f"Where: {where}. {bring_en} and check in 15 minutes early; more than 30 minutes late counts as a no-show. "
            + (f"Free cancellation until {deadline.strftime('%d %b')} 18:00." if rules.can_cancel(appt.date, self.svc.now())
               else "It is past 18:00 the day before, so this appointment can no longer be cancelled or moved; if you can't come, the fee is not refunded and it counts as a no-show."),
        )
        extra: dict[str, Any] = {}
        if appt.rescheduled_from:
            old = await self.svc.get(appt.rescheduled_from)
            if old is not None:
                refunded, extra = await refund_fee(self.services, old, lang, key=f"appointment-move:{old.appointment_id}", actor=actor_of(tracker))
                if "payment" in extra:  # the old fee goes back; the new one is paid afresh
                    text += t(lang, "原预约", " For the old appointment: ") + refunded
        offer, pay_events = payment_offer(self.services, appt, lang)
        cites = payment_citations(self.services)
        dispatcher.utter_message(text=text + "\n" + offer, json_message={"appointment": appt.contract(), "intent": "booking", **extra,
                                                                     **({"citations": cites} if cites else {})})
        return reset + pay_events


# ---- my appointments, cancel, reschedule ----------------------------------------------------------
class ActionMyAppointments(_BookingAction):
    def name(self) -> str:
        return "action_my_appointments"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        appts = await _appointments_for(self.svc, tracker)
        if not appts:
            dispatcher.utter_message(text=t(lang, "没有查到您接下来的预约。需要现在帮您挂号吗？", "You have no upcoming appointments. Would you like to book one?"),
                                     json_message={"intent": "booking"})
            return []
        lines = [self.tx.appt_line(a, lang) + ("" if a.status == "confirmed" else t(lang, "（保留中，未确认）", " (held, not confirmed)")) for a in appts]
        dispatcher.utter_message(text=t(lang, "您接下来的预约：\n", "Your upcoming appointments:\n") + self.tx.numbered(lines, lang), json_message={"intent": "booking"})
        return []


async def _appointments_for(svc: Any, tracker: Tracker) -> list[Appointment]:
    appts = await svc.my_appointments(owner_of(tracker))
    idn, phone, kind = entity(tracker, "id_number"), entity(tracker, "phone"), RESIDENT_ID
    if not idn:
        doc_kind, number, _ = parse_document(tracker.latest_message.get("text") or "")
        if doc_kind in (PASSPORT, HK_MACAU_PERMIT, TAIWAN_PERMIT) and number:
            idn, kind = number, doc_kind
    if idn and phone:
        # A caller on another channel proves the booking with the ID document's number and the phone given.
        p = await svc.find_patient(str(idn), kind)
        if p is not None and p.phone == normalize_mobile(str(phone)):
            seen = {a.appointment_id for a in appts}
            appts += [a for a in await svc.patient_appointments(str(idn), kind) if a.appointment_id not in seen]
    return [a for a in appts if a.status == "confirmed"] + [a for a in appts if a.status == "held"]


def _gave_identity(tracker: Tracker) -> bool:
    kinds = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
    return bool(kinds & {"id_number", "phone"}) or parse_document(tracker.latest_message.get("text") or "")[1] is not None


class _ChooseAppointment(_BookingAction):
    """Shared by cancel and reschedule: pick the appointment (numbered when several), then act."""

    verb_zh = ""
    verb_en = ""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        active = (tracker.active_loop or {}).get("name") == self.name()
        target = tracker.get_slot("booking_target") if active else None
        awaiting_identity = active and target is None and tracker.get_slot("booking_targets") is None
        if awaiting_identity and intent_of(tracker) == "deny":
            dispatcher.utter_message(text=t(lang, "好的。还有什么可以帮您？", "OK. Is there anything else I can help with?"),
                                     json_message={"intent": "booking"})
            return self._end()
        if awaiting_identity and not _gave_identity(tracker):
            dispatcher.utter_message(
                text=t(lang, "请告诉我就诊人的证件号码和预约时留的手机号；不需要了请说“算了”。",
                       "Please give the patient's ID or passport number and the mobile number used to book, or say \"never mind\"."),
                json_message={"intent": "booking"})
            return []
        if active and target is None and not awaiting_identity:
            chosen = pick(tracker.get_slot("booking_targets"), choice_of(tracker))
            if chosen is None:
                if intent_of(tracker) == "deny":
                    dispatcher.utter_message(text=t(lang, "好的，预约保持不变。", "OK, your appointments stay as they are."))
                    return self._end()
                dispatcher.utter_message(text=t(lang, "请说第几个预约。", "Please say the number of the appointment."))
                return []
            return await self.chosen(dispatcher, tracker, chosen, lang)
        if active and target:
            return await self.act(dispatcher, tracker, target, lang)
        appts = [a for a in await _appointments_for(self.svc, tracker) if a.status == "confirmed"]
        if not appts:
            if awaiting_identity or _gave_identity(tracker):
                dispatcher.utter_message(
                    text=t(lang, f"没有查到这个证件号码和手机号下可以{self.verb_zh}的预约。请核对号码，或转人工帮您查。",
                           f"I found no appointment to {self.verb_en} for that ID number and phone. Please check them, or ask for a person to look it up."),
                    json_message={"intent": "booking"})
                return self._end()
            # booked earlier or on another channel: the patient proves it with the document and the phone
            dispatcher.utter_message(
                text=t(lang, f"这个对话里没有可以{self.verb_zh}的预约。如果是之前或在其他渠道(公众号、电话、自助机)预约的，"
                             "请告诉我就诊人的证件号码和预约时留的手机号，我来查。",
                       f"There is no appointment to {self.verb_en} in this chat. If it was booked earlier or elsewhere (WeChat, phone, kiosk), "
                       "tell me the patient's ID or passport number and the mobile number used to book, and I'll look it up."),
                json_message={"intent": "booking"})
            return [SlotSet("booking_targets", None), SlotSet("booking_target", None), ActiveLoop(self.name())]
        if len(appts) == 1:
            return await self.chosen(dispatcher, tracker, appts[0].appointment_id, lang, first=True)
        lines = [self.tx.appt_line(a, lang) for a in appts]
        dispatcher.utter_message(
            text=t(lang, f"您有{len(appts)}个预约，要{self.verb_zh}哪一个？\n", f"You have {len(appts)} appointments. Which one should I {self.verb_en}?\n") + self.tx.numbered(lines, lang),
            json_message={"choices": [{"n": i, "label": line, "value": a.appointment_id} for i, (a, line) in enumerate(zip(appts, lines, strict=True), 1)], "intent": "booking"},
        )
        return [SlotSet("booking_targets", [a.appointment_id for a in appts]), SlotSet("booking_target", None), ActiveLoop(self.name())]

    def _end(self) -> list[dict[str, Any]]:
        return [SlotSet("booking_targets", None), SlotSet("booking_target", None), ActiveLoop(None)]

    def _too_late(self, dispatcher: CollectingDispatcher, appt: Any, lang: str) -> bool:
        """Past the free-cancellation deadline (18:00 the day before): say so; nothing can change."""
        if rules.can_cancel(appt.date, self.svc.now()):
            return False
        dispatcher.utter_message(
            text=reason_text(self.tx, "cancel_too_late", {"deadline": rules.free_cancel_deadline(appt.date)}, lang, self.svc.now()),
            json_message={"intent": "booking"},
        )
        return True

    async def chosen(self, dispatcher: CollectingDispatcher, tracker: Tracker, appointment_id: str, lang: str, first: bool = False) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, appointment_id: str, lang: str) -> list[dict[str, Any]]:
        raise NotImplementedError


class ActionCancelAppointment(_ChooseAppointment):
    verb_zh, verb_en = "取消", "cancel"

    def name(self) -> str:
        return "action_cancel_appointment"

    async def chosen(self, dispatcher: CollectingDispatcher, tracker: Tracker, appointment_id: str, lang: str, first: bool = False) -> list[dict[str, Any]]:
        appt = await self.svc.get(appointment_id)
        if self._too_late(dispatcher, appt, lang):
            return self._end()
        dispatcher.utter_message(
            text=t(lang, f"确定要取消{self.tx.appt_line(appt, lang)}的预约吗？就诊前一日18:00前取消免费，已支付的挂号费全额原路退回。",
                   f"Cancel the appointment of {self.tx.appt_line(appt, lang)}? Cancelling before 18:00 the day before is free and a paid fee is refunded in full."),
            json_message={"intent": "booking"},
        )
        return [SlotSet("booking_target", appointment_id), ActiveLoop(self.name())]

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, appointment_id: str, lang: str) -> list[dict[str, Any]]:
        it = intent_of(tracker)
        if it == "deny":
            dispatcher.utter_message(text=t(lang, "好的，预约保留不变。", "OK, the appointment stays."), json_message={"intent": "booking"})
            return self._end()
        if it != "affirm":
            dispatcher.utter_message(text=t(lang, "请回答“是”确认取消，或“不”保留预约。", "Please say yes to cancel, or no to keep it."))
            return []
        res = await self.svc.cancel(appointment_id, actor=actor_of(tracker), owner=None)
        if not res.ok:
            dispatcher.utter_message(text=reason_text(self.tx, res.reason, res.detail, lang, self.svc.now()), json_message={"intent": "booking"})
            return self._end()
        a = res.appointment
        refunded, extra = await refund_fee(self.services, a, lang, key=f"appointment-cancel:{a.appointment_id}", actor=actor_of(tracker))
        dispatcher.utter_message(
            text=t(lang, f"已取消{self.tx.appt_line(a, lang)}的预约。", f"Cancelled: {self.tx.appt_line(a, lang)}. ") + refunded,
            json_message={"appointment": a.contract(), "intent": "booking", **extra},
        )
        events = self._end()
        pending = tracker.get_slot("payment_appointment") or {}
        if pending.get("appointment_id") == a.appointment_id:
            events += [SlotSet("payment_appointment", None), SlotSet("offer", None)]
        return events


class ActionRescheduleAppointment(_ChooseAppointment):
    """Picks the appointment, then runs the booking form for the new time (patient kept)."""

    verb_zh, verb_en = "改约", "move"

    def name(self) -> str:
        return "action_reschedule_appointment"

    async def chosen(self, dispatcher: CollectingDispatcher, tracker: Tracker, appointment_id: str, lang: str, first: bool = False) -> list[dict[str, Any]]:
        appt = await self.svc.get(appointment_id)
        if self._too_late(dispatcher, appt, lang):
            return self._end()
        patient = await self.svc.his.get_patient(appt.patient_id)
        dispatcher.utter_message(text=t(lang, f"好的，为您改约{self.tx.appt_line(appt, lang)}的预约。", f"OK, let's move {self.tx.appt_line(appt, lang)}."),
                                 json_message={"intent": "booking"})
        prefill = {
            "department": appt.dept_id, "doctor": appt.doctor_id, "date": None, "session": None, "slot": None, "confirm": None,
            "patient_relationship": appt.relationship, "patient_name": patient.name, "id_number": patient.id_number, "phone": patient.phone,
            "id_type": patient.id_type, "birth_date": patient.birth_date.isoformat() if patient.birth_date else None, "patient_sex": patient.sex,
            "booking_reschedule_of": appt.appointment_id, "booking_hold": None, "booking_result": None,
        }
        return [SlotSet("booking_targets", None), SlotSet("booking_target", None)] + [SlotSet(k, v) for k, v in prefill.items()] + [ActiveLoop(FORM)]

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, appointment_id: str, lang: str) -> list[dict[str, Any]]:
        return await self.chosen(dispatcher, tracker, appointment_id, lang)


def booking_actions(services: Any) -> dict[str, Action]:
    """Every booking action by name, for the dialogue manager's registry."""
    actions: list[Action] = [
        ValidateBookingForm(services),
        *(_AskText(services, slot) for slot in ("department", "patient_name", "phone", "birth_date", "patient_sex")),
        ActionAskIdNumber(services),
        ActionAskDoctor(services),
        ActionAskDate(services),
        ActionAskSession(services),
        ActionAskSlot(services),
        ActionAskPatientRelationship(services),
        ActionAskConfirm(services),
        ActionSubmitBookingForm(services),
        ActionMyAppointments(services),
        ActionCancelAppointment(services),
        ActionRescheduleAppointment(services),
    ]
    return {a.name(): a for a in actions}
