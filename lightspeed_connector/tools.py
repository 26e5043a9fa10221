"""Small date helpers shared by models and mappers (no Odoo imports).

Lightspeed sends aware datetimes (UTC with an offset); Odoo stores naive UTC.
"""

from datetime import datetime, time, timedelta, timezone


def to_naive_utc(value):
    """Aware (any offset) or naive-UTC datetime -> naive UTC, as Odoo stores it."""
    if not value:
        return False
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def to_aware_utc(value):
    """Naive UTC datetime from Odoo -> aware UTC datetime for the API client."""
    if not value:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def to_local(value, tz):
    """Aware or naive-UTC datetime -> aware datetime in ``tz`` (a ZoneInfo)."""
    return to_aware_utc(value).astimezone(tz)


def business_date(value, tz, cutoff_hour=0):
    """The business day a moment belongs to in a shop: its local date, where the day starts at
    ``cutoff_hour`` (a sale at 01:30 with a 03:00 cut-off counts for the previous day)."""
    local = to_local(value, tz)
    return (local - timedelta(hours=cutoff_hour)).date()


def business_day_bounds(day, tz, cutoff_hour=0):
    """(start, end) of a business day as naive UTC datetimes; correct across DST changes
    (such a day lasts 23 or 25 hours)."""
    start = datetime.combine(day, time(cutoff_hour), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(cutoff_hour), tzinfo=tz)
    return to_naive_utc(start), to_naive_utc(end)
