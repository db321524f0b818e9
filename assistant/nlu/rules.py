"""High-precision intent rules: short fixed replies (你好, 对, 不是, 第二个), explicit requests for a
person (转人工), and pasted lab values. A rule either answers with (intent, confidence) or abstains.
"""

from __future__ import annotations

import re

from assistant.nlu.lexicon import Lexicon
from assistant.nlu.question import is_info_question
from assistant.nlu.types import Entity

_STRIP = re.compile(r"^[\s\W_]+|[\s\W_]+$", re.U)
_PUNCT = re.compile(r"[\s,，.。!！?？~～、…·'\"“”‘’()（）\[\]【】:：;；]+")

_HUMAN = re.compile(
    r"转人工|转接人工|转接客服|人工客服|人工服务|人工坐席|真人客服|找真人|要真人|找个真人|要人工|接人工|转个人工|^人工+$|"
    r"转[仁入]工|人宫客服|找个活人|不想跟机器人|不想和机器人|不要机器人|[跟和]人说话|找个人工|转一下人工|"
    r"\b(?:human|real person|operator|customer service|live agent|live person)\b|^agent(?: please)?$|"
    r"\b(?:talk|speak|chat) (?:to|with) (?:a |an )?(?:human|person|real person|someone|somebody|staff|agent|representative)\b",
    re.I,
)
_GREETING = re.compile(
    r"(?:你好|您好|你们好|大家好|在吗|在不在|有人吗|有人在吗|哈喽|哈啰|嗨|喂|早上好|上午好|中午好|下午好|晚上好|早安|晚安|早|"
    r"小滨|医生|大夫|谢谢|谢谢你|谢啦|多谢|感谢|再见|拜拜|打扰了|请问|呀|啊|哈|nihao|hello|hallo|hi|hey|hiya|there|"
    r"good|morning|afternoon|evening|thanks|thank|you|so|much|very|bye|goodbye|see|🙏|👋)+",
    re.I,
)
_GREETING_CORE = re.compile(
    r"你好|您好|你们好|在吗|在不在|有人|哈喽|哈啰|嗨|喂|好$|早|谢|再见|拜拜|打扰|nihao|hello|hallo|hi|hey|"
    r"good|thank|bye|🙏|👋",
    re.I,
)
_AFFIRM = re.compile(
    r"(?:对|对的|对啊|对呀|对头|对对|是|是的|是啊|是呀|嗯|恩|好|好的|好滴|好嘞|好啊|好吧|行|行的|行啊|可以|可以的|没错|没问题|"
    r"确认|确定|就这样|就这个|就它|中|要得|没毛病|妥|ok|okay|okey|yes|yeah|yep|yup|sure|correct|right|"
    r"confirm|confirmed|sounds good|of course|please|👍|👌|✅)+",
    re.I,
)
_DENY = re.compile(
    r"(?:不对|不是|不是的|不要|不要了|不用|不用了|不行|错了|不对不对|算了|不需要|不了|别|不|没有|没|不好|搞错了|弄错了|不中|"
    r"要不得|莫得|不确认|no|nope|nah|wrong|not right|no thanks|thanks|❌|👎)+",
    re.I,
)


# A refill for a known illness (我有糖尿病，血糖控制得挺好，想开药 / my pills ran out): a visit to the
# illness's department, said as a statement; 血糖 in it is not a lab report to read.
_REFILL = re.compile(r"(想|要|来|再)(开|配|拿)(点|些|一些)?药|药(快|都|已经)?(吃|用)(完|光)了|续方|"
                     r"\b(refill|ran out of|run out of|out of my) ?(my )?(pills|medicine|medication|tablets)?\b", re.I)


# A bare answer to "how long has this been going on?" (2 hours / about three days / 两个小时 / 三天了): part
# of a symptom interview, not a question about opening hours ("hours" is what the faq examples share).
_NUM_WORD = r"(?:\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|few|a couple(?: of)?|couple(?: of)?|several|half an?|an? half)"
_DURATION_ONLY = re.compile(
    r"^(?:(?:about|around|roughly|approximately|approx\.?|maybe|like|almost|nearly|over|more than|less than|just|only|for|since|"
    r"it'?s been|it has been|been|probably)\s+)*"
    rf"{_NUM_WORD}(?:\s*(?:-|or|to)\s*{_NUM_WORD})?\s*(?:and a half\s*)?(?:min(?:ute)?s?|h(?:ou)?rs?|hours?|days?|nights?|weeks?|wks?|months?|years?|yrs?)"
    r"(?:\s+(?:now|ago|already|or so|so far|and counting))*$"
    r"|^since\s+(?:yesterday|last night|this morning|this afternoon|this evening|tonight|the morning|the weekend|last week|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:\s+(?:morning|afternoon|evening|night))?$"
    r"|^(?:大概|大约|差不多|有|快|已经)?[\d一二两三四五六七八九十半几]+(?:个)?(?:多)?(?:分钟|小时|钟头|天|晚|周|星期|礼拜|个月|月|年)(?:多)?(?:了|左右)?$",
    re.I,
)
# A passport or travel permit given with its number (my passport number is X98765432 / 护照E12345678): the
# booking form's identity answer, however the classifier reads the sentence around it.
_DOC_NUMBER = re.compile(
    r"(?:\bpassport|\b(?:travel |mainland travel |home[- ]return )?permit|护照|回乡证|台胞证|通行证)"
    r"(?:\s*(?:number|no\.?|#|号码?))?(?:\s*(?:is|:|：|是))?\s*[A-Za-z]{0,2}\d[A-Za-z\d]{4,16}\b", re.I)


def _compact(text: str) -> str:
    return _PUNCT.sub("", text.lower())


def apply_rules(text: str, folded: str, entities: list[Entity], lexicon: Lexicon) -> tuple[str, float] | None:
    """(intent, confidence) when a rule is sure, else None."""
    core = _STRIP.sub("", folded)
    compact = _compact(folded)
    if _HUMAN.search(folded.lower()):
        return ("human", 0.97)
    if not compact:
        return None
    if len(compact) <= 12:
        if _DENY.fullmatch(compact) and not compact.startswith(("thanks",)):
            return ("deny", 0.95)
        if _AFFIRM.fullmatch(compact) and compact not in ("please", "right"):
            return ("affirm", 0.95)
        ords = [e for e in entities if e.type == "ordinal"]
        if ords and len(compact) <= 8:
            covered = sum(len(_compact(e.text)) for e in ords)
            if covered >= 0.6 * len(compact):
                return ("choose", 0.95)
    if len(compact) <= 24 and _GREETING.fullmatch(compact) and _GREETING_CORE.search(compact):
        return ("greeting", 0.95)
    if _DURATION_ONLY.match(_STRIP.sub("", folded).strip()):
        return ("triage", 0.6)
    if _DOC_NUMBER.search(folded):
        return ("booking", 0.9)
    if lexicon.lab_values(core) >= 2:
        return ("report", 0.95)
    if _REFILL.search(folded) and not is_info_question(text) and not re.search(r"\d", folded):
        return ("triage", 0.9)
    return None
