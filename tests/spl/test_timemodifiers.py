"""Relative time modifiers against fixed `now` values, snapped in now's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from linux_auditd_at.errors import SPLError
from linux_auditd_at.spl.timemodifiers import resolve_time

NOW = datetime(2026, 11, 26, 14, 37, 12, 500000, tzinfo=UTC)  # a Thursday


def at(*args, tz=UTC) -> float:
    return datetime(*args, tzinfo=tz).timestamp()


@pytest.mark.parametrize(("modifier", "expected"), [
    ("now", NOW.timestamp()),
    ("now()", NOW.timestamp()),
    ("-70m@m", at(2026, 11, 26, 13, 27)),
    ("-10m@m", at(2026, 11, 26, 14, 27)),
    ("@d", at(2026, 11, 26)),
    ("-1h", NOW.timestamp() - 3600),
    ("-h", NOW.timestamp() - 3600),             # the number defaults to 1
    ("+1d@h", at(2026, 11, 27, 14)),
    ("-1w@w0", at(2026, 11, 15)),               # a week back (Thu 19th), then back to Sunday
    ("@w1", at(2026, 11, 23)),                  # Monday
    ("@w7", at(2026, 11, 22)),                  # 7 is Sunday too
    ("@w", at(2026, 11, 22)),
    ("-30s", NOW.timestamp() - 30),
    ("@s", at(2026, 11, 26, 14, 37, 12)),
    ("-2hours", NOW.timestamp() - 7200),
    ("-5mins", NOW.timestamp() - 300),
    ("-90sec", NOW.timestamp() - 90),
    ("-1day@d", at(2026, 11, 25)),
    ("-1mon@mon", at(2026, 10, 1)),
    ("-2months", at(2026, 9, 26, 14, 37, 12, 500000)),
    ("@q", at(2026, 10, 1)),
    ("-1qtr@q", at(2026, 7, 1)),
    ("@y", at(2026, 1, 1)),
    ("-1y@y", at(2025, 1, 1)),
    ("-1yr", at(2025, 11, 26, 14, 37, 12, 500000)),
    ("@d+3h", at(2026, 11, 26, 3)),             # snap, then offset
    ("-1d@d-2h", at(2026, 11, 24, 22)),
    ("0", 0.0),
    ("1795915736.369", 1795915736.369),
    ("2026-11-29T10:00:00+02:00", at(2026, 11, 29, 8)),
    ("2026-11-29T10:00:00", at(2026, 11, 29, 10)),  # naive ISO: now's time zone
    (" -1h ", NOW.timestamp() - 3600),
])
def test_resolve_time(modifier, expected):
    assert resolve_time(modifier, NOW) == pytest.approx(expected)


def test_month_offset_clamps_to_the_last_day():
    assert resolve_time("-1mon", datetime(2026, 3, 31, tzinfo=UTC)) == at(2026, 2, 28)


def test_snapping_happens_in_nows_time_zone():
    india = timezone(timedelta(hours=5, minutes=30))
    now = datetime(2026, 11, 26, 2, 0, tzinfo=india)  # 2026-11-25 20:30 UTC
    assert resolve_time("@d", now) == at(2026, 11, 26, tz=india)
    assert resolve_time("@d", now.astimezone(UTC)) == at(2026, 11, 25)


def test_days_follow_the_wall_clock_across_dst_hours_do_not():
    new_york = ZoneInfo("America/New_York")
    now = datetime(2026, 3, 8, 12, 0, tzinfo=new_york)  # DST started at 02:00 that day
    assert resolve_time("-1d", now) == at(2026, 3, 7, 12, tz=new_york)
    assert now.timestamp() - resolve_time("-1d", now) == 23 * 3600
    assert now.timestamp() - resolve_time("-24h", now) == 24 * 3600


@pytest.mark.parametrize(("modifier", "position", "why"), [
    ("", 0, "empty"),
    ("yesterday", 0, "expected"),
    ("-1x", 0, "unknown time unit 'x'"),
    ("-1h@", 3, "expected"),
    ("@d0", 0, "only weeks"),
    ("-10m@m junk", 6, "expected"),
    ("2026-13-01", 0, "not an epoch number"),
    ("-1000000d", 0, "out of the range of dates"),
    ("@d+100000y", 2, "out of the range of dates"),
    ("-" + "9" * 5000 + "d", 0, "out of the range of dates"),
])
def test_junk_is_a_clear_error(modifier, position, why):
    with pytest.raises(SPLError, match=why) as err:
        resolve_time(modifier, NOW)
    assert modifier[:20] in str(err.value) and err.value.position == position


def test_now_must_be_time_zone_aware():
    with pytest.raises(ValueError):
        resolve_time("-1h", datetime(2026, 11, 26))
