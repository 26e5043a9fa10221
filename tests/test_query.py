"""Query building and encoding, no HTTP."""

from datetime import datetime, timedelta, timezone

import pytest

from lightspeed_connector.api.query import (
    Filter,
    between,
    build_query,
    chunks,
    gt,
    gte,
    in_,
    like,
    lte,
    ne,
    range_filter,
)

PLUS2 = timezone(timedelta(hours=2))


def test_offsets_and_operators_are_encoded():
    dt = datetime(2025, 3, 14, 0, 0, tzinfo=PLUS2)
    assert build_query({"timeStamp": gt(dt)}) == "timeStamp=%3E%2C2025-03-14T00%3A00%3A00%2B02%3A00"
    assert build_query({"x": gte(5)}) == "x=%3E%3D%2C5"
    assert build_query({"x": lte(5)}) == "x=%3C%3D%2C5"
    assert build_query({"x": ne(5)}) == "x=%21%3D%2C5"
    assert build_query({"d": like("%glove%")}) == "d=~%2C%25glove%25"
    utc = datetime(2025, 3, 14, tzinfo=timezone.utc)
    assert "%2B00%3A00" in build_query({"t": between(utc, utc + timedelta(days=1))})
    assert build_query({"t": between(1, 2)}) == "t=%3E%3C%2C1%2C2"


def test_in_booleans_relations_and_none():
    query = build_query(
        {
            "saleID": in_(["1", "2", "3"]),
            "completed": True,
            "archived": None,
            "load_relations": ["SaleLines", "SalePayments.PaymentType"],
        }
    )
    assert query == (
        "saleID=IN%2C%5B1%2C2%2C3%5D&completed=true&load_relations="
        "%5B%22SaleLines%22%2C%22SalePayments.PaymentType%22%5D"
    )
    assert build_query({"load_relations": "all"}) == "load_relations=all"
    assert build_query([("SaleLines.itemID", 12)]) == "SaleLines.itemID=12"


def test_filter_validation_and_helpers():
    with pytest.raises(ValueError):
        Filter("=>", 1)
    with pytest.raises(ValueError):
        Filter("><", 1)
    with pytest.raises(ValueError):
        in_(range(101))
    assert range_filter(None, None) is None
    assert range_filter(1, None) == gte(1) and range_filter(None, 2) == lte(2)
    assert range_filter(1, 2) == between(1, 2)
    assert [len(c) for c in chunks(range(250))] == [100, 100, 50]
    assert list(chunks(["1", 1, "2"])) == [["1", "2"]]
