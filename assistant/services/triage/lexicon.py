"""The symptom lexicon: concepts with colloquial zh/en terms, compiled once into one regex per concept.

Concepts come from ``data/lexicon.yaml`` (general symptoms, with department weights) and from the
``concepts`` section of ``assistant/safety/data/red_flags.yaml`` (red-flag findings), merged; an id
defined in both files is an error. Pure data and regexes: no model, no I/O after the first load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LEXICON_PATH = Path(__file__).parent / "data" / "lexicon.yaml"
RED_FLAGS_PATH = Path(__file__).resolve().parents[2] / "safety" / "data" / "red_flags.yaml"

# Words allowed between a body part and a pain word: 胸口(这里)(一阵阵的)疼.
FILLER = (
    r"(?:这里|这块|这儿|那里|这边|一阵阵的?|一阵一阵的?|阵阵|一直|有点|有些|有一点|突然|忽然|特别|很|非常|好|"
    r"老是|经常|总是|隐隐的?|隐隐约约|也|又|还|持续|剧烈|针扎一样|刀割一样|像针扎一样|像刀割一样|火辣辣的?|"
    r"闷闷的|胀胀的|一抽一抽的?|一跳一跳的?|的|地|得|会|就|都|开始|左边|右边|中间|这几天|最近|有个|有一个|长了个|长了一个|里有个|"
    r"摸到|一个|上|里|的时候|时候|时|有|总|常|老|发|(?:像|跟|好像)[^,.;!?。，疼痛]{1,6}?(?:一样|似的|一般)的?)"
)


@dataclass(frozen=True)
class Concept:
    id: str
    kind: str  # symptom | condition | modifier | blocker
    base: str | None
    depts: dict[str, float]
    pattern: re.Pattern[str]
    anchors: frozenset[str] | None = None  # first characters of every term; None = always try

    def may_match(self, chars: set[str]) -> bool:
        return self.anchors is None or not self.anchors.isdisjoint(chars)


@dataclass
class Lexicon:
    version: str
    red_flags_version: str
    concepts: dict[str, Concept] = field(default_factory=dict)


def _term_regex(term: str) -> str:
    term = str(term)
    if term.startswith("re:"):
        return term[3:]
    if term.isascii():  # NT, HPV, DNA inside a Chinese list must not match inside English words
        return r"(?<![a-z])" + re.escape(term.lower()) + r"(?![a-z])"
    return re.escape(term.lower())


def _part_regex(part: str) -> str:
    part = str(part)
    return part[3:] if part.startswith("re:") else re.escape(part)


def _compile(cid: str, raw: dict[str, Any]) -> re.Pattern[str]:
    alts: list[str] = []
    zh = [_term_regex(t) for t in raw.get("zh") or []]
    if raw.get("compose"):
        parts, pains = raw["compose"]
        if any(str(p) in ("疼", "痛") for p in pains):
            pains = [*pains, "剧痛", "剧烈疼痛", "疼死", "痛死"]  # 胸口剧痛, 头剧痛, 肚子疼死了: pain of that part
        zh.append(
            "(?:" + "|".join(_part_regex(p) for p in parts) + f"){FILLER}{{0,3}}(?:"
            + "|".join(_part_regex(p) for p in pains) + ")"
        )
    if zh:
        alts.append("(?:" + "|".join(zh) + ")")
    en = [_term_regex(t) for t in raw.get("en") or []]
    if en:
        alts.append(r"(?<![a-z])(?:" + "|".join(en) + r")(?![a-z])")
    if not alts:
        raise ValueError(f"concept {cid} has no terms")
    try:
        return re.compile("|".join(alts))
    except re.error as exc:  # pragma: no cover - caught by the lexicon test
        raise ValueError(f"concept {cid}: bad pattern: {exc}") from exc


def _anchors(raw: dict[str, Any]) -> frozenset[str] | None:
    terms = [str(t) for t in (raw.get("zh") or []) + (raw.get("en") or [])]
    if raw.get("compose"):
        terms += [str(p) for p in raw["compose"][0]]
    if any(t.startswith("re:") for t in terms):
        return None
    return frozenset(t.lower()[0] for t in terms if t)


def build_lexicon(lexicon_path: Path = LEXICON_PATH, red_flags_path: Path = RED_FLAGS_PATH) -> Lexicon:
    base = yaml.safe_load(lexicon_path.read_text(encoding="utf-8"))
    flags = yaml.safe_load(red_flags_path.read_text(encoding="utf-8"))
    lex = Lexicon(version=str(base.get("version")), red_flags_version=str(flags.get("version")))
    for source in (base.get("concepts") or {}, flags.get("concepts") or {}):
        for cid, raw in source.items():
            if cid in lex.concepts:
                raise ValueError(f"concept {cid} is defined twice")
            lex.concepts[cid] = Concept(
                id=cid,
                kind=str(raw.get("kind", "symptom")),
                base=raw.get("base"),
                depts={str(k): float(v) for k, v in (raw.get("depts") or {}).items()},
                pattern=_compile(cid, raw),
                anchors=_anchors(raw),
            )
    return lex


@lru_cache(maxsize=1)
def get_lexicon() -> Lexicon:
    return build_lexicon()
