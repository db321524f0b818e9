"""Entity extraction for one patient message: dates/sessions/times, departments, doctors, ID and phone
numbers, ordinal choices, names, relationships and ages, as a list of ``Entity`` sorted by position.

Entities of the same type never overlap (the longer wins); different types may (``明早`` is both a
date and a session; ``2号`` is both a date and an ordinal — the form asking decides which it wants).
"""

from __future__ import annotations

from datetime import datetime

from assistant.clock import TZ
from assistant.hospital import HospitalData
from assistant.nlu.choice import extract_choice
from assistant.nlu.dates import extract_dates
from assistant.nlu.departments import DepartmentMatcher
from assistant.nlu.identity import extract_identity
from assistant.nlu.numerals import fold_width
from assistant.nlu.person import extract_person
from assistant.nlu.types import Entity

MAX_ENTITY_TEXT = 2000  # entity extraction reads at most this many characters

_matchers: dict[int, DepartmentMatcher] = {}


def matcher_for(hospital: HospitalData) -> DepartmentMatcher:
    """The (cached) department/doctor matcher for a hospital."""
    m = _matchers.get(id(hospital))
    if m is None or m.hospital is not hospital:
        m = DepartmentMatcher(hospital)
        _matchers[id(hospital)] = m
    return m


def _dedupe(entities: list[Entity]) -> list[Entity]:
    ranked = sorted(entities, key=lambda e: (-(e.end - e.start), e.start))
    kept: list[Entity] = []
    for e in ranked:
        if any(
            k.type.split("_")[0] == e.type.split("_")[0] and k.start < e.end and e.start < k.end for k in kept
        ):
            continue
        kept.append(e)
    return sorted(kept, key=lambda e: (e.start, e.type))


def extract_entities(
    text: str,
    hospital: HospitalData,
    now: datetime | None = None,
    *,
    matcher: DepartmentMatcher | None = None,
) -> list[Entity]:
    """All entities in ``text``. ``now`` (aware, hospital time) anchors relative dates; defaults to now."""
    if not text:
        return []
    text = text[:MAX_ENTITY_TEXT]
    if now is None:
        now = datetime.now(TZ)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=TZ)
    else:
        now = now.astimezone(TZ)
    folded = fold_width(text)
    found: list[Entity] = []
    found += extract_identity(text, folded)
    found += extract_dates(text, folded, now)
    found += (matcher or matcher_for(hospital)).extract(text, folded)
    found += extract_choice(text, folded)
    found += extract_person(text, folded)
    # digits inside an ID or phone number are not dates, times, ages or choices
    pii = [(e.start, e.end) for e in found if e.type.startswith(("id_number", "phone"))]
    if pii:
        found = [
            e
            for e in found
            if e.type.startswith(("id_number", "phone")) or not any(s < e.end and e.start < t for s, t in pii)
        ]
    return _dedupe(found)
