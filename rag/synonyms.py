"""How patients say it versus how the hospital writes it: colloquial names are expanded with the
documents' terms before retrieval (both dense and lexical), and the same table tells the answer
extractor which written words count as finding a question's word."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rag.lexical import tokenize

# colloquial -> written form(s)
SYNONYMS: dict[str, str] = {
    "心内科": "心血管内科", "心脏科": "心血管内科", "呼吸科": "呼吸与危重症医学科", "消化科": "消化内科",
    "胃病": "消化内科", "内分泌": "内分泌科", "神内": "神经内科", "神外": "神经外科", "耳鼻喉": "耳鼻咽喉头颈外科",
    "眼睛": "眼科", "牙科": "口腔科", "看牙": "口腔科", "牙齿": "口腔科", "牙疼": "口腔科", "康复科": "康复医学科",
    "心理科": "精神心理科", "精神科": "精神心理科", "妇产科": "妇科 产科", "小儿科": "儿科", "外科": "普外科",
    "核磁": "磁共振", "核磁共振": "磁共振", "MRI": "磁共振", "B超": "超声", "彩超": "超声", "胃肠镜": "胃镜 肠镜",
    "发烧": "发热", "高烧": "发热", "拉肚子": "腹泻 肠道门诊", "星期六": "周六", "礼拜六": "周六", "星期天": "周日",
    "星期日": "周日", "礼拜天": "周日", "周末": "周六 周日", "半夜": "夜间",
    "放假": "节假日", "国庆": "法定节假日", "春节": "法定节假日", "过年": "春节 除夕", "挂号费": "诊察费",
    "看病的钱": "诊察费", "专家号": "主任医师", "退号": "取消预约", "退钱": "退费 退回", "放号": "号源发放",
    "迟到": "迟到", "没去": "爽约", "食堂": "餐厅", "吃饭": "餐厅", "开饭": "早餐 午餐 晚餐", "病历": "病案 病历",
    "押金": "押金 预交金", "住院手续": "办理入院 入院", "发票": "电子票据", "报销": "医保 报销比例", "丢": "失物招领",
    "掉了": "失物招领", "wifi": "Wi-Fi", "WIFI": "Wi-Fi", "无线网": "Wi-Fi", "上网": "Wi-Fi", "取钱": "ATM",
    "提款机": "ATM", "抽烟": "吸烟", "探望": "探视", "看望": "探视", "陪床": "陪护", "护理员": "护工",
    "小孩": "儿童", "孩子": "儿童", "宝宝": "儿童 婴儿", "老人": "老年人", "老年": "老年人", "坐车": "公交 地铁",
    "地铁站": "地铁", "打车": "出租车", "停车费": "停车 收费标准", "验血": "抽血", "化验": "检验", "查报告": "报告查询",
    "网上看病": "互联网医院 线上复诊", "网上": "线上 互联网医院", "线上": "线上 互联网医院", "送药": "药品配送",
    "快递": "配送", "开药": "处方", "录音": "语音", "聊天记录": "对话记录", "隐私": "个人信息",
    "中风": "卒中", "脑梗": "卒中 脑梗死", "心梗": "心肌梗死 胸痛中心", "狗咬": "动物咬伤 狂犬病", "猫抓": "动物咬伤 狂犬病",
    "拍片": "X线", "做CT": "CT", "问诊": "复诊", "建卡": "建档", "生孩子": "产科 分娩",
    "半小时": "30分钟", "一小时": "1小时", "肚子疼": "腹痛", "肚子痛": "腹痛", "胃疼": "腹痛", "卖": "出售",
    "下班": "时间", "关门": "关闭 时间", "开门": "开放 时间", "几点": "时间", "晚上": "夜间 时间", "上班": "出诊",
    "哪天": "出诊", "多少钱": "费 元 单价 收费", "收多少": "收费", "电话": "电话 分机", "地址": "地址 大道",
    "认不认": "互认", "别的医院": "互认 外院", "外院": "互认", "坐地铁": "地铁", "几天": "天 工作日",
    "夏天": "5月1日至10月31日", "夏季": "5月1日至10月31日", "关门禁": "关闭门禁", "门禁": "门禁 关闭",
    "先看": "就诊顺序 分级", "插队": "就诊顺序 分级", "排队": "就诊顺序 优先", "堵车": "迟到", "来晚": "迟到",
    "保存多久": "保存期限", "保留": "保存 期限", "送到家": "配送", "寄": "配送 快递",
    "appointment": "book booking slot", "money back": "refund", "refund": "refund refunded",
    "ward": "ward visiting", "visit": "visiting", "park": "parking", "subway": "Metro",
    "doctor online": "internet hospital follow-up", "deposit": "deposit admission", "chat": "conversation logs",
    "fever": "Fever Clinic", "emergency": "Emergency Department",
    # question types the documents write as a label: "在哪" is answered by a "位置:" line
    "在哪": "位置 地点", "哪里": "位置 地点", "几楼": "位置", "哪栋": "位置", "哪个楼": "位置", "怎么走": "位置 出入",
    "开吗": "开放 开诊",
    "出结果": "出报告",
    "weekday": "Monday-Friday", "weekend": "Saturday Sunday", "station": "站", "手机上": "公众号 App",
    "一页": "每页", "一次": "每次", "工作日": "周一至周五", "result": "report",
    "先付": "先行自付", "付款": "支付", "最多": "最多 最长 不超过", "出境": "境外 境内", "国外": "境外 境内",
    "班车": "接驳车", "摆渡车": "接驳车", "how much is": "CNY", "how much does": "CNY", "surgical": "surgery",
    "not sure": "unsure", "abroad": "mainland China", "overseas": "mainland China",
    "speaks English": "English Mandarin", "speak English": "English Mandarin",
    "see a doctor": "consultation fees chief physician attending", "consultation fee": "consultation fees",
    "喝水": "饮水 喝水", "多喝水": "多饮水", "早饭": "早餐", "午饭": "午餐", "中饭": "午餐", "晚饭": "晚餐", "valid": "expire expires", "有效期": "有效 作废",
}
# English words for what only the Chinese text says (the English summaries leave much out): matched as
# whole words (a plural too), so "card" is not found in "cardiology" nor "cash" in "cashier's".
ENGLISH: dict[str, str] = {
    "volunteer": "志愿者", "escort": "陪诊", "english-speaking": "英语 English", "english speaking": "英语 English",
    "interpreter": "英语 陪诊", "translator": "英语 陪诊", "passport": "护照", "id card": "身份证",
    "bank card": "银行卡", "credit card": "银行卡", "debit card": "银行卡", "card": "银行卡", "cash": "现金",
    "invoice": "发票 电子票据", "receipt": "发票 电子票据", "commercial insurance": "商业保险",
    "private insurance": "商业保险", "claim": "理赔", "wechat pay": "微信支付", "alipay": "支付宝",
    "register": "挂号", "registration": "挂号", "deposit": "押金", "id": "证件", "canteen": "餐厅", "cafeteria": "餐厅", "wheelchair": "轮椅", "guide dog": "导盲犬", "sign language": "手语", "lost property": "失物招领",
}
_EN_KEYS = sorted(ENGLISH, key=len, reverse=True)
_EN_PATTERNS = {k: re.compile(r"(?<!\w)" + re.escape(k) + r"s?(?![\w-])") for k in _EN_KEYS}
_KEYS = sorted(SYNONYMS, key=len, reverse=True)
_ASKING: set[str] | None = None

# A question word that only means something beside its topic: "多久" next to "报告" asks for the
# report's turnaround, which the documents file under "出报告时间". (topic words, question words, written form)
PAIRED: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (("报告", "结果"), ("多久", "几天", "几个小时", "多长时间", "什么时候", "啥时候", "几点", "当天", "多快"), "出报告时间"),
    (("report", "result"), ("how long", "how soon", "when", "ready"), "report times"),
)

# A phrase split by the words it asks about: "开多少天的药", "开了什么药" is a prescription (处方), as
# "开药" is, but the pharmacy's opening hours ("药房几点开门") are not.
SPLIT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"开[^，,。？?药]{1,6}药(?!房)"), "处方"),
    # a meal named by its time of day: "晚上还有饭吗" asks for 晚餐 as "晚饭" does
    (re.compile(r"(?:早上|早晨|早)[^，,。？?饭]{0,4}饭"), "早餐"),
    (re.compile(r"中午[^，,。？?饭]{0,4}饭"), "午餐"),
    (re.compile(r"(?:晚上|傍晚)[^，,。？?饭]{0,4}饭"), "晚餐"),
)


def _entries(low: str) -> list[tuple[str | None, list[str]]]:
    """(colloquial word, written forms) for each table entry a lower-cased query calls for; a question
    type from PAIRED has no single colloquial word (None); a SPLIT phrase's is the phrase as written."""
    out: list[tuple[str | None, list[str]]] = []
    for key in _KEYS:
        if key.lower() in low:
            out.append((key.lower(), SYNONYMS[key].split()))
    taken: list[tuple[int, int]] = []
    for key in _EN_KEYS:  # the longest phrase first: "bank card" is not also a bare "card"
        m = _EN_PATTERNS[key].search(low)
        if m and not any(a < m.end() and m.start() < b for a, b in taken):
            out.append((key, ENGLISH[key].split()))
            taken.append(m.span())
    for topics, asks, written in PAIRED:
        if any(t in low for t in topics) and any(a in low for a in asks):
            out.append((None, written.split()))
    for pattern, written in SPLIT:
        for m in pattern.finditer(low):  # the words of the phrase ("开", "药") are found in its written form
            out.append((m.group(), written.split()))
    return out


def expand_query(query: str) -> str:
    """Append the written forms of any colloquial terms and question types found in the query."""
    low = query.lower()
    extra: list[str] = []
    for _, forms in _entries(low):
        for term in forms:
            if term.lower() not in low and term not in extra:
                extra.append(term)
    return query if not extra else f"{query} {' '.join(extra)}"


def _forms(key: str | None, written: list[str], terms: set[str]) -> set[str]:
    """Written forms as whole words, lower-cased, leaving out forms of stop words only ("时间"). When
    the written form repeats the colloquial word, its other words qualify it rather than rename it:
    "Emergency Department" does not make the question's own "department" mean "emergency" (while
    "堵车" -> "迟到" does count 迟到 as 堵车)."""
    qualifier = key is not None and key in " ".join(written).lower()
    return {w.lower() for w in written if tokenize(w) and not (qualifier and w.lower() in terms)}


def asking_words() -> set[str]:
    """Words the table writes only as stop words ("下班" -> 时间): they name the kind of fact asked for
    (a closing time), not a topic, so a passage that answers need not contain them."""
    global _ASKING
    if _ASKING is None:
        _ASKING = {k.lower() for k, v in SYNONYMS.items() if not any(tokenize(w) for w in v.split())}
    return _ASKING


def topic_terms(terms: Iterable[str]) -> list[str]:
    """A question's informative words without the ones that only ask for a kind of fact (see asking_words)."""
    asking = asking_words()
    return [t for t in terms if t not in asking]


def alternatives(query: str, terms: Iterable[str]) -> dict[str, set[str]]:
    """Each of a question's informative words (``terms``) with the forms that count as finding it: the
    word itself and the written forms of the colloquial words it belongs to, so "地铁站" is found in
    "地铁:2号线" and "看牙" in "口腔科" (a written form inside the word, like 地铁 in 地铁站, counts too)."""
    alts = {t: {t} for t in terms}
    own = set(alts)
    for key, written in _entries(query.lower()):
        if key is None:
            continue
        for t in alts:
            if t in key or key in t:
                alts[t] |= _forms(key, written, own - {t})
    return alts


def labels(query: str, terms: Iterable[str]) -> list[set[str]]:
    """What the question's type words ask for, as the documents label it, each a set of forms that
    count as finding it: "在哪" -> {位置}, "多少钱" -> {费, 元, 单价, 收费}, "多久" + "报告" -> {出报告时间}.
    These are the table entries that belong to none of the question's own words (``terms``)."""
    own = set(terms)
    out: list[set[str]] = []
    for key, written in _entries(query.lower()):
        if key is not None and any(t in key or key in t for t in own):
            continue
        forms = _forms(key, written, own)
        if forms and forms not in out:
            out.append(forms)
    return out
