# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class LightspeedBindingMixin(models.AbstractModel):
    """What an Odoo document imported from Lightspeed carries (``pos.order``,
    ``hr.attendance``): its backend and Lightspeed key, unique together, and the shop,
    department and business day it counted for when it was imported."""

    _name = "lightspeed.binding.mixin"
    _description = "Lightspeed Binding"

    lightspeed_backend_id = fields.Many2one(
        "lightspeed.backend", index=True, readonly=True, copy=False, ondelete="restrict"
    )
    lightspeed_id = fields.Char(string="Lightspeed ID", index=True, readonly=True, copy=False)
    lightspeed_shop_id = fields.Many2one(
        "lightspeed.shop", string="Lightspeed shop", index=True, readonly=True, copy=False
    )
    lightspeed_department_id = fields.Many2one(
        "hr.department",
        string="Shop department",
        index=True,
        readonly=True,
        copy=False,
        help="Department it counted for when it was imported; kept when mappings change.",
    )
    lightspeed_business_date = fields.Date(
        string="Business day",
        index=True,
        readonly=True,
        copy=False,
        help="Business day in the shop's time zone (after the backend's day cut-off hour).",
    )

    _sql_constraints = [
        (
            "lightspeed_uniq",
            "unique(lightspeed_backend_id, lightspeed_id)",
            "This Lightspeed object was already imported.",
        ),
    ]
