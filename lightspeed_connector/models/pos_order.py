# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class PosOrder(models.Model):
    _name = "pos.order"
    _inherit = ["pos.order", "lightspeed.binding.mixin"]

    lightspeed_id = fields.Char(
        help="saleID of the imported sale; reversals and corrections add a suffix "
        "(e.g. 1042/void) so each Odoo order has its own key.",
    )
    lightspeed_sale_id = fields.Char(
        string="Lightspeed sale", index=True, readonly=True, copy=False
    )
    lightspeed_kind = fields.Selection(
        [
            ("sale", "Sale"),
            ("refund", "Refund"),
            ("void", "Void reversal"),
            ("correction", "Correction"),
        ],
        readonly=True,
        copy=False,
    )
    lightspeed_register_id = fields.Many2one("lightspeed.register", readonly=True, copy=False)


class PosOrderLine(models.Model):
    _inherit = "pos.order.line"

    lightspeed_line_id = fields.Char(
        string="Lightspeed sale line", index="btree_not_null", readonly=True, copy=False
    )
