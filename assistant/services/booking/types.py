"""Plain value types of the booking domain: slots, patients, appointments and booking outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

SESSIONS = ("AM", "PM", "NIGHT")
ACTIVE_STATUSES = ("held", "confirmed")
#: The appointment state machine: held → confirmed → cancelled / attended / no_show; a hold may
#: also be released (cancelled) or run out (expired).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "held": ("confirmed", "cancelled", "expired"),
    "confirmed": ("cancelled", "attended", "no_show"),
    "cancelled": (),
    "expired": (),
    "attended": (),
    "no_show": (),
}


@dataclass(frozen=True)
class SlotRef:
    """One bookable position: a doctor's session on a date and the slot number within it."""

    doctor_id: str
    date: date
    session: str
    index: int

    @property
    def key(self) -> str:
        return f"{self.doctor_id}:{self.date.isoformat()}:{self.session}:{self.index}"

    @classmethod
    def parse(cls, key: str) -> SlotRef:
        doctor_id, d, session, index = key.split(":")
        return cls(doctor_id, date.fromisoformat(d), session, int(index))


@dataclass(frozen=True)
class Slot:
    ref: SlotRef
    dept_id: str
    start: datetime  # aware, hospital local time
    end: datetime
    fee: Decimal
    pool: str  # online | phone | walkin (the share the slot is released to)
    free: bool = True

    @property
    def key(self) -> str:
        return self.ref.key

    @property
    def doctor_id(self) -> str:
        return self.ref.doctor_id


@dataclass(frozen=True)
class PatientInfo:
    """Who the appointment is for, as collected in the dialogue."""

    name: str
    id_number: str
    phone: str
    #: resident_id (居民身份证, 港澳台居民居住证, 外国人永久居留身份证) | passport | hk_macau_permit | taiwan_permit
    id_type: str = "resident_id"
    birth_date: date | None = None  # asked when the document does not give it and a department needs it
    sex: str | None = None  # M | F, likewise


@dataclass(frozen=True)
class Patient:
    patient_id: str
    name: str
    id_number: str
    phone: str
    birth_date: date | None
    sex: str | None  # M | F
    id_type: str = "resident_id"


@dataclass(frozen=True)
class LinkedPatient:
    patient: Patient
    relationship: str


@dataclass(frozen=True)
class Appointment:
    appointment_id: str
    patient_id: str
    doctor_id: str
    dept_id: str
    date: date
    session: str
    slot_index: int
    start: datetime
    fee: Decimal
    status: str
    channel: str
    booked_by: str
    relationship: str
    hold_expires_at: datetime | None = None
    rescheduled_from: str | None = None

    @property
    def slot_ref(self) -> SlotRef:
        return SlotRef(self.doctor_id, self.date, self.session, self.slot_index)

    def contract(self) -> dict[str, Any]:
        """The contract's ``appointment`` object."""
        return {
            "appointment_id": self.appointment_id,
            "status": self.status,
            "department": self.dept_id,
            "doctor_id": self.doctor_id,
            "start": self.start.isoformat(),
        }


@dataclass
class BookingResult:
    """What a booking operation did. ``reason`` is a stable code when ``ok`` is false."""

    ok: bool
    appointment: Appointment | None = None
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    alternatives: list[Slot] = field(default_factory=list)
    replayed: bool = False  # an idempotent repeat returned the earlier result


class BookingError(Exception):
    """A rule refused the operation; ``reason`` is the stable code, ``detail`` the facts."""

    def __init__(self, reason: str, **detail: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
