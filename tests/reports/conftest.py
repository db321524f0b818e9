"""Fixtures for the report tests: one ReportReader per session (the OCR model loads once)."""

from __future__ import annotations

import pytest

from assistant.hospital import HospitalData
from assistant.services.reports import ReportReader


@pytest.fixture(scope="session")
def reader(hospital: HospitalData) -> ReportReader:
    return ReportReader(hospital)
