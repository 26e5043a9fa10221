"""Query-string helpers for R-Series V3 filters (spec section 5).

Operators go inside the value (``field=<op>,<value>``) and everything is percent-encoded, so
``+02:00`` offsets travel as ``%2B02%3A00`` and ``>=`` as ``%3E%3D``.
"""

import json
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from .normalize import format_datetime, to_id

OPERATORS = (">", ">=", "<", "<=", "><", "!=", "~", "!~", "IN", "=")
MAX_IN_VALUES = 100


def format_value(value):
    """Render one filter value the way Lightspeed expects it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


class Filter:
    """An operator filter value, e.g. ``Filter(">=", dt)`` or ``Filter("IN", [1, 2])``."""

    __slots__ = ("operator", "values")

    def __init__(self, operator, *values):
        if operator not in OPERATORS:
            raise ValueError(f"unknown operator {operator!r}")
        if operator == "><" and len(values) != 2:
            raise ValueError("'><' needs exactly two values")
        if operator == "IN":
            items = values[0] if len(values) == 1 and not isinstance(values[0], str) else values
            values = tuple(items)
            if not values:
                raise ValueError("'IN' needs at least one value")
            if len(values) > MAX_IN_VALUES:
                raise ValueError(f"'IN' accepts at most {MAX_IN_VALUES} values")
        self.operator = operator
        self.values = values

    def __repr__(self):
        return f"Filter({self.operator!r}, {self.values!r})"

    def __eq__(self, other):
        return isinstance(other, Filter) and (self.operator, self.values) == (
            other.operator,
            other.values,
        )

    def render(self):
        """Unencoded value: ``">=,2024-01-01T00:00:00+02:00"``, ``"IN,[1,2]"``."""
        if self.operator == "=":
            return format_value(self.values[0])
        if self.operator == "IN":
            return "IN,[" + ",".join(format_value(v) for v in self.values) + "]"
        return ",".join([self.operator, *(format_value(v) for v in self.values)])


def gt(value):
    return Filter(">", value)


def gte(value):
    return Filter(">=", value)


def lt(value):
    return Filter("<", value)


def lte(value):
    return Filter("<=", value)


def between(low, high):
    return Filter("><", low, high)


def ne(value):
    return Filter("!=", value)


def like(pattern):
    return Filter("~", pattern)


def not_like(pattern):
    return Filter("!~", pattern)


def in_(values):
    return Filter("IN", list(values))


def range_filter(low=None, high=None):
    """``>=low``, ``<=high`` or ``><low,high`` (inclusive), ``None`` when both are empty."""
    if low is not None and high is not None:
        return between(low, high)
    if low is not None:
        return gte(low)
    if high is not None:
        return lte(high)
    return None


def encode_relations(relations):
    """``["SaleLines", "SalePayments"]`` → ``'["SaleLines","SalePayments"]'`` (``all`` kept)."""
    if isinstance(relations, str):
        return relations
    return json.dumps(list(relations), separators=(",", ":"))


def render_param(key, value):
    if isinstance(value, Filter):
        return value.render()
    if key == "load_relations":
        return encode_relations(value)
    if isinstance(value, list | tuple | set | frozenset):
        return Filter("IN", list(value)).render()
    return format_value(value)


def build_query(params):
    """Encode ``params`` (dict or list of pairs) into a query string; ``None`` values skipped.

    Every reserved character is percent-encoded (``+`` → ``%2B``, ``>`` → ``%3E``, ``,`` →
    ``%2C``, ``[`` → ``%5B``, ``"`` → ``%22``).
    """
    items = params.items() if isinstance(params, dict) else params
    parts = []
    for key, value in items:
        if value is None:
            continue
        parts.append(f"{quote(str(key), safe='.')}={quote(render_param(key, value), safe='')}")
    return "&".join(parts)


def chunks(values, size=MAX_IN_VALUES):
    """De-duplicated ID lists of at most ``size`` (``1042``, ``"1042"`` and ``1042.0`` are one)."""
    values = list(dict.fromkeys(to_id(v) or str(v) for v in values))
    for start in range(0, len(values), size):
        yield values[start : start + size]
