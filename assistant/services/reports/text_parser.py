"""Reads lab results out of pasted text: LIS tables separated by tabs, runs of spaces or pipes, WeChat
one-liners ("白细胞12.5，血红蛋白135"), full-width characters, ↑/↓ or H/L marks, Chinese or English names."""

from __future__ import annotations

import re
import unicodedata

from assistant.services.reports.dictionary import URINE_SWITCH, ItemDictionary
from assistant.services.reports.models import ParsedReport, ReadItem
from assistant.services.reports.units import clean_unit, looks_like_unit

_SUP = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9"}
_NUM = r"\d+(?:\.\d+)?"
NUMBER_RE = re.compile(rf"^(?P<cmp>[<>≤≥]|<=|>=)?(?P<num>{_NUM})$")
RANGE_RE = re.compile(rf"^(?P<lo>{_NUM})-(?P<hi>{_NUM})$")
ONE_SIDED_RE = re.compile(rf"^(?P<cmp>[<>≤≥])(?P<num>{_NUM})$")
GLUED_RE = re.compile(rf"^(?P<cmp>[<>≤≥])?(?P<num>{_NUM})(?P<rest>[^\d.\-].*)$")

NEGATIVE = {"阴性", "阴性(-)", "(-)", "-", "neg", "negative", "未检出", "正常", "nil", "none", "normal", "阴", "-(阴性)"}
POSITIVE = {"阳性", "阳性(+)", "(+)", "+", "++", "+++", "++++", "1+", "2+", "3+", "4+", "pos", "positive", "检出",
            "阳", "弱阳性", "±", "+-", "(±)", "trace", "微量", "+(阳性)", "(++)", "(+++)", "1+(阳性)", "2+(阳性)", "3+(阳性)"}
QUALITATIVE = NEGATIVE | POSITIVE
FLAG_WORDS = {"↑": "H", "↓": "L", "↑↑": "H", "↓↓": "L", "h": "H", "l": "L", "hh": "H", "ll": "L", "高": "H", "低": "L",
              "偏高": "H", "偏低": "L", "(h)": "H", "(l)": "L", "[h]": "H", "[l]": "L", "high": "H", "low": "L",
              "h↑": "H", "l↓": "L", "↑h": "H", "↓l": "L", "*h": "H", "*l": "L", "n": "N", "正常": "N", "hi": "H", "lo": "L"}
HEADER_WORDS = ("姓名", "性别", "年龄", "科室", "床号", "病历", "标本", "样本", "申请", "送检", "采样", "采集", "接收",
                "报告", "检验者", "审核", "时间", "日期", "医生", "备注", "条码", "门诊号", "住院号", "编号", "电话", "页",
                "name", "age", "sex", "date", "page", "doctor", "specimen", "patient", "mrn", "tel", "第")
_CJK = r"\u4e00-\u9fff"


def normalize(text: str) -> str:
    """NFKC (full-width → half-width) with superscript powers kept as ^n, and typographic variants unified."""
    text = re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+", lambda m: "^" + "".join(_SUP[c] for c in m.group(0)), text)
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u200b", "").replace("\ufeff", "").replace("\xa0", " ")
    text = text.replace("<=", "≤").replace(">=", "≥").replace("＜", "<").replace("＞", ">")
    text = text.replace("～", "~").replace("〜", "~").replace("－", "-").replace("−", "-")
    text = re.sub(r"10\^\^", "10^", text)
    return text


def _prepare_line(line: str) -> str:
    s = line
    # said, not printed: "我的血红蛋白是75", "my hemoglobin is 7.5", "potassium came back at 6.9"
    s = re.sub(r"^\s*(?:我|俺|我妈|我爸|孩子|宝宝|他|她|老人)?的(?=[^\d\s])|^\s*(?i:my|his|her|our|the)\s+", "", s)
    # a heading said before the values: "My blood test: WBC 12.5", "lab results - glucose 126"
    s = re.sub(r"(?i)^\s*(?:(?:blood|lab|test)\s+)?(?:tests?|work|labs?|results?|report|panel)(?:\s+results?)?(?:\s+(?:says?|shows?))?\s*[:：\-]\s*", "", s)
    s = re.sub(rf"(?<=[A-Za-z{_CJK}\)])\s*(?:是|为|只有|才|有|达到了?)\s*(?=[<>≤≥]?\d)", " ", s)
    s = re.sub(r"(?i)(?<=[a-z\)])\s+(?:is|was|are|were|of|at|came back at|came back as|reads?)\s+(?=[<>≤≥]?\d)", " ", s)
    # labels "WBC: 12.5", "钾=6.8" (not times like 08:30)
    s = re.sub(rf"(?<=[A-Za-z{_CJK}\)#%])\s*[:=]\s*", " ", s)
    # separators (not decimal/thousand commas between digits)
    s = re.sub(r"(?<!\d),|,(?!\d)|[;、。]", " ", s)
    s = re.sub(r"[|│┃¦]", "\t", s)
    # remarks glued to a value or unit: "466umol/L(偏高)" → "466umol/L 偏高"
    s = re.sub(r"(?<=\S)\((偏高|偏低|高|低|H|L|阳性|阴性)\)", r" \1", s)
    # ranges with spaces or other dashes: "3.5 - 9.5", "3.5～9.5", "3.5--9.5", "3.5至9.5"
    s = re.sub(rf"(\d)\s*(?:-{{1,2}}|~|–|—|至|to)\s*({_NUM})(?![\d^*])", r"\1-\2", s)
    s = re.sub(r"([<>≤≥])\s+(\d)", r"\1\2", s)
    # name glued to value: "白细胞12.5", "(WBC)12.5"
    s = re.sub(rf"([{_CJK}\)])(?=[<>≤≥]?\d)", r"\1 ", s)
    # value glued to a following name (two items on a line without space): "12.5血红蛋白"
    s = re.sub(rf"(\d)(?=[{_CJK}])(?!岁|周岁|度|天|次|年|月|日|号|点|楼)", r"\1 ", s)
    # units written with a space or ×: "× 10^9/L", "x10^9/L"
    s = re.sub(r"[x×*]\s*10\s*\^?\s*(\d{1,2})\s*/\s*([Ll]|[uμµ][Ll]|mm3)\b", r" 10^\1/\2", s)
    s = re.sub(r"\b10\s*[*Ee]\s*(\d{1,2})\s*/\s*L\b", r"10^\1/L", s)
    s = re.sub(r"\b(mg/L|μg/mL|ug/mL|ng/mL)\s+FEU\b", r"\1FEU", s)
    return s


def _tokens(line: str) -> list[str]:
    return [t for t in re.split(r"\s+", line.strip()) if t]


def _flag_of(tok: str) -> str | None:
    return FLAG_WORDS.get(tok.lower()) if tok else None


def _is_arrow_flag(tok: str) -> bool:
    return tok in ("↑", "↓", "↑↑", "↓↓", "H", "L", "HH", "LL", "高", "低", "偏高", "偏低", "(H)", "(L)", "[H]", "[L]")


def _split_value(tok: str) -> tuple[str, str | None, str | None] | None:
    """'12.5↑' → ('12.5', 'H', None); '6.8mmol/L' → ('6.8', None, 'mmol/L'); '阴性' → ('阴性', None, None)."""
    t = tok
    mark = None
    m = re.match(r"^(.*?)(↑↑|↓↓|↑|↓|\(H\)|\(L\)|\[H\]|\[L\])$", t)
    if m and m.group(1):
        t, mark = m.group(1), ("H" if "↑" in m.group(2) or "H" in m.group(2) else "L")
    m = re.match(r"^(↑↑|↓↓|↑|↓)(.+)$", t)
    if m:
        t, mark = m.group(2), ("H" if "↑" in m.group(1) else "L")
    if t.lower() in QUALITATIVE or re.fullmatch(r"\(?[1-4]\+\)?|\(?\+{1,4}\)?|阴性\(-\)|阳性\(\+\)", t):
        return t, mark, None
    if NUMBER_RE.match(t):
        return t, mark, None
    g = GLUED_RE.match(t)
    if g:
        rest = g.group("rest")
        num = (g.group("cmp") or "") + g.group("num")
        if rest in ("H", "L", "HH", "LL"):
            return num, rest[0], None
        if looks_like_unit(rest):
            return num, mark, rest
    return None


def _range_of(tok: str) -> tuple[float | None, float | None] | None:
    m = RANGE_RE.match(tok)
    if m:
        lo, hi = float(m.group("lo")), float(m.group("hi"))
        if lo <= hi:
            return lo, hi
        return None
    m = ONE_SIDED_RE.match(tok)
    if m:
        v = float(m.group("num"))
        return (None, v) if m.group("cmp") in "<≤" else (v, None)
    return None


class _Row:
    def __init__(self, name_tokens: list[str], value: str, mark: str | None, unit: str | None, line: str) -> None:
        self.name = " ".join(name_tokens)
        self.value_text = value
        self.mark = mark
        self.unit = unit
        self.range: tuple[float | None, float | None] | None = None
        self.ref_text: str | None = None
        self.line = line


class TextParser:
    def __init__(self, dictionary: ItemDictionary) -> None:
        self.dict = dictionary

    def parse(self, text: str) -> ParsedReport:
        report = ParsedReport(source="text")
        text = normalize(text or "")
        report.sex, report.age = header_sex_age(text)
        urine_context = False
        for raw in text.splitlines():
            if not raw.strip():
                continue
            if re.search(r"尿常规|尿液分析|尿液检查|urinalysis", raw, re.I):
                urine_context = True
            elif re.search(r"血常规|血细胞分析|生化|肝功|肾功|血脂|甲功|凝血|CBC|chemistry", raw, re.I):
                urine_context = False
            rows, leftovers = self._parse_line(raw)
            for row in rows:
                item = self._to_item(row, urine_context)
                if item is not None:
                    report.items.append(item)
            for name in leftovers:
                report.unreadable.append(name)
        return report

    def _parse_line(self, raw: str) -> tuple[list[_Row], list[str]]:
        line = _prepare_line(raw)
        toks = _tokens(line)
        rows: list[_Row] = []
        leftovers: list[str] = []
        name: list[str] = []
        pre_mark: str | None = None
        cur: _Row | None = None
        for i, tok in enumerate(toks):
            if cur is None:
                sv = _split_value(tok) if name else None
                if sv and self._value_allowed(name, sv[0], toks[i + 1:]):
                    value, mark, unit = sv
                    cur = _Row(name, value, mark or pre_mark, unit, raw.strip())
                    name, pre_mark = [], None
                    continue
                if name and _is_arrow_flag(tok) and i + 1 < len(toks) and _split_value(toks[i + 1]):
                    pre_mark = _flag_of(tok)
                    continue
                if not name and re.fullmatch(r"\d{1,3}[.、)]?|[*★☆▲]+|[-—]+", tok):
                    continue  # row number or bullet
                name.append(tok)
                continue
            # after a value: marks, unit, range, then maybe the next item's name
            f = _flag_of(tok)
            if f in ("H", "L") and _is_arrow_flag(tok) and cur.mark is None:
                cur.mark = f
                continue
            if tok.upper() == "FEU" and cur.unit:
                cur.unit = cur.unit + " FEU"
                continue
            if cur.unit is None and looks_like_unit(tok):
                cur.unit = tok
                continue
            if cur.range is None and cur.ref_text is None:
                rg = _range_of(tok)
                if rg is not None:
                    cur.range, cur.ref_text = rg, tok
                    continue
                if tok.lower() in QUALITATIVE and cur.value_text.lower() in QUALITATIVE:
                    cur.ref_text = tok
                    continue
            if f == "N" or tok in ("--", "-", "—", "/", "*"):
                continue
            if re.search(rf"[{_CJK}A-Za-z]", tok) and self._starts_item(toks[i:]):
                rows.append(cur)
                cur = None
                name = [tok]
                continue
            # anything else after the value (method, remark, previous result) is ignored
        if cur is not None:
            rows.append(cur)
        if name:
            joined = " ".join(name)
            if self.dict.lookup(joined) and len(joined) <= 30:
                leftovers.append(raw.strip())
        return rows, leftovers

    def _value_allowed(self, name: list[str], value: str, rest: list[str]) -> bool:
        joined = " ".join(name)
        if value.lower() in QUALITATIVE and not re.search(r"\d", value):
            # a bare "-" or "+" is a value only after a name we know
            if value in ("-", "+", "正常", "normal", "none", "nil") and not self.dict.lookup(joined):
                return False
        return True

    def _starts_item(self, toks: list[str]) -> bool:
        """Does a new result start here (a name followed by a value within a few tokens)?"""
        for j, t in enumerate(toks[:6]):
            if j > 0 and _split_value(t):
                return True
            if j > 0 and (looks_like_unit(t) or _range_of(t)):
                return False
        return False

    def _to_item(self, row: _Row, urine_context: bool) -> ReadItem | None:
        name = row.name.strip().strip("*★").strip()
        if not name or len(name) > 40:
            return None
        code = self.dict.lookup(name)
        if code is None and _is_header(name):
            return None
        vt = row.value_text
        comparator = None
        value: float | str
        m = NUMBER_RE.match(vt)
        if m:
            value = float(m.group("num"))
            comparator = {"≤": "<=", "≥": ">="}.get(m.group("cmp") or "", m.group("cmp"))
        else:
            value = vt
        unit = clean_unit(row.unit) if row.unit else None
        if code is None:
            # an unknown test: keep it only when it looks like a result row
            if not (unit or row.range or row.mark) or not re.search(rf"[{_CJK}A-Za-z]", name):
                return None
        else:
            code = _disambiguate(code, value, unit, name, urine_context)
        lo, hi = row.range if row.range else (None, None)
        return ReadItem(
            name=name, code=code, value=value, value_text=vt, comparator=comparator, unit=unit,
            ref_low=lo, ref_high=hi, ref_text=row.ref_text, mark=row.mark, source_line=row.line,
        )


def _disambiguate(code: str, value: float | str, unit: str | None, name: str, urine_context: bool) -> str:
    qualitative = isinstance(value, str)
    if code in URINE_SWITCH and (qualitative or unit == "/HP" or "尿" in name or "镜检" in name or urine_context):
        if not (code == "GLU" and unit in ("mmol/L", "mg/dL") and not qualitative and not urine_context):
            return URINE_SWITCH[code]
    if code == "U-PRO" and not qualitative and unit in ("g/L",) and not urine_context and "尿" not in name:
        return "TP"
    if code.endswith("%") and unit in ("10^9/L", "10^3/μL"):
        return code[:-1] + "#"
    if code.endswith("#") and unit == "%":
        return code[:-1] + "%"
    return code


def _is_header(name: str) -> bool:
    low = name.lower()
    return any(w in low for w in HEADER_WORDS) or low in (
        "项目", "结果", "单位", "参考范围", "参考值", "检验项目", "item", "result", "unit", "reference")


def header_sex_age(text: str) -> tuple[str | None, float | None]:
    sex = None
    m = re.search(r"性\s*别\s*[:\s]\s*(男|女)", text) or re.search(r"(?:sex|gender)\s*[:\s]\s*(male|female|m|f)\b", text, re.I)
    if m is None:  # spoken: "我是女的", "女，35岁", "68岁 女", "男性"
        m = re.search(r"(?:^|[^\u4e00-\u9fff]|是|我)(男|女)(?=的|性|士|,|\s|$|\d)", text)
    if m:
        sex = "M" if m.group(1).lower() in ("男", "male", "m") else "F"
    age = None
    m = re.search(r"年\s*龄\s*[:\s]\s*(\d{1,3})\s*岁?", text) or re.search(r"\bage\s*[:\s]\s*(\d{1,3})", text, re.I)
    if m is None:
        m = re.search(r"(?<![\d.])(\d{1,3})\s*(?:岁|周岁)", text)
    if m:
        age = float(m.group(1))
    return sex, age
