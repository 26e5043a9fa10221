# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class AccountTax(models.Model):
    _inherit = "account.tax"

    lightspeed_created = fields.Boolean(
        string="Created by Lightspeed",
        readonly=True,
        copy=False,
        help="Created by the Lightspeed connector for a rate no Odoo tax matched; its tax "
        "accounts were copied from another sales tax of the company.",
    )

    def _lightspeed_has_tax_accounts(self):
        """Whether the tax books its amounts on accounts of its own, for invoices and refunds
        alike (without one, Odoo books the tax on the income account of the sale)."""
        self.ensure_one()
        for lines in (self.invoice_repartition_line_ids, self.refund_repartition_line_ids):
            lines = lines.filtered(lambda ln: ln.repartition_type == "tax")
            if not lines or not all(line.account_id for line in lines):
                return False
        return True
