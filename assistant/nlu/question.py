"""Is a message asking for information (how much, when, where, can I…) or asking to do something
(book me, I want to pay, read my report)? Questions about a topic are answered from the documents
first; requests go to the skill that acts."""

from __future__ import annotations

import re

_QUESTION_ZH = re.compile(
    r"[吗么嘛][？?。!！\s]*$|多少|怎么|怎样|如何|哪里|哪儿|在哪|哪个|哪天|哪些|星期几|周几|几点|几(?:号)?(?:楼|层|栋|座|号窗口|号门)|哪(?:栋|层|座|个门)|几(?:个)?(?:天|小时|钟头|分钟|周|星期|个工作日|个月)(?:能|可以|才|就|出|拿|取)|([\u4e00-\u9fff])不\1|多久|多长|什么时候|能不能|可不可以|可以.{0,12}吗|"
    r"是否|有没有|有无|要不要|需不需要|需要.{0,10}吗|为什么|为啥|什么|啥|[？?]\s*$"
)
_QUESTION_EN = re.compile(
    r"^\s*(what|how|when|where|which|who|why|can|could|do|does|did|is|are|will|would|should|may|am)\b|\?\s*$", re.I
)
_REQUEST_ZH = re.compile(
    r"(我|帮我|给我|替我|我想|我要|想要|麻烦)[^，,。？?]{0,4}(挂|约|预约|缴费|交费|付款|支付|退号|退费|取消|改约|看看这|解读|算算|算一下)|"
    r"这次|我这次|我的(账单|费用|报告|化验单|检查结果|预约)|这(张|个|份)(报告|化验单|单子)|帮我|给我挂|"
    r"还有号|有号吗|有没有号|能挂上|约得上|"
    r"(看了|做了|开了|拿了|花了|查了|买了|住了)[^，,。？?]{0,12}(费|检查|彩超|CT|血常规|药|盒|天|次)"
)
_REQUEST_EN = re.compile(
    r"\b(book|schedule|make) (me|an appointment|a appointment)\b|\bi (want|would like|need) to (book|pay|cancel|reschedule)\b|"
    r"\bis there (a|an|any) [a-z ]{0,30}(slot|appointment|opening)s?\b|\bhow much will i pay\b|\bmy (bill|report|results|appointment)\b|\bthis (visit|bill|report)\b|\bread my\b|\bany (slots|appointments) (left|available)\b",
    re.I,
)


def is_info_question(text: str) -> bool:
    t = text.strip()
    return bool(_QUESTION_ZH.search(t) or _QUESTION_EN.search(t))


def is_request(text: str) -> bool:
    t = text.strip()
    return bool(_REQUEST_ZH.search(t) or _REQUEST_EN.search(t))


_CAN_I = re.compile(r"^\s*(can|could|may|is it possible (for me )?to|am i allowed to) (i )?\b", re.I)


def wants_information(text: str) -> bool:
    """A general question about the hospital's rules, fees, hours or places, not a request to act."""
    if not is_info_question(text):
        return False
    if _CAN_I.match(text) and not re.search(r"\bbook me\b", text, re.I):
        return True  # "Can I cancel my appointment and get a refund?" asks about the rule
    return not is_request(text)
