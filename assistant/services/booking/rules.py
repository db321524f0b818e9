"""The outpatient guide's booking rules as pure functions: sessions, release window, reserved shares,
fees, age limits, cancellation deadline, no-show suspension.

Everything here takes times as arguments (from a Clock); nothing reads the real time.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from assistant.clock import TZ

# 门诊开诊时间 (outpatient_guide.md §一)
SESSION_TIMES: dict[str, tuple[time, time]] = {
    "AM": (time(8, 0), time(12, 0)),
    "PM": (time(13, 30), time(17, 0)),
    "NIGHT": (time(18, 0), time(21, 0)),
}
# 号源发放 (§五): daily at 08:00 the slots of the day 7 days ahead are released.
RELEASE_TIME = time(8, 0)
RELEASE_DAYS_AHEAD = 7
# Same-day slots can be booked online until 1 hour before the session ends (§五).
SAME_DAY_CUTOFF = timedelta(hours=1)
# 挂号费 (§六)
FEES_BY_TITLE: dict[str, Decimal] = {
    "主任医师": Decimal("50"),
    "副主任医师": Decimal("35"),
    "主治医师": Decimal("20"),
    "住院医师": Decimal("15"),
}
FLAT_FEE_NO_APPOINTMENT = Decimal("20")  # emergency and fever clinic
NO_APPOINTMENT_DEPTS = ("emergency", "fever_clinic")
# 取消预约与爽约 (§七)
FREE_CANCEL_CUTOFF = time(18, 0)  # the day before the visit
NO_SHOW_WINDOW_DAYS = 90
NO_SHOW_LIMIT = 3
SUSPENSION_DAYS = 30
# 实名制挂号 (§四)
MAX_PER_PATIENT_PER_DAY = 3
MAX_PATIENTS_PER_ACCOUNT = 5  # elderly_and_accessibility.md §三
# Women's departments (departments.md, 五、妇产与儿童): a man can't be booked there.
FEMALE_ONLY_DEPTS = ("gynecology", "obstetrics")
# How long a held slot waits for confirmation.
HOLD_MINUTES = 10

# Channels that are subject to the online-booking suspension (§七: phone and counter stay open).
ONLINE_CHANNELS = ("web", "wechat", "app", "api")


def fee_for_title(title: str) -> Decimal:
    return FEES_BY_TITLE[title]


def session_bounds(d: date, session: str) -> tuple[datetime, datetime]:
    start, end = SESSION_TIMES[session]
    return datetime.combine(d, start, TZ), datetime.combine(d, end, TZ)


def slot_start(d: date, session: str, slot_minutes: int, index: int) -> datetime:
    return session_bounds(d, session)[0] + timedelta(minutes=slot_minutes * index)


def slot_pool(index: int) -> str:
    """About 20% of each session's slots are kept for the phone line and 20% for walk-ins (§五).

    The reserved slots are spread through the session: every fifth slot from the third is for
    the phone, every fifth from the fifth for walk-ins.
    """
    r = index % 5
    if r == 2:
        return "phone"
    if r == 4:
        return "walkin"
    return "online"


def pools_for_channel(channel: str) -> tuple[str, ...]:
    """The phone line books its own reserve and the online share; walk-in slots are never booked ahead."""
    return ("online", "phone") if channel == "phone" else ("online",)


def last_bookable_date(now: datetime) -> date:
    """The furthest date already released at ``now``."""
    local = now.astimezone(TZ)
    ahead = RELEASE_DAYS_AHEAD if local.time() >= RELEASE_TIME else RELEASE_DAYS_AHEAD - 1
    return local.date() + timedelta(days=ahead)


def release_moment(d: date) -> datetime:
    """When the slots of date ``d`` are (or were) released."""
    return datetime.combine(d - timedelta(days=RELEASE_DAYS_AHEAD), RELEASE_TIME, TZ)


def bookable_dates(now: datetime) -> list[date]:
    today = now.astimezone(TZ).date()
    last = last_bookable_date(now)
    return [today + timedelta(days=i) for i in range((last - today).days + 1)]


def date_problem(d: date, now: datetime) -> str | None:
    """``past`` / ``not_released`` / None."""
    today = now.astimezone(TZ).date()
    if d < today:
        return "past"
    if d > last_bookable_date(now):
        return "not_released"
    return None


def slot_bookable_at(start: datetime, session_end: datetime, now: datetime) -> bool:
    """A slot can be booked while it lies ahead and its session is more than an hour from ending."""
    return start > now and now < session_end - SAME_DAY_CUTOFF


def free_cancel_deadline(visit: date) -> datetime:
    return datetime.combine(visit - timedelta(days=1), FREE_CANCEL_CUTOFF, TZ)


def can_cancel(visit: date, now: datetime) -> bool:
    return now < free_cancel_deadline(visit)


def suspended_until(no_show_dates: list[date], today: date) -> date | None:
    """The last day of an online-booking suspension in force on ``today``, or None.

    Three no-shows within any 90 consecutive days suspend online booking for 30 days from the
    day of the third (§七).
    """
    days = sorted(no_show_dates)
    latest: date | None = None
    for i in range(NO_SHOW_LIMIT - 1, len(days)):
        third = days[i]
        if (third - days[i - NO_SHOW_LIMIT + 1]).days < NO_SHOW_WINDOW_DAYS:
            until = third + timedelta(days=SUSPENSION_DAYS - 1)
            if third <= today <= until and (latest is None or until > latest):
                latest = until
    return latest


def birth_date_from_id(id_number: str) -> date | None:
    v = id_number.strip()
    if len(v) != 18:
        return None
    try:
        return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return None


def sex_from_id(id_number: str) -> str | None:
    v = id_number.strip()
    if len(v) != 18 or not v[16].isdigit():
        return None
    return "M" if int(v[16]) % 2 else "F"


def age_on(birth: date, on: date) -> int:
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years
