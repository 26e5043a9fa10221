# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import _, api, fields, models

_logger = logging.getLogger(__name__)


class LightspeedBackend(models.Model):
    """Sales import entry points: button, XML-RPC and the scheduled action."""

    _inherit = "lightspeed.backend"

    order_count = fields.Integer(compute="_compute_order_count")
    deposit_product_id = fields.Many2one(
        "product.product",
        string="Deposit product",
        check_company=True,
        help="Gift-card top-ups and credit-account deposits are booked on this product: money "
        "owed to the customer, not revenue. Give it a liability income account (e.g. Customer "
        "deposits) and no taxes. Without it such sales stay in error.",
    )
    tip_product_id = fields.Many2one(
        "product.product",
        string="Tip product",
        check_company=True,
        help="Tips collected with a payment (Lightspeed includes them in the payment amount) "
        "are booked on this product: money owed to the staff, not revenue. Give it a liability "
        "income account (e.g. Tips payable) and no taxes. Without it sales with tips stay in "
        "error.",
    )

    def _compute_order_count(self):
        groups = self.env["pos.order"]._read_group(
            [("lightspeed_backend_id", "in", self.ids)], ["lightspeed_backend_id"], ["__count"]
        )
        counts = {backend.id: count for backend, count in groups}
        for backend in self:
            backend.order_count = counts.get(backend.id, 0)

    def action_open_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("point_of_sale.action_pos_pos_form")
        action["domain"] = [("lightspeed_backend_id", "=", self.id)]
        action["context"] = {"search_default_filter_lightspeed": 1}
        return action

    def action_import_sales(self):
        """Import new and changed sales now (button and XML-RPC); returns a notification.
        Refused with a clear message while another sales import of the backend runs."""
        runs = self.env["lightspeed.sync.run"]
        for backend in self:
            backend._check_connected()
            runs |= self.env["lightspeed.sale.importer"]._run(backend)
        return self._run_notification(runs, _("Lightspeed sales imported"))

    @api.model
    def _cron_import_sales(self):
        """Scheduled import: every connected backend, each run ending on its own (the engine
        commits it, failed or not); a backend another worker is importing is skipped."""
        self._cron_run_stream("lightspeed.sale.importer")
        return True
