# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Points of sale that receive Lightspeed sales are not tills: the selling screen stays shut,
so nothing is sold twice (once in Lightspeed, once in Odoo) into the imported sessions."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError


class PosConfig(models.Model):
    _inherit = "pos.config"

    lightspeed_imported = fields.Boolean(
        string="Receives Lightspeed sales",
        compute="_compute_lightspeed_imported",
        search="_search_lightspeed_imported",
        help="The point of sale of a Lightspeed shop or register: its sales are imported, it "
        "cannot sell from Odoo.",
    )

    @api.model
    def _lightspeed_config_ids(self, configs=None):
        """Ids of the points of sale a Lightspeed shop or register books into."""
        shop_domain = [("pos_config_id", "!=", False)]
        if configs is not None:
            shop_domain = [("pos_config_id", "in", configs.ids)]
        shops = self.env["lightspeed.shop"].sudo().search(shop_domain)
        registers = self.env["lightspeed.register"].sudo().search(shop_domain)
        return set((shops.pos_config_id | registers.pos_config_id).ids)

    def _compute_lightspeed_imported(self):
        ids = self._lightspeed_config_ids(self)
        for config in self:
            config.lightspeed_imported = config._origin.id in ids

    def _search_lightspeed_imported(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(_("Unsupported search on Receives Lightspeed sales."))
        positive = (operator == "=") == bool(value)
        return [("id", "in" if positive else "not in", list(self._lightspeed_config_ids()))]

    def _check_lightspeed_selling(self):
        """Refuse the selling screen of a point of sale that receives Lightspeed sales."""
        imported = self.filtered("lightspeed_imported")
        if imported:
            raise UserError(
                _(
                    "%(pos)s receives the sales of a Lightspeed shop: sell in Lightspeed. Its "
                    "sessions are opened and closed by the import, one per business day, and "
                    "cannot be used to sell from Odoo.",
                    pos=imported[0].name,
                )
            )

    def open_ui(self):
        self._check_lightspeed_selling()
        return super().open_ui()

    def _action_to_open_ui(self):
        self._check_lightspeed_selling()
        return super()._action_to_open_ui()

    def action_lightspeed_sessions(self):
        """The imported sessions of this point of sale (the dashboard's button instead of
        Continue Selling)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "point_of_sale.action_pos_session_filtered"
        )
        action["domain"] = [("config_id", "=", self.id)]
        action["context"] = {"search_default_config_id": self.id}
        return action


class LightspeedRegister(models.Model):
    """A register's point of sale override books in the shop's Lightspeed currency."""

    _inherit = "lightspeed.register"

    @api.constrains("pos_config_id")
    def _check_pos_config_currency(self):
        for register in self.filtered("pos_config_id"):
            currency = register.shop_id.currency_id
            if currency and register.pos_config_id.currency_id != currency:
                raise ValidationError(
                    _(
                        "Point of sale %(pos)s books in %(pos_currency)s, but register "
                        "%(register)s sells in %(currency)s: choose a point of sale whose "
                        "journal is in %(currency)s.",
                        pos=register.pos_config_id.name,
                        pos_currency=register.pos_config_id.currency_id.name,
                        register=register.name,
                        currency=currency.name,
                    )
                )
