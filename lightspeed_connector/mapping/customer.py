"""Pure mappers from a Lightspeed ``Customer`` (with its ``Contact``) to contact values (no Odoo
imports).

The importer resolves what needs the database: the country and state of the address from their
codes, the binding, the existing contact to adopt, the opt-out lists. These functions turn the
payload into plain values, with the address as codes (``country_code``, ``state_code``...).
"""

import hashlib
import json
from dataclasses import dataclass, field

from ..api.normalize import relation, to_bool, to_str
from .errors import MappingError

# ContactPhone.useType values (spec §6.10): a mobile goes to the contact's mobile, the first
# other number to call goes to its phone, in this order of preference; a fax is not a phone.
MOBILE_USE_TYPES = frozenset({"mobile", "cell"})
PHONE_USE_TYPES = ("home", "work", "pager")
FAX_USE_TYPES = frozenset({"fax"})
# The address keys of ``prepare_partner_vals`` (country and state as Lightspeed names them).
ADDRESS_FIELDS = (
    "street",
    "street2",
    "city",
    "zip",
    "country_code",
    "country_name",
    "state_code",
    "state_name",
)


class CustomerMappingError(MappingError):
    """The customer cannot be mapped as it is."""


@dataclass
class ContactDetails:
    """The ``Contact`` of a customer: lists in Lightspeed's order, blanks dropped."""

    emails: list = field(default_factory=list)  # [(address, use type)]
    phones: list = field(default_factory=list)  # [(number, use type)]
    addresses: list = field(default_factory=list)  # [address dict, Odoo keys]
    websites: list = field(default_factory=list)  # [url]
    no_email: bool = False
    no_mail: bool = False
    no_phone: bool = False


def _clean(value):
    return to_str(value).strip()


def _flag(contact, key):
    try:
        return to_bool(contact.get(key))
    except ValueError as exc:
        raise CustomerMappingError(f"Contact {key}: {exc}") from exc


def contact_details(customer):
    """Parse the ``Contact`` of an ``api.Customer`` (empty when it was not loaded)."""
    contact = customer.raw.get("Contact")
    if not isinstance(contact, dict):
        return ContactDetails()
    emails = [
        (_clean(entry.get("address")), _clean(entry.get("useType")))
        for entry in relation(contact, "Emails", "ContactEmail")
        if isinstance(entry, dict) and _clean(entry.get("address"))
    ]
    phones = [
        (_clean(entry.get("number")), _clean(entry.get("useType")))
        for entry in relation(contact, "Phones", "ContactPhone")
        if isinstance(entry, dict) and _clean(entry.get("number"))
    ]
    addresses = []
    for entry in relation(contact, "Addresses", "ContactAddress"):
        if not isinstance(entry, dict):
            continue
        address = {
            "street": _clean(entry.get("address1")),
            "street2": _clean(entry.get("address2")),
            "city": _clean(entry.get("city")),
            "zip": _clean(entry.get("zip")),
            "country_code": _clean(entry.get("countryCode")).upper(),
            "country_name": _clean(entry.get("country")),
            "state_code": _clean(entry.get("stateCode")).upper(),
            "state_name": _clean(entry.get("state")),
        }
        if any(address.values()):
            addresses.append(address)
    websites = [
        _clean(entry.get("url"))
        for entry in relation(contact, "Websites", "ContactWebsite")
        if isinstance(entry, dict) and _clean(entry.get("url"))
    ]
    return ContactDetails(
        emails=emails,
        phones=phones,
        addresses=addresses,
        websites=websites,
        no_email=_flag(contact, "noEmail"),
        no_mail=_flag(contact, "noMail"),
        no_phone=_flag(contact, "noPhone"),
    )


def primary_email(details):
    """The email marked ``Primary``, else the first one; ``None`` without any."""
    for address, use_type in details.emails:
        if use_type.lower() == "primary":
            return address
    return details.emails[0][0] if details.emails else None


def split_phones(details):
    """``(phone, mobile)``: the first mobile number, and the first other number to call (home,
    then work, then pager, then any other use type but fax)."""
    mobile = next((n for n, use in details.phones if use.lower() in MOBILE_USE_TYPES), None)
    others = [
        (number, use.lower())
        for number, use in details.phones
        if use.lower() not in MOBILE_USE_TYPES | FAX_USE_TYPES
    ]

    def rank(item):
        use = item[1]
        return PHONE_USE_TYPES.index(use) if use in PHONE_USE_TYPES else len(PHONE_USE_TYPES)

    phone = min(others, key=rank)[0] if others else None
    return phone, mobile


def is_anonymised(customer, details=None):
    """An archived customer without any personal data left.

    Lightspeed documents that deleting a customer archives it and may anonymise it, not how an
    anonymised customer reads; a customer archived with no name, company, email, phone,
    address or website is taken as anonymised (a placeholder name would still be copied, and
    the emptied contact details cleared, by the ordinary update).
    """
    details = details or contact_details(customer)
    personal = (
        customer.first_name.strip(),
        customer.last_name.strip(),
        customer.company.strip(),
        details.emails,
        details.phones,
        details.addresses,
        details.websites,
    )
    return customer.archived and not any(personal)


def prepare_partner_vals(customer):
    """The contact values Lightspeed owns, blanks as ``False``.

    ``name`` is ``False`` when the customer has neither a name nor a company (the importer
    names it). Person + company: a person whose ``company_name`` is the company; company only:
    a company contact. The address is the first one, its country and state as codes and names.
    """
    if not customer.customer_id:
        raise CustomerMappingError("the customer has no customerID")
    details = contact_details(customer)
    person = " ".join(filter(None, (customer.first_name.strip(), customer.last_name.strip())))
    company = customer.company.strip()
    phone, mobile = split_phones(details)
    address = details.addresses[0] if details.addresses else {}
    vals = {
        "name": person or company or False,
        "is_company": bool(company and not person),
        "company_name": company if person and company else False,
        "email": primary_email(details) or False,
        "phone": phone or False,
        "mobile": mobile or False,
        "vat": _clean(customer.raw.get("vatNumber")) or False,
        "website": details.websites[0] if details.websites else False,
        "active": not customer.archived,
    }
    for key in ADDRESS_FIELDS:
        vals[key] = address.get(key) or False
    return vals


def opt_outs(customer):
    """Lightspeed's ``noEmail`` / ``noMail`` / ``noPhone`` as ``no_email`` / ``no_mail`` /
    ``no_phone``."""
    details = contact_details(customer)
    return {"no_email": details.no_email, "no_mail": details.no_mail, "no_phone": details.no_phone}


def customer_fingerprint(customer):
    """Digest of everything the import applies; equal digests mean nothing to do."""
    content = {
        "partner": prepare_partner_vals(customer),
        "opt_outs": opt_outs(customer),
        "anonymised": is_anonymised(customer),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]
