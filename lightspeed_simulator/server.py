"""HTTP front-end of the simulator: routing, V3 query engine, rate limiter and test hooks."""

import base64
import json
import math
import re
import threading
import time
from bisect import bisect_left, bisect_right
from datetime import datetime
from decimal import Decimal, InvalidOperation
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from .auth import AuthServer, OAuthError
from .data import SalesStore, contact_payload, parse_ts, spell_update_key, ts
from .items import apply_item_put, attribute_set, item_attributes, item_prices, write_cost

TIME_FIELDS = {
    "createTime",
    "updatetime",
    "updateTime",
    "completeTime",
    "timeStamp",
    "checkIn",
    "checkOut",
    "openTime",
}
# a Sale's timeStamp and updatetime are the same stamp here (both move on every change)
SAME_STAMP = {"timeStamp", "updatetime"}
RESERVED_PARAMS = {"limit", "sort", "after", "before", "count", "archived", "load_relations", "or"}
ONE, MANY = "one", "many"


class ApiError(Exception):
    def __init__(self, status, message, error_class="Exception", headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_class = error_class
        self.headers = headers or {}

    def body(self):
        return {
            "httpCode": str(self.status),
            "httpMessage": HTTP_MESSAGES.get(self.status, "Error"),
            "message": self.message,
            "errorClass": self.error_class,
        }


HTTP_MESSAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def one_or_many(items):
    """Lightspeed shape: one element → object, several → list."""
    return items[0] if len(items) == 1 else items


def encode_cursor(values):
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.b64encode(raw).decode("ascii")


def decode_cursor(text):
    try:
        values = json.loads(base64.b64decode(text.encode("ascii"), validate=True))
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "Invalid cursor.") from exc
    if not isinstance(values, list) or not values:
        raise ApiError(400, "Invalid cursor.")
    return values


def typed_value(field, text):
    """Comparable value of a canonical string (time → epoch, number → Decimal, else lower)."""
    if text is None:
        return None
    base = field.rsplit(".", 1)[-1]
    if base in TIME_FIELDS:
        if text == "":
            return None
        return parse_ts(text)
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return str(text).lower()


def parse_filter(field, raw):
    """``">=,2024-01-01T00:00:00+02:00"`` → (op, [typed values])."""
    op, values = "=", [raw]
    for candidate in ("><", ">=", "<=", "!=", "!~", ">", "<", "~"):
        if raw.startswith(candidate + ","):
            op = candidate
            rest = raw[len(candidate) + 1 :]
            values = rest.split(",") if op == "><" else [rest]
            break
    else:
        if raw.startswith("IN,"):
            op = "IN"
            rest = raw[3:].strip()
            if rest.startswith("[") and rest.endswith("]"):
                rest = rest[1:-1]
            values = [v.strip().strip('"') for v in rest.split(",") if v.strip()]
            if len(values) > 100:
                raise ApiError(400, f"Too many values for IN on {field} (max 100).")
    if op == "><" and len(values) != 2:
        raise ApiError(400, f"Operator >< on {field} needs two values.")
    if op in ("~", "!~"):
        pattern = "^" + ".*".join(re.escape(p) for p in values[0].split("%")) + "$"
        return op, [re.compile(pattern, re.IGNORECASE | re.DOTALL)]
    try:
        return op, [typed_value(field, v) for v in values]
    except ValueError as exc:
        raise ApiError(400, f"Invalid value for {field}: {values!r}") from exc


def compare(op, actual, values):
    if op in ("~", "!~"):
        hit = actual is not None and bool(values[0].match(str(actual)))
        return hit if op == "~" else not hit
    if op == "!=":
        return actual != values[0]
    if actual is None:
        return False
    try:
        if op == "=":
            return actual == values[0]
        if op == "IN":
            return actual in values
        if op == ">":
            return actual > values[0]
        if op == ">=":
            return actual >= values[0]
        if op == "<":
            return actual < values[0]
        if op == "<=":
            return actual <= values[0]
        if op == "><":
            return values[0] <= actual <= values[1]
    except TypeError:
        return False
    return False


class Entity:
    def __init__(self, name, pk, sort=(), archived=False, relations=None, scope=None):
        self.name = name
        self.pk = pk
        self.sort = (pk, *sort)
        self.archived = archived
        self.relations = relations or {}
        self.scope = scope


ENTITIES = {
    e.name: e
    for e in [
        Entity("Shop", "shopID", archived=True, relations={"Registers": MANY, "TaxCategory": ONE}),
        Entity("Register", "registerID", archived=True, relations={"Shop": ONE}),
        Entity("Employee", "employeeID", ("timeStamp",), archived=True, relations={"Contact": ONE}),
        Entity(
            "EmployeeHours",
            "employeeHoursID",
            scope={"employee:admin_employees", "employee:all"},
        ),
        Entity("PaymentType", "paymentTypeID", archived=True),
        Entity(
            "Item",
            "itemID",
            ("timeStamp", "description"),
            archived=True,
            relations={"Category": ONE, "TaxClass": ONE, "ItemShops": MANY, "ItemAttributes": ONE},
        ),
        Entity(
            "ItemMatrix",
            "itemMatrixID",
            ("timeStamp", "description"),
            archived=True,
            relations={"ItemAttributeSet": ONE},
        ),
        Entity(
            "Customer",
            "customerID",
            ("timeStamp", "firstName", "lastName"),
            archived=True,
            relations={"Contact": ONE},
        ),
        Entity("Category", "categoryID", ("timeStamp", "leftNode", "rightNode")),
        Entity("TaxClass", "taxClassID", ("timeStamp",)),
        Entity(
            "TaxCategory", "taxCategoryID", ("timeStamp",), relations={"TaxCategoryClasses": MANY}
        ),
        Entity(
            "SaleVoid",
            "saleVoidID",
            ("saleID",),
            scope={"employee:admin_void_sale", "employee:all"},
        ),
        Entity(
            "Sale",
            "saleID",
            ("timeStamp", "completeTime", "updatetime", "createTime"),
            archived=True,
            relations={
                "SaleLines": MANY,
                "SaleLines.Item": ONE,
                "SaleLines.Note": ONE,
                "SaleLines.TaxClass": ONE,
                "SalePayments": MANY,
                "SalePayments.PaymentType": ONE,
                "Customer": ONE,
                "Customer.Contact": ONE,
                "TaxCategory": ONE,
                "Shop": ONE,
            },
        ),
        Entity(
            "SaleLine",
            "saleLineID",
            ("saleID",),
            relations={"Item": ONE, "Note": ONE, "TaxClass": ONE},
        ),
        Entity("SalePayment", "salePaymentID", ("saleID",), relations={"PaymentType": ONE}),
    ]
}


class Simulator:
    """All mutable state; every request runs under ``self.lock``."""

    def __init__(self, world, args):
        self.world = world
        self.args = args
        self.lock = threading.RLock()
        self.auth = AuthServer(
            world,
            client_id=args.client_id,
            client_secret=args.client_secret,
            redirect_uri=args.redirect_uri,
            token_lifetime=args.token_lifetime,
            strict_rotation=args.strict_rotation,
            require_pkce=args.require_pkce,
        )
        registers = max(int(args.registers), 1)
        self.bucket_size = args.bucket_size or 90 + 10 * (registers - 1)
        self.drip_rate = args.drip_rate or 1 + 0.5 * (registers - 1)
        self.burst_limit = args.burst_limit
        self.level = 0.0
        self.level_at = time.monotonic()
        self.burst_second = 0
        self.burst_count = 0
        self.legacy_costs = args.legacy_costs
        self.injections = []
        self.item_writes = []  # applied Item PUTs, for the item_writes hook
        self.token_delay = 0.0  # seconds the token endpoint waits (set_token_delay hook)
        self.base_url = ""
        # API requests being served (or waiting for ``lock``), counted outside ``lock``: the
        # most requests one account ever had in flight at once (``api_max_in_flight``).
        self.flight_lock = threading.Lock()
        self.in_flight = 0
        self.reset_stats()

    # -- stats ---------------------------------------------------------------------------
    def reset_stats(self):
        self.stats = {
            "api_requests": 0,
            "api_by_entity": {},
            "served_429": 0,
            "served_429_bucket": 0,
            "served_429_burst": 0,
            "served_401": 0,
            "injected": 0,
            "records_served": 0,
            "api_max_in_flight": self.in_flight,
            "started_at": time.time(),
        }
        self.auth.stats.update(
            token_calls={}, token_content_types={}, refreshes=0, codes_issued=0, revokes=0
        )

    def snapshot(self):
        data = dict(self.stats)
        data["api_by_entity"] = dict(self.stats["api_by_entity"])
        auth = self.auth.stats
        data["token_calls"] = dict(auth["token_calls"])
        data["token_content_types"] = dict(auth["token_content_types"])
        data["refreshes"] = auth["refreshes"]
        data["codes_issued"] = auth["codes_issued"]
        data["revokes"] = auth["revokes"]
        data["token_endpoint_calls"] = sum(auth["token_calls"].values())
        data["bucket_level"] = round(self._level(), 4)
        data["bucket_size"] = self.bucket_size
        data["sales"] = self.world.sales.count
        data["api_in_flight"] = self.in_flight
        return data

    # -- requests in flight --------------------------------------------------------------
    def enter_flight(self):
        with self.flight_lock:
            self.in_flight += 1
            self.stats["api_max_in_flight"] = max(self.stats["api_max_in_flight"], self.in_flight)

    def leave_flight(self):
        with self.flight_lock:
            self.in_flight -= 1

    # -- rate limiting -------------------------------------------------------------------
    def _level(self):
        now = time.monotonic()
        self.level = max(0.0, self.level - (now - self.level_at) * self.drip_rate)
        self.level_at = now
        return self.level

    def rate_headers(self, cost):
        return {
            "X-LS-Acct-Id": self.world.account_id,
            "X-LS-OAuth-Client-Id": self.auth.client_id,
            "X-LS-API-Bucket-Level": f"{self._level():.2f}/{self.bucket_size:g}",
            "X-LS-API-Burst-Level": f"{self.burst_count}/{self.burst_limit}",
            "X-LS-API-Drip-Rate": f"{self.drip_rate:g}",
            "X-LS-API-Request-Cost": f"{cost:g}",
        }

    def throttle(self, cost):
        second = int(time.time())
        if second != self.burst_second:
            self.burst_second, self.burst_count = second, 0
        self.burst_count += 1
        if self.burst_count > self.burst_limit:
            self.stats["served_429"] += 1
            self.stats["served_429_burst"] += 1
            raise ApiError(
                429,
                "Too many requests: burst rate limit exceeded.",
                "RateLimitException",
                headers={"Retry-After": "1", "X-LS-API-RateLimit-Type": "api-burst-limiter"},
            )
        level = self._level()
        if level >= self.bucket_size:
            self.stats["served_429"] += 1
            self.stats["served_429_bucket"] += 1
            wait = max(1, math.ceil((level - self.bucket_size) / self.drip_rate + 0.001))
            raise ApiError(
                429,
                "Too many requests: rate limit exceeded.",
                "RateLimitException",
                headers={
                    "Retry-After": str(wait),
                    "X-LS-API-RateLimit-Type": "api-leaky-bucket",
                },
            )
        self.level += cost

    def request_cost(self, method, entity, params, single, body=None):
        if method == "PUT" and entity == "Item":
            return write_cost(body, self.legacy_costs)
        if method != "GET":
            if self.legacy_costs:
                return 10.0
            return 2.0 if entity in ("Sale", "SaleLine") else 1.0
        if self.legacy_costs:
            return 1.0
        if params.get("count") == "1":
            return 10.0
        cost = 1.0
        spec = ENTITIES.get(entity)
        for rel in parse_relations(params.get("load_relations"), spec):
            kind = spec.relations.get(rel, ONE)
            part = 0.2 if kind == MANY else 0.1
            if not single:
                part *= 2
            parent = rel.split(".")[0]
            if "." in rel and spec.relations.get(parent) == MANY:
                part *= 2
            cost += part
        return round(cost, 4)

    # -- injections ----------------------------------------------------------------------
    def take_injection(self, path):
        for inj in self.injections:
            if inj["count"] > 0 and (not inj.get("path_contains") or inj["path_contains"] in path):
                inj["count"] -= 1
                if inj["count"] <= 0:
                    self.injections.remove(inj)
                self.stats["injected"] += 1
                return inj
        return None


def parse_relations(raw, spec):
    if not raw:
        return []
    if raw == "all":
        return list(spec.relations) if spec else []
    try:
        names = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "load_relations must be a JSON array or 'all'.") from exc
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list):
        raise ApiError(400, "load_relations must be a JSON array or 'all'.")
    result = []
    for name in names:
        if spec is None or name not in spec.relations:
            entity = spec.name if spec else "?"
            raise ApiError(400, f"Invalid relation '{name}' for {entity}.")
        parent = name.split(".")[0]
        if "." in name and parent not in result:
            result.append(parent)
        if name not in result:
            result.append(name)
    return result


class QueryEngine:
    """V3 list/single queries over the simulator world."""

    def __init__(self, sim):
        self.sim = sim
        self.world = sim.world

    # -- rendering -----------------------------------------------------------------------
    @staticmethod
    def public(row):
        return {k: v for k, v in row.items() if not k.startswith("_")}

    def contact(self, row, prefix):
        if "_contact" in row:  # customers: emails, phones, addresses, websites, opt-outs
            return contact_payload(row)
        phones = [{"number": p, "useType": "Mobile"} for p in row.get("_phones", [])]
        email = {"address": row["_email"], "useType": "Primary"}
        return {
            "contactID": row.get("contactID", "0"),
            "custom": "",
            "noEmail": "false",
            "noPhone": "false",
            "noMail": "false",
            "timeStamp": row.get("timeStamp", ""),
            "Addresses": "",
            "Phones": {"ContactPhone": one_or_many(phones)} if phones else "",
            "Emails": {"ContactEmail": email},
            "Websites": "",
        }

    def render_static(self, entity, row, rels):
        rec = self.public(row)
        world = self.world
        if "Contact" in rels and ("_email" in row or "_contact" in row):
            rec["Contact"] = self.contact(row, entity)
        if entity == "TaxCategory" and "TaxCategoryClasses" in rels:
            rec["TaxCategoryClasses"] = {"TaxCategoryClass": one_or_many(row["_classes"])}
        if entity == "Item":
            rec["Prices"] = {"ItemPrice": item_prices(row)}
            if "ItemAttributes" in rels and row["itemMatrixID"] != "0":
                rec["ItemAttributes"] = item_attributes(row)
            if "Category" in rels:
                cat = next(
                    (c for c in world.categories if c["categoryID"] == row["categoryID"]), None
                )
                if cat:
                    rec["Category"] = dict(cat)
            if "TaxClass" in rels:
                rec["TaxClass"] = next(
                    t for t in world.tax_classes if t["taxClassID"] == row["taxClassID"]
                )
            if "ItemShops" in rels:
                rec["ItemShops"] = {"ItemShop": world.item_shops(row)}
        if entity == "ItemMatrix" and "ItemAttributeSet" in rels:
            rec["ItemAttributeSet"] = attribute_set(row)
        if entity == "Shop" and "Registers" in rels:
            regs = [r for r in world.registers if r["shopID"] == row["shopID"]]
            if regs:
                rec["Registers"] = {"Register": one_or_many(regs)}
        if entity in ("Shop",) and "TaxCategory" in rels:
            rec["TaxCategory"] = self.public(world.tax_by_id[row["taxCategoryID"]])
        if entity == "Register" and "Shop" in rels:
            shop = next(s for s in world.shops if s["shopID"] == row["shopID"])
            rec["Shop"] = dict(shop)
        return rec

    def render_line(self, line, rels, prefix="SaleLines."):
        rec = self.public(line)
        chaos = self.world.chaos
        if prefix + "Item" in rels and line["itemID"] != "0":
            item = self.world.item_by_id.get(line["itemID"])
            if item:
                rec["Item"] = self.render_static("Item", item, ())
        if prefix + "Note" in rels and line.get("_note"):
            rec["Note"] = {
                "noteID": line["noteID"],
                "note": line["_note"],
                "isPublic": "false",
                "timeStamp": line["timeStamp"],
            }
        if prefix + "TaxClass" in rels:
            rec["TaxClass"] = next(
                t for t in self.world.tax_classes if t["taxClassID"] == line["taxClassID"]
            )
        if "unknown_keys" in chaos:
            rec["futureLineField"] = "x"
        if "sales_accounts" in chaos and line["itemID"] == "60":
            rec["SalesAccounts"] = {
                "SaleAccount": {"saleAccountID": line["saleLineID"], "amount": line["calcTotal"]}
            }
        return rec

    def render_payment(self, payment, rels, prefix="SalePayments."):
        rec = self.public(payment)
        if prefix + "PaymentType" in rels:
            ptype = next(
                p
                for p in self.world.payment_types
                if p["paymentTypeID"] == payment["paymentTypeID"]
            )
            rec["PaymentType"] = dict(ptype)
        return rec

    def render_sale(self, record, rels):
        world = self.world
        chaos = world.chaos
        sale = self.public(record["sale"])
        sale_id = int(sale["saleID"])
        if "SaleLines" in rels and record["lines"]:
            lines = [self.render_line(x, rels) for x in record["lines"]]
            sale["SaleLines"] = {"SaleLine": one_or_many(lines)}
        if "SalePayments" in rels and record["payments"]:
            pays = [self.render_payment(p, rels) for p in record["payments"]]
            sale["SalePayments"] = {"SalePayment": one_or_many(pays)}
        cust = world.customer(sale["customerID"]) if "Customer" in rels else None
        if cust is not None:
            rec = self.public(cust)
            if "Customer.Contact" in rels:
                rec["Contact"] = self.contact(cust, "Customer")
            sale["Customer"] = rec
        if "TaxCategory" in rels:
            sale["TaxCategory"] = self.public(world.tax_by_id[sale["taxCategoryID"]])
        if "Shop" in rels:
            sale["Shop"] = next(dict(s) for s in world.shops if s["shopID"] == sale["shopID"])
        spelling = world.update_key
        if "update_time_spelling" in chaos and sale_id % 7 == 0:  # drift: the other spelling
            spelling = "updatetime" if spelling == "updateTime" else "updateTime"
        sale = spell_update_key(sale, spelling)
        if "sci" in chaos and sale_id % 11 == 0:
            sale["totalDue"] = f"{Decimal(sale['totalDue']):E}"
        if "unknown_keys" in chaos:
            sale["futureField"] = "x"
        if "local_offsets" in chaos:
            zone = world.zones[sale["shopID"]]
            local = datetime.fromtimestamp(parse_ts(sale["createTime"]), zone)
            sale["createTime"] = local.isoformat()
        if "null_dates" in chaos and "completeTime" not in sale:
            sale["completeTime"] = ""
        return sale

    # -- sources -------------------------------------------------------------------------
    def static_rows(self, entity):
        world = self.world
        if entity == "EmployeeHours":
            return [world.hours_record(r) for r in world.hours.values()]
        return {
            "Shop": world.shops,
            "Register": world.registers,
            "Employee": world.employees,
            "PaymentType": world.payment_types,
            "Item": world.items,
            "ItemMatrix": world.item_matrices,
            "Customer": world.customers,
            "Category": world.categories,
            "TaxClass": world.tax_classes,
            "TaxCategory": world.tax_categories,
            "SaleVoid": world.sale_voids,
        }[entity]

    @staticmethod
    def sort_key(field, row, pk):
        value = row.get(field)
        if field in TIME_FIELDS:
            key = parse_ts(value) if value else 0.0
        else:
            try:
                key = Decimal(value)
            except (InvalidOperation, TypeError, ValueError):
                key = str(value or "").lower()
        return (key, int(row[pk]))

    def cursor_key(self, field, pk, values):
        try:
            if len(values) == 1:
                return (Decimal(values[0]), int(values[0]))
            value, row_id = values[0], int(values[1])
            if field in TIME_FIELDS:
                return (parse_ts(value) if value else 0.0, row_id)
            try:
                return (Decimal(value), row_id)
            except (InvalidOperation, TypeError, ValueError):
                return (str(value).lower(), row_id)
        except (ValueError, TypeError) as exc:
            raise ApiError(400, "Invalid cursor.") from exc

    def cursor_values(self, field, pk, row):
        if field == pk:
            return [int(row[pk])]
        if pk == "saleID":  # canonical stamps (rendered rows may carry chaos spellings)
            row = self.world.sales.header(int(row[pk]))
        value = row.get(field) or ""
        return [value, int(row[pk])]

    # -- filters -------------------------------------------------------------------------
    def parse_filters(self, spec, params, rels):
        filters = []
        ors = []
        for key, raw in params.items():
            if key in RESERVED_PARAMS:
                if key == "or":
                    for term in raw.split("|"):
                        field, _, value = term.partition("=")
                        ors.append((field, *parse_filter(field, value)))
                continue
            if "." in key and key.split(".")[0] not in rels:
                raise ApiError(
                    400, f"Filtering on {key} requires load_relations {key.split('.')[0]}."
                )
            if spec.name == "Sale" and key == "updateTime":
                key = "updatetime"  # records keep one spelling; accept both in filters
            filters.append((key, *parse_filter(key, raw)))
        return filters, ors

    def field_values(self, record, field):
        """Values of ``field`` in a rendered-shape record (relation fields → many)."""
        if "." in field:
            rel, sub = field.split(".", 1)
            items = record.get("_rel", {}).get(rel, [])
            return [typed_value(sub, item.get(sub)) for item in items]
        return [typed_value(field, record.get(field))]

    def matches(self, record, filters, ors):
        for field, op, values in filters:
            if not any(compare(op, v, values) for v in self.field_values(record, field)):
                return False
        if ors and not any(
            any(compare(op, v, values) for v in self.field_values(record, field))
            for field, op, values in ors
        ):
            return False
        return True

    @staticmethod
    def archived_ok(spec, row, mode):
        if not spec.archived:
            return True
        is_archived = row.get("archived") == "true"
        if mode in ("true", "1"):
            return True
        if mode == "only":
            return is_archived
        return not is_archived

    # -- list ----------------------------------------------------------------------------
    def list(self, spec, params):
        limit_raw = params.get("limit", "100")
        try:
            limit = int(limit_raw)
        except ValueError as exc:
            raise ApiError(400, "limit must be an integer.") from exc
        if limit < 0 or limit > 100:
            raise ApiError(400, "limit must be between 0 and 100.")
        sort = params.get("sort", spec.pk)
        desc = sort.startswith("-")
        field = sort.lstrip("-")
        if field not in spec.sort:
            raise ApiError(
                400, f"Invalid sort field '{field}'. Sortable fields: {', '.join(spec.sort)}."
            )
        rels = parse_relations(params.get("load_relations"), spec)
        filters, ors = self.parse_filters(spec, params, rels)
        mode = params.get("archived", "false")
        if params.get("count") == "1":
            if any(k in params for k in ("limit", "sort", "after", "before")):
                raise ApiError(400, "count cannot be combined with limit, sort, after or before.")
            total = self.count(spec, filters, ors, mode, rels)
            return {"@attributes": {"count": str(total)}}
        after = params.get("after")
        before = params.get("before")
        cursor = decode_cursor(after or before) if (after or before) else None
        if spec.name in ("Sale", "SaleLine", "SalePayment"):
            rows, more, has_prev = self.scan_sales(
                spec, field, desc, cursor, bool(before), limit, filters, ors, mode, rels
            )
        else:
            rows, more, has_prev = self.scan_static(
                spec, field, desc, cursor, bool(before), limit, filters, ors, mode
            )
            rows = [self.render_static(spec.name, r, rels) for r in rows]
        self.sim.stats["records_served"] += len(rows)
        return self.envelope(spec, params, field, sort, limit, rows, more, has_prev)

    def envelope(self, spec, params, field, sort, limit, rows, more, has_prev):
        base = {k: v for k, v in params.items() if k not in ("after", "before")}
        base.setdefault("sort", sort)
        base.setdefault("limit", str(limit))
        url = f"{self.sim.base_url}/API/V3/Account/{self.world.account_id}/{spec.name}.json"

        def link(key, row):
            query = dict(base)
            query[key] = encode_cursor(self.cursor_values(field, spec.pk, row))
            return f"{url}?{urlencode(query, quote_via=quote, safe='')}"

        attrs = {
            "next": link("after", rows[-1]) if rows and more else "",
            "previous": link("before", rows[0]) if rows and has_prev else "",
        }
        body = {"@attributes": attrs}
        if rows:
            body[spec.name] = one_or_many(rows)
        return body

    def scan_static(self, spec, field, desc, cursor, backwards, limit, filters, ors, mode):
        rows = [
            r
            for r in self.static_rows(spec.name)
            if self.archived_ok(spec, r, mode) and self.matches(r, filters, ors)
        ]
        seq = sorted(
            ((self.sort_key(field, r, spec.pk), r) for r in rows),
            key=lambda x: x[0],
            reverse=desc,
        )
        if cursor is None:
            return [r for _, r in seq[:limit]], len(seq) > limit, False
        ckey = self.cursor_key(field, spec.pk, cursor)

        def ahead(key):
            return key < ckey if desc else key > ckey

        if backwards:
            cands = [r for k, r in seq if not ahead(k) and k != ckey]
            return cands[-limit:] if limit else [], True, len(cands) > limit
        cands = [r for k, r in seq if ahead(k)]
        return cands[:limit], len(cands) > limit, True

    def count(self, spec, filters, ors, mode, rels):
        if spec.name not in ("Sale", "SaleLine", "SalePayment"):
            return sum(
                1
                for r in self.static_rows(spec.name)
                if self.archived_ok(spec, r, mode) and self.matches(r, filters, ors)
            )
        rows, _more, _prev = self.scan_sales(
            spec, spec.pk, False, None, False, 10**9, filters, ors, mode, rels, render=False
        )
        return len(rows)

    # -- sales ---------------------------------------------------------------------------
    def sale_candidates(self, filters):
        for field, op, values in filters:
            if field == "saleID" and op in ("=", "IN"):
                return sorted({int(v) for v in values if v == v.to_integral_value()})
        return None

    def sale_order(self, field):
        store = self.world.sales
        if field in ("saleID", "saleLineID", "salePaymentID"):
            cached = store._orders.get("saleID")
            if cached is None or len(cached) != store.count:
                cached = [(i, i) for i in range(1, store.count + 1)]
                store._orders["saleID"] = cached
            return cached
        return store.order(field)

    def scan_sales(
        self, spec, field, desc, cursor, backwards, limit, filters, ors, mode, rels, render=True
    ):
        """Walk sales in sort order from the cursor; yields rendered Sale/SaleLine/Payment."""
        store = self.world.sales
        entity = spec.name
        if entity != "Sale" and field not in (spec.pk, "saleID"):
            raise ApiError(400, f"Sorting {entity} by {field} is not supported by the simulator.")
        sale_field = "saleID" if entity != "Sale" else field
        order = self.sale_order(sale_field)
        candidates = self.sale_candidates(filters) if entity == "Sale" else None
        if candidates is not None:
            order = sorted(
                (order_key(store, sale_field, i), i) for i in candidates if store.exists(i)
            )
        header_only = entity == "Sale" and all(
            f in SalesStore.HEADER_FIELDS for f, _, _ in filters + ors
        )
        ckey = None
        if cursor is not None:
            ckey = self.cursor_key(field, spec.pk, cursor)
            if entity != "Sale":
                ckey = (ckey[1] // 10, ckey[1])
            elif field != "saleID":
                ckey = (ckey[0], ckey[1])
        positions = self._positions(order, ckey, desc, backwards)
        upper = self._upper_bound(filters, field, desc) if entity == "Sale" else None
        lower = self._lower_bound(filters, field, desc) if entity == "Sale" else None
        if lower is not None and not backwards and positions and positions.step == 1:
            # jump straight to the first key allowed by a >, >= or >< filter on the sort field
            positions = range(max(positions.start, bisect_left(order, lower)), positions.stop)
        results = []
        more = False
        for pos in positions:
            key, sale_id = order[pos]
            if upper is not None and key > upper:
                break
            for row, row_key in self._rows_for(entity, sale_id, key, ckey, desc, backwards):
                if not self._sale_match(entity, row, filters, ors, mode, header_only, rels):
                    continue
                if len(results) >= limit:
                    more = True
                    break
                results.append((row_key, row))
            if more:
                break
        if backwards:
            results.reverse()
            has_prev, more = more, True
        else:
            has_prev = ckey is not None
        rows = [r for _, r in results]
        if render:
            rows = [self._render_row(entity, r, rels) for r in rows]
        return rows, more, has_prev

    @staticmethod
    def _positions(order, ckey, desc, backwards):
        n = len(order)
        if ckey is None:
            return range(n - 1, -1, -1) if desc else range(n)
        if desc != backwards:  # moving towards smaller keys
            return range(bisect_left(order, ckey) - 1, -1, -1)
        return range(bisect_right(order, ckey), n)

    @staticmethod
    def _lower_bound(filters, field, desc):
        if desc or field == "saleID":
            return None
        for f, op, values in filters:
            if f == field or {f, field} == SAME_STAMP:
                if op in (">", ">=", "><") and isinstance(values[0], float):
                    return (values[0], -1)
        return None

    @staticmethod
    def _upper_bound(filters, field, desc):
        if desc or field == "saleID":
            return None
        for f, op, values in filters:
            if f == field or {f, field} == SAME_STAMP:
                if op in ("<", "<="):
                    return values[0]
                if op == "><":
                    return values[1]
        return None

    def _rows_for(self, entity, sale_id, key, ckey, desc, backwards):
        store = self.world.sales
        if entity == "Sale":
            yield {"_sale_id": sale_id}, (key, sale_id)
            return
        record = store.full(sale_id)
        items = record["lines"] if entity == "SaleLine" else record["payments"]
        pk = "saleLineID" if entity == "SaleLine" else "salePaymentID"
        if desc != backwards:
            items = list(reversed(items))
        for item in items:
            row_key = (sale_id, int(item[pk]))
            if ckey is not None:
                if desc != backwards and row_key >= ckey:
                    continue
                if desc == backwards and row_key <= ckey:
                    continue
            yield item, row_key

    def _sale_match(self, entity, row, filters, ors, mode, header_only, rels):
        store = self.world.sales
        if entity != "Sale":
            return self.matches(row, filters, ors)
        sale_id = row["_sale_id"]
        header = store.header(sale_id)
        if not self.archived_ok(ENTITIES["Sale"], header, mode):
            return False
        if header_only:
            return self.matches(header, filters, ors)
        record = store.full(sale_id)
        flat = dict(record["sale"])
        flat["_rel"] = {"SaleLines": record["lines"], "SalePayments": record["payments"]}
        return self.matches(flat, filters, ors)

    def _render_row(self, entity, row, rels):
        if entity == "Sale":
            return self.render_sale(self.world.sales.full(row["_sale_id"]), rels)
        if entity == "SaleLine":
            return self.render_line(row, rels, prefix="")
        return self.render_payment(row, rels, prefix="")

    # -- single --------------------------------------------------------------------------
    def single(self, spec, object_id, params):
        rels = parse_relations(params.get("load_relations"), spec)
        not_found = ApiError(
            404, f"Object of type '{spec.name}' not found with primary ID '{object_id}'."
        )
        if spec.name == "Sale":
            try:
                sale_id = int(object_id)
            except ValueError:
                raise not_found from None
            if not self.world.sales.exists(sale_id):
                raise not_found
            body = self.render_sale(self.world.sales.full(sale_id), rels)
        elif spec.name in ("SaleLine", "SalePayment"):
            try:
                sale_id = int(object_id) // 10
            except ValueError:
                raise not_found from None
            if not self.world.sales.exists(sale_id):
                raise not_found
            record = self.world.sales.full(sale_id)
            items = record["lines"] if spec.name == "SaleLine" else record["payments"]
            match = [x for x in items if x[spec.pk] == str(object_id)]
            if not match:
                raise not_found
            body = self._render_row(spec.name, match[0], rels)
        else:
            match = [r for r in self.static_rows(spec.name) if r[spec.pk] == str(object_id)]
            if not match:
                raise not_found
            body = self.render_static(spec.name, match[0], rels)
        return {"@attributes": {"count": "1"}, spec.name: body}


def order_key(store, field, sale_id):
    if field == "saleID":
        return sale_id
    source = {
        "updatetime": store.update,
        "timeStamp": store.update,
        "completeTime": store.complete,
        "createTime": store.create,
    }[field]
    return source[sale_id]


# ---------------------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LightspeedSimulator/1.0"
    sim = None  # set by make_server

    def log_message(self, format, *args):  # noqa: A002 - silence default logging
        pass

    # -- plumbing ------------------------------------------------------------------------
    def _send(self, status, body, headers=None, content_type="application/json"):
        if isinstance(body, dict | list):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body or b""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _body(self):
        # read once per request: the cost of a write depends on its body
        if self._raw_body is None:
            length = int(self.headers.get("Content-Length") or 0)
            self._raw_body = self.rfile.read(length) if length else b""
        return self._raw_body

    def _form(self):
        raw = self._body()
        ctype = (self.headers.get("Content-Type") or "").lower()
        if ctype.startswith("application/json"):
            try:
                data = json.loads(raw or b"{}")
            except ValueError:
                data = {}
            return ({k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}), "json"
        if ctype.startswith("multipart/form-data"):
            msg = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + raw
            )
            fields = {}
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if name:
                    fields[name] = part.get_content().strip() if part.get_content() else ""
            return fields, "multipart"
        return dict(parse_qsl(raw.decode(), keep_blank_values=True)), "form"

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method):
        sim = self.sim
        self._raw_body = None
        parts = urlsplit(self.path)
        path = parts.path
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if not sim.base_url:
            host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
            sim.base_url = f"http://{host}"
        try:
            if path.startswith("/_sim/"):
                return self._hook(method, path[6:])
            if path in ("/auth/oauth/token", "/oauth/access_token.php"):
                return self._token(method)
            if path in ("/auth/oauth/authorize", "/oauth/authorize.php"):
                with sim.lock:
                    url = sim.auth.authorize(params)
                return self._send(302, b"", {"Location": url}, "text/plain")
            if path == "/auth/oauth/revoke":
                if method != "POST":
                    return self._send(405, {"error": "method_not_allowed"})
                fields, _ = self._form()
                sim.auth.revoke(fields)
                return self._send(200, {})
            if path == "/auth/oauth/introspect":
                with sim.lock:
                    return self._send(200, sim.auth.introspect(self.headers.get("Authorization")))
            if path == "/.well-known/jwks":
                return self._send(200, sim.auth.jwks())
            if path.startswith("/API/"):
                return self._api(method, path, params)
            return self._send(404, ApiError(404, f"No route for {path}").body())
        except OAuthError as exc:
            return self._send(exc.status, exc.body, exc.headers)

    def _token(self, method):
        if method != "POST":
            return self._send(405, {"error": "invalid_request", "error_description": "POST only"})
        fields, ctype = self._form()
        delay = self.sim.token_delay
        if delay > 0:
            # outside the lock: API calls go on meanwhile, as when a refresh is slow for real,
            # so a test can line up a second refresh (or a use of the old token) behind it
            time.sleep(delay)
        if ctype == "form" and getattr(self.sim.args, "reject_form_token_body", False):
            raise OAuthError(
                400,
                "invalid_request",
                "Unsupported request body",
                hint="Send application/json or multipart/form-data",
            )
        with self.sim.lock:
            return self._send(
                200, self.sim.auth.token(fields, ctype), {"Cache-Control": "no-store"}
            )

    # -- API -----------------------------------------------------------------------------
    def _api(self, method, path, params):
        # In flight from the moment the request is read until its answer is written, whether
        # it waits for the simulator lock or not.
        self.sim.enter_flight()
        try:
            return self._api_locked(method, path, params)
        finally:
            self.sim.leave_flight()

    def _api_locked(self, method, path, params):
        sim = self.sim
        started = time.perf_counter()
        wants_json = path.endswith(".json")
        accept = (self.headers.get("Accept") or "").lower()
        if "application/json" in accept:
            wants_json = True
        elif "xml" in accept:
            wants_json = False
        path = path[:-5] if path.endswith(".json") else path
        segments = [s for s in path.split("/") if s][1:]  # drop "API"
        if segments and segments[0] == "V3":
            segments = segments[1:]
        with sim.lock:
            entity = self._entity_name(segments)
            single = len(segments) >= 4 and segments[0] == "Account"
            cost = 1.0
            headers = {}
            try:
                body = self._json_body() if method == "PUT" and entity == "Item" else None
                cost = sim.request_cost(method, entity, params, single, body)
                sim.stats["api_requests"] += 1
                by_entity = sim.stats["api_by_entity"]
                by_entity[entity or segments[0] if segments else "?"] = (
                    by_entity.get(entity or (segments[0] if segments else "?"), 0) + 1
                )
                injection = sim.take_injection(self.path)
                if injection:
                    return self._injected(injection, sim.rate_headers(cost))
                try:
                    claims = sim.auth.check_access(self.headers.get("Authorization"))
                except OAuthError as exc:
                    sim.stats["served_401"] += 1
                    return self._send(exc.status, exc.body, sim.rate_headers(cost))
                sim.throttle(cost)
                headers = sim.rate_headers(cost)
                if not wants_json:
                    return self._send(
                        406,
                        '<?xml version="1.0"?><error>Simulator speaks JSON only: use .json '
                        "or Accept: application/json</error>",
                        headers,
                        "application/xml",
                    )
                body = self._route(method, segments, params, claims)
                headers["X-Sim-Server-Time"] = f"{(time.perf_counter() - started) * 1000:.3f}"
                return self._send(200, body, headers)
            except ApiError as exc:
                merged = {**(headers or sim.rate_headers(cost)), **exc.headers}
                return self._send(exc.status, exc.body(), merged)

    @staticmethod
    def _entity_name(segments):
        if len(segments) >= 3 and segments[0] == "Account":
            if len(segments) >= 5 and segments[2] == "Sale" and segments[4] == "SaleLine":
                return "SaleLine"
            return segments[2]
        if segments:
            return segments[0]
        return None

    def _route(self, method, segments, params, claims):
        sim = self.sim
        world = sim.world
        engine = QueryEngine(sim)
        if segments == ["Session"]:
            return self._session()
        if segments == ["Account"]:
            return {"@attributes": {"next": "", "previous": ""}, "Account": self._account(False)}
        if len(segments) == 2 and segments[0] == "Account":
            self._check_account(segments[1])
            return {"@attributes": {"count": "1"}, "Account": self._account(True)}
        if len(segments) < 3 or segments[0] != "Account":
            raise ApiError(404, "Unknown resource.")
        self._check_account(segments[1])
        name = segments[2]
        if len(segments) >= 5 and name == "Sale" and segments[4] == "SaleLine":
            params = {**params, "saleID": segments[3]}
            name, segments = "SaleLine", segments[:3]
        spec = ENTITIES.get(name)
        if spec is None:
            raise ApiError(404, f"Unknown resource {name}.")
        if spec.scope and not spec.scope & set((claims.get("scope") or "").split()):
            raise ApiError(
                403, f"Access to {name} requires one of: {', '.join(sorted(spec.scope))}."
            )
        if name == "EmployeeHours" and method in ("POST", "PUT", "DELETE"):
            return self._hours_write(method, segments[3] if len(segments) > 3 else None)
        if name == "Item" and method == "PUT" and len(segments) == 4:
            if not {"employee:inventory", "employee:all"} & set(
                (claims.get("scope") or "").split()
            ):
                raise ApiError(
                    403, "Writing items requires one of: employee:all, employee:inventory."
                )
            return self._item_write(segments[3])
        if method != "GET":
            raise ApiError(405, f"{method} is not supported on {name} by the simulator.")
        if len(segments) > 3:
            return engine.single(spec, segments[3], params)
        del world
        return engine.list(spec, params)

    def _check_account(self, account_id):
        if account_id != self.sim.world.account_id:
            raise ApiError(403, "Access to this account is not allowed.", "ForbiddenException")

    def _account(self, detailed):
        world = self.sim.world
        rec = {
            "accountID": world.account_id,
            "name": "Simulated Cycles",
            "link": {"@attributes": {"href": f"/API/V3/Account/{world.account_id}"}},
        }
        if detailed:
            rec.update(
                status="active",
                employeeCount=str(len(world.employees)),
                employeeLimit="25",
                uniqueSubscriptionIdentifier="sim-0001",
                defaultCurrency={"code": world.currency, "symbol": world.currency_symbol},
            )
        return rec

    def _session(self):
        world = self.sim.world
        emp = world.employee(world.authorizing_employee_id)
        return {
            "sessionID": "",
            "sessionCookie": "PHPSESSID=; path=/",
            "employeeID": emp["employeeID"],
            "systemCustomerID": world.account_id,
            "systemUserID": world.system_user_id,
            "systemAPIClientID": "25578",
            "systemAPIKeyID": "1757062",
            "ecomUrl": "",
            "shopCount": str(len(world.shops)),
            "Employee": {
                "employeeID": emp["employeeID"],
                "firstName": emp["firstName"],
                "lastName": emp["lastName"],
                "singleShop": "false",
                "hasPin": "true",
                "isCheckedIn": b_str(emp["clockInEmployeeHoursID"] != "0"),
            },
            "Rights": {"admin": "true", "admin_employees": "true", "register_read": "true"},
        }

    def _item_write(self, item_id):
        try:
            row = apply_item_put(self.sim, item_id, self._json_body())
        except LookupError:
            raise ApiError(
                404, f"Object of type 'Item' not found with primary ID '{item_id}'."
            ) from None
        except ValueError as exc:
            raise ApiError(400, str(exc), "BadRequestException") from None
        body = QueryEngine(self.sim).render_static("Item", row, ("ItemShops",))
        return {"@attributes": {"count": "1"}, "Item": body}

    def _json_body(self):
        try:
            return json.loads(self._body() or b"{}")
        except ValueError:
            return None  # not JSON: the writer answers 400

    def _hours_write(self, method, hours_id):
        world = self.sim.world
        if method == "DELETE":
            if hours_id not in world.hours:
                raise ApiError(
                    404, f"Object of type 'EmployeeHours' not found with primary ID '{hours_id}'."
                )
            del world.hours[hours_id]
            world._refresh_clock_ins()
            return {"name": "EmployeeHours", "primaryID": hours_id}
        try:
            data = json.loads(self._body() or b"{}")
        except ValueError as exc:
            raise ApiError(400, "Invalid JSON body.") from exc
        if method == "POST":
            if not data.get("employeeID"):
                raise ApiError(400, "EmployeeHours not created. An employeeID is required.")
            check_in = parse_ts(data["checkIn"]) if data.get("checkIn") else time.time()
            check_out = parse_ts(data["checkOut"]) if data.get("checkOut") else None
            hours_id = world.add_shift(
                data["employeeID"], data.get("shopID", "1"), check_in, check_out
            )
        else:
            row = world.hours.get(hours_id)
            if row is None:
                raise ApiError(
                    404, f"Object of type 'EmployeeHours' not found with primary ID '{hours_id}'."
                )
            if data.get("checkIn"):
                row["_in"] = int(parse_ts(data["checkIn"]))
            if "checkOut" in data:
                row["_out"] = int(parse_ts(data["checkOut"])) if data["checkOut"] else None
            world._refresh_clock_ins()
        return {
            "@attributes": {"count": "1"},
            "EmployeeHours": world.hours_record(world.hours[hours_id]),
        }

    def _injected(self, injection, headers):
        kind = injection["kind"]
        if kind == "429":
            self.sim.stats["served_429"] += 1
            headers = {
                **headers,
                "Retry-After": str(injection.get("retry_after", 1)),
                "X-LS-API-RateLimit-Type": "api-leaky-bucket",
            }
            return self._send(429, ApiError(429, "Too many requests.").body(), headers)
        if kind in ("502html", "html"):
            html = "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
            return self._send(int(injection.get("status", 502)), html, headers, "text/html")
        status = int(injection.get("status", 503))
        return self._send(status, ApiError(status, "Simulated server error.").body(), headers)

    # -- hooks ---------------------------------------------------------------------------
    def _hook(self, method, action):
        from .hooks import run_hook

        sim = self.sim
        if method == "GET" and action in ("stats", "state"):
            with sim.lock:
                body = sim.snapshot() if action == "stats" else run_hook(sim, "state", {})
            return self._send(200, body)
        if method != "POST":
            return self._send(405, {"error": "POST required"})
        try:
            data = json.loads(self._body() or b"{}")
        except ValueError:
            return self._send(400, {"error": "invalid JSON body"})
        with sim.lock:
            try:
                result = run_hook(sim, action, data)
            except KeyError as exc:
                return self._send(404, {"error": f"unknown hook or id: {exc}"})
            except (ValueError, TypeError) as exc:
                return self._send(400, {"error": str(exc)})
        return self._send(200, result)


def b_str(value):
    return "true" if value else "false"


def make_server(sim, host="127.0.0.1", port=0):
    handler = type("BoundHandler", (Handler,), {"sim": sim})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    sim.base_url = f"http://{host}:{server.server_address[1]}"
    return server


__all__ = ["Simulator", "make_server", "QueryEngine", "ts"]
