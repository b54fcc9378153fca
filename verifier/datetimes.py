"""``dateTimeStamp`` values (XML Schema 1.1 §3.4.28): dates with a mandatory time zone.

VC Data Model 2.0 §4.9 requires ``validFrom``/``validUntil`` to be dateTimeStamp strings, and
Data Integrity requires the same of ``created``/``expires``. A date without a time zone is
ambiguous by up to 26 hours, so it is refused, not guessed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from .i18n import Text, t

_DATE_TIME_STAMP = re.compile(
    r"-?(?P<year>[1-9][0-9]{3,}|0[0-9]{3})-(?P<month>0[1-9]|1[0-2])-(?P<day>0[1-9]|[12][0-9]|3[01])"
    r"T(?P<time>(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?|24:00:00(?:\.0+)?)"
    r"(?P<tz>Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)


def parse_date_time_stamp(value: object) -> datetime | None:
    """Return the instant ``value`` names (aware, UTC), or ``None`` if it is not a dateTimeStamp."""
    if not isinstance(value, str):
        return None
    match = _DATE_TIME_STAMP.fullmatch(value)
    if match is None or value.startswith("-"):
        return None
    time = match["time"]
    next_day = time.startswith("24:")
    if next_day:
        time = "00:00:00"
    seconds, _, fraction = time.partition(".")
    text = f"{match['year']}-{match['month']}-{match['day']}T{seconds}"
    if fraction:
        text += "." + fraction[:6].ljust(6, "0")
    tz = "+00:00" if match["tz"] == "Z" else match["tz"]
    try:
        parsed = datetime.fromisoformat(text + tz)
    except ValueError:  # 2023-02-30 and friends
        return None
    if next_day:
        parsed += timedelta(days=1)
    return parsed.astimezone(UTC)


def format_date_time_stamp(value: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDThh:mm:ssZ`` (UTC, whole seconds)."""
    if value.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def describe_age(age: timedelta) -> Text:
    """A short, rounded-down age for people: ``45 s``, ``12 min``, ``3 h``, ``2 d``."""
    seconds = max(int(age.total_seconds()), 0)
    if seconds < 60:
        return t("{count} s", count=seconds)
    if seconds < 3600:
        return t("{count} min", count=seconds // 60)
    if seconds < 2 * 86400:
        return t("{count} h", count=seconds // 3600)
    return t("{count} d", count=seconds // 86400)
