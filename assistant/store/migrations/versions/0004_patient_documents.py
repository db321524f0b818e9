"""patients: the identity document's type beside its number (passports and travel permits)

A patient is unique by (id_type, id_number) instead of id_number alone; existing rows are resident IDs.

Revision ID: 0004_patient_documents
Revises: 0002_booking
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_patient_documents"
down_revision = "0002_booking"
branch_labels = None
depends_on = None

# 0002 left the unique constraint on id_number unnamed: PostgreSQL calls it patients_id_number_key;
# SQLite's batch mode reflects it under this naming convention so it can be dropped by name.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_unique() -> str:
    return "patients_id_number_key" if op.get_bind().dialect.name == "postgresql" else "uq_patients_id_number"


def upgrade() -> None:
    with op.batch_alter_table("patients", naming_convention=NAMING) as batch:
        batch.add_column(sa.Column("id_type", sa.String(length=16), nullable=False, server_default="resident_id"))
        batch.alter_column("id_number", existing_type=sa.String(length=18), type_=sa.String(length=20), existing_nullable=False)
        batch.drop_constraint(_old_unique(), type_="unique")
        batch.create_unique_constraint("uq_patient_document", ["id_type", "id_number"])


def downgrade() -> None:
    with op.batch_alter_table("patients", naming_convention=NAMING) as batch:
        batch.drop_constraint("uq_patient_document", type_="unique")
        batch.create_unique_constraint(_old_unique(), ["id_number"])
        batch.alter_column("id_number", existing_type=sa.String(length=20), type_=sa.String(length=18), existing_nullable=False)
        batch.drop_column("id_type")
