"""Pure mappers from a Lightspeed ``Sale`` to ``pos.order`` values (no Odoo imports).

The importer resolves everything that needs the database (session, products, taxes, payment
methods, the original lines of a refund) into a :class:`ResolvedSale`, then these functions turn
payload + resolved ids into plain dicts. Amounts computed by Odoo's tax engine are added by the
importer, which owns the tax engine.
"""

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from ..api.normalize import to_id
from ..tools import to_naive_utc
from .errors import MappingError

CENT = Decimal("0.01")
# Item types whose description is generic ("Tune-up #50"): the line's Note says what was done
NOTE_FIRST_ITEM_TYPES = frozenset({"non_inventory"})
# ``lightspeed_line_id`` of the lines a tender adds (not sale lines): deposits and tips are
# money collected and owed (to the customer, to the staff), never sales.
DEPOSIT_LINE_PREFIX = "payment:"
TIP_LINE_PREFIX = "tip:"
NOT_SALES_LINE_PREFIXES = (DEPOSIT_LINE_PREFIX, TIP_LINE_PREFIX)
DEPOSIT_LINE_NAMES = {"gift card": "Gift card deposit", "credit account": "Credit account deposit"}


@dataclass
class ResolvedSale:
    """Odoo ids the mapping needs, keyed by Lightspeed ids."""

    session_id: int
    backend_id: int
    shop_id: int
    register_id: int | None = None
    department_id: int | None = None
    employee_id: int | None = None
    business_date: object = None
    products: dict = field(default_factory=dict)  # saleLineID -> product.product id
    taxes: dict = field(default_factory=dict)  # saleLineID -> [account.tax ids]
    payment_methods: dict = field(default_factory=dict)  # salePaymentID -> method id
    refunded_lines: dict = field(default_factory=dict)  # saleLineID -> pos.order.line id
    deposit_product_id: int | None = None  # product of gift-card / credit-account deposits
    tip_product_id: int | None = None  # product of tips (owed to the staff, not revenue)
    partner_id: int | None = None  # contact of the sale's customer (lightspeed.customer)


class SaleMappingError(MappingError):
    """The sale cannot be mapped as it is (a business rule, not a bug)."""


def importable_lines(sale):
    """Lines that belong on the order.

    A reservation line still carries ``saleID "0"`` (it is not part of any sale yet), which the
    normalised ``sale_id`` cannot tell from a missing key, so the raw key is checked; a line of
    another sale can also show up under a sale (spec §12.5). IDs are compared normalised
    (``1042`` == ``"1042"``)."""
    lines = []
    for line in sale.lines:
        raw_id = line.raw.get("saleID")
        if raw_id is None or raw_id == "" or to_id(raw_id) == sale.sale_id:
            lines.append(line)
    return lines


def line_discount_percent(line):
    """Odoo's discount % for a line: line + transaction discount over the line subtotal."""
    if not line.calc_subtotal:
        return Decimal(0)
    percent = line.discount_total / line.calc_subtotal * 100
    return percent.quantize(Decimal("0.000001"))


def line_description(line):
    """Name of the order line: the Item's description, except on misc lines and non-inventory
    items (labour, services), where the Note is the real description (spec §12.4)."""
    note = line.note.note.strip() if line.note is not None and line.note.note else ""
    item = line.item
    item_type = (item.item_type or "").strip().lower() if item is not None else ""
    if note and (line.is_misc or item_type in NOTE_FIRST_ITEM_TYPES):
        return note
    if item is not None and item.description:
        return item.description
    return note or None


def _float(value):
    return float(value) if value is not None else 0.0


def prepare_pos_order_vals(sale, resolved, key=None, kind=None):
    """Header values of the order for ``sale`` (lines and payments come separately)."""
    kind = kind or ("refund" if sale.total < 0 else "sale")
    complete = sale.complete_time or sale.change_stamp or sale.create_time
    if complete is None:
        raise SaleMappingError("the sale has no completion time")
    return {
        "session_id": resolved.session_id,
        "date_order": to_naive_utc(complete),
        "pos_reference": sale.ticket_number or sale.sale_id,
        "employee_id": resolved.employee_id or False,
        "partner_id": resolved.partner_id or False,
        "lightspeed_backend_id": resolved.backend_id,
        "lightspeed_id": key or sale.sale_id,
        "lightspeed_sale_id": sale.sale_id,
        "lightspeed_kind": kind,
        "lightspeed_shop_id": resolved.shop_id,
        "lightspeed_register_id": resolved.register_id or False,
        "lightspeed_department_id": resolved.department_id or False,
        "lightspeed_business_date": resolved.business_date,
        "amount_paid": 0.0,
        "amount_return": 0.0,
    }


def prepare_order_line_vals(line, resolved):
    """One ``pos.order.line`` (quantity, price, discount, taxes, link to a refunded line)."""
    product_id = resolved.products.get(line.sale_line_id)
    if not product_id:
        raise SaleMappingError(f"no product for sale line {line.sale_line_id}")
    vals = {
        "product_id": product_id,
        "qty": _float(line.unit_quantity),
        "price_unit": _float(line.unit_price),
        "discount": _float(line_discount_percent(line)),
        "tax_ids": [(6, 0, list(resolved.taxes.get(line.sale_line_id, [])))],
        "lightspeed_line_id": line.sale_line_id,
    }
    description = line_description(line)
    if description:
        vals["full_product_name"] = description
    refunded = resolved.refunded_lines.get(line.sale_line_id)
    if refunded:
        vals["refunded_orderline_id"] = refunded
    return vals


def prepare_deposit_line_vals(payment, resolved):
    """Order line for a gift-card top-up / credit-account deposit (a ``deposit_payments`` row).

    The customer paid the money (the tenders) but bought nothing: it is owed back as card or
    account balance, so it is booked on a liability product, untaxed, at ``-amount``.
    """
    if not resolved.deposit_product_id:
        raise SaleMappingError(f"no deposit product for payment {payment.sale_payment_id}")
    ptype = payment.payment_type.type.strip().lower() if payment.payment_type else ""
    return {
        "product_id": resolved.deposit_product_id,
        "qty": 1.0,
        "price_unit": _float(-payment.amount),
        "discount": 0.0,
        "tax_ids": [(6, 0, [])],
        "full_product_name": DEPOSIT_LINE_NAMES.get(ptype, "Deposit"),
        "lightspeed_line_id": f"{DEPOSIT_LINE_PREFIX}{payment.sale_payment_id}",
    }


def prepare_tip_line_vals(payment, resolved):
    """Order line for the tip a tender carries (a ``tip_payments`` row).

    The tender's ``amount`` includes the tip, so the order collects it; the tip is owed to the
    staff, not earned: it is booked on the backend's tip product (a liability account),
    untaxed, one line per tender so each stays traceable to its payment.
    """
    if not resolved.tip_product_id:
        raise SaleMappingError(f"no tip product for payment {payment.sale_payment_id}")
    return {
        "product_id": resolved.tip_product_id,
        "qty": 1.0,
        "price_unit": _float(payment.tip_amount),
        "discount": 0.0,
        "tax_ids": [(6, 0, [])],
        "full_product_name": "Tip",
        "lightspeed_line_id": f"{TIP_LINE_PREFIX}{payment.sale_payment_id}",
    }


def prepare_payment_vals(payment, resolved):
    """One ``pos.payment``; call it on ``sale.tender_payments`` only (deposits become lines)."""
    method_id = resolved.payment_methods.get(payment.sale_payment_id)
    if not method_id:
        raise SaleMappingError(f"no payment method for payment {payment.sale_payment_id}")
    return {
        "payment_method_id": method_id,
        "amount": _float(payment.amount),
        "payment_date": to_naive_utc(payment.create_time) if payment.create_time else False,
    }


# Separates the customer from the booked content in a sale fingerprint.
CUSTOMER_MARK = ":c"


def sale_fingerprint(sale):
    """Digest of everything that changes the Odoo order; equal digests mean nothing to do.

    The customer is appended in clear (``<digest>:c<customerID>``) rather than hashed in, so a
    sale whose only change is its customer can be told apart (its orders get the new contact,
    nothing is rebooked: ``fingerprint_content``), and a sale without customer keeps the digest
    it always had."""
    content = {
        "voided": sale.voided,
        "complete": sale.complete_time.isoformat() if sale.complete_time else None,
        "shop": sale.shop_id,
        "register": sale.register_id,
        "employee": sale.employee_id,
        "total": str(sale.total),
        "lines": sorted(
            (
                line.sale_line_id,
                line.item_id,
                str(line.unit_quantity),
                str(line.unit_price),
                str(line.discount_total),
                str(line.tax1_rate if line.tax else 0),
                str(line.tax2_rate if line.tax else 0),
            )
            for line in importable_lines(sale)
        ),
        "payments": sorted(
            # the tip only when there is one, so sales without tips keep their digests
            (p.sale_payment_id, p.payment_type_id, str(p.amount))
            + ((str(p.tip_amount),) if p.tip_amount else ())
            for p in sale.active_payments
        ),
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]
    return f"{digest}{CUSTOMER_MARK}{sale.customer_id}" if sale.customer_id else digest


def fingerprint_content(fingerprint):
    """The part of a sale fingerprint that books amounts (everything but the customer)."""
    return (fingerprint or "").split(CUSTOMER_MARK, 1)[0]


def expected_total(sale):
    """What the customer paid (rounded to the cent): the sale total plus the money put on gift
    cards / credit accounts and the tips, which Lightspeed keeps out of ``total`` (spec §6.5,
    §7.4)."""
    deposits = sum((-p.amount for p in sale.deposit_payments), Decimal(0))
    return (sale.total + deposits + sale.tips).quantize(CENT)
