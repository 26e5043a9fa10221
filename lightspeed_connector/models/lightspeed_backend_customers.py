# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models


class LightspeedBackend(models.Model):
    """Customer import entry points: button, XML-RPC and the hourly cron."""

    _inherit = "lightspeed.backend"

    customers_cursor = fields.Datetime(
        readonly=True, copy=False, help="Change stamp (timeStamp) of the last staged customer."
    )
    customer_count = fields.Integer(compute="_compute_customer_count")

    def _compute_customer_count(self):
        counts = dict(
            self.env["lightspeed.customer"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.customer_count = counts.get(backend, 0)

    def action_import_customers(self):
        """Import new and changed customers now (button and XML-RPC); returns a notification.
        Refused with a clear message while another customer import of the backend runs."""
        runs = self.env["lightspeed.sync.run"]
        for backend in self:
            backend._check_connected()
            runs |= self.env["lightspeed.customer.importer"]._run(backend)
        if self.env.context.get("lightspeed_no_notification"):
            return True
        return self._run_notification(runs, _("Lightspeed customers imported"))

    def action_open_customers(self):
        return self._open_related("lightspeed.customer", _("Customers"))

    @api.model
    def _cron_import_customers(self):
        """Hourly, before the sales: every connected backend, one run each (see
        ``_cron_run_stream``)."""
        self._cron_run_stream("lightspeed.customer.importer")
        return True
