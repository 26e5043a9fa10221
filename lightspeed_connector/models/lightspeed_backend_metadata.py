# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from markupsafe import Markup, escape

from odoo import _, api, fields, models

_logger = logging.getLogger(__name__)


class LightspeedBackend(models.Model):
    """Metadata sync (shops, registers, employees, payment types, taxes) and onboarding."""

    _inherit = "lightspeed.backend"

    onboarding_todo = fields.Html(
        string="Next steps", compute="_compute_onboarding_todo", sanitize=False
    )

    @api.depends(
        "state",
        "shop_ids.import_enabled",
        "shop_ids.warehouse_id",
        "shop_ids.department_id",
        "payment_type_ids.payment_method_id",
        "employee_ids.mapping_state",
        "tax_ids.tax_id",
    )
    def _compute_onboarding_todo(self):
        for backend in self:
            items = backend._onboarding_items()
            backend.onboarding_todo = (
                Markup("<ul>%s</ul>")
                % Markup("").join(Markup("<li>%s</li>") % escape(item) for item in items)
                if items
                else False
            )

    def _onboarding_items(self):
        """What still blocks importing, in the order an administrator should fix it."""
        self.ensure_one()
        if self.state == "draft":
            return [_("Enter the client ID and secret, then click Connect to Lightspeed.")]
        if self.state == "reauth_needed":
            return [_("Re-authorise the connection (Connect to Lightspeed).")]
        if self.state == "disabled":
            return []
        items = []
        if not self.shop_ids:
            items.append(_("Click Sync metadata to read the shops of the account."))
        shops = self.shop_ids.filtered(lambda s: not s.remote_archived)
        for shop in shops.filtered(lambda s: not s.warehouse_id):
            items.append(_("Shop %(shop)s: choose a warehouse.", shop=shop.name))
        for shop in shops.filtered(lambda s: s.warehouse_id and not s.department_id):
            items.append(_("Shop %(shop)s: choose a department.", shop=shop.name))
        if shops and not shops.filtered("import_enabled"):
            items.append(_("Enable the import on at least one shop."))
        for ptype in self.payment_type_ids.filtered(
            lambda p: not p.is_cash and not p.payment_method_id and not p.remote_archived
        ):
            items.append(_("Payment type %(name)s: choose a payment method.", name=ptype.name))
        unmapped = self.employee_ids.filtered(
            lambda e: e.mapping_state == "unmapped" and not e.remote_archived
        )
        if unmapped:
            items.append(
                _("%(count)s employee(s) are not mapped to Odoo employees.", count=len(unmapped))
            )
        for tax in self.tax_ids.filtered(lambda t: not t.tax_id):
            items.append(_("Tax rate %(name)s: choose an Odoo tax.", name=tax.name))
        return items

    def _sync_metadata(self, client):
        """Read everything the mappings need; re-running updates rows, never duplicates.

        Under the engine's lock and run rules, inside the caller's transaction: it is small,
        and it runs inside the connect flow, which must stay all-or-nothing.
        """
        self.ensure_one()
        importer = self.env["lightspeed.metadata.importer"].with_context(lightspeed_no_commit=True)
        importer._locked_run(self, "metadata", lambda run: self._read_metadata(client, run))
        return True

    def _read_metadata(self, client, run):
        requests_before = client.request_count
        with self._lightspeed_errors():
            shops = list(client.iter_shops(archived=True))
            registers = list(client.iter_registers())
            employees = list(client.iter_employees(archived=True, load_contact=True))
            payment_types = list(client.iter_payment_types())
            tax_categories = list(client.iter_tax_categories())
        shop_recs = self.env["lightspeed.shop"]._upsert(
            self,
            [
                {
                    "lightspeed_id": shop.shop_id,
                    "name": shop.name or shop.shop_id,
                    "timezone": shop.time_zone or "UTC",
                    "remote_archived": shop.archived,
                    "tax_category_lightspeed_id": shop.tax_category_id or False,
                }
                for shop in shops
            ],
        )
        shop_by_id = {shop.lightspeed_id: shop.id for shop in shop_recs}
        self.env["lightspeed.register"]._upsert(
            self,
            [
                {
                    "lightspeed_id": register.register_id,
                    "name": register.name or register.register_id,
                    "shop_id": shop_by_id.get(register.shop_id or "", False),
                    "remote_archived": register.archived,
                }
                for register in registers
            ],
        )
        employee_recs = self.env["lightspeed.employee"]._upsert(
            self,
            [
                {
                    "lightspeed_id": employee.employee_id,
                    "name": employee.name,
                    "email": employee.email or False,
                    "remote_archived": employee.archived,
                    "locked": employee.lock_out,
                }
                for employee in employees
            ],
        )
        employee_recs._auto_match()
        self._watch_authorizer(client, employee_recs)  # lightspeed_backend_parity.py
        self.env["lightspeed.payment.type"]._upsert(
            self,
            [
                {
                    "lightspeed_id": ptype.payment_type_id,
                    "name": ptype.name or ptype.payment_type_id,
                    "payment_kind": ptype.type or False,
                    "remote_archived": ptype.archived,
                }
                for ptype in payment_types
            ],
        )
        Tax = self.env["lightspeed.tax"]
        tax_rows = [row for cat in tax_categories for row in Tax._rows_from_tax_category(cat)]
        Tax._upsert(self, tax_rows)._auto_match()
        self.last_metadata_sync_at = fields.Datetime.now()
        run._finish(
            fetched_count=len(shops)
            + len(registers)
            + len(employees)
            + len(payment_types)
            + len(tax_categories),
            request_count=client.request_count - requests_before,
        )
        _logger.info(
            "Lightspeed[%s]: metadata synced (%s shops, %s employees)",
            self.name,
            len(shops),
            len(employees),
        )


class LightspeedMetadataImporter(models.AbstractModel):
    """The metadata sync has no staging, but the engine's lock and run rules."""

    _name = "lightspeed.metadata.importer"
    _inherit = "lightspeed.importer"
    _description = "Lightspeed Metadata Importer"

    _stream = "metadata"
