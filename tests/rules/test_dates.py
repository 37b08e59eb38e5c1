"""Inclusive validity, month ends and the site's local date."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from rules.dates import days_left
from rules.dates import in_force
from rules.dates import is_valid_on
from rules.dates import local_date
from rules.dates import month_end
from rules.dates import validity

TODAY = date(2026, 11, 28)


def test_expires_today_is_still_valid_and_yesterday_is_expired() -> None:
    assert is_valid_on(TODAY, TODAY)
    assert not is_valid_on(TODAY - timedelta(days=1), TODAY)
    assert not is_valid_on(None, TODAY)


@pytest.mark.parametrize(
    ("year", "month", "end"),
    [
        (2026, 11, date(2026, 11, 30)),
        (2026, 12, date(2026, 12, 31)),
        (2028, 2, date(2028, 2, 29)),
        (2026, 2, date(2026, 2, 28)),
    ],
)
def test_month_end(year: int, month: int, end: date) -> None:
    assert month_end(year, month) == end


def test_year_month_valid_through_its_last_day() -> None:
    due = month_end(2026, 11)
    assert is_valid_on(due, date(2026, 11, 30))
    assert not is_valid_on(due, date(2026, 12, 1))


def test_time_zone_edge_moves_to_the_next_day_in_shanghai() -> None:
    assert local_date(datetime(2026, 3, 31, 16, 30, tzinfo=UTC), "Asia/Shanghai") == date(
        2026, 4, 1
    )
    assert local_date(datetime(2026, 3, 31, 15, 59, tzinfo=UTC), "Asia/Shanghai") == date(
        2026, 3, 31
    )
    assert local_date(datetime(2026, 3, 31, 16, 30, tzinfo=UTC), "UTC") == date(2026, 3, 31)
    other = timezone(timedelta(hours=-5))
    assert local_date(datetime(2026, 3, 31, 11, 30, tzinfo=other), "Asia/Shanghai") == date(
        2026, 4, 1
    )


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        local_date(datetime(2026, 3, 31, 16, 30), "Asia/Shanghai")


def test_validity_classes() -> None:
    assert validity(None, TODAY, 30) == "missing"
    assert validity(TODAY - timedelta(days=1), TODAY, 30) == "expired"
    assert validity(TODAY, TODAY, 30) == "expiring"
    assert validity(TODAY + timedelta(days=30), TODAY, 30) == "expiring"
    assert validity(TODAY + timedelta(days=31), TODAY, 30) == "valid"
    assert validity(TODAY, TODAY, 0) == "expiring"
    assert days_left(TODAY + timedelta(days=3), TODAY) == 3


def test_in_force_with_open_ends() -> None:
    assert in_force(None, None, TODAY)
    assert in_force(TODAY, TODAY, TODAY)
    assert not in_force(TODAY + timedelta(days=1), None, TODAY)
    assert not in_force(None, TODAY - timedelta(days=1), TODAY)
