"""Customers: the pure mapper (``mapping/customer.py``), the customer part of a sale fingerprint,
and the simulator's customers (Contact shapes, ``timeStamp`` filters, hooks, sales)."""

import copy
import json
from datetime import datetime, timezone

import pytest

from lightspeed_connector.api import Customer, Sale
from lightspeed_connector.mapping.customer import (
    CustomerMappingError,
    contact_details,
    customer_fingerprint,
    is_anonymised,
    opt_outs,
    prepare_partner_vals,
)
from lightspeed_connector.mapping.sale import fingerprint_content, sale_fingerprint
from lightspeed_simulator.data import World
from lightspeed_simulator.hooks import run_hook
from lightspeed_simulator.server import ENTITIES

NOW = datetime(2025, 3, 20, 12, tzinfo=timezone.utc)

# The reference's Customer sample (spec §6.10), with an address, a Secondary email listed first
# and a fax.
CUSTOMER = {
    "customerID": "42",
    "firstName": "Sam",
    "lastName": "Okafor",
    "title": "",
    "company": "",
    "vatNumber": "",
    "archived": "false",
    "timeStamp": "2025-01-05T10:30:00+00:00",
    "Contact": {
        "custom": "",
        "noEmail": "false",
        "noPhone": "false",
        "noMail": "true",
        "timeStamp": "2025-01-05T10:30:00+00:00",
        "Addresses": {
            "ContactAddress": {
                "address1": "12 Queen St W",
                "address2": "",
                "city": "Toronto",
                "state": "Ontario",
                "stateCode": "on",
                "zip": "M5H 2N2",
                "country": "Canada",
                "countryCode": "ca",
            }
        },
        "Websites": "",
        "Phones": {
            "ContactPhone": [
                {"number": "416-555-0177", "useType": "Fax"},
                {"number": "416-555-0101", "useType": "Mobile"},
                {"number": "416-555-0199", "useType": "Work"},
            ]
        },
        "Emails": {
            "ContactEmail": [
                {"address": "sam.work@example.com", "useType": "Secondary"},
                {"address": " Sam@Example.com ", "useType": "Primary"},
            ]
        },
    },
}


def customer(raw=None, **changes):
    raw = copy.deepcopy(raw or CUSTOMER)
    raw.update(changes)
    return Customer.from_payload(raw)


def test_partner_values_of_a_person():
    vals = prepare_partner_vals(customer())
    assert vals["name"] == "Sam Okafor" and vals["is_company"] is False
    assert vals["email"] == "Sam@Example.com", "the Primary email, trimmed, as typed"
    assert (vals["mobile"], vals["phone"]) == ("416-555-0101", "416-555-0199"), "fax skipped"
    assert vals["street"] == "12 Queen St W" and vals["street2"] is False
    assert (vals["city"], vals["zip"]) == ("Toronto", "M5H 2N2")
    assert (vals["country_code"], vals["state_code"]) == ("CA", "ON")
    assert (vals["country_name"], vals["state_name"]) == ("Canada", "Ontario")
    assert vals["active"] is True and vals["vat"] is False and vals["company_name"] is False


def test_companies_and_people_of_companies():
    company = prepare_partner_vals(
        customer(firstName="", lastName="", company="Acme BV", vatNumber="NL1B01")
    )
    assert company["name"] == "Acme BV" and company["is_company"] is True
    assert company["vat"] == "NL1B01"
    employee = prepare_partner_vals(customer(company="Acme BV"))
    assert employee["name"] == "Sam Okafor" and not employee["is_company"]
    assert employee["company_name"] == "Acme BV"
    nameless = prepare_partner_vals(customer(firstName="", lastName=""))
    assert nameless["name"] is False, "the importer names it"


def test_contact_shapes_single_objects_empty_strings_and_missing():
    raw = copy.deepcopy(CUSTOMER)
    raw["Contact"].update(
        Phones={"ContactPhone": {"number": "020-555-1", "useType": "Home"}},
        Emails={"ContactEmail": {"address": "only@example.com", "useType": ""}},
        Addresses="",
        Websites={"ContactWebsite": {"url": "www.example.com"}},
    )
    vals = prepare_partner_vals(Customer.from_payload(raw))
    assert vals["phone"] == "020-555-1" and vals["mobile"] is False
    assert vals["email"] == "only@example.com", "no Primary: the first email"
    assert vals["street"] is False and vals["country_code"] is False
    assert vals["website"] == "www.example.com"
    bare = dict(CUSTOMER)
    bare.pop("Contact")
    vals = prepare_partner_vals(Customer.from_payload(bare))
    assert vals["email"] is False and vals["phone"] is False
    assert opt_outs(Customer.from_payload(bare)) == {
        "no_email": False,
        "no_mail": False,
        "no_phone": False,
    }


def test_opt_outs_and_a_bad_flag():
    assert opt_outs(customer()) == {"no_email": False, "no_mail": True, "no_phone": False}
    raw = copy.deepcopy(CUSTOMER)
    raw["Contact"]["noEmail"] = "maybe"
    with pytest.raises(CustomerMappingError):
        opt_outs(Customer.from_payload(raw))


def test_anonymised_means_archived_without_personal_data():
    raw = copy.deepcopy(CUSTOMER)
    raw.update(firstName="", lastName="", company="", archived="true")
    raw["Contact"].update(Phones="", Emails="", Addresses="", Websites="")
    assert is_anonymised(Customer.from_payload(raw))
    raw["archived"] = "false"
    assert not is_anonymised(Customer.from_payload(raw)), "not archived"
    assert not is_anonymised(customer(archived="true")), "archived, data kept"
    assert contact_details(Customer.from_payload(raw)).emails == []


def test_fingerprint_changes_with_what_the_import_applies_only():
    base = customer_fingerprint(customer())
    assert base == customer_fingerprint(customer())
    assert customer_fingerprint(customer(timeStamp="2026-01-01T00:00:00+00:00")) == base
    assert customer_fingerprint(customer(customerTypeID="2")) == base, "not imported"
    assert customer_fingerprint(customer(archived="true")) != base
    raw = copy.deepcopy(CUSTOMER)
    raw["Contact"]["Emails"]["ContactEmail"][1]["address"] = "sam@new.example.com"
    assert customer_fingerprint(Customer.from_payload(raw)) != base
    raw = copy.deepcopy(CUSTOMER)
    raw["Contact"]["noEmail"] = "true"
    assert customer_fingerprint(Customer.from_payload(raw)) != base


def test_sale_fingerprint_carries_the_customer_apart():
    sale = {
        "saleID": "7",
        "completed": "true",
        "completeTime": "2025-03-14T18:22:05+00:00",
        "total": "10",
        "customerID": "0",
        "SalePayments": {"SalePayment": {"salePaymentID": "70", "amount": "10"}},
    }
    anonymous = sale_fingerprint(Sale.from_payload(sale))
    assert ":" not in anonymous and len(anonymous) == 32, "no customer: the digest as before"
    named = sale_fingerprint(Sale.from_payload(dict(sale, customerID="42")))
    assert named != anonymous and named.endswith(":c42")
    assert fingerprint_content(named) == fingerprint_content(anonymous) == anonymous
    other = sale_fingerprint(Sale.from_payload(dict(sale, customerID="43", total="11")))
    assert fingerprint_content(other) != anonymous
    assert fingerprint_content(None) == ""


# -- the simulator's customers ----------------------------------------------------------------
def customers(engine, **params):
    page = engine.list(ENTITIES["Customer"], {"archived": "true", **params})
    rows = page.get("Customer", [])
    return rows if isinstance(rows, list) else [rows]


def test_simulator_customers_have_contacts_in_lightspeed_shapes(in_process):
    _sim, engine = in_process(World(sales=50, seed=3, now=NOW))
    rows = {r["customerID"]: r for r in customers(engine, load_relations='["Contact"]')}
    assert len(rows) == 40 and rows["40"]["archived"] == "true"
    one = rows["1"]["Contact"]
    assert isinstance(one["Emails"]["ContactEmail"], list), "Secondary + Primary"
    assert one["Phones"]["ContactPhone"]["useType"] == "Mobile", "one phone: an object"
    assert one["Addresses"]["ContactAddress"]["countryCode"] == "NL"
    assert rows["4"]["Contact"]["Phones"] == "", "no phone: an empty string"
    assert rows["5"]["Contact"]["Addresses"] == "" and rows["5"]["Contact"]["noEmail"] == "true"
    company = Customer.from_payload(rows["27"])
    assert company.company == "Acme BV" and not company.first_name
    assert prepare_partner_vals(company)["vat"] == "NL000000027B01"
    assert "Contact" not in customers(engine)[0], "Contact only when asked for"
    vals = prepare_partner_vals(Customer.from_payload(rows["1"]))
    assert vals["email"] == "ava.smith1@example.com", "the Primary one, listed second"


def test_simulator_filters_customers_on_time_stamp_and_sorts_on_it(in_process):
    sim, engine = in_process(World(sales=50, seed=3, now=NOW))
    assert len(customers(engine)) == 40
    before = customers(engine, sort="timeStamp")[-1]["timeStamp"]
    edited = run_hook(sim, "edit_customer", {"customer_id": "7", "email": "new@example.com"})
    stamp = edited["customer"]["timeStamp"]
    assert stamp > before
    changed = customers(engine, timeStamp=f">=,{stamp}", load_relations='["Contact"]')
    assert [c["customerID"] for c in changed] == ["7"]
    assert Customer.from_payload(changed[0]).email == "new@example.com"
    assert customers(engine, sort="timeStamp")[-1]["customerID"] == "7"


def test_simulator_customer_hooks(in_process):
    sim, engine = in_process(World(sales=50, seed=3, now=NOW))
    edited = run_hook(
        sim,
        "edit_customer",
        {
            "customer_id": "2",
            "mobile": "06-1234",
            "phone": None,
            "no_phone": True,
            "address": {"address1": "Main St 1", "city": "Utrecht", "countryCode": "NL"},
        },
    )["customer"]
    details = contact_details(Customer.from_payload(edited))
    assert details.phones == [("06-1234", "Mobile")] and details.no_phone
    assert details.addresses[0]["city"] == "Utrecht"
    archived = run_hook(sim, "archive_customer", {"customer_id": "3"})["customer"]
    assert archived["archived"] == "true" and archived["firstName"]
    anonymised = run_hook(sim, "archive_customer", {"customer_id": "6", "anonymise": True})
    assert is_anonymised(Customer.from_payload(anonymised["customer"]))
    added = run_hook(sim, "add_customer", {"first_name": "Nia", "email": "nia@example.com"})
    new_id = added["customer"]["customerID"]
    assert new_id == "41" and Customer.from_payload(added["customer"]).email == "nia@example.com"
    with pytest.raises(KeyError):
        run_hook(sim, "edit_customer", {"customer_id": "999"})
    [sale_id] = run_hook(sim, "add_sales", {"count": 1, "customer_id": new_id})["sale_ids"]
    rels = json.dumps(["Customer", "Customer.Contact"])
    sale = engine.single(ENTITIES["Sale"], sale_id, {"load_relations": rels})["Sale"]
    assert sale["customerID"] == new_id and sale["Customer"]["Contact"]["Emails"]
    with pytest.raises(KeyError):
        run_hook(sim, "add_sales", {"count": 1, "customer_id": "999"})


def test_simulator_sales_embed_their_customer(in_process):
    _sim, engine = in_process(World(sales=200, seed=3, now=NOW))
    rels = json.dumps(["SaleLines", "Customer", "Customer.Contact"])
    page = engine.list(ENTITIES["Sale"], {"load_relations": rels, "archived": "true"})
    sales = [Sale.from_payload(raw) for raw in page["Sale"]]
    named = [s for s in sales if s.customer_id]
    assert 0.15 < len(named) / len(sales) < 0.5, "about 30 % of the sales name a customer"
    assert all(s.customer and s.customer.customer_id == s.customer_id for s in named)
    assert all(s.customer is None for s in sales if not s.customer_id)
    assert any(s.customer.email for s in named)
    plain = engine.list(ENTITIES["Sale"], {"load_relations": '["SaleLines"]'})["Sale"]
    assert all("Customer" not in raw for raw in plain)
