"""Turns judged items into the patient's reply: what was read, the flags, plain meanings from
lab_reference.csv, the follow-up department, the urgent instruction for critical values, citations."""

from __future__ import annotations

import re

from assistant.hospital import HospitalData
from assistant.services.reports.dictionary import FAMILY, FAMILY_DEPARTMENTS
from assistant.services.reports.models import Interpretation, JudgedItem, ParsedReport
from assistant.services.triage.sources import location_en

_FLAG_ZH = {"high": "偏高↑", "low": "偏低↓", "normal": "正常", "critical_high": "危急值(过高)‼", "critical_low": "危急值(过低)‼"}
_FLAG_EN = {"high": "high ↑", "low": "low ↓", "normal": "normal", "critical_high": "CRITICAL high ‼", "critical_low": "CRITICAL low ‼"}
_FAMILY_ORDER = ("hepatitis", "liver", "kidney", "glucose", "thyroid", "lipid", "electrolyte", "urine", "coagulation", "blood", "other")


def _fmt(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:g}"


def _range_text(j: JudgedItem) -> str:
    if j.item.ref_text and j.range_source == "report" and j.ref_low is None and j.ref_high is None:
        return j.item.ref_text
    if j.ref_low is not None and j.ref_high is not None:
        return f"{_fmt(j.ref_low)}-{_fmt(j.ref_high)}"
    if j.ref_high is not None:
        return f"<{_fmt(j.ref_high)}"
    if j.ref_low is not None:
        return f">{_fmt(j.ref_low)}"
    return ""


class Explainer:
    def __init__(self, hospital: HospitalData) -> None:
        self.hospital = hospital
        self._snippets = self._doc_snippets()

    def _doc_snippets(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        doc = self.hospital.document("exam_preparation")
        if doc is not None:
            text = doc.path.read_text(encoding="utf-8")
            for key, pat in (("advice", r"\*\*结果咨询\*\*[^\n]*"), ("critical", r"\*\*危急值\*\*[^\n]*")):
                m = re.search(pat, text)
                if m:
                    out[key] = {"doc_id": doc.doc_id, "title": doc.title, "snippet": m.group(0).replace("**", "").lstrip("- ")}
        doc = self.hospital.document("emergency_and_fever")
        if doc is not None:
            text = doc.path.read_text(encoding="utf-8")
            m = re.search(r"\*\*位置\*\*[^\n]*", text)
            if m:
                out["emergency"] = {"doc_id": doc.doc_id, "title": doc.title, "snippet": m.group(0).replace("**", "").lstrip("- ")}
        return out

    def department_for(self, judged: list[JudgedItem]) -> str:
        abnormal = [j for j in judged if j.flag and j.flag != "normal"]
        if any(j.flag and j.flag.startswith("critical") for j in judged):
            return "emergency"
        counts: dict[str, int] = {}
        for j in abnormal:
            fam = FAMILY.get(j.code, "other")
            counts[fam] = counts.get(fam, 0) + 1
        if not counts:
            return "general_practice"
        best = max(counts, key=lambda f: (counts[f], -_FAMILY_ORDER.index(f) if f in _FAMILY_ORDER else -99))
        if best == "liver" and any(FAMILY.get(j.code) == "hepatitis" and j.flag == "high" for j in abnormal):
            best = "hepatitis"
        dept = FAMILY_DEPARTMENTS.get(best, ("general_practice",))[0]
        return dept if dept in self.hospital.departments else "general_practice"

    def explain(self, parsed: ParsedReport, judged: list[JudgedItem], unjudged: list[JudgedItem],
                lang: str = "zh") -> Interpretation:
        critical = [j for j in judged if j.flag in ("critical_high", "critical_low")]
        dept = self.department_for(judged)
        citations = []
        if judged or unjudged:
            if "advice" in self._snippets:
                citations.append(self._snippets["advice"])
            if critical:
                for key in ("critical", "emergency"):
                    if key in self._snippets:
                        citations.append(self._snippets[key])
        text = (self._text_zh if lang != "en" else self._text_en)(parsed, judged, unjudged, critical, dept)
        return Interpretation(items=judged, text=text, department=dept if (judged or unjudged) else None,
                              critical=bool(critical), unreadable=list(parsed.unreadable), unjudged=unjudged,
                              citations=citations, lang=lang)

    def _dept_name(self, dept: str, lang: str) -> str:
        d = self.hospital.departments.get(dept)
        if d is None:
            return dept
        return f"{d.name_zh}（{d.location_zh}）" if lang != "en" else f"{d.name_en} ({location_en(d)})"

    def _text_zh(self, parsed: ParsedReport, judged: list[JudgedItem], unjudged: list[JudgedItem],
                 critical: list[JudgedItem], dept: str) -> str:
        out: list[str] = []
        if not judged and not unjudged:
            out.append("抱歉，我没能从中读出检验结果。")
            if parsed.notes:
                out.append("（" + "；".join(parsed.notes) + "）")
            if parsed.unreadable:
                out.append("以下内容看起来像检验项目，但没能读出数值：" + "；".join(parsed.unreadable[:5]))
            out.append("请把报告上的项目、结果、单位和参考范围直接粘贴或重新输入，也可以拍一张清晰、端正、不反光的照片上传。")
            return "\n".join(out)
        if critical:
            names = "、".join(f"{j.name}（{j.item.value_text}{' ' + j.unit if j.unit else ''}）" for j in critical)
            ed = self.hospital.departments.get("emergency")
            where = f"（{ed.location_zh}，24小时开放）" if ed else ""
            out.append(f"【紧急】{names}达到医院规定的危急值。请立即联系您的开单医生，或马上到急诊科{where}就诊；"
                       "如出现胸闷、心慌、呼吸困难、意识不清等情况请立即拨打120。我已同时通知医院工作人员跟进。")
            out.append("")
        out.append(f"我从报告中读到 {len(judged) + len(unjudged)} 项结果，请先核对是否与报告一致：")
        for n, j in enumerate(judged, 1):
            rng = _range_text(j)
            src = "" if j.range_source != "hospital" else "，本院参考"
            rng_part = f"（参考 {rng}{src}）" if rng else ""
            printed = j.item.name if len(j.item.name) <= 24 and not re.search(r"我|岁|吗|了", j.item.name) else j.name
            unit = f" {j.unit}" if j.unit else ""
            out.append(f"{n}. {printed} {j.item.value_text}{unit}{rng_part} → {_FLAG_ZH.get(j.flag or '', '无法判断')}")
        for j in unjudged:
            unit = f" {j.unit}" if j.unit else ""
            why = "不在我能识别的项目里" if "unknown_test" in j.notes else "没有可用的参考范围，无法判断高低"
            extra = f"，报告所印参考范围 {j.item.ref_text}" if j.item.ref_text else ""
            out.append(f"· {j.item.name} {j.item.value_text}{unit}：{why}{extra}，请咨询医生。")
        notes = self._notes_zh(judged)
        if notes:
            out.append("")
            out.extend(notes)
        abnormal = [j for j in judged if j.flag and j.flag != "normal" and j.meaning]
        if abnormal:
            out.append("")
            out.append("偏离参考范围的项目一般意味着什么（仅供参考，不是诊断）：")
            seen = set()
            for j in abnormal:
                if j.code in seen:
                    continue
                seen.add(j.code)
                direction = "偏高" if j.flag in ("high", "critical_high") else "偏低"
                out.append(f"- {j.name}{direction}：{j.meaning}")
        elif not critical:
            out.append("")
            out.append("读到的项目都在参考范围内。" if all(j.flag == "normal" for j in judged) else "")
        if parsed.unreadable:
            out.append("")
            out.append("以下几行没能读出数值，请核对后重新输入：" + "；".join(parsed.unreadable[:5]))
        out.append("")
        if not critical:
            out.append(f"建议带上报告到{self._dept_name(dept, 'zh')}或回到开单医生处复诊解读。"
                       "报告上的箭头表示超出参考范围，不一定代表疾病；本次所开检查的报告7天内回诊免诊察费。")
        else:
            out.append("危急值处理后，再由相应专科医生进一步评估。")
        out.append("以上只是对化验数值的一般说明，不是诊断；用药方面请一律遵医嘱，不要根据化验结果自行调整。")
        return "\n".join(line for line in out if line is not None).strip()

    def _notes_zh(self, judged: list[JudgedItem]) -> list[str]:
        out = []
        for j in judged:
            label = j.item.name
            for n in j.notes:
                if n == "unit_assumed":
                    out.append(f"注意：{label} 报告上没有写单位，我按 {j.unit} 理解，请核对。")
                elif n == "unit_unknown":
                    out.append(f"注意：{label} 没有单位，无法确定按哪种单位判断，请补充单位。")
                elif n == "unit_not_convertible":
                    out.append(f"注意：{label} 的单位 {j.unit} 无法换算成本院单位，只按报告所印范围判断。")
                elif n.startswith("converted:"):
                    out.append(f"{label} {j.item.value_text} {j.unit} 约合 {n.split(':', 1)[1]}。")
                elif n == "range_widened":
                    out.append(f"{label} 的参考范围与性别/年龄有关，您没有提供，我按较宽的范围判断。")
                elif n == "child_no_range":
                    out.append(f"{label}：本院参考范围只适用于成人，儿童请以报告上印的范围为准。")
                elif n == "mark_disagrees":
                    out.append(f"{label}：报告上的标记与参考范围比较的结果不一致，请以医生解读为准。")
        return out

    def _text_en(self, parsed: ParsedReport, judged: list[JudgedItem], unjudged: list[JudgedItem],
                 critical: list[JudgedItem], dept: str) -> str:
        out: list[str] = []
        if not judged and not unjudged:
            out.append("Sorry, I could not read any results from this.")
            if parsed.unreadable:
                out.append("These lines look like tests but I could not read a value: " + "; ".join(parsed.unreadable[:5]))
            out.append("Please paste or retype the test names, results, units and reference ranges, or upload a clear, straight photo.")
            return "\n".join(out)
        if critical:
            names = ", ".join(f"{j.name} ({j.item.value_text}{' ' + j.unit if j.unit else ''})" for j in critical)
            out.append(f"URGENT: {names} is at the hospital's critical-value limit. Contact your doctor now or go to the "
                       "Emergency Department (ground floor of Building 4, east gate, open 24 hours); call 120 if you feel chest tightness, "
                       "palpitations, shortness of breath or confusion. I have alerted hospital staff.")
            out.append("")
        n = len(judged) + len(unjudged)
        out.append(f"I read {n} result{'s' if n != 1 else ''}; please check {'them' if n != 1 else 'it'} against your report:")
        for n, j in enumerate(judged, 1):
            rng = _range_text(j)
            rng_part = f" (ref {rng}{', hospital range' if j.range_source == 'hospital' else ''})" if rng else ""
            unit = f" {j.unit}" if j.unit else ""
            out.append(f"{n}. {j.item.name} {j.item.value_text}{unit}{rng_part} → {_FLAG_EN.get(j.flag or '', 'cannot judge')}")
        for j in unjudged:
            why = "not a test I recognise" if "unknown_test" in j.notes else "no reference range to judge it by"
            out.append(f"· {j.item.name} {j.item.value_text}{(' ' + j.unit) if j.unit else ''}: {why}; please ask a doctor.")
        for j in judged:
            if "unit_assumed" in j.notes:
                out.append(f"Note: no unit was printed for {j.name}; I assumed {j.unit}. Please check.")
            if "unit_unknown" in j.notes:
                out.append(f"Note: no unit for {j.name}; please add the unit.")
        abnormal = [j for j in judged if j.flag and j.flag != "normal"]
        if abnormal:
            out.append("Values outside the reference range are not a diagnosis; a doctor needs to look at them together with your symptoms.")
        if parsed.unreadable:
            out.append("I could not read a value on these lines; please retype them: " + "; ".join(parsed.unreadable[:5]))
        if not critical:
            out.append(f"Please take the report to {self._dept_name(dept, 'en')} or back to the doctor who ordered it; "
                       "a report review within 7 days is free of the consultation fee.")
        out.append("This is a general explanation of the numbers, not a diagnosis. Keep taking any medicine exactly as "
                   "your doctor advised; do not adjust it because of these results.")
        return "\n".join(out).strip()
