"""Keyword tables: domain words per intent, used both as classifier features and by the rules.

Each category is a regex; ``lexicon_tokens`` turns the categories a text hits into pseudo-words
(``kw_sym``, ``kw_book`` …) that the classifier sees next to its character n-grams, so a handful of
examples per intent generalise to words they never contained.
"""

from __future__ import annotations

import re

from assistant.hospital import HospitalData

_CATEGORIES: dict[str, str] = {
    "sym": (
        r"疼|痛|发烧|发热|烧到|\d+度|咳|喘|晕|吐|恶心|拉肚子|腹泻|拉稀|痒|疹|疙瘩|红点|肿|麻|出血|流血|吐血|便血|"
        r"血压|血糖高|睡不着|失眠|心慌|心悸|胸闷|闷|难受|不舒服|过敏|摔|崴|烫|咬|包块|结节|乏力|没力气|没精神|累|"
        r"心情不好|抑郁|焦虑|头|肚|胸|腰|腿|膝盖|关节|肩|脖子|眼睛|耳朵|牙|嗓子|喉咙|鼻|皮肤|月经|怀孕|尿频|尿急|"
        r"抽搐|昏|看不清|记性|手抖|哭闹|不吃奶|歪|说话不清|瘫|骨折|伤|切到|割|打喷嚏|流鼻涕|痰|体重|瘦|大便|小便|"
        r"\b(?:pain|hurts?|ache|aches|aching|fever|feverish|temperature|diarrh\w*|chills|cough|dizzy|vomit\w*|throw up|rash|swollen|bleed\w*|breath\w*|sore|"
        r"itch\w*|sick|broke|broken|bitten|numb\w*|anxious|depress\w*|headache|toothache|stomach ache|lump|pee|nause\w*|"
        r"sleep|tired|twisted)\b"
    ),
    "triage_q": (
        r"什么科|哪个科|那个科|啥科|哪科|看哪|挂什么|挂哪|严重吗|严重不|要紧吗|要紧不|要不要去|急诊还是|怎么办|咋办|"
        r"咋个办|怎么回事|咋回事|什么毛病|啥毛病|什么病|大病|遭不住|"
        r"\b(?:which (?:department|doctor|clinic)|what department|should i (?:go|see)|is (?:it|that) (?:serious|bad)|what should i do)\b"
    ),
    "book": (
        r"挂号|挂个|挂[^号]{0,4}号|挂好|guahao|约|预约|预月|改约|改到|换个时间|取消|退号|有号|号吗|号不|号没|专家号|加号|"
        r"出诊|坐诊|号都满|放号|"
        r"\b(?:appointment|appt|book|booking|reschedule|slots?|reservation|available|cancel)\b"
    ),
    "report": (
        r"报告|报高|化验|化延|检查结果|结果|单子|指标|偏高|偏低|高不高|低不低|正常吗|正常不|阳性|阴性|箭头|参考范围|"
        r"解读|解释|看不懂|危急值|抽血的|验血|数值|\+\+|"
        r"\b(?:report|results?|lab|labs|blood test|positive|interpret|mean|means|high|low|normal)\b"
    ),
    "exam": (
        r"核磁|磁共振|CT|胃镜|肠镜|B超|彩超|超声|心电图|X光|拍片|体检|抽血|验血|"
        r"\b(?:mri|ct|ultrasound|x-ray|xray|scan|endoscopy|colonoscopy|ecg|ekg|checkup)\b"
    ),
    "unit": r"mmol|μmol|umol|g/l|10\^|u/l|mg/dl|%",
    "pay": (
        r"钱|(?<!浪)费(?!劲|力|事|神|心)|医保|报销|报多少|缴费|交费|付款|付|退费|发票|押金|自费|起付线|比例|结算|账户|支付|贵|多少块|块钱|"
        r"新农合|统筹|电子凭证|支付宝|微信|"
        r"\b(?:pay|paid|payment|cost|costs|fee|fees|insurance|refund|invoice|charged|deposit|price|bill|covered|"
        r"deductible|out of pocket|how much)\b"
    ),
    "faq": (
        r"几点|时间|在哪|哪里|几楼|地址|停车|停車|探视|探室|地铁|公交|食堂|wifi|轮椅|电话|准备|空腹|憋尿|注意什么|"
        r"互联网医院|网上|复印|病历|病案|陪护|开门|关门|上班|下班|节假日|过年|放号|实名|隐私|数据|聊天记录|"
        r"带什么|多久|厕所|ATM|取款|出租车|火车站|住院部|方言|英语|手语|宠物|迟到|爽约|周末|礼拜天|周日|晚上有|"
        r"门诊|科室|\b(?:hours?|open|opening|close|closes|closing|park|parking|visit\w*|where|floor|subway|metro|bus|prepare|fast|wifi|records?|"
        r"weekends?|pharmacy|english|companion|address)\b"
    ),
    "greet": (
        r"^(?:你好|您好|在吗|在不在|有人吗|哈喽|嗨|喂|早上好|下午好|晚上好|早|谢谢|多谢|再见|拜拜|打扰了|nihao)|"
        r"你好|您好|你是谁|能干什么|会做什么|能帮我啥|谢谢|再见|拜拜|"
        r"\b(?:hello|hi|hey|thanks|thank you|bye|good morning|who are you|what can you do|anyone there)\b"
    ),
    "human": (
        r"人工|人宫|仁工|入工|真人|客服|投诉|工作人员|领导|活人|找个人|找人|找个懂|机器人|护士跟我|跟医生直接|打电话给你们|"
        r"跟人说|和人说|\b(?:human|person|agent|operator|someone|complaint|customer service|real person|talk to a nurse)\b"
    ),
    "oos": (
        r"天气|下雨|股票|比特币|作业|作文|笑话|唱|诗|外卖|机票|火车票|电影|电视剧|游戏|彩票|算命|新闻|代码|做饭|"
        r"红烧肉|翻译|聊天|陪我|喜欢我|你多大|男的女的|好吃的|买房|快递|油价|象棋|找工作|加油站|截屏|话费|限号|去哪玩|"
        r"世界杯|人口|等于几|chatgpt|哈哈|"
        r"\b(?:weather|stocks?|homework|joke|song|poem|movie|flight|bitcoin|translate|cook|married|capital|football|"
        r"recipe|game)\b"
    ),
    "yes": (
        r"^\s*(?:对|对的|对头|是|是的|好|好的|好滴|好嘞|行|可以|可以的|没错|没问题|确认|确定|嗯+|中(?!国)|要得|没毛病|就这样|"
        r"就这个|ok|okay|yes|yeah|yep|sure|correct|confirm)"
    ),
    "no": (
        r"(?<!对)不对|(?<!是)不是|(?<!要)不要|不用|错了|算了|(?<!行)不行|不需要|不了|没有|(?<!好)不好|搞错|弄错|写错|不中|"
        r"要不得|莫得|不确认|^\s*[别不]\s*$|"
        r"\b(?:no|nope|nah|wrong|not right|not that)\b"
    ),
    "pick": (
        r"第\s*[\d一二三四五六七八九十]+\s*[个位]?|^\s*选|选\s*[\d一二三四五六七八九十第]|[\d一二三四五]\s*号\s*$|那个\s*$|"
        r"最后一个|^\s*[\d一二三四五]\s*$|"
        r"\b(?:first|second|third|fourth|fifth|last|option|number|choice)\b|#\d"
    ),
}


_SPACE = re.compile(r"[\s\W_]+")


class Lexicon:
    """Compiled keyword categories, plus the hospital's lab item codes and names."""

    def __init__(self, hospital: HospitalData | None = None) -> None:
        self._cats = [(name, re.compile(pat, re.I)) for name, pat in _CATEGORIES.items()]
        labs: set[str] = set()
        if hospital is not None:
            for row in hospital.lab_reference:
                labs.add(row.item_code)
                labs.add(row.name_zh)
                labs.add(row.name_en)
        labs |= {
            "白细胞",
            "红细胞",
            "血红蛋白",
            "血小板",
            "尿酸",
            "肌酐",
            "血糖",
            "甘油三酯",
            "胆固醇",
            "转氨酶",
            "谷丙",
            "谷草",
            "淋巴细胞",
            "中性粒细胞",
            "钾",
            "钠",
            "氯",
            "尿素氮",
            "低密度",
            "高密度",
            "糖化",
            "TSH",
            "FT3",
            "FT4",
            "INR",
            "WBC",
            "HGB",
            "PLT",
            "ALT",
            "AST",
            "LDL",
            "HDL",
        }
        parts = sorted(labs, key=len, reverse=True)
        ascii_parts = [re.escape(p) for p in parts if p.isascii()]
        cjk_parts = [re.escape(p) for p in parts if not p.isascii()]
        self._lab = re.compile(
            r"(?:\b(?:" + "|".join(ascii_parts) + r")\b|" + "|".join(cjk_parts) + r")", re.I
        )
        self._lab_value = re.compile(
            r"(?:\b(?:"
            + "|".join(ascii_parts)
            + r")\b|"
            + "|".join(cjk_parts)
            + r")\s*[:：]?\s*[-+]?\d+(?:\.\d+)?",
            re.I,
        )

    def categories(self, text: str) -> list[str]:
        hits = [name for name, rx in self._cats if rx.search(text)]
        if "yes" in hits and len(_SPACE.sub("", text)) > 8:
            hits.remove("yes")  # 对/好/中 only mean "yes" as a short reply (not in 中国, 好多钱)
        if self._lab.search(text):
            hits.append("lab")
        return hits

    def lab_values(self, text: str) -> int:
        """How many ``<lab item> <number>`` pairs the text holds (a pasted report)."""
        return len(self._lab_value.findall(text))
