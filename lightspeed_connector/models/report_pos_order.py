# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from ..mapping.sale import DEPOSIT_LINE_PREFIX, TIP_LINE_PREFIX


class ReportPosOrder(models.Model):
    """Orders Analysis by Lightspeed business day: the day the weekly balance counts a sale
    for (shop time zone and the backend's day cut-off), not the viewer's calendar day of the
    order date. Measures are Odoo's, unchanged."""

    _inherit = "report.pos.order"

    lightspeed_business_date = fields.Date(string="Business day", readonly=True)
    lightspeed_shop_id = fields.Many2one("lightspeed.shop", string="Lightspeed shop", readonly=True)
    lightspeed_department_id = fields.Many2one(
        "hr.department", string="Shop department", readonly=True
    )
    # Tips and gift-card / account deposits are order lines (the order collects the money) but
    # not sales: the weekly balance leaves them out, Sales Analysis filters them out by default.
    lightspeed_line_kind = fields.Selection(
        [("sale", "Goods and services"), ("tip", "Tip"), ("deposit", "Deposit")],
        string="Line kind",
        readonly=True,
    )

    def _select(self):
        return (
            super()._select()
            + f""",
                s.lightspeed_business_date AS lightspeed_business_date,
                s.lightspeed_shop_id AS lightspeed_shop_id,
                s.lightspeed_department_id AS lightspeed_department_id,
                CASE
                    WHEN l.lightspeed_line_id LIKE '{TIP_LINE_PREFIX}%' THEN 'tip'
                    WHEN l.lightspeed_line_id LIKE '{DEPOSIT_LINE_PREFIX}%' THEN 'deposit'
                    ELSE 'sale'
                END AS lightspeed_line_kind
            """
        )
