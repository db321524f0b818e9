"""Language detection for a patient's message: Chinese or English, by script."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Lab codes and units pasted into Chinese text should not make it "English".
_NOT_ENGLISH = re.compile(
    r"\b(?:WBC|RBC|HGB|PLT|ALT|AST|GGT|ALP|TBIL|DBIL|LDL|HDL|TG|TC|HbA1c|TSH|FT3|FT4|INR|PT|APTT|CT|MRI|B超|"
    r"mmol|umol|μmol|mg|ml|mL|dL|g/L|L|U|OK|ok|Ok|app|APP|ICU|ECG|DR|VIP|WiFi|wifi)\b"
)


def detect_lang(text: str) -> str:
    """Return ``"zh"`` or ``"en"``. Any real Chinese content wins; empty or symbol-only text is ``"zh"``."""
    if not text:
        return "zh"
    cjk = len(_CJK.findall(text))
    words = _LATIN_WORD.findall(_NOT_ENGLISH.sub(" ", text))
    if cjk == 0:
        return "en" if words or re.search(r"[A-Za-z]", text) else "zh"
    latin_chars = sum(len(w) for w in words)
    # Mostly English with a stray Chinese word or two (a department name, 挂号) is still English:
    # "I want to 挂号 for 皮肤科 tomorrow" is written by someone who reads English.
    return "en" if latin_chars >= 3 * cjk and len(words) >= 3 else "zh"
