"""The built-in HIS: schedules from the hospital data, patients and appointments in our own database.

Double booking is refused by the database (partial unique indexes in ``booking_tables``); this
module turns those refusals into ``BookingError`` codes and writes every change to the audit log.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.clock import Clock
from assistant.hospital import HospitalData
from assistant.services.booking import rules
from assistant.services.booking.slots import SlotGenerator
from assistant.services.booking.types import (
    ACTIVE_STATUSES,
    TRANSITIONS,
    Appointment,
    BookingError,
    LinkedPatient,
    Patient,
    PatientInfo,
    Slot,
    SlotRef,
)
from assistant.store.booking_tables import AppointmentRow, PatientLinkRow, PatientRow
from assistant.store.models import AuditLog

log = logging.getLogger(__name__)
RETRIES = 8


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def to_appointment(row: AppointmentRow) -> Appointment:
    return Appointment(
        appointment_id=row.id,
        patient_id=row.patient_id,
        doctor_id=row.doctor_id,
        dept_id=row.dept_id,
        date=row.date,
        session=row.session,
        slot_index=row.slot_index,
        start=datetime.fromisoformat(row.start_local),
        fee=row.fee,
        status=row.status,
        channel=row.channel,
        booked_by=row.booked_by,
        relationship=row.relationship,
        hold_expires_at=_utc(row.hold_expires_at),
        rescheduled_from=row.rescheduled_from,
    )


def to_patient(row: PatientRow) -> Patient:
    return Patient(row.id, row.name, row.id_number, row.phone, row.birth_date, row.sex, row.id_type or "resident_id")


class StoreHIS:
    """``integrations.his.interface.HIS`` on our own SQLAlchemy store (SQLite or PostgreSQL)."""

    def __init__(self, db: Any, hospital: HospitalData, clock: Clock) -> None:
        self.db = db  # assistant.store.db.Database
        self.hospital = hospital
        self.clock = clock
        self.slots = SlotGenerator(hospital)

    def _now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    # ---- plumbing -----------------------------------------------------------------------------
    async def _tx(self, fn: Any) -> Any:
        """Run ``fn(session)`` in a transaction, retrying SQLite lock contention."""
        for attempt in range(RETRIES):
            try:
                async with self.db.session() as s, s.begin():
                    return await fn(s)
            except OperationalError as e:
                if "locked" not in str(e).lower() or attempt == RETRIES - 1:
                    raise
                await asyncio.sleep(0.02 * (attempt + 1))
        raise RuntimeError("unreachable")

    def _audit(self, s: AsyncSession, action: str, row: AppointmentRow, actor: str, reason: str | None = None, **extra: Any) -> None:
        details = {
            "status": row.status,
            "patient_id": row.patient_id,
            "doctor_id": row.doctor_id,
            "dept_id": row.dept_id,
            "date": row.date.isoformat(),
            "session": row.session,
            "slot_index": row.slot_index,
            "channel": row.channel,
            **extra,
        }
        s.add(AuditLog(at=self._now(), actor=actor, action=action, target_type="appointment", target_id=row.id, reason=reason, details=details))

    async def _expire_stale(self, s: AsyncSession, cond: Any, actor: str) -> None:
        now = self._now()
        stale = (
            await s.execute(
                select(AppointmentRow)
                .where(AppointmentRow.status == "held", AppointmentRow.hold_expires_at < now, cond)
                .with_for_update()
            )
        ).scalars().all()
        for row in stale:
            row.status = "expired"
            row.updated_at = now
            self._audit(s, "appointment.expire", row, actor)
        if stale:
            await s.flush()

    def _active_cond(self) -> Any:
        return or_(
            AppointmentRow.status == "confirmed",
            and_(AppointmentRow.status == "held", AppointmentRow.hold_expires_at >= self._now()),
        )

    # ---- schedules ----------------------------------------------------------------------------
    async def list_slots(
        self, *, doctor_ids: Sequence[str], dates: Sequence[date], sessions: Sequence[str] | None = None
    ) -> list[Slot]:
        generated: list[Slot] = []
        for d in dates:
            generated.extend(self.slots.day_slots(list(doctor_ids), d, list(sessions) if sessions else None))
        if not generated:
            return []
        async with self.db.session() as s:
            taken = {
                (r.doctor_id, r.date, r.session, r.slot_index)
                for r in (
                    await s.execute(
                        select(AppointmentRow.doctor_id, AppointmentRow.date, AppointmentRow.session, AppointmentRow.slot_index).where(
                            AppointmentRow.doctor_id.in_(list(doctor_ids)),
                            AppointmentRow.date.in_(list(dates)),
                            self._active_cond(),
                        )
                    )
                ).all()
            }
        out = []
        for sl in generated:
            r = sl.ref
            if (r.doctor_id, r.date, r.session, r.index) in taken:
                sl = Slot(sl.ref, sl.dept_id, sl.start, sl.end, sl.fee, sl.pool, free=False)
            out.append(sl)
        return out

    # ---- patients -----------------------------------------------------------------------------
    async def _patient_for(self, s: AsyncSession, info: PatientInfo, owner: str, relationship: str, actor: str) -> PatientRow:
        idn = info.id_number.strip().upper()
        kind = info.id_type or "resident_id"
        row = (
            await s.execute(select(PatientRow).where(PatientRow.id_type == kind, PatientRow.id_number == idn))
        ).scalar_one_or_none()
        now = self._now()
        resident = kind == "resident_id"
        if row is None:
            row = PatientRow(
                id=f"pt-{uuid.uuid4().hex[:20]}",
                name=info.name,
                id_type=kind,
                id_number=idn,
                phone=info.phone,
                # a resident ID carries them; a passport or permit patient said them when a department needed them
                birth_date=rules.birth_date_from_id(idn) if resident else info.birth_date,
                sex=rules.sex_from_id(idn) if resident else info.sex,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            await s.flush()
            s.add(AuditLog(at=now, actor=actor, action="patient.create", target_type="patient", target_id=row.id, details={}))
        elif row.name != info.name:
            raise BookingError("identity_mismatch")
        else:
            if row.phone != info.phone:
                row.phone = info.phone
                row.updated_at = now
                s.add(AuditLog(at=now, actor=actor, action="patient.update_phone", target_type="patient", target_id=row.id, details={}))
            if not resident and ((row.birth_date is None and info.birth_date) or (row.sex is None and info.sex)):
                row.birth_date = row.birth_date or info.birth_date
                row.sex = row.sex or info.sex
                row.updated_at = now
        link = (
            await s.execute(select(PatientLinkRow).where(PatientLinkRow.owner == owner, PatientLinkRow.patient_id == row.id))
        ).scalar_one_or_none()
        if link is None:
            count = (await s.execute(select(func.count()).select_from(PatientLinkRow).where(PatientLinkRow.owner == owner))).scalar_one()
            if count >= rules.MAX_PATIENTS_PER_ACCOUNT:
                raise BookingError("too_many_patients", limit=rules.MAX_PATIENTS_PER_ACCOUNT)
            s.add(PatientLinkRow(owner=owner, patient_id=row.id, relationship=relationship, created_at=now))
            s.add(AuditLog(at=now, actor=actor, action="patient.link", target_type="patient", target_id=row.id, details={"relationship": relationship}))
        return row

    async def find_patient(self, id_number: str, id_type: str = "resident_id") -> Patient | None:
        async with self.db.session() as s:
            row = (
                await s.execute(
                    select(PatientRow).where(PatientRow.id_type == (id_type or "resident_id"), PatientRow.id_number == id_number.strip().upper())
                )
            ).scalar_one_or_none()
            return to_patient(row) if row else None

    async def get_patient(self, patient_id: str) -> Patient | None:
        async with self.db.session() as s:
            row = await s.get(PatientRow, patient_id)
            return to_patient(row) if row else None

    async def linked_patients(self, owner: str) -> list[LinkedPatient]:
        async with self.db.session() as s:
            rows = (
                await s.execute(
                    select(PatientRow, PatientLinkRow.relationship)
                    .join(PatientLinkRow, PatientLinkRow.patient_id == PatientRow.id)
                    .where(PatientLinkRow.owner == owner)
                    .order_by(PatientLinkRow.id)
                )
            ).all()
            return [LinkedPatient(to_patient(p), rel) for p, rel in rows]

    async def no_show_dates(self, patient_id: str) -> list[date]:
        async with self.db.session() as s:
            rows = (
                await s.execute(select(AppointmentRow.date).where(AppointmentRow.patient_id == patient_id, AppointmentRow.status == "no_show"))
            ).scalars().all()
            return list(rows)

    # ---- appointments -------------------------------------------------------------------------
    @staticmethod
    def _classify(e: IntegrityError) -> str:
        msg = str(e.orig if e.orig is not None else e)
        if "idempotency_key" in msg:
            return "idempotent_replay"
        if "uq_appt_slot_active" in msg or "slot_index" in msg:
            return "slot_taken"
        if "uq_appt_patient_dept_day_active" in msg or "appointments.dept_id" in msg:
            return "duplicate_patient_day"
        if "id_number" in msg or "uq_patient_document" in msg or "uq_patient_link" in msg or "patient_links" in msg:
            return "retry"
        return "conflict"

    async def _by_key(self, key: str) -> Appointment | None:
        async with self.db.session() as s:
            row = (await s.execute(select(AppointmentRow).where(AppointmentRow.idempotency_key == key))).scalar_one_or_none()
            return to_appointment(row) if row else None

    async def hold(
        self,
        ref: SlotRef,
        patient: PatientInfo,
        *,
        booked_by: str,
        relationship: str,
        channel: str,
        hold_until: datetime,
        idempotency_key: str | None = None,
        actor: str = "system",
    ) -> Appointment:
        slot = self.slots.slot(ref)
        if slot is None:
            raise BookingError("no_such_slot")
        if idempotency_key and (done := await self._by_key(idempotency_key)) is not None:
            return done

        async def work(s: AsyncSession) -> Appointment:
            await self._expire_stale(
                s,
                and_(
                    AppointmentRow.doctor_id == ref.doctor_id,
                    AppointmentRow.date == ref.date,
                    AppointmentRow.session == ref.session,
                    AppointmentRow.slot_index == ref.index,
                ),
                actor,
            )
            prow = await self._patient_for(s, patient, booked_by, relationship, actor)
            await self._expire_stale(
                s, and_(AppointmentRow.patient_id == prow.id, AppointmentRow.dept_id == slot.dept_id, AppointmentRow.date == ref.date), actor
            )
            now = self._now()
            row = AppointmentRow(
                id=f"apt-{uuid.uuid4().hex[:20]}",
                patient_id=prow.id,
                doctor_id=ref.doctor_id,
                dept_id=slot.dept_id,
                date=ref.date,
                session=ref.session,
                slot_index=ref.index,
                start_local=slot.start.isoformat(),
                fee=slot.fee,
                status="held",
                channel=channel,
                booked_by=booked_by,
                relationship=relationship,
                hold_expires_at=hold_until.astimezone(UTC),
                idempotency_key=idempotency_key,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            await s.flush()
            self._audit(s, "appointment.hold", row, actor)
            return to_appointment(row)

        def refused(kind: str) -> BookingError:
            if kind == "duplicate_patient_day":
                return BookingError(kind, dept_id=slot.dept_id, date=ref.date)
            return BookingError("slot_taken" if kind != "conflict" else "conflict")

        return await self._write_appointment(work, idempotency_key, refused)

    async def _transition(self, appointment_id: str, to: str, actor: str, reason: str | None = None) -> Appointment:
        expired = False

        async def work(s: AsyncSession) -> Appointment:
            nonlocal expired
            row = (await s.execute(select(AppointmentRow).where(AppointmentRow.id == appointment_id).with_for_update())).scalar_one_or_none()
            if row is None:
                raise BookingError("not_found")
            if row.status == to:
                return to_appointment(row)  # idempotent repeat
            if to == "confirmed" and row.status == "held" and (_utc(row.hold_expires_at) or self._now()) < self._now():
                row.status = "expired"
                row.updated_at = self._now()
                self._audit(s, "appointment.expire", row, actor)
                expired = True
                return to_appointment(row)
            if to == "confirmed" and row.status == "expired":
                raise BookingError("hold_expired", appointment=to_appointment(row))
            if to not in TRANSITIONS.get(row.status, ()):
                raise BookingError("bad_transition", status=row.status, to=to)
            before = row.status
            row.status = to
            row.updated_at = self._now()
            self._audit(s, f"appointment.{to}", row, actor, reason, previous=before)
            return to_appointment(row)

        appt = await self._tx(work)
        if expired:
            raise BookingError("hold_expired", appointment=appt)
        return appt

    async def confirm(self, appointment_id: str, *, actor: str = "system") -> Appointment:
        return await self._transition(appointment_id, "confirmed", actor)

    async def cancel(self, appointment_id: str, *, actor: str = "system", reason: str | None = None) -> Appointment:
        return await self._transition(appointment_id, "cancelled", actor, reason)

    async def set_outcome(self, appointment_id: str, status: str, *, actor: str = "system") -> Appointment:
        if status not in ("attended", "no_show"):
            raise BookingError("bad_transition", to=status)
        return await self._transition(appointment_id, status, actor)

    async def reschedule(
        self,
        appointment_id: str,
        new_ref: SlotRef,
        *,
        actor: str = "system",
        channel: str = "web",
        idempotency_key: str | None = None,
    ) -> Appointment:
        slot = self.slots.slot(new_ref)
        if slot is None:
            raise BookingError("no_such_slot")
        if idempotency_key and (done := await self._by_key(idempotency_key)) is not None:
            return done

        async def work(s: AsyncSession) -> Appointment:
            old = (await s.execute(select(AppointmentRow).where(AppointmentRow.id == appointment_id).with_for_update())).scalar_one_or_none()
            if old is None:
                raise BookingError("not_found")
            if old.status not in ACTIVE_STATUSES:
                raise BookingError("bad_transition", status=old.status, to="cancelled")
            await self._expire_stale(
                s,
                and_(
                    AppointmentRow.doctor_id == new_ref.doctor_id,
                    AppointmentRow.date == new_ref.date,
                    AppointmentRow.session == new_ref.session,
                    AppointmentRow.slot_index == new_ref.index,
                ),
                actor,
            )
            now = self._now()
            previous = old.status
            old.status = "cancelled"
            old.updated_at = now
            await s.flush()
            row = AppointmentRow(
                id=f"apt-{uuid.uuid4().hex[:20]}",
                patient_id=old.patient_id,
                doctor_id=new_ref.doctor_id,
                dept_id=slot.dept_id,
                date=new_ref.date,
                session=new_ref.session,
                slot_index=new_ref.index,
                start_local=slot.start.isoformat(),
                fee=slot.fee,
                status="confirmed",
                channel=channel,
                booked_by=old.booked_by,
                relationship=old.relationship,
                hold_expires_at=None,
                idempotency_key=idempotency_key,
                rescheduled_from=old.id,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            await s.flush()
            self._audit(s, "appointment.cancelled", old, actor, "rescheduled", previous=previous, rescheduled_to=row.id)
            self._audit(s, "appointment.rescheduled", row, actor, None, rescheduled_from=old.id)
            return to_appointment(row)

        return await self._write_appointment(
            work, idempotency_key,
            lambda kind: BookingError(kind if kind in ("slot_taken", "duplicate_patient_day") else "conflict"),
        )

    async def _write_appointment(
        self, work: Any, idempotency_key: str | None, refused: Callable[[str], BookingError]
    ) -> Appointment:
        """Run a transaction that writes an appointment: the database's unique indexes decide races.
        A replay of the same idempotency key returns the first result; a lost race is retried; any
        other constraint becomes the refusal ``refused(kind)`` says."""
        for _ in range(RETRIES):
            try:
                return await self._tx(work)
            except IntegrityError as e:
                kind = self._classify(e)
                if kind == "idempotent_replay" and idempotency_key:
                    done = await self._by_key(idempotency_key)
                    if done is not None:
                        return done
                if kind == "retry":
                    continue
                raise refused(kind) from None
        raise BookingError("conflict")

    async def get_appointment(self, appointment_id: str) -> Appointment | None:
        async with self.db.session() as s:
            row = await s.get(AppointmentRow, appointment_id)
            return to_appointment(row) if row else None

    async def find_appointments(
        self,
        *,
        booked_by: str | None = None,
        patient_id: str | None = None,
        statuses: Sequence[str] | None = None,
        from_date: date | None = None,
    ) -> list[Appointment]:
        q = select(AppointmentRow)
        if booked_by is not None:
            q = q.where(AppointmentRow.booked_by == booked_by)
        if patient_id is not None:
            q = q.where(AppointmentRow.patient_id == patient_id)
        if statuses:
            q = q.where(AppointmentRow.status.in_(list(statuses)))
        if from_date is not None:
            q = q.where(AppointmentRow.date >= from_date)
        q = q.order_by(AppointmentRow.date, AppointmentRow.start_local)
        async with self.db.session() as s:
            rows = (await s.execute(q)).scalars().all()
        now = self._now()
        out = []
        for r in rows:
            a = to_appointment(r)
            if a.status == "held" and a.hold_expires_at is not None and a.hold_expires_at < now:
                if statuses and "expired" not in statuses:
                    continue
            out.append(a)
        return out
