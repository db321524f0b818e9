"""Whether a short message said right after a triage result adds to the complaint just assessed: how it
began or goes on, when it happens, a sign denied by name, a medicine taken, or "no other symptoms".
The dialogue manager reassesses such a message with what was already said instead of answering
"I didn't understand"; what it means clinically is the assessment's business (assessment.py)."""

from __future__ import annotations

import re

MAX_DETAIL_CHARS = 40  # a detail is a short answer; a longer message is a new request

_NO_MORE_SYMPTOMS = re.compile(r"^\s*(也?没有|没|无)(其他|别的|其它)?(的)?(症状|不舒服|了|发烧|发热|吐|出血|流血)|^\s*no (other )?(symptoms|fever|blood|bleeding|vomiting)\b", re.I)
# How the complaint began or goes on, said right after a triage result that asked about it
# (不是突然的，是慢慢的 / 一阵一阵的 / 越来越重 / it came on gradually): a detail to reassess with.
_COURSE = re.compile(
    r"突然|突发|慢慢|逐渐|渐渐|一直(都)?(这样|有)|断断续续|时好时坏|反反复复|反复|越来越|一阵一阵|阵发|持续"
    r"|加重|减轻|好转|没(有)?(好|缓解)|\b(sudden(ly)?|gradual(ly)?|comes? and goes?|getting (worse|better)|on and off)\b", re.I)
# A sign denied by name after a result that warned of it (没有拉黑的 / 不发烧 / 也不吐 / no black stools):
# a detail to reassess with. A plain 不用了 / 不要 / 没有了 declines the offered booking instead.
_DENIED_SIGN = re.compile(
    r"^\s*(?:也|都|并|倒是?|还)?(?:没有|没|无|不)(?!用|要|需要|必要|了|事|关系|问题|想|约|挂|预约|去|看|清楚|知道|晓得|记得|确定|是|对|行|好意思|客气|谢)"
    r"[一-龥]{1,10}|^\s*(?:no|not|never|without)\s+(?!thanks|thank|need|problem|worries|way|sure|now|more\b|i\b)[a-z]+"
    r"|^\s*i (?:don'?t|do not|haven'?t|have not) (?:have|had|got|noticed?|seen?) (?:any )?[a-z]+", re.I)
# A medicine the patient takes (在吃硝苯地平 / 一直吃着降压药 / I'm on metformin): a detail to reassess with.
_ON_MEDICINE = re.compile(
    r"(?:在|正在|一直|长期|每天|天天|平时|还)(?:在)?(?:吃|服|服用|用|打)(?:着)?[一-龥a-zA-Z]{1,12}|吃着[一-龥a-zA-Z]{1,12}"
    r"|(?<![a-z])(?:i'?m on|i am on|taking|i take|been taking)\s+[a-z]+", re.I)
# When or how often it happens (晚上老抽 / 一天好几次 / 睡觉的时候 / at night): a detail to reassess with.
_PATTERN = re.compile(
    r"晚上|夜里|夜间|半夜|早上|早晨|白天|睡觉(?:的时候|时)|睡着|饭后|饭前|吃完饭|活动(?:后|时)|走路(?:时|的时候)|老是?(?=[一-龥])|总是|经常|常常"
    r"|天天|每天|一天.{0,3}次|好几次|频繁|偶尔|有时候?"
    r"|(?<![a-z])(?:at night|in the morning|every day|daily|often|sometimes|several times|after (?:meals|eating)|when i (?:walk|sleep))(?![a-z])", re.I)


def adds_to_complaint(text: str) -> bool:
    """不是突然的，是慢慢的 / 晚上老抽 / 没有拉黑的 / 在吃硝苯地平 / 没有其他症状 → True."""
    t = text or ""
    if _NO_MORE_SYMPTOMS.match(t):
        return True
    if len(t) > MAX_DETAIL_CHARS:
        return False
    return any(rx.search(t) for rx in (_COURSE, _PATTERN, _ON_MEDICINE)) or _DENIED_SIGN.match(t) is not None
