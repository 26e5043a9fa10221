"""Normalisation helpers for Lightspeed R-Series JSON payloads (spec section 7).

Lightspeed renders every scalar as a string, collections with one element as an object,
empty relations as an absent key or ``""``, foreign keys "none" as ``"0"`` and datetimes with
assorted offsets. These helpers turn that into Python values.
"""

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}
_OFFSET_RE = re.compile(r"([+-])(\d{2}):?(\d{2})$")
# "1042", "001042", "1042.0", "1042.00": an integral ID, whatever its rendering
_INTEGRAL_ID_RE = re.compile(r"^([0-9]+)(?:\.0*)?$")


def as_list(value, key=None):
    """Return ``value`` as a list.

    ``value`` may be a list, a single object, ``None`` or ``""`` (empty relation). When ``key``
    is given and ``value`` is a wrapper dict (``{"SaleLine": [...]}``), the wrapped value is
    unwrapped first; ``key`` may be a tuple of accepted spellings (``("SaleAccount",
    "SalesAccount")``).
    """
    if value is None or value == "" or value == []:
        return []
    if key is not None and isinstance(value, dict):
        keys = (key,) if isinstance(key, str) else tuple(key)
        for name in keys:
            if name in value:
                return as_list(value[name])
        return []
    if isinstance(value, list):
        return [item for item in value if item not in (None, "")]
    return [value]


def relation(payload, wrapper, item, aliases=()):
    """Items of a plural relation wrapper, e.g. ``relation(sale, "SaleLines", "SaleLine")``.

    ``aliases`` lists alternative wrapper spellings (``"SalesAccounts"``); the item key of an
    alias is tried as the singular of the alias too.
    """
    for name in (wrapper, *aliases):
        if name in payload:
            value = payload.get(name)
            if isinstance(value, dict):
                singular = name[:-1] if name.endswith("s") else name
                return as_list(value, (item, singular))
            return as_list(value)
    return []


def first(payload, *keys, default=None):
    """The first present, non-empty value among ``keys`` (handles spelling drift)."""
    for key in keys:
        value = payload.get(key)
        if value not in (None, ""):
            return value
    return default


def to_decimal(value, default=Decimal("0")):
    """Parse a Lightspeed number (``"12.5"``, ``"1.2E+3"``, ``3``) into :class:`Decimal`."""
    if type(value) is str and value:  # fast path: Lightspeed sends strings
        try:
            result = Decimal(value)
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {value!r}") from exc
        if not result.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        if "E" in value or "e" in value:
            result = Decimal(format(result, "f"))
        return result
    if value is None or value == "":
        return default
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    if "e" in str(value).lower():
        result = Decimal(format(result, "f"))
    return result


def to_int(value, default=0):
    """Parse an integer-valued string (``"-1"``, ``"2.0"``)."""
    if value is None or value == "":
        return default
    return int(to_decimal(value))


def to_bool(value, default=False):
    """``"true"``/``"false"`` (any case), real booleans, ``"1"``/``"0"``."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False if text else default
    raise ValueError(f"not a boolean: {value!r}")


def to_id(value):
    """Normalise an ID to its canonical string; ``"0"``/``""``/``None`` (no reference) → ``None``.

    Raw API traffic carries IDs as strings, but data re-serialised by client libraries (or a
    test fixture) may carry JSON numbers (``1042``, ``1042.0``) or padded strings (``" 1042"``,
    ``"001042"``): all of these are the same record, so they must compare equal (spec §12.6).
    Non-numeric IDs are only stripped.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float | Decimal):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        if value == int(value):
            value = int(value)
    text = str(value).strip()
    match = _INTEGRAL_ID_RE.match(text)
    if match:
        text = match.group(1).lstrip("0") or "0"
    if text in ("", "0"):
        return None
    return text


def to_str(value, default=""):
    if value is None:
        return default
    return str(value)


def parse_datetime(value):
    """Parse a Lightspeed datetime into an aware UTC :class:`datetime` (``None`` if empty).

    Accepts ``+00:00``, ``-0500``, ``-05:00``, ``Z``, fractional seconds, a space separator and
    naive values (taken as UTC).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        match = _OFFSET_RE.search(text)
        if match and len(text) > 10:
            sign, hours, minutes = match.groups()
            text = f"{text[: match.start()]}{sign}{hours}:{minutes}"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"not a datetime: {value!r}") from exc
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def format_datetime(value):
    """Format a datetime (naive = UTC) as ``YYYY-MM-DDTHH:MM:SS+00:00`` or with its offset."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.replace(microsecond=0)
    text = value.isoformat()
    if value.utcoffset() == timedelta(0):
        text = text[:19] + "+00:00"
    return text
