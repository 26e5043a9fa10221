# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class LightspeedRegister(models.Model):
    """A Lightspeed register (till); by default it follows its shop's mappings."""

    _name = "lightspeed.register"
    _inherit = "lightspeed.mapping.mixin"
    _description = "Lightspeed Register"

    shop_id = fields.Many2one("lightspeed.shop", ondelete="set null", index=True)
    pos_config_id = fields.Many2one(
        "pos.config",
        string="Point of Sale override",
        check_company=True,
        help="Leave empty to use the shop's point of sale.",
    )
    department_id = fields.Many2one(
        "hr.department",
        string="Department override",
        check_company=True,
        help="Leave empty to count this register's sales for the shop's department.",
    )

    def _effective_pos_config(self):
        self.ensure_one()
        return self.pos_config_id or self.shop_id.pos_config_id

    def _effective_department(self):
        self.ensure_one()
        return self.department_id or self.shop_id.department_id
