"""Hospital local time (Asia/Shanghai), with a clock that tests can set."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


class Clock:
    """The real clock. Domain code takes a Clock instead of calling datetime.now()."""

    def now(self) -> datetime:
        return datetime.now(TZ)

    def today(self):  # type: ignore[no-untyped-def]
        return self.now().date()


class FixedClock(Clock):
    """A clock that stands still until moved (tests, evaluation suites)."""

    def __init__(self, at: datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=TZ)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=TZ)

    def advance(self, **kwargs: float) -> None:
        self._at = self._at + timedelta(**kwargs)
