"""Test hooks: ``POST /_sim/<action>`` with a JSON body, ``GET /_sim/stats`` and ``/_sim/state``.

Every hook runs under the simulator lock and returns a JSON object.
"""

import time
from decimal import Decimal

from .data import (
    ABANDONED,
    KIND_NAMES,
    OPEN,
    VOIDED,
    contact_payload,
    fmt,
    parse_ts,
    spell_update_key,
    ts,
)
from .items import (  # noqa: F401  (registered as hooks by name)
    hook_collide_barcode,
    hook_edit_item,
    hook_item_stock,
    hook_item_writes,
    hook_reset_item_writes,
    hook_set_stock,
)


def _sale_id(sim, data):
    sale_id = int(data["sale_id"])
    if not sim.world.sales.exists(sale_id):
        raise KeyError(f"sale {sale_id}")
    return sale_id


def _when(value, default=None):
    if value in (None, ""):
        return default
    if isinstance(value, int | float):
        return float(value)
    return parse_ts(str(value))


def hook_state(sim, data):
    world = sim.world
    store = world.sales
    return {
        "base_url": sim.base_url,
        "account_id": world.account_id,
        "client_id": sim.auth.client_id,
        "client_secret": sim.auth.client_secret,
        "redirect_uri": sim.auth.redirect_uri,
        "token_lifetime": sim.auth.token_lifetime,
        "strict_rotation": sim.auth.strict_rotation,
        "now": ts(world.now_ts),
        "range_start": ts(world.start_ts),
        "sales": store.count,
        "authorizing_employee_id": world.authorizing_employee_id,
        "system_user_id": world.system_user_id,
        "shops": [{k: s[k] for k in ("shopID", "name", "timeZone")} for s in world.shops],
        "currency": world.currency,
        "bucket_size": sim.bucket_size,
        "drip_rate": sim.drip_rate,
        "burst_limit": sim.burst_limit,
        "chaos": sorted(world.chaos),
        "stamp_spelling": world.update_key,
        "zero_payments_share": world.zero_payments_share,
        "deposits_share": world.deposits_share,
        "tips_share": world.tips_share,
        "token_delay": sim.token_delay,
    }


def hook_issue_token(sim, data):
    """Skip the browser: issue a token pair directly (scope defaults to employee:all)."""
    return sim.auth.issue(data.get("scope") or "employee:all")


def _stamped(store, sale_id, stamp, keep_stamps):
    """Bump the sale's stamps to ``stamp`` unless ``keep_stamps``: whether a void or an edit
    moves ``timeStamp``/``updatetime`` is unverified (spec §11.2), so tests can check that an
    importer still sees such a change (correction window) when they stay put."""
    if not keep_stamps:
        store.bump(sale_id, stamp)
    sale = store.full(sale_id)["sale"]
    return {"updatetime": sale["updatetime"], "timeStamp": sale["timeStamp"]}


def hook_void_sale(sim, data):
    """``voided=true`` plus a SaleVoid row; ``keep_stamps`` leaves the sale's stamps alone."""
    world = sim.world
    store = world.sales
    sale_id = _sale_id(sim, data)
    record = store.materialise(sale_id)
    if record["sale"]["completed"] != "true":
        raise ValueError("only completed sales can be voided")
    stamp = world.stamp()
    record["sale"]["voided"] = "true"
    record["kind"] = VOIDED
    store.kind[sale_id] = VOIDED
    stamps = _stamped(store, sale_id, stamp, bool(data.get("keep_stamps")))
    world._append_void(sale_id, data.get("reason") or "Voided by test", stamp)
    return {"sale_id": str(sale_id), **stamps}


def hook_edit_sale(sim, data):
    """Change a line's quantity / price (``line_index`` default 0); totals are recomputed.
    ``keep_stamps`` leaves the stamps of the sale and its lines alone."""
    world = sim.world
    store = world.sales
    sale_id = _sale_id(sim, data)
    record = store.materialise(sale_id)
    if record["lines"]:
        line = record["lines"][int(data.get("line_index", 0))]
        if data.get("unit_quantity") is not None:
            line["unitQuantity"] = fmt(int(data["unit_quantity"]))
        if data.get("unit_price") is not None:
            line["unitPrice"] = fmt(data["unit_price"])
            line["displayableUnitPrice"] = line["unitPrice"]
    if data.get("customer_id") is not None:
        record["sale"]["customerID"] = str(data["customer_id"])
    store.recompute(sale_id)
    stamps = _stamped(store, sale_id, world.stamp(), bool(data.get("keep_stamps")))
    return {"sale_id": str(sale_id), **stamps, "total": record["sale"]["total"]}


def hook_add_sales(sim, data):
    """Add ``count`` completed sales; ``complete_time`` or ``backdate_minutes`` backdate them
    (their ``updatetime`` is always "now", as for a late upload)."""
    world = sim.world
    count = int(data.get("count", 1))
    complete = _when(data.get("complete_time"))
    if complete is None and data.get("backdate_minutes"):
        complete = time.time() - float(data["backdate_minutes"]) * 60
    customer = data.get("customer_id")
    if customer not in (None, "", "0", 0) and world.customer(customer) is None:
        raise KeyError(f"customer {customer}")
    ids = []
    for _ in range(count):
        ids.append(
            str(
                world.sales.add(
                    complete_ts=complete,
                    shop=data.get("shop_id"),
                    lines=data.get("lines"),
                    customer=customer,
                )
            )
        )
    return {"sale_ids": ids, "count": world.sales.count}


def hook_get_sale(sim, data):
    """Canonical sale (no chaos, the configured stamp spelling), with ``lines`` and
    ``payments`` and its scenario kind."""
    record = sim.world.sales.full(_sale_id(sim, data))
    return {
        "sale": spell_update_key(record["sale"], sim.world.update_key),
        "lines": record["lines"],
        "payments": record["payments"],
        "kind": KIND_NAMES[record["kind"]],
    }


def hook_find_sales(sim, data):
    """IDs of generated sales of a scenario kind (normal, refund, exchange, open, archived,
    voided, modified, deposit), or ``tipped`` (sales with a tip, any kind), at most ``limit``
    (default 20)."""
    limit = int(data.get("limit", 20))
    store = sim.world.sales
    if data.get("kind") == "tipped":
        found = [
            str(i) for i in range(1, store.count + 1) if Decimal(store.full(i)["sale"]["calcTips"])
        ][:limit]
        return {"sale_ids": found}
    kind = KIND_NAMES.index(data.get("kind", "normal"))
    found = [str(i) for i in range(1, store.count + 1) if store.kind[i] == kind][:limit]
    return {"sale_ids": found}


def _shift(sim, data):
    hours_id = str(data["employee_hours_id"])
    row = sim.world.hours.get(hours_id)
    if row is None:
        raise KeyError(f"employee hours {hours_id}")
    return hours_id, row


def hook_edit_shift(sim, data):
    hours_id, row = _shift(sim, data)
    if data.get("check_in"):
        row["_in"] = int(_when(data["check_in"]))
    if "check_out" in data:
        row["_out"] = int(_when(data["check_out"])) if data["check_out"] else None
    if data.get("employee_id"):
        row["employeeID"] = str(data["employee_id"])
    sim.world._refresh_clock_ins()
    return sim.world.hours_record(row)


def hook_add_shift(sim, data):
    world = sim.world
    check_in = _when(data.get("check_in"), time.time())
    check_out = _when(data.get("check_out"))
    emp = world.employee(data.get("employee_id", "2"))
    if emp is None:
        raise KeyError("employee")
    shop = data.get("shop_id") or (
        emp["limitToShopID"] if emp["limitToShopID"] != "0" else world.shop_ids[0]
    )
    hours_id = world.add_shift(emp["employeeID"], shop, check_in, check_out)
    return world.hours_record(world.hours[hours_id])


def hook_delete_shift(sim, data):
    hours_id, _row = _shift(sim, data)
    del sim.world.hours[hours_id]
    sim.world._refresh_clock_ins()
    return {"deleted": hours_id}


def hook_close_shift(sim, data):
    hours_id, row = _shift(sim, data)
    row["_out"] = int(_when(data.get("check_out"), time.time()))
    sim.world._refresh_clock_ins()
    return sim.world.hours_record(row)


def hook_expire_tokens(sim, data):
    sim.auth.expire_all()
    return {"expired": True}


def hook_revoke_tokens(sim, data):
    sim.auth.revoke_all()
    return {"revoked": True}


def _employee(sim, data):
    emp = sim.world.employee(data.get("employee_id") or sim.world.authorizing_employee_id)
    if emp is None:
        raise KeyError("employee")
    return emp


def hook_lock_employee(sim, data):
    emp = _employee(sim, data)
    emp["lockOut"] = "true" if data.get("locked", True) else "false"
    emp["timeStamp"] = ts(sim.world.stamp())
    return {"employeeID": emp["employeeID"], "lockOut": emp["lockOut"]}


def hook_archive_employee(sim, data):
    emp = _employee(sim, data)
    emp["archived"] = "true" if data.get("archived", True) else "false"
    emp["timeStamp"] = ts(sim.world.stamp())
    return {"employeeID": emp["employeeID"], "archived": emp["archived"]}


def _customer(sim, data):
    customer = sim.world.customer(data.get("customer_id"))
    if customer is None:
        raise KeyError(f"customer {data.get('customer_id')}")
    return customer


def _customer_payload(customer):
    """The customer as ``Customer.json?load_relations=["Contact"]`` renders it."""
    body = {k: v for k, v in customer.items() if not k.startswith("_")}
    body["Contact"] = contact_payload(customer)
    return {"customer": body}


def hook_get_customer(sim, data):
    """``{"customer_id": "7"}``: the customer with its Contact."""
    return _customer_payload(_customer(sim, data))


def hook_add_customer(sim, data):
    """A new customer (next id, ``timeStamp`` now): ``first_name``, ``last_name``,
    ``company``, ``email`` (Primary); no phone, no address."""
    customer = sim.world.add_customer(
        first_name=str(data.get("first_name") or ""),
        last_name=str(data.get("last_name") or ""),
        company=str(data.get("company") or ""),
        email=data.get("email") or None,
    )
    return _customer_payload(customer)


CUSTOMER_FIELDS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "company": "company",
    "title": "title",
    "vat_number": "vatNumber",
}
CONTACT_FLAG_KEYS = {"no_email": "noEmail", "no_phone": "noPhone", "no_mail": "noMail"}


def _replace(entries, use_types, value, use_type):
    """``entries`` [(value, use type)] without those of ``use_types``, plus ``value`` first."""
    kept = [entry for entry in entries if entry[1] not in use_types]
    return [(str(value), use_type), *kept] if value else kept


def hook_edit_customer(sim, data):
    """Edit a customer: ``first_name``, ``last_name``, ``company``, ``title``, ``vat_number``,
    ``email`` (the Primary one; empty removes it), ``mobile`` (the Mobile numbers), ``phone``
    (the Home/Work numbers), ``address`` (an object with Lightspeed's ContactAddress keys, or
    null for none), ``no_email`` / ``no_phone`` / ``no_mail``. Its ``timeStamp`` moves unless
    ``keep_stamps``."""
    customer = _customer(sim, data)
    contact = customer["_contact"]
    for key, field in CUSTOMER_FIELDS.items():
        if key in data:
            customer[field] = str(data[key] or "")
    if "email" in data:
        contact["emails"] = _replace(contact["emails"], {"Primary"}, data["email"], "Primary")
    if "mobile" in data:
        contact["phones"] = _replace(contact["phones"], {"Mobile"}, data["mobile"], "Mobile")
    if "phone" in data:
        contact["phones"] = _replace(contact["phones"], {"Home", "Work"}, data["phone"], "Home")
    if "address" in data:
        address = data["address"]
        contact["addresses"] = [{k: str(v) for k, v in address.items()}] if address else []
    for key, flag in CONTACT_FLAG_KEYS.items():
        if key in data:
            contact[flag] = bool(data[key])
    if not data.get("keep_stamps"):
        sim.world.touch_customer(customer)
    return _customer_payload(customer)


def hook_archive_customer(sim, data):
    """``{"customer_id": "7", "archived": true, "anonymise": false}``: archive (or restore)
    a customer, as Lightspeed's DELETE does; ``anonymise`` also wipes its personal data. How
    Lightspeed renders an anonymised customer is not documented: here names, company, title,
    VAT number and every email, phone, address and website are emptied."""
    customer = _customer(sim, data)
    customer["archived"] = "true" if data.get("archived", True) else "false"
    if data.get("anonymise"):
        for field in ("firstName", "lastName", "company", "title", "vatNumber"):
            customer[field] = ""
        customer["companyRegistrationNumber"] = ""
        customer["_contact"].update(emails=[], phones=[], addresses=[], websites=[])
    sim.world.touch_customer(customer)
    return _customer_payload(customer)


def hook_inject(sim, data):
    """Next ``count`` API responses become ``kind``: ``5xx`` (JSON, ``status`` default 503),
    ``502html`` (HTML page) or ``429`` (``retry_after`` default 1). ``path_contains`` narrows."""
    kind = str(data.get("kind", "5xx"))
    if kind not in ("5xx", "500", "503", "502html", "html", "429"):
        raise ValueError(f"unknown injection kind {kind}")
    if kind in ("500", "503"):
        data = {**data, "status": int(kind)}
        kind = "5xx"
    sim.injections.append({**data, "kind": kind, "count": int(data.get("count", 1))})
    return {"pending": sum(i["count"] for i in sim.injections)}


def hook_clear_injections(sim, data):
    """Drop every pending injected failure."""
    dropped = sum(i["count"] for i in sim.injections)
    sim.injections.clear()
    return {"dropped": dropped}


def hook_set_token_delay(sim, data):
    """The token endpoint waits ``seconds`` before answering (0 = off), for token races."""
    seconds = float(data.get("seconds", 0))
    if seconds < 0 or seconds > 60:
        raise ValueError("seconds must be between 0 and 60")
    sim.token_delay = seconds
    return {"token_delay": sim.token_delay}


def hook_set_token_lifetime(sim, data):
    sim.auth.token_lifetime = int(data["seconds"])
    return {"token_lifetime": sim.auth.token_lifetime}


def hook_fill_bucket(sim, data):
    sim._level()
    sim.level = float(data.get("level", sim.bucket_size))
    return {"level": sim.level, "size": sim.bucket_size}


def hook_set_limits(sim, data):
    """Change ``bucket_size``, ``drip_rate`` and/or ``burst_limit`` at run time."""
    for key in ("bucket_size", "drip_rate", "burst_limit"):
        if data.get(key) is not None:
            setattr(sim, key, type(getattr(sim, key))(data[key]))
    return {
        "bucket_size": sim.bucket_size,
        "drip_rate": sim.drip_rate,
        "burst_limit": sim.burst_limit,
    }


def hook_reset_stats(sim, data):
    sim.reset_stats()
    return {"reset": True}


def hook_age_refresh_tokens(sim, data):
    """Pretend every refresh token was last used ``days`` ago (30+ days => invalid_grant)."""
    seconds = float(data.get("days", 31)) * 86400
    for record in sim.auth.refresh.values():
        record["last_used"] -= seconds
    return {"aged": len(sim.auth.refresh)}


def hook_token_state(sim, data):
    return {"state": sim.auth.token_state(data.get("refresh_token"))}


HOOKS = {name[5:]: func for name, func in globals().items() if name.startswith("hook_")}


def run_hook(sim, action, data):
    func = HOOKS.get(action)
    if func is None:
        raise KeyError(action)
    return func(sim, data or {})


__all__ = ["HOOKS", "run_hook", "OPEN", "ABANDONED"]
