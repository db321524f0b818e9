"""Payment tables: orders, refunds and the WeChat Pay notifications already applied.

Money is counted once by the database itself: amounts are integer fen with CHECK constraints
(refunds never exceed the payment), WeChat's transaction and refund ids are UNIQUE, idempotency
keys are UNIQUE, and a notification id can be applied only once (primary key).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from assistant.store.models import Base, utcnow

ORDER_STATUSES = ("created", "paying", "paid", "refunding", "refunded", "closed")
REFUND_STATUSES = ("processing", "success", "closed", "abnormal")


class PaymentOrder(Base):
    __tablename__ = "payment_orders"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="ck_payment_orders_amount_positive"),
        CheckConstraint("refund_reserved_fen >= 0 AND refund_reserved_fen <= amount_fen", name="ck_payment_orders_reserved"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= refund_reserved_fen", name="ck_payment_orders_refunded"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # also WeChat's out_trade_no
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    purpose: Mapped[str] = mapped_column(String(32))  # appointment_fee | outpatient_bill | inpatient_deposit
    reference_id: Mapped[str] = mapped_column(String(64), index=True)  # appointment id, bill id
    session_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    description: Mapped[str] = mapped_column(String(127))
    amount_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(16), default="created", index=True)
    channel: Mapped[str] = mapped_column(String(16), default="native")  # native | jsapi
    code_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    prepay_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    transaction_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    payer_total_fen: Mapped[int | None] = mapped_column(Integer, nullable=True)
    refund_reserved_fen: Mapped[int] = mapped_column(Integer, default=0)  # processing + succeeded refunds
    refunded_fen: Mapped[int] = mapped_column(Integer, default=0)  # succeeded refunds
    settlement: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PaymentRefund(Base):
    __tablename__ = "payment_refunds"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="ck_payment_refunds_amount_positive"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # also WeChat's out_refund_no
    order_id: Mapped[str] = mapped_column(ForeignKey("payment_orders.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="processing")
    refund_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)  # WeChat's
    reason: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PaymentNotification(Base):
    """One row per WeChat Pay notification applied; a replay collides on the primary key."""

    __tablename__ = "payment_notifications"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    refund_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
