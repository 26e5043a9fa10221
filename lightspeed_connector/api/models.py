"""Typed, read-only views of R-Series payloads.

Every object keeps ``.raw`` (the original JSON-serialisable dict, untouched) and is rebuilt with
``Type.from_payload(raw)``. IDs are canonical strings (``1042``, ``1042.0`` and ``"001042"`` all
give ``"1042"``, see :func:`~.normalize.to_id`); foreign keys ``"0"`` become ``None``; money and
rates are :class:`~decimal.Decimal`; datetimes are aware UTC.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .errors import PayloadError
from .normalize import (
    as_list,
    first,
    parse_datetime,
    relation,
    to_bool,
    to_decimal,
    to_id,
    to_str,
)

ZERO = Decimal("0")
# PaymentType.type values whose *negative* payments load money onto a customer's balance: a
# gift-card top-up or a credit-account deposit is a liability, not a tender (spec §7.4, §12.7)
DEPOSIT_PAYMENT_TYPES = frozenset({"gift card", "credit account"})


def _required_id(raw, key, entity):
    if not isinstance(raw, dict):
        raise PayloadError(f"{entity} payload must be an object, got {type(raw).__name__}")
    value = to_id(raw.get(key))
    if value is None:
        raise PayloadError(f"{entity} payload has no {key}", code="missing_key")
    return value


def _dt(raw, *keys):
    try:
        return parse_datetime(first(raw, *keys))
    except ValueError as exc:
        raise PayloadError(str(exc), code="invalid_value") from exc


def _dec(raw, key):
    try:
        return to_decimal(raw.get(key))
    except ValueError as exc:
        raise PayloadError(f"{key}: {exc}", code="invalid_value") from exc


def _bool(raw, key, default=False):
    try:
        return to_bool(raw.get(key), default)
    except ValueError as exc:
        raise PayloadError(f"{key}: {exc}", code="invalid_value") from exc


def _one(raw, key, cls):
    items = as_list(raw.get(key))
    return cls.from_payload(items[0]) if items and isinstance(items[0], dict) else None


@dataclass
class Account:
    account_id: str = ""
    name: str = ""
    currency: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, raw):
        currency = raw.get("defaultCurrency")
        return cls(
            account_id=_required_id(raw, "accountID", "Account"),
            name=to_str(raw.get("name")),
            currency=currency.get("code") if isinstance(currency, dict) else None,
            raw=raw,
        )


@dataclass
class Session:
    account_id: str | None = None
    employee_id: str | None = None
    system_user_id: str | None = None
    shop_count: int = 0
    employee_name: str = ""
    rights: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, raw):
        employee = raw.get("Employee") if isinstance(raw.get("Employee"), dict) else {}
        name = " ".join(filter(None, [employee.get("firstName"), employee.get("lastName")]))
        rights = raw.get("Rights") if isinstance(raw.get("Rights"), dict) else {}
        return cls(
            account_id=to_id(raw.get("systemCustomerID")),
            employee_id=to_id(raw.get("employeeID")),
            system_user_id=to_id(raw.get("systemUserID")),
            shop_count=int(to_decimal(raw.get("shopCount"))),
            employee_name=name,
            rights={k: to_bool(v) for k, v in rights.items() if isinstance(v, str | bool)},
            raw=raw,
        )


@dataclass
class Shop:
    shop_id: str = ""
    name: str = ""
    time_zone: str = "UTC"
    archived: bool = False
    tax_category_id: str | None = None
    price_level_id: str | None = None
    timestamp: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, raw):
        return cls(
            shop_id=_required_id(raw, "shopID", "Shop"),
            name=to_str(raw.get("name")),
            time_zone=to_str(raw.get("timeZone")) or "UTC",
            archived=_bool(raw, "archived"),
            tax_category_id=to_id(raw.get("taxCategoryID")),
            price_level_id=to_id(raw.get("priceLevelID")),
            timestamp=_dt(raw, "timeStamp"),
            raw=raw,
        )


@dataclass
class Register:
    register_id: str = ""
    name: str = ""
    shop_id: str | None = None
    archived: bool = False
    open: bool = False
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, raw):
        return cls(
            register_id=_required_id(raw, "registerID", "Register"),
            name=to_str(raw.get("name")),
            shop_id=to_id(raw.get("shopID")),
            archived=_bool(raw, "archived"),
            open=_bool(raw, "open"),
            raw=raw,
        )


def _contact_value(contact, wrapper, item, key):
    if not isinstance(contact, dict):
        return None
    for entry in relation(contact, wrapper, item):
        if isinstance(entry, dict) and entry.get(key):
            return entry[key]
    return None


@dataclass
class Employee:
    employee_id: str = ""
    first_name: str = ""
    last_name: str = ""
    archived: bool = False
    lock_out: bool = False
    clock_in_employee_hours_id: str | None = None
    employee_role_id: str | None = None
    limit_to_shop_id: str | None = None
    email: str | None = None
    timestamp: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self):
        return " ".join(filter(None, [self.first_name, self.last_name])) or self.employee_id

    @classmethod
    def from_payload(cls, raw):
        return cls(
            employee_id=_required_id(raw, "employeeID", "Employee"),
            first_name=to_str(raw.get("firstName")),
            last_name=to_str(raw.get("lastName")),
            archived=_bool(raw, "archived"),
            lock_out=_bool(raw, "lockOut"),
            clock_in_employee_hours_id=to_id(raw.get("clockInEmployeeHoursID")),
            employee_role_id=to_id(raw.get("employeeRoleID")),
            limit_to_shop_id=to_id(raw.get("limitToShopID")),
            email=_contact_value(raw.get("Contact"), "Emails", "ContactEmail", "address"),
            timestamp=_dt(raw, "timeStamp"),
            raw=raw,
        )


@dataclass
class EmployeeHours:
    employee_hours_id: str = ""
    employee_id: str | None = None
    shop_id: str | None = None
    check_in: datetime | None = None
    check_out: datetime | None = None  # None while the shift is open
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_open(self):
        return self.check_out is None

    @classmethod
    def from_payload(cls, raw):
        return cls(
            employee_hours_id=_required_id(raw, "employeeHoursID", "EmployeeHours"),
            employee_id=to_id(raw.get("employeeID")),
            shop_id=to_id(raw.get("shopID")),
            check_in=_dt(raw, "checkIn"),
            check_out=_dt(raw, "checkOut"),
            raw=raw,
        )


@dataclass
class PaymentType:
    payment_type_id: str = ""
    name: str = ""
    type: str = ""
    archived: bool = False
    require_customer: bool = False
    internal_reserved: bool = False
    refund_as_payment_type_id: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, raw):
        return cls(
            payment_type_id=_required_id(raw, "paymentTypeID", "PaymentType"),
            name=to_str(raw.get("name")),
            type=to_str(raw.get("type")),
            archived=_bool(raw, "archived"),
            require_customer=_bool(raw, "requireCustomer"),
            internal_reserved=_bool(raw, "internalReserved"),
            refund_as_payment_type_id=to_id(raw.get("refundAsPaymentTypeID")),
            raw=raw,
        )


@dataclass
class Note:
    note_id: str | None = None
    note: str = ""
    is_public: bool = False
    timestamp: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, raw):
        return cls(
            note_id=to_id(raw.get("noteID")),
            note=to_str(raw.get("note")),
            is_public=_bool(raw, "isPublic"),
            timestamp=_dt(raw, "timeStamp", "timestamp"),
            raw=raw,
        )


@dataclass
class ItemShop:
    """Stock of an item in one shop; ``shop_id`` None is the account total row (``"0"``)."""

    item_shop_id: str = ""
    shop_id: str | None = None
    qoh: Decimal = ZERO
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, raw):
        return cls(
            item_shop_id=_required_id(raw, "itemShopID", "ItemShop"),
            shop_id=to_id(raw.get("shopID")),
            qoh=_dec(raw, "qoh"),
            raw=raw,
        )


@dataclass
class ItemMatrix:
    item_matrix_id: str = ""
    description: str = ""
    attribute_names: tuple = ("", "", "")
    archived: bool = False
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, raw):
        attribute_set = raw.get("ItemAttributeSet")
        attribute_set = attribute_set if isinstance(attribute_set, dict) else {}
        return cls(
            item_matrix_id=_required_id(raw, "itemMatrixID", "ItemMatrix"),
            description=to_str(raw.get("description")),
            attribute_names=tuple(
                to_str(attribute_set.get(f"attributeName{n}")) for n in (1, 2, 3)
            ),
            archived=_bool(raw, "archived"),
            raw=raw,
        )


@dataclass
class Item:
    item_id: str = ""
    description: str = ""
    system_sku: str = ""
    custom_sku: str = ""
    manufacturer_sku: str = ""
    upc: str = ""
    ean: str = ""
    default_cost: Decimal = ZERO
    archived: bool = False
    item_type: str = "default"
    tax: bool = True
    discountable: bool = True
    category_id: str | None = None
    tax_class_id: str | None = None
    prices: dict = field(default_factory=dict)  # useType -> Decimal
    timestamp: datetime | None = None
    item_matrix_id: str | None = None
    attributes: tuple = ("", "", "")  # ItemAttributes.attribute1..3 (matrix items)
    category: "Category | None" = None  # with load_relations Category
    item_shops: list = field(default_factory=list)  # ItemShop, with load_relations ItemShops
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def default_price(self):
        return self.prices.get("Default", ZERO)

    @classmethod
    def from_payload(cls, raw):
        prices = {}
        for price in relation(raw, "Prices", "ItemPrice"):
            if isinstance(price, dict):
                prices[price.get("useType") or price.get("useTypeID")] = _dec(price, "amount")
        attributes = raw.get("ItemAttributes")
        attributes = attributes if isinstance(attributes, dict) else {}
        category = raw.get("Category")
        return cls(
            item_id=_required_id(raw, "itemID", "Item"),
            description=to_str(raw.get("description")),
            system_sku=to_str(raw.get("systemSku")),
            custom_sku=to_str(raw.get("customSku")),
            manufacturer_sku=to_str(raw.get("manufacturerSku")),
            upc=to_str(raw.get("upc")),
            ean=to_str(raw.get("ean")),
            default_cost=_dec(raw, "defaultCost"),
            archived=_bool(raw, "archived"),
            item_type=to_str(raw.get("itemType"), "default") or "default",
            tax=_bool(raw, "tax", True),
            discountable=_bool(raw, "discountable", True),
            category_id=to_id(raw.get("categoryID")),
            tax_class_id=to_id(raw.get("taxClassID")),
            prices=prices,
            timestamp=_dt(raw, "timeStamp"),
            item_matrix_id=to_id(raw.get("itemMatrixID")),
            attributes=tuple(to_str(attributes.get(f"attribute{n}")) for n in (1, 2, 3)),
            category=Category.from_payload(category) if isinstance(category, dict) else None,
            item_shops=[
                ItemShop.from_payload(row)
                for row in relation(raw, "ItemShops", "ItemShop")
                if isinstance(row, dict)
            ],
            raw=raw,
        )


@dataclass
class TaxClass:
    tax_class_id: str = ""
    name: str = ""
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, raw):
        return cls(
            tax_class_id=_required_id(raw, "taxClassID", "TaxClass"),
            name=to_str(raw.get("name")),
            raw=raw,
        )


@dataclass
class TaxCategoryClass:
    tax_category_class_id: str | None = None
    tax_class_id: str | None = None
    tax1_rate: Decimal = ZERO
    tax2_rate: Decimal = ZERO
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, raw):
        return cls(
            tax_category_class_id=to_id(raw.get("taxCategoryClassID")),
            tax_class_id=to_id(raw.get("taxClassID")),
            tax1_rate=_dec(raw, "tax1Rate"),
            tax2_rate=_dec(raw, "tax2Rate"),
            raw=raw,
        )


@dataclass
class TaxCategory:
    tax_category_id: str = ""
    is_tax_inclusive: bool = False
    tax1_name: str = ""
    tax1_rate: Decimal = ZERO
    tax2_name: str = ""
    tax2_rate: Decimal = ZERO
    classes: list = field(default_factory=list)  # TaxCategoryClass overrides
    timestamp: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    def rates_for(self, tax_class_id=None):
        """``(tax1_rate, tax2_rate)`` for a tax class, honouring the per-class overrides."""
        for klass in self.classes:
            if tax_class_id is not None and klass.tax_class_id == to_id(tax_class_id):
                return klass.tax1_rate, klass.tax2_rate
        return self.tax1_rate, self.tax2_rate

    @classmethod
    def from_payload(cls, raw):
        return cls(
            tax_category_id=_required_id(raw, "taxCategoryID", "TaxCategory"),
            is_tax_inclusive=_bool(raw, "isTaxInclusive"),
            tax1_name=to_str(raw.get("tax1Name")),
            tax1_rate=_dec(raw, "tax1Rate"),
            tax2_name=to_str(raw.get("tax2Name")),
            tax2_rate=_dec(raw, "tax2Rate"),
            classes=[
                TaxCategoryClass.from_payload(c)
                for c in relation(raw, "TaxCategoryClasses", "TaxCategoryClass")
                if isinstance(c, dict)
            ],
            timestamp=_dt(raw, "timeStamp"),
            raw=raw,
        )


@dataclass
class Category:
    category_id: str = ""
    name: str = ""
    full_path_name: str = ""
    parent_id: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, raw):
        return cls(
            category_id=_required_id(raw, "categoryID", "Category"),
            name=to_str(raw.get("name")),
            full_path_name=to_str(raw.get("fullPathName")),
            parent_id=to_id(raw.get("parentID")),
            raw=raw,
        )


@dataclass
class Customer:
    customer_id: str = ""
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    archived: bool = False
    email: str | None = None
    phone: str | None = None
    customer_type_id: str | None = None
    tax_category_id: str | None = None
    credit_account_id: str | None = None
    create_time: datetime | None = None
    timestamp: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self):
        return " ".join(filter(None, [self.first_name, self.last_name])) or self.company

    @classmethod
    def from_payload(cls, raw):
        contact = raw.get("Contact")
        return cls(
            customer_id=_required_id(raw, "customerID", "Customer"),
            first_name=to_str(raw.get("firstName")),
            last_name=to_str(raw.get("lastName")),
            company=to_str(raw.get("company")),
            archived=_bool(raw, "archived"),
            email=_contact_value(contact, "Emails", "ContactEmail", "address"),
            phone=_contact_value(contact, "Phones", "ContactPhone", "number"),
            customer_type_id=to_id(raw.get("customerTypeID")),
            tax_category_id=to_id(raw.get("taxCategoryID")),
            credit_account_id=to_id(raw.get("creditAccountID")),
            create_time=_dt(raw, "createTime"),
            timestamp=_dt(raw, "timeStamp"),
            raw=raw,
        )


@dataclass
class SaleLine:
    sale_line_id: str = ""
    sale_id: str | None = None
    item_id: str | None = None  # None = misc line (description in .note)
    unit_quantity: Decimal = ZERO  # negative on refunds
    unit_price: Decimal = ZERO
    normal_unit_price: Decimal = ZERO
    discount_amount: Decimal = ZERO
    discount_percent: Decimal = ZERO
    calc_line_discount: Decimal = ZERO
    calc_transaction_discount: Decimal = ZERO
    calc_subtotal: Decimal = ZERO
    displayable_subtotal: Decimal = ZERO
    calc_tax1: Decimal = ZERO
    calc_tax2: Decimal = ZERO
    calc_total: Decimal = ZERO
    tax: bool = False
    tax1_rate: Decimal = ZERO
    tax2_rate: Decimal = ZERO
    tax_class_id: str | None = None
    tax_category_id: str | None = None
    employee_id: str | None = None
    customer_id: str | None = None
    shop_id: str | None = None
    note_id: str | None = None
    parent_sale_line_id: str | None = None
    discount_id: str | None = None
    is_layaway: bool = False
    is_workorder: bool = False
    is_special_order: bool = False
    line_type: str = ""
    create_time: datetime | None = None
    timestamp: datetime | None = None
    item: Item | None = None
    note: Note | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_refund(self):
        return self.unit_quantity < 0

    @property
    def is_misc(self):
        return self.item_id is None

    @property
    def discount_total(self):
        return self.calc_line_discount + self.calc_transaction_discount

    @classmethod
    def from_payload(cls, raw):
        return cls(
            sale_line_id=_required_id(raw, "saleLineID", "SaleLine"),
            sale_id=to_id(raw.get("saleID")),
            item_id=to_id(raw.get("itemID")),
            unit_quantity=_dec(raw, "unitQuantity"),
            unit_price=_dec(raw, "unitPrice"),
            normal_unit_price=_dec(raw, "normalUnitPrice"),
            discount_amount=_dec(raw, "discountAmount"),
            discount_percent=_dec(raw, "discountPercent"),
            calc_line_discount=_dec(raw, "calcLineDiscount"),
            calc_transaction_discount=_dec(raw, "calcTransactionDiscount"),
            calc_subtotal=_dec(raw, "calcSubtotal"),
            displayable_subtotal=_dec(raw, "displayableSubtotal"),
            calc_tax1=_dec(raw, "calcTax1"),
            calc_tax2=_dec(raw, "calcTax2"),
            calc_total=_dec(raw, "calcTotal"),
            tax=_bool(raw, "tax"),
            tax1_rate=_dec(raw, "tax1Rate"),
            tax2_rate=_dec(raw, "tax2Rate"),
            tax_class_id=to_id(raw.get("taxClassID")),
            tax_category_id=to_id(raw.get("taxCategoryID")),
            employee_id=to_id(raw.get("employeeID")),
            customer_id=to_id(raw.get("customerID")),
            shop_id=to_id(raw.get("shopID")),
            note_id=to_id(raw.get("noteID")),
            parent_sale_line_id=to_id(raw.get("parentSaleLineID")),
            discount_id=to_id(raw.get("discountID")),
            is_layaway=_bool(raw, "isLayaway"),
            is_workorder=_bool(raw, "isWorkorder"),
            is_special_order=_bool(raw, "isSpecialOrder"),
            line_type=to_str(raw.get("lineType")),
            create_time=_dt(raw, "createTime"),
            timestamp=_dt(raw, "timeStamp"),
            item=_one(raw, "Item", Item),
            note=_one(raw, "Note", Note),
            raw=raw,
        )


@dataclass
class SalePayment:
    sale_payment_id: str = ""
    sale_id: str | None = None
    amount: Decimal = ZERO  # includes tip; negative for refunds
    tip_amount: Decimal = ZERO
    payment_type_id: str | None = None
    archived: bool = False  # archived payments are void: exclude from totals
    register_id: str | None = None
    employee_id: str | None = None
    credit_account_id: str | None = None
    ref_payment_id: str | None = None
    create_time: datetime | None = None
    payment_type: PaymentType | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_deposit(self):
        """A negative gift-card / credit-account payment: money put on a card or an account.

        Needs the ``PaymentType`` relation (``SalePayments.PaymentType``); without it the type
        is unknown and the payment counts as a tender.
        """
        if self.amount >= 0 or self.payment_type is None:
            return False
        return self.payment_type.type.strip().lower() in DEPOSIT_PAYMENT_TYPES

    @classmethod
    def from_payload(cls, raw):
        return cls(
            sale_payment_id=_required_id(raw, "salePaymentID", "SalePayment"),
            sale_id=to_id(raw.get("saleID")),
            amount=_dec(raw, "amount"),
            tip_amount=_dec(raw, "tipAmount"),
            payment_type_id=to_id(raw.get("paymentTypeID")),
            archived=_bool(raw, "archived"),
            register_id=to_id(raw.get("registerID")),
            employee_id=to_id(raw.get("employeeID")),
            credit_account_id=to_id(raw.get("creditAccountID")),
            ref_payment_id=to_id(raw.get("refPaymentID")),
            create_time=_dt(raw, "createTime"),
            payment_type=_one(raw, "PaymentType", PaymentType),
            raw=raw,
        )


@dataclass
class Sale:
    sale_id: str = ""
    ticket_number: str = ""
    shop_id: str | None = None
    register_id: str | None = None
    employee_id: str | None = None
    customer_id: str | None = None
    tax_category_id: str | None = None
    completed: bool = False
    voided: bool = False
    archived: bool = False
    is_tax_inclusive: bool = False
    create_time: datetime | None = None
    update_time: datetime | None = None  # "updatetime" or "updateTime"
    complete_time: datetime | None = None  # None while open
    timestamp: datetime | None = None
    calc_subtotal: Decimal = ZERO
    calc_discount: Decimal = ZERO
    calc_tax1: Decimal = ZERO
    calc_tax2: Decimal = ZERO
    tax_total: Decimal = ZERO
    total: Decimal = ZERO
    total_due: Decimal = ZERO
    calc_payments: Decimal = ZERO
    calc_tips: Decimal = ZERO
    balance: Decimal = ZERO
    change: Decimal = ZERO
    reference_number: str = ""
    lines: list = field(default_factory=list)  # [SaleLine]
    payments: list = field(default_factory=list)  # [SalePayment]
    customer: Customer | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def change_stamp(self):
        """The modification stamp the incremental query filters, sorts and resumes on.

        ``timeStamp`` is documented (and filterable) on every resource, so the client queries
        on it; ``updatetime``/``updateTime`` is only a fallback for payloads without it.
        """
        return self.timestamp or self.update_time

    @property
    def active_payments(self):
        """Payments that moved money: archived ones are void, and zero-amount rows (seen on
        real completed sales, spec §12.3) are noise, not tenders."""
        return [p for p in self.payments if not p.archived and p.amount != 0]

    @property
    def deposit_payments(self):
        """Active gift-card top-ups / credit-account deposits (negative, liability)."""
        return [p for p in self.active_payments if p.is_deposit]

    @property
    def tender_payments(self):
        """Active payments that are real tenders (everything but the deposits)."""
        return [p for p in self.active_payments if not p.is_deposit]

    @property
    def tip_payments(self):
        """Tenders carrying a tip: ``amount`` includes ``tipAmount`` (spec §7.4), so the money
        a tender collected is the sale's share plus the tip, which is owed to the staff."""
        return [p for p in self.tender_payments if p.tip_amount]

    @property
    def tips(self):
        """Tips collected on the sale (what ``calcTips`` sums), from its active tenders."""
        return sum((p.tip_amount for p in self.tip_payments), ZERO)

    @classmethod
    def from_payload(cls, raw):
        sale_id = _required_id(raw, "saleID", "Sale")
        tax1, tax2 = _dec(raw, "calcTax1"), _dec(raw, "calcTax2")
        tax_total = _dec(raw, "taxTotal") if raw.get("taxTotal") not in (None, "") else tax1 + tax2
        return cls(
            sale_id=sale_id,
            ticket_number=to_str(raw.get("ticketNumber")),
            shop_id=to_id(raw.get("shopID")),
            register_id=to_id(raw.get("registerID")),
            employee_id=to_id(raw.get("employeeID")),
            customer_id=to_id(raw.get("customerID")),
            tax_category_id=to_id(raw.get("taxCategoryID")),
            completed=_bool(raw, "completed"),
            voided=_bool(raw, "voided"),
            archived=_bool(raw, "archived"),
            is_tax_inclusive=_bool(raw, "isTaxInclusive"),
            create_time=_dt(raw, "createTime"),
            update_time=_dt(raw, "updatetime", "updateTime", "updateTimestamp"),
            complete_time=_dt(raw, "completeTime"),
            timestamp=_dt(raw, "timeStamp", "timestamp"),
            calc_subtotal=_dec(raw, "calcSubtotal"),
            calc_discount=_dec(raw, "calcDiscount"),
            calc_tax1=tax1,
            calc_tax2=tax2,
            tax_total=tax_total,
            total=_dec(raw, "total"),
            total_due=_dec(raw, "totalDue"),
            calc_payments=_dec(raw, "calcPayments"),
            calc_tips=_dec(raw, "calcTips"),
            balance=_dec(raw, "balance"),
            change=_dec(raw, "change"),
            reference_number=to_str(raw.get("referenceNumber")),
            lines=[
                SaleLine.from_payload(line)
                for line in relation(raw, "SaleLines", "SaleLine")
                if isinstance(line, dict)
            ],
            payments=[
                SalePayment.from_payload(p)
                for p in relation(raw, "SalePayments", "SalePayment")
                if isinstance(p, dict)
            ],
            customer=_one(raw, "Customer", Customer),
            raw=raw,
        )


@dataclass
class SaleVoid:
    sale_void_id: str = ""
    sale_id: str | None = None
    employee_id: str | None = None
    shop_id: str | None = None
    reason: str = ""
    create_time: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, raw):
        return cls(
            sale_void_id=_required_id(raw, "saleVoidID", "SaleVoid"),
            sale_id=to_id(raw.get("saleID")),
            employee_id=to_id(raw.get("employeeID")),
            shop_id=to_id(raw.get("shopID")),
            reason=to_str(raw.get("reason")),
            create_time=_dt(raw, "createTime"),
            raw=raw,
        )
