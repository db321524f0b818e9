"""The interface the booking service uses for schedules, patients and appointments.

A hospital that keeps appointments in its own HIS implements this Protocol (for example over its
FHIR R4 endpoint, see ``integrations/his/fhir.py``); the built-in implementation is
``integrations/his/store.py`` on our own database. Refusals raise ``BookingError`` with a stable
reason code: ``slot_taken``, ``duplicate_patient_day``, ``not_found``, ``bad_transition``,
``no_such_slot``, ``identity_mismatch``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from assistant.services.booking.types import Appointment, LinkedPatient, Patient, PatientInfo, Slot, SlotRef


@runtime_checkable
class HIS(Protocol):
    async def list_slots(
        self, *, doctor_ids: Sequence[str], dates: Sequence[date], sessions: Sequence[str] | None = None
    ) -> list[Slot]:
        """Every scheduled slot of these doctors on these dates, ``free`` false when taken."""
        ...

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
        """Hold a slot for a patient until ``hold_until``; the same idempotency key returns the same hold."""
        ...

    async def confirm(self, appointment_id: str, *, actor: str = "system") -> Appointment:
        """Confirm a hold; confirming a confirmed appointment returns it unchanged."""
        ...

    async def cancel(self, appointment_id: str, *, actor: str = "system", reason: str | None = None) -> Appointment: ...

    async def reschedule(
        self,
        appointment_id: str,
        new_ref: SlotRef,
        *,
        actor: str = "system",
        channel: str = "web",
        idempotency_key: str | None = None,
    ) -> Appointment:
        """Atomically cancel an appointment and confirm the same patient into another slot."""
        ...

    async def set_outcome(self, appointment_id: str, status: str, *, actor: str = "system") -> Appointment:
        """Record ``attended`` or ``no_show`` for a confirmed appointment (the HIS's check-in)."""
        ...

    async def get_appointment(self, appointment_id: str) -> Appointment | None: ...

    async def find_appointments(
        self,
        *,
        booked_by: str | None = None,
        patient_id: str | None = None,
        statuses: Sequence[str] | None = None,
        from_date: date | None = None,
    ) -> list[Appointment]: ...

    async def find_patient(self, id_number: str, id_type: str = "resident_id") -> Patient | None:
        """The patient known by this identity document (``id_type``: resident_id | passport | hk_macau_permit | taiwan_permit)."""
        ...

    async def get_patient(self, patient_id: str) -> Patient | None: ...

    async def linked_patients(self, owner: str) -> list[LinkedPatient]: ...

    async def no_show_dates(self, patient_id: str) -> list[date]: ...
