"""The hospital's words put back into a transcript by how they sound: 新血管内科 → 心血管内科.

Whisper writes a homophone when it is unsure of a name it has rarely seen (新血管 for 心血管, a
doctor's name with the wrong characters). Department names (and their colloquial aliases), doctors'
names and the hospital's service words are matched by toneless pinyin, with the fuzzy pairs of
southern Mandarin (z/zh, c/ch, s/sh, n/l, -n/-ng), and the transcript's characters are replaced by
the hospital's spelling. Only terms of three or more characters are used: a two-character window
sounds like too many ordinary words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from assistant.hospital import HospitalData

MIN_TERM_CHARS = 3
SERVICE_WORDS = ("转人工", "再说一遍", "发热门诊", "急诊科", "医保报销", "化验单", "检验科", "挂号处", "收费处",
                 "住院部", "门诊楼", "核酸检测")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _fuzzy(syllable: str) -> str:
    s = syllable
    for retroflex, flat in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if s.startswith(retroflex):
            s = flat + s[2:]
    if s.startswith("n"):
        s = "l" + s[1:]
    if s.endswith("ng") and len(s) > 2:
        s = s[:-1]  # -ng → -n (an/ang, en/eng, in/ing)
    return s


@lru_cache(maxsize=8192)
def _key(char: str) -> str:
    return _fuzzy(lazy_pinyin(char, style=Style.NORMAL, errors="ignore")[0]) if _HAN.match(char) else ""


@dataclass(frozen=True)
class Vocabulary:
    """Terms by the fuzzy pinyin of their characters, longest first."""

    terms: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def from_terms(cls, words: list[str] | tuple[str, ...]) -> Vocabulary:
        seen: dict[str, tuple[str, ...]] = {}
        for w in words:
            w = w.strip()
            if len(w) >= MIN_TERM_CHARS and all(_HAN.match(c) for c in w):
                seen.setdefault(w, tuple(_key(c) for c in w))
        # two terms that sound alike would make the choice arbitrary: keep neither
        by_sound: dict[tuple[str, ...], list[str]] = {}
        for w, k in seen.items():
            by_sound.setdefault(k, []).append(w)
        kept = [(w, k) for k, ws in by_sound.items() if len(ws) == 1 for w in ws]
        return cls(tuple(sorted(kept, key=lambda t: -len(t[0]))))

    def correct(self, text: str) -> str:
        """``text`` with every window that sounds like a term (but is spelled otherwise) respelled."""
        if not text or not self.terms:
            return text
        keys = [_key(c) for c in text]
        out = list(text)
        taken = [False] * len(text)
        for term, sound in self.terms:
            n = len(term)
            i = 0
            while i + n <= len(text):
                if not any(taken[i : i + n]) and tuple(keys[i : i + n]) == sound:
                    if text[i : i + n] != term:
                        out[i : i + n] = list(term)
                    for j in range(i, i + n):
                        taken[j] = True
                    i += n
                else:
                    i += 1
        return "".join(out)


def hospital_vocabulary(hospital: HospitalData | None) -> Vocabulary:
    """Department names and aliases, doctors' names, the hospital's name and its service words."""
    if hospital is None:
        return Vocabulary(())
    from assistant.nlu.departments import ALIASES

    words: list[str] = [hospital.name_zh, *SERVICE_WORDS]
    for dept_id, dept in hospital.departments.items():
        words.append(dept.name_zh)
        words.extend(a for a in ALIASES.get(dept_id, ()) if not a.startswith("看"))
    words.extend(d.name for d in hospital.doctors.values())
    return Vocabulary.from_terms(words)
