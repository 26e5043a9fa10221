# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .lightspeed_kpi_fact import HOURS


class LightspeedKpiVisitor(models.Model):
    """Footfall of one shop hour, entered by hand or imported from a CSV file (Lightspeed
    does not count visitors)."""

    _name = "lightspeed.kpi.visitor"
    _description = "Lightspeed Visitors per Hour"
    _order = "date desc, shop_id, hour"

    shop_id = fields.Many2one("lightspeed.shop", required=True, index=True, ondelete="cascade")
    department_id = fields.Many2one(
        "hr.department",
        compute="_compute_department_id",
        store=True,
        readonly=False,
        help="Department the visitors count for; defaults to the shop's.",
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True)
    date = fields.Date(string="Business day", required=True, index=True)
    hour = fields.Selection(HOURS, required=True, help="Local hour of the shop.")
    visitors = fields.Integer(required=True, default=0)

    _sql_constraints = [
        ("shop_hour_uniq", "unique(shop_id, date, hour)", "Visitors of this hour are entered."),
        ("visitors_positive", "check(visitors >= 0)", "Visitors cannot be negative."),
    ]

    @api.depends("shop_id")
    def _compute_department_id(self):
        for row in self:
            row.department_id = row.shop_id.department_id

    @api.model_create_multi
    def create(self, vals_list):
        rows = super().create(vals_list)
        rows._check_not_approved()
        rows._refresh_facts()
        return rows

    def write(self, vals):
        self._check_not_approved()
        before = {(row.shop_id, row.date) for row in self}
        res = super().write(vals)
        self._check_not_approved()
        self._refresh_facts(before)
        return res

    def unlink(self):
        self._check_not_approved()
        keys = {(row.shop_id, row.date) for row in self}
        res = super().unlink()
        self._refresh_facts(keys)
        return res

    def _check_not_approved(self):
        locked = self.env["lightspeed.weekly.balance"]._approved_keys(set(self.mapped("date")))
        for row in self:
            if (row.department_id.id, row.date) in locked:
                raise UserError(
                    _(
                        "%(date)s is approved for %(department)s; its visitors are locked.",
                        date=row.date,
                        department=row.department_id.name,
                    )
                )

    def _refresh_facts(self, extra_keys=()):
        keys = {(row.shop_id, row.date) for row in self} | set(extra_keys)
        # Facts and balances are derived data: whoever may enter visitors may refresh them.
        Fact = self.env["lightspeed.kpi.fact"].sudo()
        for shop in {key[0] for key in keys}:
            Fact._refresh(shop.sudo(), {day for key_shop, day in keys if key_shop == shop})
