"""Booking tables: patients, who may book for whom (proxy links), and appointments.

No double booking is enforced by the database itself: partial unique indexes over the active
appointments (status held or confirmed) allow one per slot, and one per patient per department
per day (the guide's real-name rule, which covers a second booking in the same session).
Revision ``0002_booking``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from assistant.store.models import Base, utcnow

ACTIVE_SQL = "status IN ('held', 'confirmed')"


class PatientRow(Base):
    """A patient is known by an identity document: its type and number (revision ``0004_patient_documents``)."""

    __tablename__ = "patients"
    __table_args__ = (UniqueConstraint("id_type", "id_number", name="uq_patient_document"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # resident_id (18-character GB 11643: 身份证, 港澳台居民居住证, 外国人永久居留身份证) | passport |
    # hk_macau_permit | taiwan_permit
    id_type: Mapped[str] = mapped_column(String(16), default="resident_id", server_default="resident_id")
    id_number: Mapped[str] = mapped_column(String(20))  # stored for lookup (real-name booking)
    phone: Mapped[str] = mapped_column(String(20))
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    sex: Mapped[str | None] = mapped_column(String(1), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PatientLinkRow(Base):
    """An account (a chat user, WeChat openid, phone caller) may book for up to 5 patients."""

    __tablename__ = "patient_links"
    __table_args__ = (UniqueConstraint("owner", "patient_id", name="uq_patient_link"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(128), index=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    relationship: Mapped[str] = mapped_column(String(16))  # self | mother | father | child | spouse | ...
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AppointmentRow(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        Index(
            "uq_appt_slot_active",
            "doctor_id",
            "date",
            "session",
            "slot_index",
            unique=True,
            sqlite_where=text(ACTIVE_SQL),
            postgresql_where=text(ACTIVE_SQL),
        ),
        Index(
            "uq_appt_patient_dept_day_active",
            "patient_id",
            "dept_id",
            "date",
            unique=True,
            sqlite_where=text(ACTIVE_SQL),
            postgresql_where=text(ACTIVE_SQL),
        ),
        Index("ix_appt_doctor_date", "doctor_id", "date"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    doctor_id: Mapped[str] = mapped_column(String(16))
    dept_id: Mapped[str] = mapped_column(String(64))
    date: Mapped[date] = mapped_column(Date)
    session: Mapped[str] = mapped_column(String(8))
    slot_index: Mapped[int] = mapped_column(Integer)
    start_local: Mapped[str] = mapped_column(String(32))  # ISO-8601 with offset, hospital local time
    fee: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    status: Mapped[str] = mapped_column(String(16), index=True)  # held | confirmed | cancelled | expired | attended | no_show
    channel: Mapped[str] = mapped_column(String(16), default="web")
    booked_by: Mapped[str] = mapped_column(String(128), index=True)
    relationship: Mapped[str] = mapped_column(String(16), default="self")
    hold_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # UTC
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    rescheduled_from: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
