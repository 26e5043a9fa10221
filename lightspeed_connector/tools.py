"""Small date helpers shared by models and mappers (no Odoo imports).

Lightspeed sends aware datetimes (UTC with an offset); Odoo stores naive UTC.
"""

from datetime import datetime, timezone


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
