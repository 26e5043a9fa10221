"""Normalisation and typed-model parsing, no HTTP."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from lightspeed_connector.api import (
    Employee,
    EmployeeHours,
    Item,
    PayloadError,
    Sale,
    Shop,
    TaxCategory,
    TokenSet,
)
from lightspeed_connector.api.normalize import (
    as_list,
    parse_datetime,
    relation,
    to_bool,
    to_decimal,
    to_id,
)

UTC = timezone.utc


def test_as_list_shapes():
    assert as_list(None) == []
    assert as_list("") == []
    assert as_list({"a": "1"}) == [{"a": "1"}]
    assert as_list([{"a": "1"}, {"a": "2"}]) == [{"a": "1"}, {"a": "2"}]
    assert as_list({"SaleLine": {"x": "1"}}, "SaleLine") == [{"x": "1"}]
    assert as_list({"SaleLine": [{"x": "1"}, {"x": "2"}]}, "SaleLine") == [{"x": "1"}, {"x": "2"}]
    assert as_list({"Other": {}}, "SaleLine") == []


def test_relation_accepts_sales_accounts_spelling():
    line = {"SalesAccounts": {"SalesAccount": {"amount": "5"}}}
    assert relation(line, "SaleAccounts", "SaleAccount", aliases=("SalesAccounts",)) == [
        {"amount": "5"}
    ]
    line = {"SaleAccounts": {"SaleAccount": [{"amount": "5"}, {"amount": "6"}]}}
    assert len(relation(line, "SaleAccounts", "SaleAccount", aliases=("SalesAccounts",))) == 2
    assert relation({"Addresses": ""}, "Addresses", "ContactAddress") == []


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("12.5", Decimal("12.5")),
        ("-13.56", Decimal("-13.56")),
        ("6.439E+1", Decimal("64.39")),
        ("1e3", Decimal("1000")),
        ("0", Decimal("0")),
        ("", Decimal("0")),
        (None, Decimal("0")),
        (3, Decimal("3")),
    ],
)
def test_to_decimal(raw, expected):
    value = to_decimal(raw)
    assert value == expected
    assert "E" not in str(value)


def test_to_decimal_rejects_garbage():
    with pytest.raises(ValueError):
        to_decimal("abc")
    with pytest.raises(ValueError):
        to_decimal("NaN")


def test_to_bool_and_ids():
    assert to_bool("true") is True and to_bool("FALSE") is False and to_bool(True) is True
    assert to_bool(None, default=True) is True
    with pytest.raises(ValueError):
        to_bool("maybe")
    assert to_id("0") is None and to_id("") is None and to_id(None) is None
    assert to_id("42") == "42" and to_id(7) == "7"


@pytest.mark.parametrize(
    "raw",
    [
        "2025-03-14T13:00:00-0500",
        "2025-03-14T13:00:00-05:00",
        "2025-03-14T18:00:00+00:00",
        "2025-03-14T18:00:00Z",
        "2025-03-14T19:00:00+0100",
        "2025-03-14T18:00:00",
    ],
)
def test_parse_datetime_offsets(raw):
    value = parse_datetime(raw)
    assert value == datetime(2025, 3, 14, 18, 0, tzinfo=UTC)
    assert value.utcoffset() == timedelta(0)


def test_parse_datetime_empty_and_bad():
    assert parse_datetime("") is None and parse_datetime(None) is None
    with pytest.raises(ValueError):
        parse_datetime("yesterday")


SALE = {
    "saleID": "1042",
    "ticketNumber": "220000001042",
    "completed": "true",
    "voided": "false",
    "updateTime": "2025-03-14T13:22:06-05:00",
    "completeTime": "2025-03-14T18:22:05+00:00",
    "calcSubtotal": "61.98",
    "calcDiscount": "5",
    "calcTax1": "7.41",
    "calcTax2": "0",
    "total": "64.39",
    "totalDue": "6.439E+1",
    "customerID": "0",
    "shopID": "1",
    "brandNewField": {"nested": "ignored"},
    "SaleLines": {
        "SaleLine": {
            "saleLineID": "5001",
            "itemID": "0",
            "unitQuantity": "-2",
            "unitPrice": "24.99",
            "calcTax1": "5.8474",
            "parentSaleLineID": "4001",
            "Note": {"noteID": "9", "note": "Custom repair"},
        }
    },
}


def test_sale_quirks():
    sale = Sale.from_payload(SALE)
    assert sale.raw is SALE
    assert sale.sale_id == "1042" and sale.customer_id is None
    assert sale.update_time == datetime(2025, 3, 14, 18, 22, 6, tzinfo=UTC)
    assert sale.total_due == sale.total == Decimal("64.39")
    assert sale.tax_total == Decimal("7.41")
    assert sale.payments == []  # absent relation
    [line] = sale.lines  # one-element object
    assert line.item_id is None and line.is_misc and line.is_refund
    assert line.unit_quantity == Decimal("-2") and line.calc_tax1 == Decimal("5.8474")
    assert line.parent_sale_line_id == "4001" and line.note.note == "Custom repair"
    assert Sale.from_payload(sale.raw) == sale


def test_open_sale_and_missing_keys():
    sale = Sale.from_payload({"saleID": "7", "completed": "false", "SalePayments": ""})
    assert sale.complete_time is None and sale.payments == [] and sale.total == 0
    with pytest.raises(PayloadError):
        Sale.from_payload({"ticketNumber": "x"})
    with pytest.raises(PayloadError):
        Sale.from_payload({"saleID": "1", "total": "lots"})


def test_employee_hours_open_shift_variants():
    for check_out in ({}, {"checkOut": None}, {"checkOut": ""}):
        shift = EmployeeHours.from_payload(
            {"employeeHoursID": "902", "checkIn": "2025-03-14T13:00:40+00:00", "employeeID": "7"}
            | check_out
        )
        assert shift.is_open and shift.check_out is None and shift.shop_id is None


def test_employee_contact_email_and_tax_category_rates():
    emp = Employee.from_payload(
        {
            "employeeID": "7",
            "lockOut": "false",
            "archived": "true",
            "clockInEmployeeHoursID": "0",
            "Contact": {"Emails": {"ContactEmail": {"address": "p@example.com"}}, "Phones": ""},
        }
    )
    assert emp.email == "p@example.com" and emp.archived and emp.clock_in_employee_hours_id is None
    tax = TaxCategory.from_payload(
        {
            "taxCategoryID": "3",
            "tax1Rate": "0.05",
            "tax2Rate": "0.07",
            "TaxCategoryClasses": {"TaxCategoryClass": {"taxClassID": "2", "tax1Rate": "0.05"}},
        }
    )
    assert tax.rates_for("1") == (Decimal("0.05"), Decimal("0.07"))
    assert tax.rates_for("2") == (Decimal("0.05"), Decimal("0"))


def _jwt(claims):
    import base64
    import json

    def enc(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{enc({'alg': 'none'})}.{enc(claims)}.sig"


def test_token_set_roundtrip_and_claims():
    expires = datetime.now(UTC) + timedelta(seconds=30)
    token = TokenSet(_jwt({"acct": 12345, "sub": "170236"}), "refresh-secret", expires)
    assert token.account_id == "12345" and token.user_id == "170236"
    assert token.is_expired(margin_seconds=60) and not token.is_expired(margin_seconds=0)
    assert "refresh-secret" not in repr(token) and token.access_token not in repr(token)
    again = TokenSet.from_dict(token.to_dict())
    assert again == token and again.expires_at.tzinfo is not None
    plain = TokenSet.from_response({"access_token": "opaque", "expires_in": 3600})
    assert plain.account_id is None and not plain.is_expired()


# -- IDs: canonical strings whatever the rendering (spec §12.6) ------------------------------
@pytest.mark.parametrize(
    "raw", [1042, 1042.0, "1042", "001042", " 1042 ", "1042.0", Decimal("1042")]
)
def test_to_id_canonical(raw):
    assert to_id(raw) == "1042"


@pytest.mark.parametrize("raw", [0, 0.0, "0", "00", "0.0", "", " ", None, False])
def test_to_id_no_reference(raw):
    assert to_id(raw) is None


def test_to_id_keeps_non_integral_ids():
    assert to_id(" abc-1 ") == "abc-1" and to_id("12.5") == "12.5"


def test_numeric_ids_are_canonical_in_every_model():
    sale = Sale.from_payload(
        {
            "saleID": 1042,
            "shopID": 1.0,
            "registerID": "003",
            "employeeID": " 7 ",
            "customerID": 0,
            "taxCategoryID": 1,
            "SaleLines": {
                "SaleLine": {
                    "saleLineID": 5001.0,
                    "saleID": 1042,
                    "itemID": 210,
                    "parentSaleLineID": 0.0,
                    "taxClassID": "01",
                    "Item": {"itemID": 210.0, "categoryID": 3, "taxClassID": 1.0},
                }
            },
            "SalePayments": {
                "SalePayment": {
                    "salePaymentID": 3301,
                    "saleID": 1042.0,
                    "paymentTypeID": 1.0,
                    "amount": 20,
                    "PaymentType": {"paymentTypeID": 1, "type": "cash"},
                }
            },
        }
    )
    assert (sale.sale_id, sale.shop_id, sale.register_id, sale.employee_id) == (
        "1042",
        "1",
        "3",
        "7",
    )
    assert sale.customer_id is None and sale.tax_category_id == "1"
    [line] = sale.lines
    assert (line.sale_line_id, line.sale_id, line.item_id, line.tax_class_id) == (
        "5001",
        "1042",
        "210",
        "1",
    )
    assert line.parent_sale_line_id is None
    assert (line.item.item_id, line.item.category_id, line.item.tax_class_id) == ("210", "3", "1")
    [payment] = sale.payments
    assert (payment.sale_payment_id, payment.sale_id, payment.payment_type_id) == (
        "3301",
        "1042",
        "1",
    )
    assert payment.payment_type.payment_type_id == "1"
    shop = Shop.from_payload({"shopID": 2.0, "taxCategoryID": "02", "priceLevelID": 1})
    assert (shop.shop_id, shop.tax_category_id, shop.price_level_id) == ("2", "2", "1")
    hours = EmployeeHours.from_payload({"employeeHoursID": 902.0, "employeeID": 7, "shopID": "1"})
    assert (hours.employee_hours_id, hours.employee_id, hours.shop_id) == ("902", "7", "1")
    item = Item.from_payload({"itemID": "0210", "categoryID": 0, "taxClassID": 2})
    assert (item.item_id, item.category_id, item.tax_class_id) == ("210", None, "2")
    tax = TaxCategory.from_payload(
        {"taxCategoryID": 3, "TaxCategoryClasses": {"TaxCategoryClass": {"taxClassID": 2}}}
    )
    assert tax.tax_category_id == "3" and tax.classes[0].tax_class_id == "2"
    assert tax.rates_for(2.0) == tax.rates_for("2") == (Decimal(0), Decimal(0))


# -- change stamps and payment classes -------------------------------------------------------
@pytest.mark.parametrize("key", ["updatetime", "updateTime"])
def test_update_stamp_read_in_both_spellings(key):
    sale = Sale.from_payload({"saleID": "1", key: "2025-03-14T18:22:06+00:00"})
    assert sale.update_time == datetime(2025, 3, 14, 18, 22, 6, tzinfo=UTC)
    assert sale.change_stamp == sale.update_time  # fallback without timeStamp


def test_change_stamp_is_the_time_stamp_the_query_filters_on():
    sale = Sale.from_payload(
        {
            "saleID": "1",
            "timeStamp": "2025-03-14T18:22:05+00:00",
            "updateTime": "2025-03-14T18:22:06+00:00",
        }
    )
    assert sale.change_stamp == sale.timestamp == datetime(2025, 3, 14, 18, 22, 5, tzinfo=UTC)


def _payment(pid, amount, ptype=None, **extra):
    row = {"salePaymentID": pid, "amount": amount, **extra}
    if ptype:
        row["PaymentType"] = {"paymentTypeID": pid, "type": ptype}
    return row


def test_active_deposit_and_tender_payments():
    sale = Sale.from_payload(
        {
            "saleID": "9",
            "total": "0",
            "SalePayments": {
                "SalePayment": [
                    _payment("1", "50", "cash"),
                    _payment("2", "-50", "Gift Card"),  # top-up: a liability
                    _payment("3", "-20", " credit account "),  # account deposit
                    _payment("4", "0", "cash"),  # zero-amount noise
                    _payment("5", "0.00"),
                    _payment("6", "7", "cash", archived="true"),  # void
                    _payment("7", "12", "gift card"),  # paying WITH a gift card: a tender
                    _payment("8", "-5", "cash"),  # a refund: a tender
                    _payment("9", "-3"),  # type unknown (relation not loaded): a tender
                ]
            },
        }
    )
    assert [p.sale_payment_id for p in sale.active_payments] == ["1", "2", "3", "7", "8", "9"]
    assert [p.sale_payment_id for p in sale.deposit_payments] == ["2", "3"]
    assert [p.sale_payment_id for p in sale.tender_payments] == ["1", "7", "8", "9"]
