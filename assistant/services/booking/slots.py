"""Slot generation: turns the weekly schedule (schedule.csv) and doctors (doctors.csv) into the
concrete slots of a date, with start times, fees and the share each slot is released to."""

from __future__ import annotations

from datetime import date, timedelta

from assistant.hospital import HospitalData, ScheduleEntry
from assistant.services.booking import rules
from assistant.services.booking.types import SESSIONS, Slot, SlotRef


class SlotGenerator:
    def __init__(self, hospital: HospitalData) -> None:
        self.hospital = hospital
        self._by_doctor_day: dict[tuple[str, int], list[ScheduleEntry]] = {}
        for e in hospital.schedule:
            self._by_doctor_day.setdefault((e.doctor_id, e.weekday), []).append(e)
        for entries in self._by_doctor_day.values():
            entries.sort(key=lambda e: SESSIONS.index(e.session))

    def entry(self, doctor_id: str, d: date, session: str) -> ScheduleEntry | None:
        for e in self._by_doctor_day.get((doctor_id, d.isoweekday()), []):
            if e.session == session:
                return e
        return None

    def sessions_of(self, doctor_id: str, d: date) -> list[str]:
        return [e.session for e in self._by_doctor_day.get((doctor_id, d.isoweekday()), [])]

    def slot(self, ref: SlotRef) -> Slot | None:
        """The slot a reference names, or None when the doctor holds no such session or index."""
        e = self.entry(ref.doctor_id, ref.date, ref.session)
        if e is None or not 0 <= ref.index < e.capacity:
            return None
        return self._make(e, ref.date, ref.index)

    def session_slots(self, doctor_id: str, d: date, session: str) -> list[Slot]:
        e = self.entry(doctor_id, d, session)
        if e is None:
            return []
        return [self._make(e, d, i) for i in range(e.capacity)]

    def day_slots(self, doctor_ids: list[str], d: date, sessions: list[str] | None = None) -> list[Slot]:
        out: list[Slot] = []
        for doc in doctor_ids:
            for s in self.sessions_of(doc, d):
                if sessions is None or s in sessions:
                    out.extend(self.session_slots(doc, d, s))
        return out

    def _make(self, e: ScheduleEntry, d: date, index: int) -> Slot:
        doctor = self.hospital.doctors[e.doctor_id]
        start = rules.slot_start(d, e.session, e.slot_minutes, index)
        return Slot(
            ref=SlotRef(e.doctor_id, d, e.session, index),
            dept_id=doctor.dept_id,
            start=start,
            end=start + timedelta(minutes=e.slot_minutes),
            fee=rules.fee_for_title(doctor.title),
            pool=rules.slot_pool(index),
        )
