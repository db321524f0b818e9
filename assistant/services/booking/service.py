"""The booking service: applies the outpatient guide's rules, then asks the HIS to hold, confirm,
cancel or move appointments. Refusals come back as ``BookingResult(ok=False, reason=...)`` with the
next free slots, never as exceptions, so a dialogue can always say what is possible instead."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from assistant.clock import TZ, Clock
from assistant.hospital import Department, Doctor, HospitalData
from assistant.services.booking import rules
from assistant.services.booking.types import (
    ACTIVE_STATUSES,
    Appointment,
    BookingError,
    BookingResult,
    LinkedPatient,
    Patient,
    PatientInfo,
    Slot,
    SlotRef,
)

log = logging.getLogger(__name__)


class BookingService:
    def __init__(self, his: Any, hospital: HospitalData, clock: Clock, hold_minutes: int = rules.HOLD_MINUTES) -> None:
        self.his = his  # integrations.his.interface.HIS
        self.hospital = hospital
        self.clock = clock
        self.hold_minutes = hold_minutes

    # ---- reference data -----------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now().astimezone(TZ)

    def department(self, dept_id: str | None) -> Department | None:
        return self.hospital.departments.get(dept_id or "")

    def doctor(self, doctor_id: str | None) -> Doctor | None:
        return self.hospital.doctors.get(doctor_id or "")

    def takes_appointments(self, dept_id: str) -> bool:
        return dept_id not in rules.NO_APPOINTMENT_DEPTS and bool(self.hospital.doctors_in(dept_id))

    def bookable_dates(self) -> list[date]:
        return rules.bookable_dates(self.now())

    def date_problem(self, d: date) -> str | None:
        return rules.date_problem(d, self.now())

    def age_problem(self, dept_id: str, age: int | None) -> str | None:
        """``too_young`` / ``too_old`` / None for a patient of ``age`` years in department ``dept_id``."""
        dept = self.department(dept_id)
        if dept is None or age is None or dept.accepts_age(age):
            return None
        return "too_young" if dept.min_age is not None and age < dept.min_age else "too_old"

    def departments_for_age(self, age: int) -> list[Department]:
        return [d for d in self.hospital.departments.values() if self.takes_appointments(d.dept_id) and d.accepts_age(age)]

    def age_on_visit(self, id_number: str, visit: date, birth_date: date | None = None) -> int | None:
        """Age on the visit day: from the resident ID, else from the birth date given (passport, permit)."""
        birth = rules.birth_date_from_id(id_number) or birth_date
        return rules.age_on(birth, visit) if birth else None

    def _doctor_ids(self, dept_id: str | None, doctor_id: str | None) -> list[str]:
        if doctor_id and doctor_id != "any":
            return [doctor_id] if doctor_id in self.hospital.doctors else []
        if dept_id:
            return [d.doctor_id for d in self.hospital.doctors_in(dept_id)]
        return []

    # ---- availability -------------------------------------------------------------------------
    def _bookable(self, sl: Slot, channel: str, now: datetime) -> bool:
        _, end = rules.session_bounds(sl.ref.date, sl.ref.session)
        return (
            sl.free
            and sl.pool in rules.pools_for_channel(channel)
            and rules.slot_bookable_at(sl.start, end, now)
            and rules.date_problem(sl.ref.date, now) is None
        )

    async def available(
        self,
        *,
        dept_id: str | None = None,
        doctor_id: str | None = None,
        dates: Iterable[date] | None = None,
        session: str | None = None,
        channel: str = "web",
    ) -> list[Slot]:
        """Free slots the patient can book now on this channel, earliest first."""
        ids = self._doctor_ids(dept_id, doctor_id)
        days = [d for d in (dates if dates is not None else self.bookable_dates()) if self.date_problem(d) is None]
        if not ids or not days:
            return []
        now = self.now()
        slots = await self.his.list_slots(doctor_ids=ids, dates=days, sessions=[session] if session else None)
        return sorted((s for s in slots if self._bookable(s, channel, now)), key=lambda s: (s.start, s.doctor_id))

    def scheduled_sessions(self, dept_id: str | None, doctor_id: str | None, d: date) -> list[str]:
        """Sessions held that day by the doctor (or any doctor of the department), free or not."""
        gen = self.his.slots if hasattr(self.his, "slots") else None
        out: set[str] = set()
        for doc in self._doctor_ids(dept_id, doctor_id):
            if gen is not None:
                out.update(gen.sessions_of(doc, d))
            else:
                out.update(e.session for e in self.hospital.schedule if e.doctor_id == doc and e.weekday == d.isoweekday())
        return [s for s in ("AM", "PM", "NIGHT") if s in out]

    @staticmethod
    def spread(slots: list[Slot], limit: int = 5) -> list[Slot]:
        """A short, varied list: each doctor's earliest slot first, then the next ones, by time."""
        firsts: dict[str, Slot] = {}
        for s in slots:
            firsts.setdefault(s.doctor_id, s)
        chosen = sorted(firsts.values(), key=lambda s: s.start)[:limit]
        for s in slots:
            if len(chosen) >= limit:
                break
            if s not in chosen:
                chosen.append(s)
        return sorted(chosen, key=lambda s: (s.start, s.doctor_id))

    async def offers(
        self, *, dept_id: str | None, doctor_id: str | None, d: date, session: str, channel: str = "web", limit: int = 5
    ) -> list[Slot]:
        slots = await self.available(dept_id=dept_id, doctor_id=doctor_id, dates=[d], session=session, channel=channel)
        if doctor_id and doctor_id != "any":
            return slots[:limit]
        return self.spread(slots, limit)

    async def next_free(
        self,
        *,
        dept_id: str | None,
        doctor_id: str | None = None,
        after: date | None = None,
        channel: str = "web",
        limit: int = 3,
        exclude: Iterable[str] = (),
    ) -> list[Slot]:
        """The next free slots from ``after`` on, one per doctor session, for suggestions."""
        days = [d for d in self.bookable_dates() if after is None or d >= after]
        slots = await self.available(dept_id=dept_id, doctor_id=doctor_id, dates=days, channel=channel)
        skip = set(exclude)
        seen: set[tuple[str, date, str]] = set()
        out: list[Slot] = []
        for s in slots:
            k = (s.doctor_id, s.ref.date, s.ref.session)
            if s.key in skip or k in seen:
                continue
            seen.add(k)
            out.append(s)
            if len(out) >= limit:
                break
        return out

    # ---- patients -----------------------------------------------------------------------------
    async def linked_patients(self, owner: str) -> list[LinkedPatient]:
        return await self.his.linked_patients(owner)

    async def find_patient(self, id_number: str, id_type: str = "resident_id") -> Patient | None:
        return await self.his.find_patient(id_number, id_type or "resident_id")

    # ---- operations ---------------------------------------------------------------------------
    async def _alternatives(self, slot: Slot, channel: str, exclude: Iterable[str] = ()) -> list[Slot]:
        same = [
            s
            for s in await self.offers(dept_id=slot.dept_id, doctor_id=None, d=slot.ref.date, session=slot.ref.session, channel=channel)
            if s.key not in set(exclude)
        ]
        later = await self.next_free(dept_id=slot.dept_id, after=slot.ref.date, channel=channel, limit=3, exclude=[s.key for s in same] + list(exclude))
        return (same + [s for s in later if s not in same])[:5]

    async def _alternatives_for(self, reason: str, slot: Slot, channel: str) -> list[Slot]:
        if reason in ("slot_taken", "reserved", "past"):
            return await self._alternatives(slot, channel, [slot.key])
        if reason in ("duplicate_patient_day", "daily_limit"):
            return await self.next_free(dept_id=slot.dept_id, after=slot.ref.date + timedelta(days=1), channel=channel)
        return []

    async def check_slot(self, slot_key: str, channel: str) -> tuple[Slot | None, str | None]:
        """The slot and a refusal reason (or None) before any write."""
        try:
            ref = SlotRef.parse(slot_key)
        except (ValueError, AttributeError):
            return None, "no_such_slot"
        slots = await self.his.list_slots(doctor_ids=[ref.doctor_id], dates=[ref.date], sessions=[ref.session])
        slot = next((s for s in slots if s.ref == ref), None)
        if slot is None:
            return None, "no_such_slot"
        if not self.takes_appointments(slot.dept_id):
            return slot, "no_appointments"
        problem = self.date_problem(ref.date)
        if problem:
            return slot, problem
        _, end = rules.session_bounds(ref.date, ref.session)
        if not rules.slot_bookable_at(slot.start, end, self.now()):
            return slot, "past"
        if slot.pool not in rules.pools_for_channel(channel):
            return slot, "reserved"
        if not slot.free:
            return slot, "slot_taken"
        return slot, None

    async def patient_problem(self, info: PatientInfo, slot: Slot, channel: str) -> tuple[str | None, dict[str, Any]]:
        resident = (info.id_type or "resident_id") == "resident_id"
        existing = await self.his.find_patient(info.id_number, info.id_type or "resident_id")
        birth = None if resident else (info.birth_date or (existing.birth_date if existing else None))
        age = self.age_on_visit(info.id_number, slot.ref.date, birth) if resident or birth else None
        problem = self.age_problem(slot.dept_id, age)
        if problem:
            return problem, {"age": age}
        sex = rules.sex_from_id(info.id_number) if resident else (info.sex or (existing.sex if existing else None))
        if slot.dept_id in rules.FEMALE_ONLY_DEPTS and sex == "M":
            return "female_only", {}
        if existing is None:
            return None, {}
        if existing.name != info.name:
            return "identity_mismatch", {}
        if channel in rules.ONLINE_CHANNELS:
            until = rules.suspended_until(await self.his.no_show_dates(existing.patient_id), self.now().date())
            if until:
                return "suspended", {"until": until}
        same_day = [
            a for a in await self.his.find_appointments(patient_id=existing.patient_id, statuses=ACTIVE_STATUSES, from_date=slot.ref.date)
            if a.date == slot.ref.date
        ]
        for a in same_day:
            if a.dept_id == slot.dept_id:
                return "duplicate_patient_day", {"existing": a}
        if len(same_day) >= rules.MAX_PER_PATIENT_PER_DAY:
            return "daily_limit", {"limit": rules.MAX_PER_PATIENT_PER_DAY}
        return None, {}

    async def hold(
        self,
        slot_key: str,
        patient: PatientInfo,
        *,
        owner: str,
        relationship: str = "self",
        channel: str = "web",
        idempotency_key: str | None = None,
        actor: str = "system",
    ) -> BookingResult:
        """Hold a slot for ``hold_minutes``; the same idempotency key returns the same hold."""
        slot, problem = await self.check_slot(slot_key, channel)
        if idempotency_key and problem == "slot_taken":
            done = await self.his.find_appointments(booked_by=owner, statuses=ACTIVE_STATUSES)
            mine = next((a for a in done if a.slot_ref.key == slot_key), None)
            if mine is not None:
                return BookingResult(True, mine, replayed=True)
        if slot is None:
            return BookingResult(False, reason=problem or "no_such_slot")
        detail: dict[str, Any] = {}
        if problem is None:
            problem, detail = await self.patient_problem(patient, slot, channel)
        if problem:
            return BookingResult(False, reason=problem, detail=detail, alternatives=await self._alternatives_for(problem, slot, channel))
        try:
            appt = await self.his.hold(
                slot.ref,
                patient,
                booked_by=owner,
                relationship=relationship,
                channel=channel,
                hold_until=self.now() + timedelta(minutes=self.hold_minutes),
                idempotency_key=idempotency_key,
                actor=actor,
            )
        except BookingError as e:
            return BookingResult(False, reason=e.reason, detail=e.detail, alternatives=await self._alternatives_for(e.reason, slot, channel))
        return BookingResult(True, appt)

    async def confirm(self, appointment_id: str, *, actor: str = "system") -> BookingResult:
        """Confirm a hold (idempotent). An expired hold is taken again if the slot is still free."""
        try:
            return BookingResult(True, await self.his.confirm(appointment_id, actor=actor))
        except BookingError as e:
            if e.reason != "hold_expired":
                return BookingResult(False, reason=e.reason, detail=e.detail)
            old: Appointment = e.detail["appointment"]
        patient = await self.his.get_patient(old.patient_id)
        slot, _ = await self.check_slot(old.slot_ref.key, old.channel)
        if patient is not None:
            retry = await self.hold(
                old.slot_ref.key,
                PatientInfo(patient.name, patient.id_number, patient.phone, patient.id_type, patient.birth_date, patient.sex),
                owner=old.booked_by,
                relationship=old.relationship,
                channel=old.channel,
                actor=actor,
            )
            if retry.ok and retry.appointment is not None:
                return await self.confirm(retry.appointment.appointment_id, actor=actor)
        alts = await self._alternatives(slot, old.channel, [old.slot_ref.key]) if slot is not None else []
        return BookingResult(False, reason="hold_expired", alternatives=alts)

    async def book(self, slot_key: str, patient: PatientInfo, **kw: Any) -> BookingResult:
        """Hold and confirm in one step (the HIS-facing shortcut, benchmarks, tests)."""
        actor = kw.get("actor", "system")
        held = await self.hold(slot_key, patient, **kw)
        if not held.ok or held.appointment is None:
            return held
        return await self.confirm(held.appointment.appointment_id, actor=actor)

    async def release(self, appointment_id: str, *, actor: str = "system") -> BookingResult:
        """Give back a hold the patient did not confirm (a correction, or the patient left)."""
        appt = await self.his.get_appointment(appointment_id)
        if appt is None or appt.status != "held":
            return BookingResult(False, appt, reason="not_held")
        try:
            return BookingResult(True, await self.his.cancel(appointment_id, actor=actor, reason="released"))
        except BookingError as e:
            return BookingResult(False, appt, reason=e.reason)

    async def cancel(self, appointment_id: str, *, actor: str = "system", owner: str | None = None) -> BookingResult:
        appt = await self.his.get_appointment(appointment_id)
        if appt is None or (owner is not None and appt.booked_by != owner):
            return BookingResult(False, reason="not_found")
        if appt.status == "cancelled":
            return BookingResult(True, appt, replayed=True)
        if appt.status == "confirmed" and not rules.can_cancel(appt.date, self.now()):
            return BookingResult(False, appt, reason="cancel_too_late", detail={"deadline": rules.free_cancel_deadline(appt.date)})
        try:
            return BookingResult(True, await self.his.cancel(appointment_id, actor=actor, reason="patient_cancelled"))
        except BookingError as e:
            return BookingResult(False, appt, reason=e.reason)

    async def reschedule(
        self,
        appointment_id: str,
        slot_key: str,
        *,
        actor: str = "system",
        owner: str | None = None,
        channel: str = "web",
        idempotency_key: str | None = None,
    ) -> BookingResult:
        """Move an appointment: the new slot is confirmed and the old one cancelled in one transaction."""
        appt = await self.his.get_appointment(appointment_id)
        if appt is None or (owner is not None and appt.booked_by != owner):
            return BookingResult(False, reason="not_found")
        if idempotency_key and appt.status == "cancelled":
            done = await self.his.find_appointments(booked_by=appt.booked_by, statuses=ACTIVE_STATUSES)
            moved = next((a for a in done if a.rescheduled_from == appointment_id), None)
            if moved is not None:
                return BookingResult(True, moved, replayed=True)
        if appt.status not in ACTIVE_STATUSES:
            return BookingResult(False, appt, reason="bad_transition")
        if appt.status == "confirmed" and not rules.can_cancel(appt.date, self.now()):
            return BookingResult(False, appt, reason="cancel_too_late", detail={"deadline": rules.free_cancel_deadline(appt.date)})
        slot, problem = await self.check_slot(slot_key, channel)
        if slot is None:
            return BookingResult(False, appt, reason=problem or "no_such_slot")
        patient = await self.his.get_patient(appt.patient_id)
        if problem is None and patient is not None:
            age = self.age_on_visit(patient.id_number, slot.ref.date, patient.birth_date)
            problem = self.age_problem(slot.dept_id, age)
        if problem:
            return BookingResult(False, appt, reason=problem, alternatives=await self._alternatives(slot, channel, [slot.key]))
        try:
            new = await self.his.reschedule(appointment_id, slot.ref, actor=actor, channel=channel, idempotency_key=idempotency_key)
        except BookingError as e:
            alts = await self._alternatives(slot, channel, [slot.key]) if e.reason in ("slot_taken", "duplicate_patient_day") else []
            return BookingResult(False, appt, reason=e.reason, detail=e.detail, alternatives=alts)
        return BookingResult(True, new)

    async def my_appointments(self, owner: str) -> list[Appointment]:
        """The account's upcoming held or confirmed appointments (for itself and family)."""
        today = self.now().date()
        return await self.his.find_appointments(booked_by=owner, statuses=ACTIVE_STATUSES, from_date=today)

    async def patient_appointments(self, id_number: str, id_type: str = "resident_id") -> list[Appointment]:
        p = await self.his.find_patient(id_number, id_type or "resident_id")
        if p is None:
            return []
        return await self.his.find_appointments(patient_id=p.patient_id, statuses=ACTIVE_STATUSES, from_date=self.now().date())

    async def get(self, appointment_id: str) -> Appointment | None:
        return await self.his.get_appointment(appointment_id)

    async def record_outcome(self, appointment_id: str, status: str, *, actor: str = "system") -> BookingResult:
        try:
            return BookingResult(True, await self.his.set_outcome(appointment_id, status, actor=actor))
        except BookingError as e:
            return BookingResult(False, reason=e.reason)


def build_booking_service(db: Any, hospital: HospitalData, clock: Clock) -> BookingService:
    """The service on the built-in HIS (our own store). A hospital HIS adapter replaces ``StoreHIS``."""
    from integrations.his.store import StoreHIS

    return BookingService(StoreHIS(db, hospital, clock), hospital, clock)
