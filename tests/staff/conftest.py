"""Staff-test fixtures: one real server per test module (see staff_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from staff_helpers import StaffServer, start_staff_server


@pytest.fixture(scope="module")
def staff_server(tmp_path_factory) -> Iterator[StaffServer]:
    with start_staff_server(tmp_path_factory.mktemp("staff")) as srv:
        yield srv
