"""Pure sale mappers (lightspeed_connector/mapping/sale.py): payload in, values out, no database."""

import copy
from datetime import date, datetime
from decimal import Decimal

import pytest

from lightspeed_connector.api import Sale
from lightspeed_connector.mapping.sale import (
    ResolvedSale,
    SaleMappingError,
    expected_total,
    importable_lines,
    line_description,
    line_discount_percent,
    prepare_deposit_line_vals,
    prepare_order_line_vals,
    prepare_payment_vals,
    prepare_pos_order_vals,
    prepare_tip_line_vals,
    sale_fingerprint,
)

# The composed example of the API reference (§6.5), with a misc line added.
SALE = {
    "saleID": "1042",
    "ticketNumber": "220000001042",
    "completeTime": "2025-03-14T14:22:05-04:00",
    "updatetime": "2025-03-14T18:22:06+00:00",
    "completed": "true",
    "voided": "false",
    "total": "64.39",
    "shopID": "1",
    "registerID": "3",
    "employeeID": "7",
    "SaleLines": {
        "SaleLine": [
            {
                "saleLineID": "5001",
                "saleID": "1042",
                "itemID": "210",
                "unitQuantity": "2",
                "unitPrice": "24.99",
                "calcLineDiscount": "5",
                "calcTransactionDiscount": "0",
                "calcSubtotal": "49.98",
                "tax": "true",
                "tax1Rate": "0.13",
                "tax2Rate": "0",
                "parentSaleLineID": "0",
                "Item": {"itemID": "210", "description": "Gloves"},
            },
            {
                "saleLineID": "5002",
                "saleID": "1042",
                "itemID": "0",
                "unitQuantity": "1",
                "unitPrice": "12",
                "calcLineDiscount": "0",
                "calcTransactionDiscount": "1.2",
                "calcSubtotal": "12",
                "tax": "true",
                "tax1Rate": "0.13",
                "tax2Rate": "0",
                "noteID": "9",
                "Note": {"noteID": "9", "note": "Gift wrapping"},
            },
            {
                "saleLineID": "5003",
                "saleID": "0",
                "itemID": "305",
                "unitQuantity": "1",
                "unitPrice": "80",
                "isLayaway": "true",
                "calcSubtotal": "80",
            },
        ]
    },
    "SalePayments": {
        "SalePayment": [
            {
                "salePaymentID": "3301",
                "amount": "20",
                "paymentTypeID": "1",
                "createTime": "2025-03-14T18:21:40+00:00",
            },
            {
                "salePaymentID": "3302",
                "amount": "44.39",
                "paymentTypeID": "7",
                "createTime": "2025-03-14T18:22:05+00:00",
            },
            {"salePaymentID": "3303", "amount": "5", "paymentTypeID": "7", "archived": "true"},
        ]
    },
}


def resolved(**overrides):
    vals = {
        "session_id": 11,
        "backend_id": 1,
        "shop_id": 2,
        "register_id": 3,
        "department_id": 4,
        "employee_id": 5,
        "business_date": date(2025, 3, 14),
        "products": {"5001": 100, "5002": 101},
        "taxes": {"5001": [7], "5002": [7]},
        "payment_methods": {"3301": 20, "3302": 21},
    }
    vals.update(overrides)
    return ResolvedSale(**vals)


def sale(payload=SALE):
    return Sale.from_payload(copy.deepcopy(payload))


def test_order_header():
    vals = prepare_pos_order_vals(sale(), resolved())
    assert vals["pos_reference"] == "220000001042"
    assert vals["lightspeed_id"] == vals["lightspeed_sale_id"] == "1042"
    assert vals["date_order"] == datetime(2025, 3, 14, 18, 22, 5), "offset -04:00 -> naive UTC"
    assert vals["lightspeed_kind"] == "sale"
    assert vals["employee_id"] == 5
    assert vals["session_id"] == 11
    assert vals["lightspeed_business_date"] == date(2025, 3, 14)


def test_refund_kind_and_missing_completion_time():
    refund = copy.deepcopy(SALE)
    refund["total"] = "-13.56"
    assert prepare_pos_order_vals(sale(refund), resolved())["lightspeed_kind"] == "refund"
    broken = {k: v for k, v in SALE.items() if k not in ("completeTime", "updatetime")}
    with pytest.raises(SaleMappingError):
        prepare_pos_order_vals(sale(broken), resolved())


def test_lines_skip_layaway_deposits_and_keep_notes():
    lines = importable_lines(sale())
    assert [line.sale_line_id for line in lines] == ["5001", "5002"]
    first, misc = (prepare_order_line_vals(line, resolved()) for line in lines)
    assert first["product_id"] == 100
    assert first["qty"] == 2.0 and first["price_unit"] == 24.99
    assert first["tax_ids"] == [(6, 0, [7])]
    assert first["full_product_name"] == "Gloves"
    assert misc["full_product_name"] == "Gift wrapping", "misc lines keep the note"
    assert misc["discount"] == pytest.approx(10.0), "transaction discount share counts"


def test_discount_percent_is_line_plus_transaction_share():
    line = importable_lines(sale())[0]
    assert line_discount_percent(line) == Decimal("10.004002")
    zero = copy.deepcopy(SALE["SaleLines"]["SaleLine"][0])
    zero.update(calcSubtotal="0", calcLineDiscount="0")
    assert line_discount_percent(sale({**SALE, "SaleLines": {"SaleLine": zero}}).lines[0]) == 0


def test_refund_line_links_the_original_when_known():
    refund = copy.deepcopy(SALE)
    refund["SaleLines"]["SaleLine"][0].update(unitQuantity="-1", parentSaleLineID="4001")
    line = importable_lines(sale(refund))[0]
    vals = prepare_order_line_vals(line, resolved(refunded_lines={"5001": 77}))
    assert vals["qty"] == -1.0 and vals["refunded_orderline_id"] == 77
    assert "refunded_orderline_id" not in prepare_order_line_vals(line, resolved())


def test_unresolved_product_or_payment_method_is_a_mapping_error():
    lines = importable_lines(sale())
    with pytest.raises(SaleMappingError):
        prepare_order_line_vals(lines[0], resolved(products={}))
    with pytest.raises(SaleMappingError):
        prepare_payment_vals(sale().active_payments[0], resolved(payment_methods={}))


def test_payments_ignore_archived_and_keep_their_time():
    payments = [prepare_payment_vals(p, resolved()) for p in sale().active_payments]
    assert [p["amount"] for p in payments] == [20.0, 44.39]
    assert payments[0]["payment_method_id"] == 20
    assert payments[0]["payment_date"] == datetime(2025, 3, 14, 18, 21, 40)
    assert expected_total(sale()) == Decimal("64.39")


def test_fingerprint_changes_with_what_matters_only():
    base = sale_fingerprint(sale())
    assert base == sale_fingerprint(sale()), "deterministic"
    noise = copy.deepcopy(SALE)
    noise["updatetime"] = "2025-03-15T10:00:00+00:00"
    noise["unknownKey"] = "x"
    assert sale_fingerprint(sale(noise)) == base, "a bumped stamp alone changes nothing"
    voided = copy.deepcopy(SALE)
    voided["voided"] = "true"
    assert sale_fingerprint(sale(voided)) != base
    edited = copy.deepcopy(SALE)
    edited["SaleLines"]["SaleLine"][0]["unitQuantity"] = "3"
    assert sale_fingerprint(sale(edited)) != base
    repaid = copy.deepcopy(SALE)
    repaid["SalePayments"]["SalePayment"][1]["paymentTypeID"] = "8"
    assert sale_fingerprint(sale(repaid)) != base


def test_lines_of_a_sale_match_on_normalised_ids():
    numeric = copy.deepcopy(SALE)
    numeric["saleID"] = 1042
    for line in numeric["SaleLines"]["SaleLine"]:
        line["saleID"] = {"1042": 1042.0, "0": 0}[line["saleID"]]
    numeric["SaleLines"]["SaleLine"].append({"saleLineID": "5004", "saleID": "1043"})
    assert [line.sale_line_id for line in importable_lines(sale(numeric))] == ["5001", "5002"]


def _line(item=None, note=None, item_id="210"):
    raw = {"saleLineID": "1", "saleID": "1042", "itemID": item_id}
    if item is not None:
        raw["Item"] = {"itemID": item_id, **item}
    if note is not None:
        raw["Note"] = {"noteID": "9", "note": note}
    return Sale.from_payload({"saleID": "1042", "SaleLines": {"SaleLine": raw}}).lines[0]


def test_line_description_prefers_the_note_on_misc_and_non_inventory_lines():
    labour = {"description": "Tune-up #50", "itemType": "non_inventory"}
    assert line_description(_line(labour, "Rebuilt rear hub")) == "Rebuilt rear hub"
    assert line_description(_line({**labour, "itemType": "Non_Inventory"}, "Hub")) == "Hub"
    assert line_description(_line(labour, "  ")) == "Tune-up #50"  # blank note: item text
    assert line_description(_line(labour)) == "Tune-up #50"
    gloves = {"description": "Trail gloves M", "itemType": "default"}
    assert line_description(_line(gloves, "customer asked for M")) == "Trail gloves M"
    assert line_description(_line(note="Custom repair", item_id="0")) == "Custom repair"
    assert line_description(_line(item_id="0")) is None
    assert line_description(_line(note="only a note")) == "only a note"  # Item not loaded


def test_zero_amount_payments_are_not_imported():
    noisy = copy.deepcopy(SALE)
    noisy["SalePayments"]["SalePayment"].append(
        {"salePaymentID": "3304", "amount": "0", "paymentTypeID": "1"}
    )
    assert [p.sale_payment_id for p in sale(noisy).tender_payments] == ["3301", "3302"]
    assert sale_fingerprint(sale(noisy)) == sale_fingerprint(sale())


CASH = {"paymentTypeID": "1", "type": "cash"}
GIFT_CARD = {"paymentTypeID": "4", "type": "gift card"}

# A gift-card top-up as captured (spec §12.7): total 0, +cash, -gift card; one 0-price line.
TOP_UP = {
    "saleID": "2001",
    "completeTime": "2025-03-14T18:22:05+00:00",
    "completed": "true",
    "total": "0",
    "SaleLines": {
        "SaleLine": {
            "saleLineID": "20010",
            "saleID": "2001",
            "itemID": "0",
            "unitQuantity": "1",
            "unitPrice": "0",
            "calcSubtotal": "0",
            "Note": {"noteID": "20010", "note": "Gift card top-up"},
        }
    },
    "SalePayments": {
        "SalePayment": [
            {
                "salePaymentID": "20010",
                "amount": "50",
                "paymentTypeID": "1",
                "PaymentType": CASH,
            },
            {
                "salePaymentID": "20011",
                "amount": "-50",
                "paymentTypeID": "4",
                "PaymentType": dict(GIFT_CARD),
            },
        ]
    },
}


def test_deposits_become_liability_lines_and_balance_the_tenders():
    top_up = sale(TOP_UP)
    [deposit] = top_up.deposit_payments
    vals = prepare_deposit_line_vals(deposit, resolved(deposit_product_id=99))
    assert vals == {
        "product_id": 99,
        "qty": 1.0,
        "price_unit": 50.0,
        "discount": 0.0,
        "tax_ids": [(6, 0, [])],
        "full_product_name": "Gift card deposit",
        "lightspeed_line_id": "payment:20011",
    }
    assert expected_total(top_up) == Decimal("50.00")
    methods = resolved(payment_methods={"20010": 20})
    payments = [prepare_payment_vals(p, methods) for p in top_up.tender_payments]
    assert sum(p["amount"] for p in payments) == float(expected_total(top_up))
    account = copy.deepcopy(TOP_UP)
    account["SalePayments"]["SalePayment"][1]["PaymentType"]["type"] = "Credit Account"
    [deposit] = sale(account).deposit_payments
    name = prepare_deposit_line_vals(deposit, resolved(deposit_product_id=99))
    assert name["full_product_name"] == "Credit account deposit"
    with pytest.raises(SaleMappingError):
        prepare_deposit_line_vals(deposit, resolved())


def test_expected_total_adds_deposits_to_a_sale_with_goods():
    mixed = copy.deepcopy(SALE)  # 64.39 of goods, plus 25 loaded on a gift card
    mixed["SalePayments"]["SalePayment"] = [
        {"salePaymentID": "1", "amount": "89.39", "PaymentType": CASH},
        {"salePaymentID": "2", "amount": "-25", "PaymentType": GIFT_CARD},
    ]
    assert expected_total(sale(mixed)) == Decimal("89.39")
    assert expected_total(sale()) == Decimal("64.39")  # no deposit: the total


def tipped(tip="6.66"):
    """The reference sale with a tip on its debit tender: Lightspeed adds the tip to the
    tender's ``amount`` and repeats it in ``tipAmount`` (spec §7.4)."""
    payload = copy.deepcopy(SALE)
    debit = payload["SalePayments"]["SalePayment"][1]
    debit["amount"] = str(Decimal("44.39") + Decimal(tip))
    debit["tipAmount"] = tip
    payload["calcTips"] = tip
    return sale(payload)


def test_tips_become_untaxed_liability_lines_and_balance_the_tenders():
    with_tip = tipped()
    assert [p.sale_payment_id for p in with_tip.tip_payments] == ["3302"]
    assert with_tip.tips == Decimal("6.66")
    assert expected_total(with_tip) == Decimal("71.05")  # 64.39 of goods + the 6.66 tip
    [tip] = with_tip.tip_payments
    assert prepare_tip_line_vals(tip, resolved(tip_product_id=98)) == {
        "product_id": 98,
        "qty": 1.0,
        "price_unit": 6.66,
        "discount": 0.0,
        "tax_ids": [(6, 0, [])],
        "full_product_name": "Tip",
        "lightspeed_line_id": "tip:3302",
    }
    payments = [prepare_payment_vals(p, resolved()) for p in with_tip.tender_payments]
    assert sum(p["amount"] for p in payments) == pytest.approx(71.05)
    with pytest.raises(SaleMappingError, match="no tip product for payment 3302"):
        prepare_tip_line_vals(tip, resolved())


def test_a_changed_tip_changes_the_fingerprint_and_no_tip_keeps_the_old_one():
    assert sale_fingerprint(tipped("6.66")) != sale_fingerprint(tipped("7.00"))
    untipped = copy.deepcopy(SALE)
    untipped["SalePayments"]["SalePayment"][1]["tipAmount"] = "0"
    assert sale_fingerprint(sale(untipped)) == sale_fingerprint(sale())
    assert sale().tips == 0 and not sale().tip_payments
