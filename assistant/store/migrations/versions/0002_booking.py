"""booking: patients, proxy links, appointments (no double booking enforced by partial unique indexes)

Revision ID: 0002_booking
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_booking"
down_revision = "0001_core"
branch_labels = ("booking",)
depends_on = None

ACTIVE_SQL = "status IN ('held', 'confirmed')"


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_number"),
    )
    op.create_table(
        "patient_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=False),
        sa.Column("relationship", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner", "patient_id", name="uq_patient_link"),
    )
    op.create_index("ix_patient_links_owner", "patient_links", ["owner"])
    op.create_table(
        "appointments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.String(length=40), nullable=False),
        sa.Column("doctor_id", sa.String(length=16), nullable=False),
        sa.Column("dept_id", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("session", sa.String(length=8), nullable=False),
        sa.Column("slot_index", sa.Integer(), nullable=False),
        sa.Column("start_local", sa.String(length=32), nullable=False),
        sa.Column("fee", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("booked_by", sa.String(length=128), nullable=False),
        sa.Column("relationship", sa.String(length=16), nullable=False),
        sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("rescheduled_from", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_appointments_patient_id", "appointments", ["patient_id"])
    op.create_index("ix_appointments_status", "appointments", ["status"])
    op.create_index("ix_appointments_booked_by", "appointments", ["booked_by"])
    op.create_index("ix_appt_doctor_date", "appointments", ["doctor_id", "date"])
    op.create_index(
        "uq_appt_slot_active",
        "appointments",
        ["doctor_id", "date", "session", "slot_index"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_SQL),
        postgresql_where=sa.text(ACTIVE_SQL),
    )
    op.create_index(
        "uq_appt_patient_dept_day_active",
        "appointments",
        ["patient_id", "dept_id", "date"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_SQL),
        postgresql_where=sa.text(ACTIVE_SQL),
    )


def downgrade() -> None:
    op.drop_index("uq_appt_patient_dept_day_active", table_name="appointments")
    op.drop_index("uq_appt_slot_active", table_name="appointments")
    op.drop_index("ix_appt_doctor_date", table_name="appointments")
    op.drop_index("ix_appointments_booked_by", table_name="appointments")
    op.drop_index("ix_appointments_status", table_name="appointments")
    op.drop_index("ix_appointments_patient_id", table_name="appointments")
    op.drop_table("appointments")
    op.drop_index("ix_patient_links_owner", table_name="patient_links")
    op.drop_table("patient_links")
    op.drop_table("patients")
