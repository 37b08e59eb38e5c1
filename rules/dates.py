"""Validity arithmetic on local dates: inclusive end dates, month ends, the site's local day."""

from __future__ import annotations

import calendar
from datetime import date
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

Validity = Literal["missing", "expired", "expiring", "valid"]


def month_end(year: int, month: int) -> date:
    """Return the last day of a year-month (a stored "2026-11" is valid through 2026-11-30)."""
    return date(year, month, calendar.monthrange(year, month)[1])


def local_date(moment: datetime, tz_name: str) -> date:
    """Return the calendar date at `moment` in the site's time zone.

    :raises ValueError: for a naive datetime, which could silently be read in the wrong zone.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("local_date needs a timezone-aware datetime")
    return moment.astimezone(ZoneInfo(tz_name)).date()


def is_valid_on(valid_until: date | None, today: date) -> bool:
    """Whether an inclusive end date still covers `today` (expires today = still valid)."""
    return valid_until is not None and valid_until >= today


def in_force(valid_from: date | None, valid_until: date | None, today: date) -> bool:
    """Whether a period covers `today`; an open start or end is unbounded."""
    started = valid_from is None or valid_from <= today
    return started and (valid_until is None or valid_until >= today)


def days_left(valid_until: date, today: date) -> int:
    """Days from `today` to an inclusive end date (0 = last valid day, negative = expired)."""
    return (valid_until - today).days


def validity(valid_until: date | None, today: date, horizon_days: int) -> Validity:
    """Classify an end date: missing, expired, expiring within the horizon, or valid."""
    if valid_until is None:
        return "missing"
    left = days_left(valid_until, today)
    if left < 0:
        return "expired"
    if left <= horizon_days:
        return "expiring"
    return "valid"
