"""Deterministic (seeded) R-Series data for the simulator.

Static entities (shops, registers, employees, items, ...) are small and built eagerly. Sales are
described by compact per-sale header arrays built at start-up (one sequential RNG pass, ~1 µs
per sale) and their lines / payments are generated lazily from a per-sale RNG, so 100k sales
start in about a second and any page costs only the sales it shows. Mutated or added sales are
stored fully in ``SalesStore.overrides``.

All canonical values are strings, exactly as Lightspeed renders them.
"""

import hashlib
import random
import time
from bisect import insort
from collections import OrderedDict
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from .items import build_extra_items, build_item_matrices, build_matrix_items

CENT = Decimal("0.01")
SEVEN = Decimal("0.0000001")
ZERO = Decimal("0")

NORMAL, REFUND, EXCHANGE, OPEN, ABANDONED, VOIDED, MODIFIED, DEPOSIT = range(8)
KIND_NAMES = ["normal", "refund", "exchange", "open", "archived", "voided", "modified", "deposit"]
CASH, CREDIT_ACCOUNT, GIFT_CARD = "1", "3", "4"  # PaymentType ids (see PAYMENT_TYPES)
CARD_TYPES = ("5", "6", "7")  # Visa, Mastercard, Debit: the tenders a tip can come with
STAMP_SPELLINGS = {"camel": "updateTime", "lower": "updatetime"}


def fmt(value):
    """Decimal → Lightspeed string: ``"5"``, ``"49.98"``, ``"5.8474"`` (no exponent)."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(int(value))
    text = format(value.normalize(), "f")
    return text


def round2(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def ts(epoch):
    """Epoch seconds → ``YYYY-MM-DDTHH:MM:SS+00:00``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(int(epoch)))


def parse_ts(text):
    """ISO datetime with offset (``Z``, ``-0500``, ``-05:00``) → epoch float."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if len(text) > 19 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def b(value):
    return "true" if value else "false"


def spell_update_key(sale, key):
    """``sale`` with its ``updatetime`` renamed ``key`` (``updateTime`` as V3 captures spell
    it), in place in the key order."""
    if key == "updatetime" or "updatetime" not in sale:
        return sale
    return {(key if k == "updatetime" else k): v for k, v in sale.items()}


def unit_hash(*parts):
    """A deterministic number in [0, 1) for ``parts``.

    Optional scenarios (zero payments, deposits, stock) draw from this instead of the shared
    RNG streams, so switching them on or off never shifts the data of the other sales (the
    figures tests pin stay put). ``hash()`` is salted per process, hence blake2b.
    """
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


SHOP_SPECS = [
    # shop_id, name, tz, tax category, registers
    ("1", "Hudson Street Cycles", "America/New_York", "1", ("1", "2")),
    ("2", "Amsterdam Centrum", "Europe/Amsterdam", "2", ("3", "4")),
    ("3", "Gastown Vancouver", "America/Vancouver", "3", ("5",)),
]
SALE_SHOPS = ("1", "1", "2", "2", "3")  # a generated sale's shop is drawn from these (2:2:1)
# defaultCurrency.symbol of the Account (``--currency``); other codes use the code itself
CURRENCY_SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "NZD": "$", "EUR": "€", "GBP": "£"}
TAX_CATEGORIES = [
    # id, inclusive, tax1 name, rate1, tax2 name, rate2, labour override (rate1, rate2)
    ("1", False, "NY Sales Tax", "0.08875", "", "0", ("0", "0")),
    ("2", True, "BTW", "0.21", "", "0", ("0.09", "0")),
    ("3", False, "GST", "0.05", "PST", "0.07", ("0.05", "0")),
]
EMPLOYEES = [
    # id, first, last, shop (limitToShopID), archived
    ("1", "Alex", "Owner", "0", False),
    ("2", "Priya", "Nair", "1", False),
    ("3", "Jan", "de Vries", "2", False),
    ("4", "Sophie", "Bakker", "2", False),
    ("5", "Liam", "Chen", "3", False),
    ("6", "Maya", "Singh", "3", False),
    ("7", "Tom", "Reed", "1", False),
    ("8", "Old", "Timer", "1", True),
]
PAYMENT_TYPES = [
    # id, name, type, archived, internalReserved, requireCustomer
    ("1", "Cash", "cash", False, True, False),
    ("2", "Check", "user defined", False, False, False),
    ("3", "Credit Account", "credit account", False, True, True),
    ("4", "Gift Card", "gift card", False, True, False),
    ("5", "Visa", "credit card", False, False, False),
    ("6", "Mastercard", "credit card", False, False, False),
    ("7", "Debit", "user defined", False, False, False),
    ("8", "Amex", "credit card", True, False, False),
]
CATEGORIES = [
    ("1", "Bikes", "Bikes", "0"),
    ("2", "Apparel", "Apparel", "0"),
    ("3", "Gloves", "Apparel/Gloves", "2"),
    ("4", "Parts", "Parts", "0"),
    ("5", "Services", "Services", "0"),
]
ITEM_WORDS = [
    ("Trail gloves", "3"),
    ("Road helmet", "2"),
    ("Chain lube", "4"),
    ("Inner tube 700c", "4"),
    ("Brake pads", "4"),
    ("Jersey", "2"),
    ("Bottle cage", "4"),
    ("Saddle", "4"),
    ("Commuter bike", "1"),
    ("Kids bike", "1"),
]
FIRST_NAMES = ["Sam", "Ava", "Noah", "Emma", "Lucas", "Mia", "Finn", "Zoe", "Omar", "Lena"]
LAST_NAMES = ["Okafor", "Jansen", "Garcia", "Smith", "Kowalski", "Tanaka", "Dubois", "Brown"]
ITEM_COUNT = 60
GIFT_CARD_ITEM = "60"
ARCHIVED_ITEMS = {"55", "56", "57", "58", "59"}
LABOUR_ITEMS = {"50", "51", "52", "53", "54"}
CUSTOMER_COUNT = 40
# (address1 template, address2, city, state, stateCode, zip, country, countryCode)
CUSTOMER_ADDRESSES = [
    ("{n} Hudson Street", "", "New York", "New York", "NY", "10013", "United States", "US"),
    ("Damrak {n}", "", "Amsterdam", "Noord-Holland", "NH", "1012 LG", "Netherlands", "NL"),
    (
        "{n} Water Street",
        "Unit 2",
        "Vancouver",
        "British Columbia",
        "BC",
        "V6B 1A1",
        "Canada",
        "CA",
    ),
]
CONTACT_FLAGS = ("noEmail", "noPhone", "noMail")


class World:
    """All entities of one simulated account."""

    def __init__(
        self,
        sales=500,
        seed=42,
        days=21,
        now=None,
        dst_shop_tz=None,
        account_id="12345",
        chaos=(),
        stamp_spelling="camel",
        zero_payments_share=0.05,
        deposits_share=0.0,
        tips_share=0.0,
        shops=None,
        currency="USD",
        extra_items=0,
    ):
        # ``--items``: more catalogue items (ids 1001...), sold like the first ones (benchmarks)
        self.extra_items = max(int(extra_items or 0), 0)
        if stamp_spelling not in STAMP_SPELLINGS:
            raise ValueError(f"stamp_spelling must be one of {sorted(STAMP_SPELLINGS)}")
        self.seed = seed
        # the key the Sale payload spells its update stamp with (records keep "updatetime")
        self.update_key = STAMP_SPELLINGS[stamp_spelling]
        self.zero_payments_share = float(zero_payments_share)
        self.deposits_share = float(deposits_share)
        self.tips_share = float(tips_share)
        self.days = max(int(days), 2)
        if now is None:
            now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        elif now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)
        self.now = now
        self.now_ts = now.timestamp()
        self.start_ts = self.now_ts - self.days * 86400
        self.account_id = str(account_id)
        self.chaos = set(chaos)
        self.authorizing_employee_id = "1"
        self.system_user_id = "170236"
        self.last_stamp = self.now_ts
        specs = list(SHOP_SPECS)
        if dst_shop_tz:
            specs[0] = (*specs[0][:2], dst_shop_tz, *specs[0][3:])
        if shops:
            # an account with only these shops (``--shops``): their registers, employees,
            # shifts, tax categories and sales; the other shops do not exist
            wanted = {str(s).strip() for s in shops}
            unknown = sorted(wanted - {s[0] for s in specs})
            if unknown:
                known = ", ".join(s[0] for s in specs)
                raise ValueError(f"unknown shop id(s) {', '.join(unknown)} (known: {known})")
            specs = [s for s in specs if s[0] in wanted]
        self.shop_specs = specs
        self.shop_ids = tuple(s[0] for s in specs)
        self.zones = {s[0]: ZoneInfo(s[2]) for s in specs}
        code = str(currency).strip().upper()
        if len(code) != 3 or not (code.isascii() and code.isalpha()):
            raise ValueError(f"currency must be an ISO 4217 code such as USD, not {currency!r}")
        self.currency = code  # the Account's defaultCurrency (every amount is in it)
        self.currency_symbol = CURRENCY_SYMBOLS.get(code, code)
        self._build_static()
        self.hours = self._build_hours()
        self.sales = SalesStore(self, int(sales))
        self.sale_voids = []
        for sale_id in self.sales.ids_of_kind(VOIDED):
            self._append_void(sale_id, "Rang up the wrong items", self.sales.update[sale_id])

    # -- helpers -------------------------------------------------------------------------
    def stamp(self):
        """A modification stamp later than every stamp handed out so far."""
        value = max(time.time(), self.last_stamp + 1)
        self.last_stamp = value
        return float(int(value))

    def local_epoch(self, shop_id, day, seconds):
        """Epoch of ``day`` (a date) at ``seconds`` after local midnight in the shop zone."""
        local = datetime.combine(day, dtime(0), tzinfo=self.zones[shop_id]) + timedelta(
            seconds=seconds
        )
        return local.astimezone(timezone.utc).timestamp()

    def local_date(self, shop_id, epoch):
        return datetime.fromtimestamp(epoch, self.zones[shop_id]).date()

    # -- static entities -----------------------------------------------------------------
    def _build_static(self):
        rng = random.Random(f"{self.seed}:static")
        base = ts(self.start_ts - 86400 * 200)
        self.shops = []
        self.registers = []
        for shop_id, name, tz, taxcat, registers in self.shop_specs:
            self.shops.append(
                {
                    "shopID": shop_id,
                    "name": name,
                    "serviceRate": "0",
                    "timeZone": tz,
                    "taxLabor": "false",
                    "labelTitle": "Shop Name",
                    "labelMsrp": "false",
                    "archived": "false",
                    "timeStamp": base,
                    "companyRegistrationNumber": "",
                    "vatNumber": "NL001234567B01" if shop_id == "2" else "",
                    "zebraBrowserPrint": "false",
                    "contactID": str(100 + int(shop_id)),
                    "taxCategoryID": taxcat,
                    "receiptSetupID": shop_id,
                    "ccGatewayID": "0",
                    "gatewayConfigID": "",
                    "priceLevelID": "1",
                }
            )
            for register_id in registers:
                self.registers.append(
                    {
                        "registerID": register_id,
                        "name": f"Till {register_id}",
                        "open": "true",
                        "openTime": ts(self.now_ts - 3600 * 3),
                        "archived": "false",
                        "tipEnabled": "false",
                        "openEmployeeID": "1",
                        "shopID": shop_id,
                        "ccTerminalID": "",
                    }
                )
        if "3" in self.zones:  # the archived till of shop 3
            self.registers.append(
                {
                    "registerID": "6",
                    "name": "Old Till",
                    "open": "false",
                    "archived": "true",
                    "tipEnabled": "false",
                    "openEmployeeID": "0",
                    "shopID": "3",
                    "ccTerminalID": "",
                }
            )
        self.employees = []
        for emp_id, first, last, shop, archived in EMPLOYEES:
            if shop != "0" and shop not in self.zones:
                continue  # works in a shop this account does not have (--shops)
            self.employees.append(
                {
                    "employeeID": emp_id,
                    "firstName": first,
                    "lastName": last,
                    "lockOut": "false",
                    "archived": b(archived),
                    "timeStamp": base,
                    "contactID": str(200 + int(emp_id)),
                    "clockInEmployeeHoursID": "0",
                    "employeeRoleID": "1" if emp_id == "1" else "2",
                    "limitToShopID": shop,
                    "lastShopID": shop if shop != "0" else self.shop_ids[0],
                    "lastSaleID": "0",
                    "lastRegisterID": "0",
                    "_email": f"{first.lower()}@example.com",
                }
            )
        self.payment_types = [
            {
                "paymentTypeID": pid,
                "name": name,
                "requireCustomer": b(req),
                "archived": b(archived),
                "internalReserved": b(reserved),
                "type": ptype,
                "refundAsPaymentTypeID": "0",
            }
            for pid, name, ptype, archived, reserved, req in PAYMENT_TYPES
        ]
        self.tax_classes = [
            {"taxClassID": "1", "name": "Item", "timeStamp": base},
            {"taxClassID": "2", "name": "Labor", "timeStamp": base},
        ]
        self.tax_categories = []
        used = {s[3] for s in self.shop_specs}
        for tid, inclusive, n1, r1, n2, r2, labour in TAX_CATEGORIES:
            if tid not in used:
                continue  # only the tax categories of this account's shops
            self.tax_categories.append(
                {
                    "taxCategoryID": tid,
                    "isTaxInclusive": b(inclusive),
                    "tax1Name": n1,
                    "tax2Name": n2,
                    "tax1Rate": r1,
                    "tax2Rate": r2,
                    "timeStamp": base,
                    "_classes": [
                        {
                            "taxCategoryClassID": tid,
                            "taxCategoryID": tid,
                            "taxClassID": "2",
                            "tax1Rate": labour[0],
                            "tax2Rate": labour[1],
                            "timeStamp": base,
                        }
                    ],
                }
            )
        self.tax_by_id = {t["taxCategoryID"]: t for t in self.tax_categories}
        self.categories = [
            {
                "categoryID": cid,
                "name": name,
                "nodeDepth": str(path.count("/")),
                "fullPathName": path,
                "leftNode": str(2 * int(cid)),
                "rightNode": str(2 * int(cid) + 1),
                "parentID": parent,
                "createTime": base,
                "timeStamp": base,
            }
            for cid, name, path, parent in CATEGORIES
        ]
        self.items = []
        for n in range(1, ITEM_COUNT + 1):
            item_id = str(n)
            word, category = ITEM_WORDS[n % len(ITEM_WORDS)]
            price = Decimal(rng.randint(300, 15000)) / 100
            item_type = "default"
            tax_class = "1"
            if item_id in LABOUR_ITEMS:
                word, category, tax_class, item_type = "Tune-up", "5", "2", "non_inventory"
            if item_id == GIFT_CARD_ITEM:
                word, category, item_type, price = "Gift Card", "0", "non_inventory", Decimal(25)
            self.items.append(
                {
                    "itemID": item_id,
                    "systemSku": f"21{n:010d}",
                    "defaultCost": fmt(round2(price * Decimal("0.45"))),
                    "avgCost": fmt(round2(price * Decimal("0.45"))),
                    "discountable": b(item_id != GIFT_CARD_ITEM),
                    "tax": b(item_id != GIFT_CARD_ITEM),
                    "archived": b(item_id in ARCHIVED_ITEMS),
                    "itemType": item_type,
                    "serialized": "false",
                    "description": f"{word} #{n}",
                    "modelYear": "0",
                    "upc": f"0{n:011d}" if n % 2 == 0 else "",
                    "ean": f"871{n:010d}" if n % 3 == 0 else "",
                    "customSku": f"SKU-{n:04d}",
                    "manufacturerSku": "",
                    "createTime": base,
                    "timeStamp": base,
                    "publishToEcom": "false",
                    "categoryID": category,
                    "taxClassID": tax_class,
                    "departmentID": "0",
                    "itemMatrixID": "0",
                    "manufacturerID": "0",
                    "seasonID": "0",
                    "defaultVendorID": "0",
                    "_price": price,
                }
            )
        self.active_items = [
            i["itemID"]
            for i in self.items
            if i["archived"] == "false" and i["itemID"] != GIFT_CARD_ITEM
        ]
        self.item_matrices = build_item_matrices(base)
        self.items.extend(build_matrix_items(base))
        extra = build_extra_items(base, self.extra_items)
        self.items.extend(extra)
        self.active_items.extend(i["itemID"] for i in extra)
        self.item_by_id = {i["itemID"]: i for i in self.items}
        # counts set by Item PUT or the admin hooks: {(itemID, shopID): qoh}
        self.stock = {}
        self.customers = [self._build_customer(n, base) for n in range(1, CUSTOMER_COUNT + 1)]

    @staticmethod
    def _build_customer(n, base):
        """Customer ``n`` with its Contact (``_contact``), derived from ``n`` alone (no RNG):
        the other generated data of a seed do not move. Every customer has a Primary email
        (n%5==1: a Secondary one too, listed first); a Mobile unless n%4==0, a Home number when
        n%3==0, a Fax when n%10==0; an address (New York, Amsterdam or Vancouver by n%3) unless
        n%6==5; companies (n%9==0, "Acme BV", with a VAT number and a website; 27 is a company
        without a person); noEmail n%8==5, noPhone n%10==7, noMail n%12==11; 40 is archived."""
        first = FIRST_NAMES[n % len(FIRST_NAMES)]
        last = LAST_NAMES[(n * 3) % len(LAST_NAMES)]
        company = "Acme BV" if n % 9 == 0 else ""
        emails = [(f"{first.lower()}.{last.lower()}{n}@example.com", "Primary")]
        if n % 5 == 1:
            emails.insert(0, (f"{first.lower()}{n}@work.example.com", "Secondary"))
        phones = [] if n % 4 == 0 else [(f"416-555-{n:04d}", "Mobile")]
        if n % 3 == 0:
            phones.append((f"212-555-{n:04d}", "Home"))
        if n % 10 == 0:
            phones.append((f"212-555-9{n:03d}", "Fax"))
        addresses = []
        if n % 6 != 5:
            street, street2, city, state, code, zip_code, country, country_code = (
                CUSTOMER_ADDRESSES[n % 3]
            )
            addresses.append(
                {
                    "address1": street.format(n=n),
                    "address2": street2,
                    "city": city,
                    "state": state,
                    "stateCode": code,
                    "zip": zip_code,
                    "country": country,
                    "countryCode": country_code,
                }
            )
        if n == 27:
            first = last = ""
        return {
            "customerID": str(n),
            "firstName": first,
            "lastName": last,
            "title": "",
            "company": company,
            "companyRegistrationNumber": "",
            "vatNumber": f"NL{n:09d}B01" if company else "",
            "archived": b(n == CUSTOMER_COUNT),
            "createTime": base,
            "timeStamp": base,
            "creditAccountID": "0",
            "customerTypeID": "1",
            "discountID": "0",
            "taxCategoryID": "0",
            "contactID": str(300 + n),
            "_contact": {
                "emails": emails,
                "phones": phones,
                "addresses": addresses,
                "websites": ["www.acme.example"] if company else [],
                "noEmail": n % 8 == 5,
                "noPhone": n % 10 == 7,
                "noMail": n % 12 == 11,
            },
        }

    def customer(self, customer_id):
        for customer in self.customers:
            if customer["customerID"] == str(customer_id):
                return customer
        return None

    def add_customer(self, first_name="", last_name="", company="", email=None):
        """A new customer (next id, stamped now) with a Primary email, no phone, no address."""
        n = max((int(c["customerID"]) for c in self.customers), default=0) + 1
        customer = self._build_customer(n, ts(self.stamp()))
        customer.update(firstName=first_name, lastName=last_name, company=company, vatNumber="")
        customer["_contact"] = {
            "emails": [(email, "Primary")] if email else [],
            "phones": [],
            "addresses": [],
            "websites": [],
            "noEmail": False,
            "noPhone": False,
            "noMail": False,
        }
        self.customers.append(customer)
        return customer

    def touch_customer(self, customer):
        """A change: the customer's ``timeStamp`` (and its Contact's) moves to now."""
        customer["timeStamp"] = ts(self.stamp())

    def item_shops(self, item):
        """ItemShop rows of an item: one per shop plus the ``shopID "0"`` row Lightspeed sends
        with the account-wide totals (spec §13). Stock is a stable hash, not the static RNG."""
        stocked = item["itemType"] == "default" and item["archived"] == "false"
        rows, total = [], 0
        for shop in self.shops:
            qoh = int(unit_hash(self.seed, "qoh", item["itemID"], shop["shopID"]) * 25)
            qoh = self.stock.get((item["itemID"], shop["shopID"]), qoh if stocked else 0)
            total += qoh
            rows.append(self._item_shop(item, shop["shopID"], qoh, "3" if stocked else "0"))
        return [self._item_shop(item, "0", total, "0"), *rows]

    @staticmethod
    def _item_shop(item, shop_id, qoh, reorder):
        return {
            "itemShopID": str(int(item["itemID"]) * 10 + int(shop_id)),
            "qoh": str(qoh),
            "sellable": str(qoh),
            "backorder": "0",
            "componentQoh": "0",
            "componentBackorder": "0",
            "reorderPoint": reorder,
            "reorderLevel": "0" if reorder == "0" else "10",
            "timeStamp": item["timeStamp"],
            "itemID": item["itemID"],
            "shopID": shop_id,
        }

    def employee(self, employee_id):
        for emp in self.employees:
            if emp["employeeID"] == str(employee_id):
                return emp
        return None

    # -- employee hours ------------------------------------------------------------------
    def _build_hours(self):
        rng = random.Random(f"{self.seed}:hours")
        rows = []
        start_day = datetime.fromtimestamp(self.start_ts, timezone.utc).date()
        for emp_id, _first, _last, shop, archived in EMPLOYEES:
            if emp_id == "1" or shop not in self.zones:
                continue
            for offset in range(self.days + 1):
                day = start_day + timedelta(days=offset)
                if archived and offset > self.days // 3:
                    break
                if rng.random() < 0.3 and emp_id != "2":
                    continue
                begin = 8 * 3600 + rng.randint(0, 5400)
                length = rng.randint(4 * 3600, 9 * 3600)
                check_in = int(self.local_epoch(shop, day, begin))
                check_out = check_in + length
                if check_in < self.start_ts or check_in >= self.now_ts - 60:
                    continue
                row = {"employeeID": emp_id, "shopID": shop, "_in": check_in, "_out": check_out}
                if check_out >= self.now_ts:
                    row["_out"] = None
                rows.append(row)
        emp2_open = any(r["employeeID"] == "2" and r["_out"] is None for r in rows)
        if not emp2_open and "1" in self.zones:  # employee 2 works in shop 1
            rows = [
                r
                for r in rows
                if not (r["employeeID"] == "2" and r["_in"] > self.now_ts - 86400 / 2)
            ]
            rows.append(
                {"employeeID": "2", "shopID": "1", "_in": int(self.now_ts - 7200), "_out": None}
            )
        rows.sort(key=lambda r: (r["_in"], r["employeeID"]))
        hours = {}
        for n, row in enumerate(rows, start=1):
            row["employeeHoursID"] = str(n)
            hours[str(n)] = row
        self._refresh_clock_ins(hours)
        return hours

    def _refresh_clock_ins(self, hours=None):
        hours = self.hours if hours is None else hours
        open_by_emp = {}
        for row in hours.values():
            if row["_out"] is None:
                open_by_emp[row["employeeID"]] = row["employeeHoursID"]
        for emp in self.employees:
            emp["clockInEmployeeHoursID"] = open_by_emp.get(emp["employeeID"], "0")

    def hours_record(self, row):
        rec = {
            "employeeHoursID": row["employeeHoursID"],
            "checkIn": ts(row["_in"]),
            "employeeID": row["employeeID"],
            "shopID": row["shopID"],
        }
        if row["_out"] is not None:
            rec["checkOut"] = ts(row["_out"])
        elif "null_dates" in self.chaos:
            rec["checkOut"] = None
        return rec

    def add_shift(self, employee_id, shop_id, check_in, check_out=None):
        new_id = str(max((int(k) for k in self.hours), default=0) + 1)
        self.hours[new_id] = {
            "employeeHoursID": new_id,
            "employeeID": str(employee_id),
            "shopID": str(shop_id),
            "_in": int(check_in),
            "_out": None if check_out is None else int(check_out),
        }
        self._refresh_clock_ins()
        return new_id

    # -- sale voids ----------------------------------------------------------------------
    def _append_void(self, sale_id, reason, when):
        header = self.sales.header(sale_id)
        self.sale_voids.append(
            {
                "saleVoidID": str(len(self.sale_voids) + 1),
                "createTime": ts(when),
                "reason": reason,
                "saleID": str(sale_id),
                "employeeID": header["employeeID"],
                "shopID": header["shopID"],
            }
        )


_KIND_THRESHOLDS = (
    (0.06, REFUND),
    (0.08, EXCHANGE),
    (0.11, OPEN),
    (0.13, ABANDONED),
    (0.16, VOIDED),
    (0.20, MODIFIED),
)


def _pick_kind(r):
    for threshold, kind in _KIND_THRESHOLDS:
        if r < threshold:
            return kind
    return NORMAL


def loaded_amounts(payments):
    """Money loaded on credit accounts / gift cards by negative payments of those types:
    ``totalDue`` adds both to ``total``, ``displayableTotal`` gift cards only (spec §6.5)."""
    loaded = {CREDIT_ACCOUNT: ZERO, GIFT_CARD: ZERO}
    for p in payments:
        if p["paymentTypeID"] in loaded and p["archived"] == "false" and Decimal(p["amount"]) < 0:
            loaded[p["paymentTypeID"]] -= Decimal(p["amount"])
    return loaded


def compute_line(qty, price, pct, amount, trans_pct, rate1, rate2, inclusive, taxable):
    """Line arithmetic of spec 6.5: discounts rounded to cents, taxes unrounded."""
    subtotal = qty * price
    if pct:
        line_disc = round2(subtotal * pct)
    elif amount:
        line_disc = round2(amount) * (1 if qty > 0 else -1)
    else:
        line_disc = ZERO
    trans = round2((subtotal - line_disc) * trans_pct) if trans_pct else ZERO
    base = subtotal - line_disc - trans
    if not taxable:
        tax1 = tax2 = ZERO
        total = base
    elif inclusive:
        rate = rate1 + rate2
        tax_all = (base - base / (1 + rate)).quantize(SEVEN, rounding=ROUND_HALF_UP)
        tax1 = (tax_all * rate1 / rate).quantize(SEVEN, rounding=ROUND_HALF_UP) if rate else ZERO
        tax2 = tax_all - tax1
        total = base
    else:
        tax1 = base * rate1
        tax2 = base * rate2
        total = base + tax1 + tax2
    return {
        "subtotal": subtotal,
        "line_disc": line_disc,
        "trans": trans,
        "base": base,
        "tax1": tax1,
        "tax2": tax2,
        "total": total,
    }


class SalesStore:
    """Compact per-sale headers + lazily generated bodies (see module docstring)."""

    HEADER_FIELDS = frozenset(
        {
            "saleID",
            "shopID",
            "registerID",
            "employeeID",
            "customerID",
            "completed",
            "voided",
            "archived",
            "createTime",
            "completeTime",
            "updatetime",
            "timeStamp",
            "ticketNumber",
        }
    )

    def __init__(self, world, count):
        self.world = world
        self.count = 0
        self.shop, self.register, self.employee, self.customer, self.kind = [], [], [], [], []
        self.create, self.complete, self.update = [], [], []
        self.overrides = {}
        self._cache = OrderedDict()
        self._orders = {}
        self._generate(count)

    # -- headers -------------------------------------------------------------------------
    def _generate(self, count):
        world = self.world
        rng = random.Random(f"{world.seed}:sales")
        span = world.now_ts - world.start_ts
        shop_regs = {s[0]: s[4] for s in world.shop_specs}
        shop_emps = {
            shop: [e[0] for e in EMPLOYEES if e[3] in (shop, "0") and not e[4]]
            for shop in shop_regs
        }
        # index 0 unused so that arrays are addressed by saleID
        for arr in (self.shop, self.register, self.employee, self.customer, self.kind):
            arr.append(0)
        for arr in (self.create, self.complete, self.update):
            arr.append(0.0)
        day_cache = {}
        sale_shops = tuple(s for s in SALE_SHOPS if s in shop_regs)  # all shops: SALE_SHOPS
        deposits = world.deposits_share
        for i in range(1, count + 1):
            shop = rng.choice(sale_shops)
            register = rng.choice(shop_regs[shop])
            frac = (i - 0.5) / count
            employee = rng.choice(shop_emps[shop])
            if frac < 0.3 and shop == "1" and rng.random() < 0.3:
                employee = "8"  # archived employee referenced by old sales
            kind = NORMAL if i <= 3 else _pick_kind(rng.random())
            target = world.start_ts + frac * span
            key = (shop, int(target // 3600))
            day = day_cache.get(key)
            if day is None:
                day = day_cache[key] = world.local_date(shop, target)
            created = world.local_epoch(shop, day, 9 * 3600 + rng.randint(0, 11 * 3600))
            if created >= world.now_ts - 1800:
                created -= 86400
            if created < world.start_ts:
                created += 86400
            created = float(int(created))
            duration = rng.randint(30, 900)
            complete = created + duration
            if kind in (OPEN, ABANDONED):
                update = created + duration
                complete = 0.0
            elif kind == MODIFIED or kind == VOIDED:
                update = min(complete + rng.randint(600, 3 * 86400), world.now_ts - 1)
                update = max(update, complete + 1)
            else:
                update = complete + 1
            customer = rng.randint(1, CUSTOMER_COUNT) if rng.random() < 0.3 else 0
            if deposits and i > 3 and unit_hash(world.seed, "deposit", i) < deposits:
                # decided aside from ``rng`` and after every draw: the other sales do not move
                kind, complete = DEPOSIT, created + duration
                update = complete + 1
                customer = customer or 1 + i % (CUSTOMER_COUNT - 1)  # an account needs one
            self.shop.append(shop)
            self.register.append(register)
            self.employee.append(employee)
            self.customer.append(customer)
            self.kind.append(kind)
            self.create.append(created)
            self.complete.append(complete)
            self.update.append(update)
        self.count = count

    def ids_of_kind(self, kind):
        return [i for i in range(1, self.count + 1) if self.kind[i] == kind]

    def exists(self, sale_id):
        return 1 <= sale_id <= self.count

    def header(self, i):
        if i in self.overrides:
            sale = self.overrides[i]["sale"]
            return {k: v for k, v in sale.items() if k in self.HEADER_FIELDS}
        kind = self.kind[i]
        rec = {
            "saleID": str(i),
            "ticketNumber": f"22{i:010d}",
            "shopID": self.shop[i],
            "registerID": self.register[i],
            "employeeID": self.employee[i],
            "customerID": str(self.customer[i]),
            "completed": b(kind not in (OPEN, ABANDONED)),
            "voided": b(kind == VOIDED),
            "archived": b(kind == ABANDONED),
            "createTime": ts(self.create[i]),
            "updatetime": ts(self.update[i]),
            "timeStamp": ts(self.update[i]),
        }
        if self.complete[i]:
            rec["completeTime"] = ts(self.complete[i])
        return rec

    # -- sort orders ---------------------------------------------------------------------
    def order(self, field):
        """Sorted ``[(key, saleID)]`` for a time sort field (cached until a mutation)."""
        cached = self._orders.get(field)
        if cached is not None:
            return cached
        source = {
            "updatetime": self.update,
            "timeStamp": self.update,
            "completeTime": self.complete,
            "createTime": self.create,
        }[field]
        result = sorted((source[i], i) for i in range(1, self.count + 1))
        self._orders[field] = result
        return result

    def _touch(self, i, old_update, new_update):
        for field in ("updatetime", "timeStamp"):
            order = self._orders.get(field)
            if order is not None:
                try:
                    order.remove((old_update, i))
                except ValueError:
                    pass
                insort(order, (new_update, i))
        self._orders.pop("completeTime", None)
        self._orders.pop("createTime", None)

    # -- bodies --------------------------------------------------------------------------
    def full(self, i):
        """``{"sale": {...}, "lines": [...], "payments": [...]}`` for sale ``i``."""
        if i in self.overrides:
            return self.overrides[i]
        cached = self._cache.get(i)
        if cached is not None:
            self._cache.move_to_end(i)
            return cached
        record = self._build(i)
        self._cache[i] = record
        if len(self._cache) > 4000:
            self._cache.popitem(last=False)
        return record

    def _parent_for(self, i):
        shop = self.shop[i]
        for j in range(i - 1, max(0, i - 400), -1):
            if (
                self.kind[j] == NORMAL
                and self.shop[j] == shop
                and self.complete[j] < self.create[i]
            ):
                return j
        return None

    def _build(self, i):
        world = self.world
        rng = random.Random(f"{world.seed}:sale:{i}")
        kind = self.kind[i]
        shop = self.shop[i]
        parent = self._parent_for(i) if kind in (REFUND, EXCHANGE) else None
        if kind in (REFUND, EXCHANGE) and parent is None:
            kind = NORMAL
        specs = []  # (item_id, qty, price, pct, amount, parent_line_id, note)
        trans_pct = ZERO
        if parent is not None:
            parent_lines = [ln for ln in self.full(parent)["lines"] if ln["itemID"] != "0"]
            parent_lines = parent_lines or self.full(parent)["lines"]
            chosen = rng.sample(parent_lines, rng.randint(1, min(2, len(parent_lines))))
            for line in chosen:
                qty = -rng.randint(1, int(Decimal(line["unitQuantity"])))
                specs.append(
                    (
                        line["itemID"],
                        qty,
                        Decimal(line["unitPrice"]),
                        Decimal(line["discountPercent"]),
                        ZERO,
                        line["saleLineID"],
                        line.get("_note"),
                    )
                )
            if kind == EXCHANGE:
                specs.append(self._new_line_spec(rng, i))
        else:
            n_lines = 1 if rng.random() < 0.25 else rng.randint(2, 5)
            specs = [self._new_line_spec(rng, i) for _ in range(n_lines)]
            if rng.random() < 0.08:
                trans_pct = Decimal(rng.choice(("0.05", "0.1")))
            if rng.random() < 0.03:
                specs.append((GIFT_CARD_ITEM, 1, Decimal(25), ZERO, ZERO, "0", None))
        customer = str(self.customer[i])
        if parent is not None:
            customer = str(self.customer[parent])
        if kind == DEPOSIT:
            return self._build_deposit(i, shop, customer, rng)
        return self.compose(i, kind, shop, specs, trans_pct, customer, rng, parent_sale=parent)

    def _build_deposit(self, i, shop, customer, rng):
        """A gift-card top-up or credit-account deposit (spec §7.4, §12.7).

        Shape chosen: ``total`` 0, one misc line of price 0 carrying the Note (the reference
        says the top-up "shows as a SaleLine"; captures show a zero-total sale), a +amount
        tender and a -amount payment of the gift card / credit account type.
        """
        deposit_type = GIFT_CARD if rng.random() < 0.6 else CREDIT_ACCOUNT
        note = "Gift card top-up" if deposit_type == GIFT_CARD else "Credit account deposit"
        amount = Decimal(rng.choice((10, 20, 25, 50, 75, 100, 150)))
        tender = rng.choice((CASH, CASH, "5", "7"))
        specs = [("0", 1, ZERO, ZERO, ZERO, "0", note)]
        deposit = (tender, amount, deposit_type)
        return self.compose(i, DEPOSIT, shop, specs, ZERO, customer, rng, deposit=deposit)

    def _new_line_spec(self, rng, i):
        world = self.world
        frac = i / max(self.count, 1)
        if rng.random() < 0.08:
            price = Decimal(rng.randint(100, 4000)) / 100
            return ("0", 1, price, ZERO, ZERO, "0", rng.choice(["Custom repair", "Engraving"]))
        pool = world.active_items
        item_id = rng.choice(pool)
        if frac < 0.3 and rng.random() < 0.05:
            item_id = rng.choice(sorted(ARCHIVED_ITEMS))
        qty = rng.choice((1, 1, 1, 2, 3))
        price = world.item_by_id[item_id]["_price"]
        pct = amount = ZERO
        r = rng.random()
        if r < 0.15:
            pct = Decimal(rng.choice(("0.1", "0.15", "0.2")))
        elif r < 0.2:
            amount = min(Decimal(rng.randint(1, 5)), price)
        return (item_id, qty, price, pct, amount, "0", None)

    def compose(
        self, i, kind, shop, specs, trans_pct, customer, rng, parent_sale=None, deposit=None
    ):
        """Build canonical sale/lines/payments with spec 6.5 arithmetic.

        ``deposit`` = (tender type, amount, deposit type) pays a deposit instead of the total.
        """
        world = self.world
        taxcat = world.tax_by_id[{s[0]: s[3] for s in world.shop_specs}[shop]]
        inclusive = taxcat["isTaxInclusive"] == "true"
        created, complete, update = self.create[i], self.complete[i], self.update[i]
        employee = self.employee[i]
        stamp = ts(update)
        lines = []
        sums = dict(subtotal=ZERO, disc=ZERO, tax1=ZERO, tax2=ZERO, taxable=ZERO, nontax=ZERO)
        for k, (item_id, qty, price, pct, amount, parent_line, note) in enumerate(specs):
            item = world.item_by_id.get(item_id)
            taxable = item is None or item["tax"] == "true"
            tax_class = item["taxClassID"] if item else "1"
            if tax_class == "2":
                override = taxcat["_classes"][0]
                rate1, rate2 = Decimal(override["tax1Rate"]), Decimal(override["tax2Rate"])
            else:
                rate1, rate2 = Decimal(taxcat["tax1Rate"]), Decimal(taxcat["tax2Rate"])
            qty = Decimal(qty)
            calc = compute_line(
                qty, price, pct, amount, trans_pct, rate1, rate2, inclusive, taxable
            )
            line_id = i * 10 + k
            line = {
                "saleLineID": str(line_id),
                "createTime": ts(created + 20 * k),
                "timeStamp": stamp,
                "unitQuantity": fmt(qty),
                "unitPrice": fmt(price),
                "normalUnitPrice": "0",
                "discountAmount": fmt(amount),
                "discountPercent": fmt(pct),
                "avgCost": item["avgCost"] if item else "0",
                "fifoCost": item["avgCost"] if item else "0",
                "tax": b(taxable),
                "tax1Rate": fmt(rate1 if taxable else ZERO),
                "tax2Rate": fmt(rate2 if taxable else ZERO),
                "isLayaway": "false",
                "isWorkorder": "false",
                "isSpecialOrder": "false",
                "displayableSubtotal": fmt(calc["subtotal"] - calc["line_disc"]),
                "displayableUnitPrice": fmt(price),
                "lineType": "",
                "calcLineDiscount": fmt(calc["line_disc"]),
                "calcTransactionDiscount": fmt(calc["trans"]),
                "calcTotal": fmt(calc["total"]),
                "calcSubtotal": fmt(calc["subtotal"]),
                "calcTax1": fmt(calc["tax1"]),
                "calcTax2": fmt(calc["tax2"]),
                "taxClassID": tax_class,
                "customerID": customer,
                "discountID": "0",
                "employeeID": employee,
                "itemID": item_id,
                "noteID": str(line_id) if note else "0",
                "parentSaleLineID": parent_line,
                "shopID": shop,
                "taxCategoryID": taxcat["taxCategoryID"],
                "saleID": str(i),
                "itemFeeID": "0",
            }
            if note:
                line["_note"] = note
            lines.append(line)
            sums["subtotal"] += calc["subtotal"]
            sums["disc"] += calc["line_disc"] + calc["trans"]
            sums["tax1"] += calc["tax1"]
            sums["tax2"] += calc["tax2"]
            sums["taxable" if taxable else "nontax"] += calc["base"]
        tax1, tax2 = round2(sums["tax1"]), round2(sums["tax2"])
        if inclusive:
            total = sums["subtotal"] - sums["disc"]
        else:
            total = sums["subtotal"] - sums["disc"] + tax1 + tax2
        completed = kind not in (OPEN, ABANDONED)
        payments = []
        if deposit is not None:
            tender, amount, deposit_type = deposit
            payments = [
                self._payment(i, 0, tender, amount, complete or created),
                self._payment(i, 1, deposit_type, -amount, complete or created),
            ]
        elif completed:
            payments = self._payments(i, total, rng, created, complete, parent_sale)
            if parent_sale is None and total > 0:
                self._add_tip(i, payments)
        paid = sum((Decimal(p["amount"]) for p in payments), ZERO)
        tips = sum((Decimal(p["tipAmount"]) for p in payments), ZERO)
        change = ZERO
        if len(payments) == 1 and payments[0]["paymentTypeID"] == "1" and total > 0:
            change = Decimal(rng.choice(("0", "0", "0.25", "1.5", "5")))
        zero_share = world.zero_payments_share
        if completed and zero_share and unit_hash(world.seed, "zero-payment", i) < zero_share:
            # real completed sales carry non-archived 0-amount rows (spec §12.3): pure noise
            payments.append(self._payment(i, len(payments), CASH, ZERO, complete or created))
        loaded = loaded_amounts(payments)
        sale = {
            "saleID": str(i),
            "timeStamp": stamp,
            "discountPercent": "0",
            "completed": b(completed),
            "archived": b(kind == ABANDONED),
            "voided": b(kind == VOIDED),
            "enablePromotions": "true",
            "isTaxInclusive": b(inclusive),
            "tipEnabled": b(tips),
            "createTime": ts(created),
            "updatetime": ts(update),
            "referenceNumber": "",
            "referenceNumberSource": "",
            "tax1Rate": taxcat["tax1Rate"],
            "tax2Rate": taxcat["tax2Rate"],
            "change": fmt(change),
            "receiptPreference": "printed",
            "displayableSubtotal": fmt(sums["subtotal"] - sums["disc"]),
            "ticketNumber": f"22{i:010d}",
            "calcDiscount": fmt(sums["disc"]),
            "calcTotal": fmt(total),
            "calcSubtotal": fmt(sums["subtotal"]),
            "calcTaxable": fmt(sums["taxable"]),
            "calcNonTaxable": fmt(sums["nontax"]),
            "calcAvgCost": "0",
            "calcFIFOCost": "0",
            "calcTax1": fmt(tax1),
            "calcTax2": fmt(tax2),
            # tenders include their tips; what pays the sale is the rest (balance 0)
            "calcPayments": fmt(paid - tips),
            "calcTips": fmt(tips),
            "total": fmt(total),
            "totalDue": fmt(total + loaded[CREDIT_ACCOUNT] + loaded[GIFT_CARD]),
            "displayableTotal": fmt(total + loaded[GIFT_CARD]),
            "balance": fmt(total - paid + tips),
            "taxTotal": fmt(tax1 + tax2),
            "customerID": customer,
            "discountID": "0",
            "employeeID": employee,
            "quoteID": "0",
            "registerID": self.register[i],
            "shipToID": "0",
            "shopID": shop,
            "taxCategoryID": taxcat["taxCategoryID"],
            "tipEmployeeID": employee if tips else "0",
        }
        if complete:
            sale["completeTime"] = ts(complete)
        return {"sale": sale, "lines": lines, "payments": payments, "kind": kind}

    def _payment(self, i, k, type_id, amount, pay_time):
        return {
            "salePaymentID": str(i * 10 + k),
            "amount": fmt(amount),
            "tipAmount": "0",
            "createTime": ts(pay_time - 10 + k),
            "archived": "false",
            "remoteReference": "",
            "paymentID": "",
            "saleID": str(i),
            "paymentTypeID": type_id,
            "ccChargeID": "0",
            "refPaymentID": "0",
            "registerID": self.register[i],
            "employeeID": self.employee[i],
            "creditAccountID": "0",
        }

    def _add_tip(self, i, payments):
        """With ``tips_share``: a tip of 10-20 % on the last card tender of a sale (cash tips
        go to the jar, not through the till). Lightspeed adds the tip to the tender's
        ``amount`` and repeats it in ``tipAmount`` (spec §6.7, §7.4). Drawn from
        ``unit_hash``, so the other sales do not move."""
        share = self.world.tips_share
        if not share or unit_hash(self.world.seed, "tip", i) >= share:
            return
        cards = [p for p in payments if p["paymentTypeID"] in CARD_TYPES]
        if not cards:
            return
        card = cards[-1]
        rate = Decimal(10 + int(unit_hash(self.world.seed, "tip-rate", i) * 11)) / 100
        tip = round2(Decimal(card["amount"]) * rate)
        if tip > 0:
            card["amount"] = fmt(Decimal(card["amount"]) + tip)
            card["tipAmount"] = fmt(tip)

    def _payments(self, i, total, rng, created, complete, parent_sale):
        pay_time = complete or created

        def payment(k, type_id, amount):
            return self._payment(i, k, type_id, amount, pay_time)

        if total == 0:
            return []
        if total < 0 or parent_sale is not None:
            return [payment(0, rng.choice(("1", "5")), total)]
        r = rng.random()
        if r < 0.2 and total > 10:
            cash = Decimal(int(total * Decimal("0.4")))
            second = rng.choice(("5", "6", "7", "4"))
            return [payment(0, "1", cash), payment(1, second, total - cash)]
        type_id = rng.choice(("1", "1", "5", "6", "7", "2", "4"))
        return [payment(0, type_id, total)]

    # -- mutations -----------------------------------------------------------------------
    def materialise(self, i):
        record = self.full(i)
        if i not in self.overrides:
            self.overrides[i] = {
                "sale": dict(record["sale"]),
                "lines": [dict(x) for x in record["lines"]],
                "payments": [dict(x) for x in record["payments"]],
                "kind": record["kind"],
            }
            self._cache.pop(i, None)
        return self.overrides[i]

    def bump(self, i, stamp):
        record = self.materialise(i)
        old = self.update[i]
        self.update[i] = stamp
        record["sale"]["updatetime"] = ts(stamp)
        record["sale"]["timeStamp"] = ts(stamp)
        for line in record["lines"]:
            line["timeStamp"] = ts(stamp)
        self._touch(i, old, stamp)

    def add(self, complete_ts=None, shop=None, lines=None, stamp=None, customer=None):
        """Append a new completed sale (of ``customer``, an id, if given); returns its id."""
        world = self.world
        i = self.count + 1
        rng = random.Random(f"{world.seed}:added:{i}")
        shop = str(shop or rng.choice(world.shop_ids))
        complete_ts = float(int(complete_ts or world.stamp()))
        stamp = stamp or world.stamp()
        regs = {s[0]: s[4] for s in world.shop_specs}[shop]
        emps = [e[0] for e in EMPLOYEES if e[3] in (shop, "0") and not e[4]]
        self.shop.append(shop)
        self.register.append(rng.choice(regs))
        self.employee.append(rng.choice(emps))
        self.customer.append(int(customer or 0))
        self.kind.append(NORMAL)
        self.create.append(complete_ts - 120)
        self.complete.append(complete_ts)
        self.update.append(stamp)
        self.count = i
        n = lines or rng.randint(1, 3)
        specs = [self._new_line_spec(rng, i) for _ in range(n)]
        self.overrides[i] = self.compose(i, NORMAL, shop, specs, ZERO, str(customer or 0), rng)
        self._orders.clear()
        return i

    def recompute(self, i):
        """Recompute line and sale totals of a materialised sale after an edit."""
        world = self.world
        record = self.overrides[i]
        sale = record["sale"]
        taxcat = world.tax_by_id[sale["taxCategoryID"]]
        inclusive = taxcat["isTaxInclusive"] == "true"
        sums = dict(subtotal=ZERO, disc=ZERO, tax1=ZERO, tax2=ZERO, taxable=ZERO, nontax=ZERO)
        for line in record["lines"]:
            qty, price = Decimal(line["unitQuantity"]), Decimal(line["unitPrice"])
            taxable = line["tax"] == "true"
            subtotal = qty * price
            trans_pct = ZERO
            base_before = subtotal - Decimal(line["calcLineDiscount"])
            if Decimal(line["calcTransactionDiscount"]) and base_before:
                trans_pct = (Decimal(line["calcTransactionDiscount"]) / base_before).quantize(
                    Decimal("0.01")
                )
            calc = compute_line(
                qty,
                price,
                Decimal(line["discountPercent"]),
                Decimal(line["discountAmount"]),
                trans_pct,
                Decimal(line["tax1Rate"]),
                Decimal(line["tax2Rate"]),
                inclusive,
                taxable,
            )
            line.update(
                calcSubtotal=fmt(calc["subtotal"]),
                calcLineDiscount=fmt(calc["line_disc"]),
                calcTransactionDiscount=fmt(calc["trans"]),
                displayableSubtotal=fmt(calc["subtotal"] - calc["line_disc"]),
                calcTax1=fmt(calc["tax1"]),
                calcTax2=fmt(calc["tax2"]),
                calcTotal=fmt(calc["total"]),
            )
            sums["subtotal"] += calc["subtotal"]
            sums["disc"] += calc["line_disc"] + calc["trans"]
            sums["tax1"] += calc["tax1"]
            sums["tax2"] += calc["tax2"]
            sums["taxable" if taxable else "nontax"] += calc["base"]
        tax1, tax2 = round2(sums["tax1"]), round2(sums["tax2"])
        total = sums["subtotal"] - sums["disc"] + (ZERO if inclusive else tax1 + tax2)
        payments = [p for p in record["payments"] if p["archived"] == "false"]
        # the last real tender absorbs the change: never a 0-amount row, nor a deposit (< 0)
        # when a positive tender exists (a refund's only tender is negative)
        nonzero = [p for p in payments if Decimal(p["amount"]) != 0]
        tenders = [p for p in nonzero if Decimal(p["amount"]) > 0] or nonzero or payments
        if tenders:
            # a tender's amount includes its tip: the tips stay as they were
            target = tenders[-1]
            others = sum(
                (
                    Decimal(p["amount"]) - Decimal(p["tipAmount"])
                    for p in payments
                    if p is not target
                ),
                ZERO,
            )
            target["amount"] = fmt(total - others + Decimal(target["tipAmount"]))
        paid = sum((Decimal(p["amount"]) for p in payments), ZERO)
        tips = sum((Decimal(p["tipAmount"]) for p in payments), ZERO)
        loaded = loaded_amounts(payments)
        sale.update(
            calcSubtotal=fmt(sums["subtotal"]),
            calcDiscount=fmt(sums["disc"]),
            displayableSubtotal=fmt(sums["subtotal"] - sums["disc"]),
            calcTax1=fmt(tax1),
            calcTax2=fmt(tax2),
            taxTotal=fmt(tax1 + tax2),
            total=fmt(total),
            calcTotal=fmt(total),
            totalDue=fmt(total + loaded[CREDIT_ACCOUNT] + loaded[GIFT_CARD]),
            displayableTotal=fmt(total + loaded[GIFT_CARD]),
            calcPayments=fmt(paid - tips),
            calcTips=fmt(tips),
            balance=fmt(total - paid + tips),
            calcTaxable=fmt(sums["taxable"]),
            calcNonTaxable=fmt(sums["nontax"]),
        )


def contact_payload(customer):
    """The ``Contact`` of a customer as Lightspeed renders it (spec §6.10): one element of a
    collection is an object, an empty collection is ``""``."""
    contact = customer["_contact"]

    def collection(wrapper, items):
        return {wrapper: items[0] if len(items) == 1 else items} if items else ""

    return {
        "contactID": customer.get("contactID", "0"),
        "custom": "",
        **{flag: b(contact[flag]) for flag in CONTACT_FLAGS},
        "timeStamp": customer["timeStamp"],
        "Addresses": collection("ContactAddress", [dict(a) for a in contact["addresses"]]),
        "Phones": collection(
            "ContactPhone", [{"number": n, "useType": u} for n, u in contact["phones"]]
        ),
        "Emails": collection(
            "ContactEmail", [{"address": a, "useType": u} for a, u in contact["emails"]]
        ),
        "Websites": collection("ContactWebsite", [{"url": url} for url in contact["websites"]]),
    }


def parse_day(text):
    return date.fromisoformat(text)
