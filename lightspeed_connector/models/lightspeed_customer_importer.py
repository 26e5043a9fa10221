# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Customers adapter of the import engine: Lightspeed customers -> Odoo contacts.

Incremental on ``timeStamp`` (every customer changed since the cursor, archived ones too, with
their ``Contact``); each customer is staged with a fingerprint of what the import applies, and
processing hands it to ``lightspeed.customer`` (binding, adoption by email, updates, opt-outs,
archiving and anonymisation). The sales import binds the customers it meets first through the
same model. See README.md, "Customers".
"""

from odoo import _, models

from ..api import Customer
from ..mapping.customer import customer_fingerprint
from ..mapping.errors import MappingError
from ..tools import to_aware_utc, to_naive_utc
from .lightspeed_importer import CURSOR_OVERLAP


class LightspeedCustomerImporter(models.AbstractModel):
    _name = "lightspeed.customer.importer"
    _inherit = "lightspeed.importer"
    _description = "Lightspeed Customer Importer"

    _stream = "customer"
    # Customers belong to the account, not to a shop.
    _requires_shops = False

    # === QUERIES AND STAGING === #

    def _queries(self, backend, scope):
        """Every customer changed since the cursor; the first run reads them all."""
        cursor = backend.customers_cursor
        since = to_aware_utc(cursor - CURSOR_OVERLAP) if cursor else None
        return [{"updated_from": since}]

    def _fetch(self, client, query, scope):
        # Sorted on the stamp the cursor is taken from, so a page's cursor resumes exactly.
        return client.iter_customers(updated_from=query["updated_from"], sort="timeStamp")

    def _staging_vals(self, customer):
        try:
            fingerprint = customer_fingerprint(customer)
        except MappingError:
            fingerprint = "unreadable"  # processing stores the reason on the record
        stamp = customer.timestamp
        return {
            "lightspeed_id": customer.customer_id,
            "payload": customer.raw,
            "fingerprint": fingerprint,
            "remote_version": stamp.isoformat() if stamp else False,
            "remote_date": to_naive_utc(stamp) if stamp else False,
        }

    def _after_stage_page(self, backend, customers, query):
        """The cursor advances with the page it covers, in the same transaction."""
        stamps = [customer.timestamp for customer in customers if customer.timestamp]
        if stamps:
            newest = to_naive_utc(max(stamps))
            if not backend.customers_cursor or newest > backend.customers_cursor:
                backend.customers_cursor = newest

    def _select_domain(self, scope):
        return []  # customers have no shop

    # === PROCESSING === #

    def _process_record(self, record, state, final):
        customer = self._read_payload(record, Customer)
        binding, outcome = self.env["lightspeed.customer"]._import_customer(
            record.backend_id, customer
        )
        record._mark_done(binding.partner_id)
        return outcome

    def _run_message(self, scope, fetched, stats):
        return _(
            "%(fetched)s customers fetched: %(created)s contacts created, %(updated)s updated, "
            "%(unchanged)s unchanged, %(failed)s failed.",
            fetched=fetched,
            created=stats["created"],
            updated=stats["updated"],
            unchanged=stats["unchanged"] + stats["skipped"],
            failed=stats["failed"],
        )
