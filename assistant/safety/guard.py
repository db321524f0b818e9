"""The safety guard: screens patient input before any skill, and checks every outgoing reply.

``screen_input`` sorts a patient's message into ok / crisis / prompt_injection / prompt_extraction /
others_data / dosage / prescription / stop_treatment / diagnosis_request. ``guard_reply`` is applied
to every reply of every skill: it replaces diagnoses, prescriptions, doses, advice to stop a
treatment and system-prompt leakage with a safe refusal that offers a human (keeping any 120 /
emergency advice), and masks identity and phone numbers echoed back. Rules only; no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.safety.pii import mask_text
from assistant.safety.redflags import check_extraction
from assistant.services.triage.extract import extract, normalize

KINDS = ("ok", "crisis", "prompt_injection", "prompt_extraction", "others_data", "dosage", "prescription",
         "stop_treatment", "diagnosis_request")

_DRUGS = (r"布洛芬|对乙酰氨基酚|扑热息痛|阿莫西林|头孢\w{0,4}|阿司匹林|硝酸甘油|二甲双胍|胰岛素|氨氯地平|硝苯地平|缬沙坦|氯沙坦|"
          r"美托洛尔|阿托伐他汀|瑞舒伐他汀|氯吡格雷|华法林|利伐沙班|奥美拉唑|雷贝拉唑|蒙脱石散|左氧氟沙星|阿奇霉素|青霉素|地塞米松|"
          r"泼尼松|甲硝唑|氯雷他定|西替利嗪|安眠药|安定|地西泮|艾司唑仑|舍曲林|帕罗西汀|抗生素|消炎药|退烧药|降压药|降糖药|止痛药|"
          r"感冒药|激素|他汀|ibuprofen|paracetamol|acetaminophen|tylenol|advil|aspirin|amoxicillin|antibiotics?|metformin|insulin|"
          r"nitroglycerin|warfarin|statins?|painkillers?|sleeping pills?|steroids?|prednisone|antidepressants?")
_DRUG_RE = re.compile(_DRUGS)

# Whether two medicines, or a medicine and alcohol or a food, can be taken together: for the prescribing
# doctor or a pharmacist, never for the assistant. Screened as a dosage question ("how to take it") with
# its own refusal. A symptom while on a medicine (我在吃阿司匹林，最近牙龈出血) is not this: triage takes it.
_Q = r"(吗|么|嘛|能不能|可不可以|可以不|行不行|行吗|有没有(影响|问题|冲突)|会不会|要不要紧|影响|冲突|相克|[?？])"
_INTERACTION = re.compile(
    r"(" + _DRUGS + r"|药)[^,.;!?。，]{0,10}(和|跟|与|同|加|配|搭配)[^,.;!?。，]{0,12}(一起|一块儿?|同时|混着|混在一起|合用|同服|一同|搭配|配着)"
    r"[^。]{0,8}" + _Q + r"|"
    r"(" + _DRUGS + r"|药)[^。]{0,16}(相互作用|相克|冲突|犯冲|一起吃|一块儿?吃|同时吃|同时服|同服|合用)|"
    r"(吃|服|用|打)(了|着|完)?[^,.;!?。，]{0,4}(" + _DRUGS + r"|药)[^,.;!?。，]{0,6}(还|能|可以|可不可以|能不能)[^,.;!?。，]{0,4}(喝酒|饮酒|喝啤酒|喝白酒|吃柚子|喝柚子汁|喝茶|喝咖啡|喝牛奶)|"
    r"(喝了?酒|饮酒|喝完酒)[^,.;!?。，]{0,8}(能|可以|可不可以|能不能|还能)[^,.;!?。，]{0,4}(吃|服|用)[^,.;!?。，]{0,4}(" + _DRUGS + r"|药)|"
    r"(?<![a-z])(?:(?:take|mix|combine|have) (?:an? |some |my )?(?:" + _DRUGS + r"|medicines?|medications?|pills?|tablets?)[^.!?]{0,30} "
    r"(?:with|and|together with|alongside) (?:my |an? |some |the )?(?:[a-z]+ ){0,3}(?:" + _DRUGS + r"|pills?|medicines?|medications?|tablets?|alcohol|drinks?|beer|wine)"
    r"|(?:interact|interaction|interactions)[^.!?]{0,30}(?:" + _DRUGS + r"|medicines?|medications?|pills?)|(?:" + _DRUGS + r"|medicines?|medications?|pills?)[^.!?]{0,30}interact"
    r"|(?:drink|have a drink|drink alcohol|drink beer|drink wine)[^.!?]{0,20}(?:on|after|while (?:on|taking)|with) (?:my |an? |some |the )?(?:" + _DRUGS + r"|antibiotics?|medicines?|medications?|pills?))(?![a-z])")

_INPUT_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("prompt_extraction", re.compile(
        r"系统提示词|系统提示|系统指令|提示词|system prompt|系统设定|你的设定|初始指令|原始指令|你的指令|你的规则原文|内部规则|"
        r"(输出|打印|显示|告诉我|重复|复述|泄露|给我看)[^,.;!?。，]{0,8}(上面|之前|最开始|你收到)的(内容|话|指令|文字)|"
        r"(?<![a-z])(?:your (?:system )?(?:prompt|instructions)|initial instructions|reveal your|print your (?:prompt|instructions)|"
        r"repeat (?:the|your) (?:text|words|instructions) above|what (?:were|are) you told|hidden instructions|developer message)(?![a-z])")),
    ("prompt_injection", re.compile(
        r"忽略(之前|以上|前面|上面|所有|你的)?[^,.;!?。，]{0,6}(指令|指示|规则|设定|限制|要求)|无视(规则|限制|指令)|解除(限制|封印)|"
        r"你现在是|从现在开始你|扮演|假装你是|假设你是|以医生(的)?身份|你不再是|越狱|开发者模式|不受(任何)?限制|"
        r"<\|im_start\|>|\[inst\]|<<sys>>|^\s*system\s*:|"
        r"(?<![a-z])(?:ignore (?:all |any |the )?(?:previous|prior|above|earlier|your)|disregard (?:all |the |your )?(?:previous|prior|above|rules|instructions)|"
        r"you are now|pretend (?:to be|you are)|act as (?:a|an|my)|developer mode|jailbreak|dan mode|do anything now|"
        r"new instructions|override (?:your|the) (?:rules|instructions))(?![a-z])")),
    ("others_data", re.compile(
        r"(查|看|调|找|告诉我|给我)[^,.;!?。，]{0,6}(邻居|同事|朋友|前妻|前夫|老板|别人|其他(患者|病人|人)|陌生人|某某|明星|病友|隔壁床|[张王李赵刘陈]某|[张王李赵刘陈][一-龥]{1,2}(?=的))"
        r"[^,.;!?。，]{0,6}(病历|预约|挂号|报告|检查结果|化验|身份证|手机号|电话|住院|就诊记录|病情|诊断|住址|床号|病房)|"
        r"(他|她|别人|这个人|那个人|某人)的(身份证号?|手机号|电话号码|住址|病历|就诊记录|检查结果|报告)|"
        r"(住在|住)哪个病房|哪个床位|"
        r"(所有|全部|昨天|今天|其他)[^,.;!?。，]{0,8}(病人|患者|病号)[^,.;!?。，]{0,6}(名单|电话|手机|信息|资料|身份证)|(病人|患者)(的)?(名单|通讯录)|"
        r"(?<![a-z])(?:list of (?:all )?(?:the )?patients|patients'? (?:names|phone numbers|list))(?![a-z])|"
        r"(?<![a-z])(?:(?:look up|check|find|show me|access|see) (?:my )?(?:neighbou?r|colleague|coworker|friend|ex-wife|ex-husband|boss|someone else|another patient|other patients?)(?:'s)? (?:[a-z]+ )?"
        r"(?:records?|appointments?|results?|reports?|id|phone|address|diagnosis|room)|someone else's (?:[a-z]+ )?(?:records?|appointments?|results?|data|information)|"
        r"another patient's|other patients' (?:records|data|information)|(?:his|her|their) (?:id number|phone number|medical records?))(?![a-z])")),
    ("drug_interaction", _INTERACTION),
    ("stop_treatment", re.compile(
        r"(能|可以|可不可以|能不能|是不是可以|要不要)(不|先)?停(掉|了|药|用)?|停(了|掉)?(行吗|可以吗|吗)|停药|停掉|不吃药|不想吃药|不吃了|不用吃|可以不吃|能不能不吃|能不吃|减药|减量|少吃点药|换药|不打胰岛素|停用|不做化疗|不透析|断药|药停了|自己停|"
        r"(?<![a-z])(?:stop (?:taking|my|the|using)|quit (?:my|taking)|come off|skip (?:my|a) (?:dose|medication|pills?)|"
        r"reduce my dose|cut back on my|do i (?:still )?need to take|can i stop)(?![a-z])")),
    ("dosage", re.compile(
        r"(吃|服|用|喝|打|含|注射)(几|多少)(片|粒|颗|袋|支|毫克|克|毫升|单位|次|量)|一次(吃|用|服|喝|打|涂|滴)(几|多少)|剂量|用量|用法用量|"
        r"一天(吃|用|服)?几次|(吃|用)多少合适|多大剂量|多吃(一|几)(片|粒)|加量|吃双倍|"
        r"(?<![a-z])(?:how (?:much|many)[^?.!]{0,30}(?:take|give|mg|pills?|tablets?|doses?)|what dose|dosage|"
        r"how often should i take|maximum dose|double (?:the|my) dose)(?![a-z])")),
    ("prescription", re.compile(
        r"开(点|些|个|一些)?(药|处方)|给我开|帮我开|推荐[^,.;!?。，]{0,8}药|吃什么药|用什么药|该吃啥药|吃啥药|买什么药|有什么药|"
        r"什么药(好|管用|有效)|能(不能)?吃(" + _DRUGS + r")|可以吃(" + _DRUGS + r")吗|要不要吃(" + _DRUGS + r"|药)|"
        r"(?<![a-z])(?:prescribe|prescription for|what (?:medicine|medication|drug|pill)s? (?:should|can|do) i|recommend (?:a|some|any) (?:medicine|drug|pill)|"
        r"can i take (?:some )?(?:" + _DRUGS + r")|should i take (?:some )?(?:" + _DRUGS + r"|medicine))(?![a-z])")),
    ("diagnosis_request", re.compile(
        r"是不是得了|我是不是(得|患|有)|是不是[^,.;!?。，]{0,6}(病|炎|癌|瘤|症|艾滋|中风|脑梗|心梗|梅毒|乙肝)|"
        r"是什么病|得了什么病|这是什么病|什么毛病|会不会是[^,.;!?。，]{0,8}(病|癌|瘤|炎|症)|帮我诊断|给我诊断|诊断一下|确诊一下|我得了啥|是(癌|恶性)吗|"
        r"(?<![a-z])(?:do i have (?:cancer|a tumou?r|diabetes|hiv|covid|[a-z]+ disease)|is (?:it|this) cancer|what disease|diagnose me|what's wrong with me|"
        r"what is wrong with me|what do i have|is it serious disease|could it be cancer|am i (?:sick|dying))(?![a-z])")),
]


@dataclass
class InputScreen:
    kind: str
    lang: str = "zh"
    reason: str = ""
    reply: str = ""
    escalate: dict[str, Any] | None = None
    red_flags: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


@dataclass
class GuardResult:
    text: str
    changed: bool
    violations: list[str] = field(default_factory=list)


REFUSALS: dict[str, tuple[str, str]] = {
    "prompt_extraction": ("抱歉,我不能提供内部设定或系统指令。我可以帮您导诊、预约挂号、查看检查报告、了解医保和就诊流程;需要的话也可以转人工客服。",
                          "Sorry, I can't share my internal setup or instructions. I can help with choosing a department, booking, reading a report, insurance and hospital services, or connect you with a staff member."),
    "prompt_injection": ("抱歉,我只能按照医院的规则为您服务,不能改变身份或忽略安全规则。我可以帮您导诊、预约挂号、查看报告和了解就诊流程;需要的话可以转人工客服。",
                         "Sorry, I can only help within the hospital's rules and can't change my role or ignore safety rules. I can help with choosing a department, booking, reports and hospital services, or connect you with a staff member."),
    "others_data": ("抱歉,为保护隐私,我不能查询其他人的病历、预约、检查结果或身份信息。本人可以登录后查询;家属代办请按医院规定在账号中绑定就诊人,或带相关证件到1号楼1楼门诊服务中心办理。需要的话我可以帮您转人工客服。",
                    "Sorry, to protect privacy I can't look up another person's records, appointments, results or identity details. Patients can look up their own after signing in; family members can add a patient to their account under the hospital's rules or ask at the outpatient service centre. I can connect you with a staff member if you like."),
    "dosage": ("抱歉,我不能提供用药剂量或用法建议。请按医生处方和药品说明书使用,或咨询开药医生、药房药师;如果担心用量不对或出现不适,请及时就医。我可以帮您预约相关科室或转人工客服。",
               "Sorry, I can't give doses or tell you how to take a medicine. Please follow your prescription and the package leaflet, or ask your doctor or a pharmacist; if you are worried about a dose or feel unwell, seek care. I can book a clinic or connect you with a staff member."),
    "prescription": ("抱歉,我不能开处方或推荐具体药物。用药需要医生面诊后决定。我可以根据您的症状提示挂哪个科室,并帮您预约;需要的话可以转人工客服。",
                     "Sorry, I can't prescribe or recommend a specific medicine; a doctor decides after seeing you. I can suggest which clinic to see based on your symptoms and book it, or connect you with a staff member."),
    "drug_interaction": ("抱歉,几种药能不能一起用、用药期间能不能喝酒或吃某些食物,我不能回答,需要结合您的病情和全部用药来判断。"
                         "请咨询当初开药的医生,或到本院1号楼1楼用药咨询窗口问药师(周一至周五08:00-17:00,电话分机8700)。"
                         "用药后如果出现不适,请及时就医;情况紧急请拨打120。我也可以帮您预约开药的科室或转人工客服。",
                         "Sorry, I can't say whether medicines can be taken together, or with alcohol or a food: that depends on your illness "
                         "and everything you take. Please ask the doctor who prescribed them, or a pharmacist at the medication advice "
                         "counter (Building 1, 1st floor, Mon-Fri 08:00-17:00, extension 8700). If you feel unwell after taking them, "
                         "seek care; in an emergency call 120. I can also book the prescribing clinic or connect you with a staff member."),
    "stop_treatment": ("这个问题需要由您的医生来决定,请不要自行停药、减量或换药,以免病情反复或加重。建议预约开药的科室复诊,和医生当面商量。我可以帮您预约,或转人工客服。",
                       "Your doctor needs to decide this: please do not stop, reduce or change a treatment on your own, as the illness may come back or worsen. Book a follow-up with the clinic that prescribed it; I can book it or connect you with a staff member."),
    "diagnosis_request": ("抱歉,我是医院的人工智能助手,不能做出诊断或判断是不是某种病。我可以根据您描述的症状提示可以挂哪个科室、是否需要尽快就医。请说说哪里不舒服、持续多久了?",
                          "Sorry, I'm the hospital's AI assistant and can't diagnose or say which illness is behind your symptoms. I can suggest which clinic to see and how soon, based on your symptoms. What is bothering you, and for how long?"),
}
SAFE_REPLY = ("抱歉,这个问题我不能回答:我不能做诊断、开药、给出剂量或建议停药。我可以帮您导诊、预约挂号,或为您转接人工客服。",
              "Sorry, I can't answer that: I can't diagnose, prescribe, give doses or advise stopping a treatment. I can help you choose a clinic, book an appointment, or connect you with a staff member.")
EMERGENCY_LINE = ("如有胸痛、呼吸困难、意识不清、大出血等紧急情况,请立即拨打120或到急诊。",
                  "In an emergency such as chest pain, trouble breathing, confusion or heavy bleeding, call 120 or go to the emergency department now.")


def screen_input(text: str, lang: str = "zh") -> InputScreen:
    """Classify a patient's message before any skill or model sees it."""
    t = normalize(text)
    ex = extract(text)
    hits = check_extraction(ex)
    if any(h.rule_id == "suicidal_intent" for h in hits):
        hit = next(h for h in hits if h.rule_id == "suicidal_intent")
        return InputScreen(
            kind="crisis", lang=lang, reason="suicidal_intent",
            reply=hit.advice_en if lang == "en" else hit.advice_zh,
            escalate={"reason": "crisis", "priority": 1, "summary": "自伤/自杀风险 (self-harm risk)"},
            red_flags=[h.rule_id for h in hits],
        )
    for kind, rx in _INPUT_RULES:
        if rx.search(t):
            if kind == "prescription" and not re.search(r"药|处方|prescri|medic|drug|pill|tablet|" + _DRUGS, t):
                continue
            if kind == "prescription" and _VISIT_FOR_MEDICINE.search(t) and not re.search(_DRUGS, t):
                continue  # "我有糖尿病，想开药": a visit to a doctor who prescribes — triage routes it
            if kind == "prescription" and _ONLINE_SERVICE.search(t) and not re.search(_DRUGS, t):
                continue  # "网上问诊能开药吗": a question about the internet hospital's service — the documents answer it
            zh, en = REFUSALS[kind]
            return InputScreen(kind=_KIND_OF.get(kind, kind), lang=lang, reason=kind, reply=en if lang == "en" else zh,
                               red_flags=[h.rule_id for h in hits])
    return InputScreen(kind="ok", lang=lang, red_flags=[h.rule_id for h in hits])


_KIND_OF = {"drug_interaction": "dosage"}  # its own refusal, screened as a question of how to take a medicine
_ONLINE_SERVICE = re.compile(r"网上|线上|互联网医院|在线|视频问诊|(?<![a-z])(?:online|internet hospital|video consultation)(?![a-z])")
_VISIT_FOR_MEDICINE = re.compile(r"(想|要|需要|来|去|复诊|定期)开(点|些|一些)?(药|处方)|(want|need) (a )?(refill|repeat prescription)")

# ---- outgoing replies ------------------------------------------------------------------------
_NEG_PREFIX = r"(?<!不要)(?<!不能)(?<!请勿)(?<!切勿)(?<!不可)(?<!别)(?<!不应)(?<!无需)(?<!不会)(?<!不得)"
_REPLY_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("diagnosis", re.compile(
        r"(你|您)(已经)?(得了|患了|患有|确诊|确实是|就是|肯定是|应该是)[^,.;!?。，]{0,10}(病|炎|癌|症|瘤|梗|中风|卒中|综合征|感染|结石|骨折|溃疡|抑郁|焦虑)|"
        r"确诊为|诊断为|诊断是|可以确定是|可以确诊|肯定是[^,.;!?。，]{0,8}(病|炎|癌|症|瘤)|你这是[^,.;!?。，]{0,8}(病|炎|癌|症|瘤|感染)|"
        r"(?<![a-z])(?:you (?:have|'ve got|have got|are suffering from|definitely have|clearly have) (?:an? )?(?:[a-z-]+ ){0,3}"
        r"(?:disease|infection|cancer|syndrome|disorder|tumou?r|diabetes|stroke|pneumonia|depression|hepatitis|ulcer|fracture|appendicitis|flu|covid)|"
        r"(?:the|your) diagnosis is|you are diagnosed|this is definitely|it is definitely)(?![a-z])")),
    ("prescribing", re.compile(
        _NEG_PREFIX + r"(建议|推荐|可以|应该|需要|你可以|您可以)(你|您)?(先|再)?(服用|吃点?|口服|使用|用点?|含服|注射|打|买点?|涂)[^,.;!?。，]{0,6}(" + _DRUGS + r"|药(?!费|房|店|品|师|学|物政策)|片|胶囊|颗粒|冲剂|注射液|软膏|喷雾)|"
        r"给(你|您)开|我(帮|给)?(你|您)?开(一些|点|个)?[^,.;!?。，]{0,4}(药|处方)|"
        r"(?<![a-z])(?:you should take|i recommend taking|i suggest taking|try taking|take (?:some |an? )?(?:" + _DRUGS + r")|i(?:'ll| will) prescribe|i am prescribing)(?![a-z])")),
    ("dose", re.compile(
        r"(每次|一次|每日|每天|一天|一日)[^,.;!?。，]{0,4}[\d一二两三四五六半]+\s*(片|粒|颗|袋|支|滴|毫克|mg|克|g|毫升|ml|单位|iu|次)(?![a-z])[^,.;!?。，]{0,10}(" + _DRUGS + r"|药|服|吃)|"
        r"(" + _DRUGS + r"|药)[^,.;!?。，]{0,10}(每次|一次|每日|每天|一天)?[^,.;!?。，]{0,3}\d+(\.\d+)?\s*(片|粒|毫克|mg|克|毫升|ml|单位|iu)(?![a-z])|"
        r"\d+(\.\d+)?\s*(毫克|mg|μg|微克|iu)(?![a-z/])|"
        r"(?<![a-z])(?:\d+ ?(?:tablets?|pills?|capsules?) (?:a|per|every|each|twice|three times)|(?:take|give) \d+ ?(?:mg|tablets?|pills?|ml))(?![a-z])")),
    ("stop_treatment", re.compile(
        _NEG_PREFIX + r"(可以|可|能|建议|应该|就)(先)?(停药|停用|停掉|不吃药|不用吃药|不用再吃|减量|减药|停止治疗|停止服用|不用打|不用再打)|不用(再)?吃药了|药可以停|"
        r"(?<![a-z])(?:you (?:can|may|should) (?:stop|quit|discontinue)|no need to (?:take|continue)|stop taking your)(?![a-z])")),
    ("prompt_leak", re.compile(
        r"系统提示词|系统提示|我的(提示词|系统指令|指令是|设定是)|<\|im_start\|>|<<sys>>|\[inst\]|你是一个[^,.;!?。，]{0,20}助手[,，。][^。]{0,20}(你必须|你不能|规则)|"
        r"(?<![a-z])(?:system prompt|my instructions (?:are|say)|i was instructed to|you are a helpful assistant|as an ai language model)(?![a-z])")),
]


# Links (a WeChat Pay code URL, a document link) are data, not prose: their random letters and digits
# can spell a dose ("pr=ZtV7Iu7z" reads as 7 IU) or a phone number, so rules and masking skip them.
_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s，。；;,)）]+|www\.[^\s，。；;,)）]+", re.I)


def _mask_outside_links(text: str) -> str:
    out, pos = [], 0
    for m in _URL.finditer(text):
        out.append(mask_text(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(mask_text(text[pos:]))
    return "".join(out)


def guard_reply(reply: str, lang: str, user_text: str = "") -> GuardResult:
    """Check one outgoing reply; replace it with a safe refusal when it breaks a rule, mask ID/phone numbers."""
    text = reply or ""
    low = normalize(_URL.sub(" ", text))
    violations = [name for name, rx in _REPLY_RULES if rx.search(low)]
    if violations:
        zh, en = SAFE_REPLY
        safe = en if lang == "en" else zh
        if re.search(r"120|急诊|emergency", low) or check_extraction(extract(user_text)) and any(
                h.level == "emergency" for h in check_extraction(extract(user_text))):
            safe += " " + (EMERGENCY_LINE[1] if lang == "en" else EMERGENCY_LINE[0])
        return GuardResult(text=safe, changed=True, violations=violations)
    masked = _mask_outside_links(text)
    if masked != text:
        return GuardResult(text=masked, changed=True, violations=["pii_echo"])
    return GuardResult(text=text, changed=False, violations=[])
