# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class PosOrder(models.Model):
    _inherit = "pos.order"

    lightspeed_backend_id = fields.Many2one(
        "lightspeed.backend", index=True, readonly=True, copy=False, ondelete="restrict"
    )
    lightspeed_id = fields.Char(
        string="Lightspeed ID",
        index=True,
        readonly=True,
        copy=False,
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
    lightspeed_shop_id = fields.Many2one("lightspeed.shop", index=True, readonly=True, copy=False)
    lightspeed_register_id = fields.Many2one("lightspeed.register", readonly=True, copy=False)
    lightspeed_department_id = fields.Many2one(
        "hr.department",
        string="Lightspeed department",
        index=True,
        readonly=True,
        copy=False,
        help="Department the sale counted for when it was imported; kept when mappings change.",
    )
    lightspeed_business_date = fields.Date(
        index=True,
        readonly=True,
        copy=False,
        help="Business day in the shop's time zone (after the backend's day cut-off hour).",
    )

    _sql_constraints = [
        (
            "lightspeed_uniq",
            "unique(lightspeed_backend_id, lightspeed_id)",
            "This Lightspeed sale was already imported.",
        ),
    ]


class PosOrderLine(models.Model):
    _inherit = "pos.order.line"

    lightspeed_line_id = fields.Char(
        string="Lightspeed sale line", index="btree_not_null", readonly=True, copy=False
    )


class PosSession(models.Model):
    _inherit = "pos.session"

    lightspeed_shop_id = fields.Many2one("lightspeed.shop", index=True, readonly=True, copy=False)
    lightspeed_business_date = fields.Date(readonly=True, copy=False)

    def _create_account_move(
        self, balancing_account=False, amount_to_balance=0, bank_payment_method_diffs=None
    ):
        """Date the closing entry of a Lightspeed session on its business day, not on the day
        the import happened to close it."""
        data = super()._create_account_move(
            balancing_account=balancing_account,
            amount_to_balance=amount_to_balance,
            bank_payment_method_diffs=bank_payment_method_diffs,
        )
        for session in self.filtered(lambda s: s.lightspeed_business_date and s.move_id):
            session.move_id.date = session.lightspeed_business_date
        return data
