"""Imports every module that defines tables, so Base.metadata knows them all (Alembic, tests)."""

from assistant.store import (
    booking_tables,  # noqa: F401
    models,  # noqa: F401
    payment_tables,  # noqa: F401
)
