# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, api, fields, models


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

    @api.model_create_multi
    def create(self, vals_list):
        registers = super().create(vals_list)
        registers.filtered("pos_config_id")._link_payment_methods()
        return registers

    def write(self, vals):
        result = super().write(vals)
        if vals.get("pos_config_id"):
            self._link_payment_methods()
        return result

    def _link_payment_methods(self):
        """An override point of sale takes the backend's mapped (non-cash) payment methods now:
        Odoo refuses to add a method to a point of sale while its session is open, which the
        import would otherwise have to do in the middle of a business day."""
        for register in self:
            methods = register.backend_id.payment_type_ids.payment_method_id
            missing = methods - register.pos_config_id.payment_method_ids
            if missing:
                register.pos_config_id.payment_method_ids = [Command.link(m.id) for m in missing]
